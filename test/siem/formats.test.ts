/**
 * The four formats on the golden AuthEvents: each body parses back to the same
 * events (ids first), and the OCSF mapping holds field by field (docs/siem.md).
 */
import { describe, expect, it } from 'vitest';
import { decodeBody, splitConcatenatedJson } from '../../local/siem/decode.ts';
import { SIEM_FORMATS, encodeEvents, toSplunkHec } from '../../lib/siem/formats/index.ts';
import { toOcsf } from '../../lib/siem/ocsf.ts';
import { golden, goldenEvents } from './helpers.ts';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { sampleLines } from '../cognito-logs/helpers.ts';
import { cloudTrailEvents, cognitoLogEvents, type IpPolicy } from './pipeline-events.ts';

const splunk = { sourcetype: 'authtrail:authevent', source: 'authtrail', index: 'auth' };

/** A sample Cognito log record (events/cognito-logs/) as the real ingester publishes it, under an IP policy. */
const cognitoLogEvent = async (line: number, ipAction: IpPolicy = 'mask'): Promise<AuthEvent> =>
  (await cognitoLogEvents(ipAction, sampleLines().slice(line, line + 1)))[0] as AuthEvent;

describe('Formats: every format parses back', () => {
  it.each(SIEM_FORMATS)('%s: all golden events come back in order, each with its AuthEvent id', (format) => {
    // Prepare
    const events = goldenEvents();

    // Act
    const { body, contentType } = encodeEvents(format, events, { splunk });
    const decoded = decodeBody(body);

    // Assess
    expect(events).toHaveLength(31);
    expect(decoded.map((record) => record.id)).toEqual(events.map((event) => event.id));
    expect(new Set(decoded.map((record) => record.format))).toEqual(new Set([format]));
    expect(contentType).toBe(format === 'ndjson' || format === 'ocsf' ? 'application/x-ndjson' : 'application/json');
    if (format === 'ndjson') expect(decoded.map((record) => record.record)).toEqual(events);
    if (format === 'json') expect(JSON.parse(body)).toEqual(events);
    if (format === 'splunk-hec') expect(decoded.map((record) => record.record.event)).toEqual(events);
    if (format === 'ocsf') expect(decoded.map((record) => record.record)).toEqual(events.map(toOcsf));
  });

  it('ndjson: one event per line, ending with a newline', () => {
    // Act
    const { body } = encodeEvents('ndjson', goldenEvents().slice(0, 3));

    // Assess
    expect(body.split('\n')).toHaveLength(4);
    expect(body.endsWith('\n')).toBe(true);
  });

  it('reads HEC envelopes concatenated without any separator, as Splunk allows', () => {
    // Prepare
    const events = goldenEvents().slice(0, 4);
    const body = events.map((event) => JSON.stringify(toSplunkHec(event, splunk))).join('');

    // Act
    const decoded = decodeBody(body);

    // Assess
    expect(decoded.map((record) => record.id)).toEqual(events.map((event) => event.id));
    expect(splitConcatenatedJson('{"a":"}{"}{"b":1}')).toEqual(['{"a":"}{"}', '{"b":1}']);
  });

  it('refuses a body that is not records of a known format', () => {
    // Act / Assess
    expect(() => decodeBody('{"hello":"world"}')).toThrow(/neither an AuthEvent/);
    expect(() => decodeBody('{"id":')).toThrow(/ends inside a record/);
    expect(() => decodeBody('not json')).toThrow(/unexpected "n"/);
  });
});

describe('Formats: Splunk HEC envelope', () => {
  it('carries time in epoch seconds, host, source, sourcetype, index, the event and indexed fields', () => {
    // Prepare
    const event = golden('post-authentication/sign-in-web.json');

    // Act
    const envelope = toSplunkHec(event, splunk);

    // Assess
    expect(envelope).toEqual({
      time: Date.parse('2026-11-27T10:00:00.000Z') / 1000,
      host: 'cognito-idp.eu-west-1',
      source: 'authtrail',
      sourcetype: 'authtrail:authevent',
      index: 'auth',
      event,
      fields: {
        authtrail_id: event.id,
        authtrail_category: 'signin',
        authtrail_action: 'authenticate',
        authtrail_outcome: 'succeeded',
        authtrail_stage: 'dev',
        user_pool_id: 'eu-west-1_Xq9Lk2MfA',
      },
    });
  });

  it('files Cognito log and CloudTrail events at the time they happened, not when authtrail read them', async () => {
    // Prepare: a Cognito log record and a CloudTrail record (a wrong password at 09:58:40), both read on the fixture clock
    const logged = await cognitoLogEvent(0);
    const wrongPassword = (await cloudTrailEvents()).find(({ source }) => source === 'cloudtrail sign-in.ndjson line 1 InitiateAuth')!.event;

    // Act
    const [fromLog, fromCloudTrail] = [toSplunkHec(logged, splunk), toSplunkHec(wrongPassword, splunk)];

    // Assess
    expect(fromLog.time).toBe(Date.parse(logged.cognitoLog!.at!) / 1000);
    expect(fromCloudTrail.time).toBe(Date.parse('2026-11-27T09:58:40Z') / 1000);
    expect(fromCloudTrail.time).not.toBe(Date.parse(wrongPassword.time) / 1000);
  });

  it('leaves index out when none is configured, so the token default index applies', () => {
    // Act
    const envelope = toSplunkHec(golden('post-authentication/sign-in-web.json'), { sourcetype: 'st', source: 'src' });

    // Assess
    expect(envelope).not.toHaveProperty('index');
    expect(envelope.sourcetype).toBe('st');
  });
});

describe('Formats: OCSF mapping, field by field', () => {
  it('sign-in -> Authentication 3002, activity 1 Logon, Success', () => {
    // Prepare
    const event = golden('post-authentication/sign-in-web.json');

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({
      category_uid: 3,
      category_name: 'Identity & Access Management',
      class_uid: 3002,
      class_name: 'Authentication',
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      type_name: 'Authentication: Logon',
      time: Date.parse('2026-11-27T10:00:00.000Z'),
      severity_id: 1,
      severity: 'Informational',
      status_id: 1,
      status: 'Success',
      message: 'signin.authenticate succeeded',
      metadata: {
        version: '1.3.0',
        profiles: ['cloud'],
        uid: event.id,
        product: { name: 'authtrail', vendor_name: 'authtrail', version: event.pipeline.version },
        log_name: 'authtrail.cognito',
        original_time: event.time,
        tenant_uid: 'eu-west-1_Xq9Lk2MfA',
        labels: ['replay'],
      },
      cloud: { provider: 'AWS', region: 'eu-west-1' },
      user: { uid: event.user.sub, name: event.user.username, type_id: 1, type: 'User' },
      actor: { app_uid: '3n4b5urk1ft4fl3mg5e62d9ado', app_name: 'web-app', idp: { name: 'Cognito' } },
      service: { name: 'Amazon Cognito', uid: 'eu-west-1_Xq9Lk2MfA' },
      auth_protocol_id: 99,
      auth_protocol: 'Amazon Cognito',
    });
    // Not known to a trigger: absent rather than guessed.
    expect(ocsf).not.toHaveProperty('src_endpoint');
    expect(ocsf).not.toHaveProperty('is_mfa');
    expect(ocsf).not.toHaveProperty('status_code');
    // A hashed email is no email address: it stays out of user.email_addr, in unmapped.
    expect(ocsf.user).not.toHaveProperty('email_addr');
    expect(ocsf.unmapped).toMatchObject({
      authtrail_category: 'signin',
      authtrail_action: 'authenticate',
      authtrail_outcome: 'succeeded',
      stage: 'dev',
      trigger: event.trigger,
      identity_provider: event.identityProvider,
      user: {
        email: event.user.email,
        email_domain: 'acme-corp.com',
        email_verified: true,
        phone: '********0123',
        phone_verified: true,
        status: 'CONFIRMED',
      },
      device: { newDeviceUsed: false },
      pipeline: event.pipeline,
    });
  });

  it.each([
    ['pre-token-generation/v2/authentication-admin.json', 99, 'Token Issue'],
    ['pre-token-generation/v1/new-password-challenge.json', 99, 'Token Issue'],
    ['pre-token-generation/v2/refresh-tokens.json', 99, 'Token Refresh'],
    ['pre-token-generation/v1/refresh-tokens.json', 99, 'Token Refresh'],
  ])('token event %s -> Authentication activity %i %s', (file, activityId, activityName) => {
    // Prepare
    const event = golden(file);

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({
      class_uid: 3002,
      activity_id: activityId,
      activity_name: activityName,
      type_uid: 300200 + activityId,
      status_id: 1,
      metadata: { uid: event.id },
    });
    expect(ocsf.unmapped.token).toEqual(event.token);
  });

  it('admin group membership is carried as OCSF groups', () => {
    // Prepare
    const event = golden('pre-token-generation/v2/authentication-admin.json');

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(event.groups.length).toBeGreaterThan(0);
    expect(ocsf.user.groups).toEqual(event.groups.map((name) => ({ name })));
  });

  it('client credentials -> Logon of the app client over OAuth 2.0, the app client as the user', () => {
    // Prepare
    const event = golden('pre-token-generation/v3/client-credentials.json');

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({
      class_uid: 3002,
      activity_id: 1,
      type_uid: 300201,
      auth_protocol_id: 6,
      auth_protocol: 'OAUTH 2.0',
      user: { uid: '7kq8r3v0a1b2c3d4e5f6g7h8i9', name: 'reporting-service', type_id: 99, type: 'App Client' },
    });
  });

  it.each([
    ['post-authentication/sign-in-federated-google.json', 4, 'OpenID'],
    ['pre-token-generation/v2/hosted-auth-federated-google.json', 4, 'OpenID'],
  ])('federated %s -> auth_protocol %i %s', (file, id, name) => {
    // Act
    const ocsf = toOcsf(golden(file));

    // Assess
    expect(ocsf).toMatchObject({ auth_protocol_id: id, auth_protocol: name });
  });

  it('allowed sign-up -> Account Change 3001, activity 1 Create, Success, no authentication fields', () => {
    // Prepare
    const event = golden('pre-signup/federated-okta-saml-first-sign-in.json');

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({
      class_uid: 3001,
      class_name: 'Account Change',
      activity_id: 1,
      activity_name: 'Create',
      type_uid: 300101,
      type_name: 'Account Change: Create',
      status_id: 1,
      status: 'Success',
      user: { name: event.user.username, type_id: 1 },
      actor: { app_uid: '3n4b5urk1ft4fl3mg5e62d9ado', app_name: 'web-app', idp: { name: 'Okta' } },
      metadata: { uid: event.id },
    });
    expect(ocsf).not.toHaveProperty('auth_protocol_id');
    expect(ocsf).not.toHaveProperty('service');
    expect(ocsf.user).not.toHaveProperty('uid'); // no sub before the user exists
  });

  it.each([
    ['pre-signup/sign-up-denied-blocked-domain.json', 'EMAIL_DOMAIN_BLOCKED'],
    ['pre-signup/sign-up-denied-disposable-domain.json', undefined],
  ])('denied sign-up %s -> Account Change Create, Failure, with the policy reason', (file, code) => {
    // Prepare
    const event = golden(file);

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(event.outcome).toBe('denied');
    expect(ocsf).toMatchObject({
      class_uid: 3001,
      activity_id: 1,
      status_id: 2,
      status: 'Failure',
      severity_id: 2,
      severity: 'Low',
      status_code: event.reason?.code,
      status_detail: event.reason?.message,
      message: `signup.${event.action} denied`,
    });
    if (code !== undefined) expect(ocsf.status_code).toBe(code);
  });

  it.each([
    ['pre-authentication/sign-in-attempt-web.json', 3002, 6, 0, 'Unknown'],
    ['pre-authentication/sign-in-denied-blocked-user.json', 3002, 6, 2, 'Failure'],
    ['post-confirmation/confirm-sign-up-web.json', 3001, 2, 1, 'Success'],
    ['post-confirmation/confirm-forgot-password-mobile.json', 3001, 4, 1, 'Success'],
  ])('%s -> class %i, activity %i, status %i %s', (file, classUid, activityId, statusId, status) => {
    // Prepare
    const event = golden(file);

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({ class_uid: classUid, activity_id: activityId, status_id: statusId, status });
    expect(ocsf.type_uid).toBe(classUid * 100 + activityId);
  });

  it('an inferred failed sign-in -> Authentication Logon, Failure, with its reason', () => {
    // Prepare
    const event = {
      ...golden('post-authentication/sign-in-web.json'),
      outcome: 'failed' as const,
      reason: { code: 'NO_SUCCESS_WITHIN_WINDOW', message: 'no successful sign-in within 120 s of the attempt' },
    };

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({
      class_uid: 3002,
      activity_id: 1,
      status_id: 2,
      status: 'Failure',
      severity: 'Low',
      status_code: 'NO_SUCCESS_WITHIN_WINDOW',
      message: 'signin.authenticate failed',
    });
  });

  it('a readable email goes to user.email_addr; a user without sub or username still has a name', () => {
    // Prepare
    const event = golden('pre-signup/sign-up-allowed.json');
    event.user = { email: 'ana@acme-corp.com', emailDomain: 'acme-corp.com' };

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf.user).toEqual({ name: 'unknown', email_addr: 'ana@acme-corp.com', type_id: 1, type: 'User' });
    expect(ocsf.unmapped.user).toEqual({ email_domain: 'acme-corp.com' });
  });

  it('a Cognito log event: the IP (when the PII policy keeps it whole) and its location in src_endpoint, a masked IP, the location and the risk in unmapped', async () => {
    // Prepare: the first sample record (a sign-in from 192.0.2.44, Dublin) through the real ingester, under two IP policies
    const masked = await cognitoLogEvent(0, 'mask');
    const kept = await cognitoLogEvent(0, 'keep');

    // Act
    const [fromMasked, fromKept] = [toOcsf(masked), toOcsf(kept)];

    // Assess
    expect(fromMasked).not.toHaveProperty('src_endpoint');
    expect(fromMasked.unmapped).toMatchObject({ network: { ip: '192.0.2.0/24', city: 'Dublin', country: 'Ireland' }, risk: masked.risk, cognito_log: masked.cognitoLog });
    expect(fromKept.src_endpoint).toEqual({ ip: '192.0.2.44', location: { city: 'Dublin', country: 'IE' } });
    expect(masked.risk).toBeDefined();
  });

  it('a password change (Cognito log events) -> Account Change 3001, activity 3 Password Change, Success', async () => {
    // Prepare: sample record 6, alice changing her password
    const event = await cognitoLogEvent(5);

    // Act
    const ocsf = toOcsf(event);

    // Assess
    expect(ocsf).toMatchObject({
      class_uid: 3001,
      activity_id: 3,
      activity_name: 'Password Change',
      type_uid: 300103,
      status_id: 1,
      message: 'account.password_change succeeded',
    });
  });

  it('every golden event maps with type_uid = class_uid * 100 + activity_id and its id in metadata.uid', () => {
    // Act
    const mapped = goldenEvents().map((event) => ({ event, ocsf: toOcsf(event) }));

    // Assess
    for (const { event, ocsf } of mapped) {
      expect(ocsf.type_uid).toBe(ocsf.class_uid * 100 + ocsf.activity_id);
      expect(ocsf.metadata.uid).toBe(event.id);
      expect(ocsf.class_uid).toBe(event.category === 'signup' || event.category === 'account' ? 3001 : 3002);
    }
  });
});
