import { describe, expect, it } from 'vitest';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { authEventOfCloudTrail, cloudTrailEventIdFor, UnmappedCloudTrailEventError } from '../../lib/cloudtrail/normalize.ts';
import { CloudTrailEnvelopeSchema, HIDDEN } from '../../lib/cloudtrail/record.ts';
import { finalizeEvent } from '../../lib/runtime/process.ts';
import { FIXED_NOW, configWith, processContext } from '../helpers/fixtures.ts';
import { DEV_POOL, deliveries, delivery, FIXTURE_FILES, type FixtureFile } from './helpers.ts';

const context = processContext();
/** What the function publishes: the record normalized, then the PII policy and the schema check. */
const normalize = (envelope: Record<string, any>, overrides: Partial<typeof context> = {}) => {
  const record = CloudTrailEnvelopeSchema.parse(envelope).detail;
  const runtime = { ...context, ...overrides };
  return finalizeEvent(authEventOfCloudTrail(record, { ...runtime, now: FIXED_NOW, userPoolId: DEV_POOL }), runtime);
};
const of = (file: FixtureFile, eventName: string, index = 0) => normalize(delivery(file, eventName, index));

describe('CloudTrail: sign-in records become AuthEvents', () => {
  it('turns a wrong password into a failed signin.authenticate with the reason, IP prefix, user agent and sub', () => {
    // Act
    const event = of('sign-in.ndjson', 'InitiateAuth', 0);

    // Assess
    expect(event).toMatchObject({
      category: 'signin',
      action: 'authenticate',
      outcome: 'failed',
      reason: { code: 'INCORRECT_CREDENTIALS', message: 'Incorrect username or password' },
      trigger: { source: 'CloudTrail_InitiateAuth', version: '1.09' },
      userPool: { id: DEV_POOL, region: 'eu-west-1' },
      client: { id: '6m2c9c6r4m0k0s4bqlf0h0q0ja', name: 'mobile-app' },
      user: { sub: 'b4e8c4a8-5021-70f3-a61d-0c7f2e9b3d84' },
      network: { ip: '198.51.100.0/24', userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/browser#Chrome_131' },
      cloudTrail: {
        eventId: 'a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b0001',
        eventName: 'InitiateAuth',
        eventType: 'AwsApiCall',
        at: '2026-11-27T09:58:40.000Z',
        errorCode: 'NotAuthorizedException',
        countedByTrigger: false,
      },
    });
    expect(event.id).toBe(cloudTrailEventIdFor('dev', 'a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b0001'));
    expect(event.time).toBe(FIXED_NOW.toISOString());
    // An unsigned call has no AWS principal; the username is never in a CloudTrail record.
    expect(event.actor).toBeUndefined();
    expect(event.user.username).toBeUndefined();
  });

  it('tells an unknown user, a lockout and a wrong MFA code apart', () => {
    // Act
    const unknown = of('sign-in.ndjson', 'InitiateAuth', 1);
    const lockout = of('sign-in.ndjson', 'InitiateAuth', 3);
    const mfa = of('sign-in.ndjson', 'RespondToAuthChallenge', 1);

    // Assess
    expect(unknown).toMatchObject({ outcome: 'failed', reason: { code: 'USER_NOT_FOUND' }, user: {} });
    expect(lockout).toMatchObject({ outcome: 'failed', reason: { code: 'PASSWORD_ATTEMPTS_EXCEEDED' } });
    expect(mfa).toMatchObject({ category: 'signin', action: 'mfa', outcome: 'failed', reason: { code: 'CODE_MISMATCH' } });
  });

  it('makes an SRP start that got a challenge attempted, and the completed step succeeded but counted by the trigger', () => {
    // Act
    const start = of('sign-in.ndjson', 'InitiateAuth', 2);
    const done = of('sign-in.ndjson', 'RespondToAuthChallenge', 0);

    // Assess
    expect(start).toMatchObject({ action: 'authenticate', outcome: 'attempted', cloudTrail: { countedByTrigger: false } });
    expect(start.reason).toBeUndefined();
    expect(done).toMatchObject({ action: 'authenticate', outcome: 'succeeded', cloudTrail: { countedByTrigger: true } });
  });

  it('maps refresh, sign-out and revocation', () => {
    // Act
    const refresh = of('sign-in.ndjson', 'InitiateAuth', 4);
    const signOut = of('sign-in.ndjson', 'GlobalSignOut');
    const revoke = of('sign-in.ndjson', 'RevokeToken');

    // Assess
    expect(refresh).toMatchObject({ category: 'token', action: 'refresh', outcome: 'issued', cloudTrail: { countedByTrigger: true } });
    expect(signOut).toMatchObject({ category: 'signin', action: 'sign_out', outcome: 'succeeded', client: { id: null } });
    expect(revoke).toMatchObject({ category: 'token', action: 'revoke', outcome: 'succeeded', client: { name: 'web-app' } });
  });
});

describe('CloudTrail: account records become AuthEvents', () => {
  it('names the IAM principal as actor of an admin disable, and the user acted on by sub', () => {
    // Act
    const event = of('account.ndjson', 'AdminDisableUser');

    // Assess
    expect(event).toMatchObject({
      category: 'account',
      action: 'user_disable',
      outcome: 'succeeded',
      user: { sub: 'b4e8c4a8-5021-70f3-a61d-0c7f2e9b3d84' },
      actor: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/authtrail-support/jane',
        accountId: '123456789012',
      },
      client: { id: null },
    });
    // The hidden username is not a username.
    expect(event.user.username).toBeUndefined();
  });

  it.each([
    ['AdminDeleteUser', 'user_delete'],
    ['AdminAddUserToGroup', 'group_add'],
    ['AdminSetUserPassword', 'password_set'],
    ['UpdateUserPoolClient', 'client_change'],
    ['ForgotPassword', 'password_reset_request'],
  ])('maps %s to account.%s', (eventName, action) => {
    // Act
    const event = of('account.ndjson', eventName);

    // Assess
    expect(event).toMatchObject({ category: 'account', action, outcome: 'succeeded', cloudTrail: { countedByTrigger: false } });
  });

  it('marks what a trigger also reports (sign-up, reset confirmed) and keeps failures the trigger never sees', () => {
    // Act
    const signUp = of('account.ndjson', 'SignUp');
    const badCode = of('account.ndjson', 'ConfirmSignUp');
    const reset = of('account.ndjson', 'ConfirmForgotPassword');

    // Assess
    expect(signUp).toMatchObject({ category: 'signup', action: 'self_signup', outcome: 'allowed', user: { sub: '8415b4d8-f0e1-7069-2c4a-93d7e6b1f05a' } });
    expect(signUp.cloudTrail?.countedByTrigger).toBe(true);
    expect(badCode).toMatchObject({ action: 'confirm_signup', outcome: 'failed', reason: { code: 'CODE_MISMATCH' }, cloudTrail: { countedByTrigger: false } });
    expect(reset).toMatchObject({ action: 'password_reset', outcome: 'succeeded', cloudTrail: { countedByTrigger: true } });
  });

  it('has no mapping for a read-only call', () => {
    // Prepare
    const record = CloudTrailEnvelopeSchema.parse(delivery('account.ndjson', 'ListUsers')).detail;

    // Act / Assess
    expect(() => authEventOfCloudTrail(record, { ...context, now: FIXED_NOW })).toThrow(UnmappedCloudTrailEventError);
  });
});

describe('CloudTrail: the documented endpoint records', () => {
  it.each([
    ['Signup_POST', 0, { category: 'signup', action: 'self_signup', outcome: 'allowed' }],
    ['Confirm_POST', 0, { category: 'account', action: 'confirm_signup', outcome: 'succeeded', user: { sub: '704b1e47-34fe-40e9-8c41-504997494531' } }],
    ['SAML2Response_POST', 0, { category: 'signin', action: 'authenticate', outcome: 'succeeded', identityProvider: { type: 'federated', providerType: 'SAML' } }],
    ['Token_POST', 0, { category: 'token', action: 'issue', outcome: 'issued' }],
    ['Token_POST', 1, { category: 'token', action: 'client_credentials', outcome: 'issued' }],
    ['Token_POST', 2, { category: 'token', action: 'refresh', outcome: 'issued' }],
  ])('maps %s #%i', (eventName, index, expected) => {
    // Act
    const event = normalize(delivery('documented.ndjson', eventName, index), {});

    // Assess
    expect(event).toMatchObject({ ...expected, userPool: { id: 'us-west-2_aaaaaaaaa', region: 'us-west-2' }, cloudTrail: { eventType: 'AwsServiceEvent', countedByTrigger: true } });
    expect(event.client.id).toBe(eventName === 'SAML2Response_POST' ? null : '1example23456789');
    expect(event.network).toEqual({ ip: '192.0.2.0/24', userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)...' });
    // The endpoint's userIdentity holds only the account: no actor.
    expect(event.actor).toBeUndefined();
  });

  it.each(['Login_GET', 'Signup_GET', 'Confirm_GET'])('has no mapping for the page view %s', (eventName) => {
    // Prepare
    const record = CloudTrailEnvelopeSchema.parse(delivery('documented.ndjson', eventName)).detail;

    // Act / Assess
    expect(() => authEventOfCloudTrail(record, { ...context, now: FIXED_NOW })).toThrow(UnmappedCloudTrailEventError);
  });

  it('maps the managed login endpoints: login, a rejected TOTP code, logout', () => {
    // Act
    const [login, mfa, logout] = deliveries('managed-login.ndjson').map((envelope) => normalize(envelope));

    // Assess
    expect(login).toMatchObject({ action: 'authenticate', outcome: 'succeeded', client: { name: 'web-app' }, cloudTrail: { countedByTrigger: true } });
    expect(mfa).toMatchObject({ action: 'mfa', outcome: 'failed', reason: { code: 'CODE_MISMATCH' } });
    expect(logout).toMatchObject({ action: 'sign_out', outcome: 'succeeded' });
  });
});

describe('CloudTrail: every fixture record', () => {
  it('gives a schema-valid event or a counted no-mapping, and distinct ids', () => {
    // Prepare
    const all = FIXTURE_FILES.flatMap((file) => deliveries(file));

    // Act
    const events = all.flatMap((envelope) => {
      try {
        return [normalize(envelope)];
      } catch (error) {
        if (error instanceof UnmappedCloudTrailEventError) return [];
        throw error;
      }
    });

    // Assess
    expect(all).toHaveLength(31);
    expect(events).toHaveLength(27);
    for (const event of events) expect(AuthEventSchema.parse(event)).toEqual(event);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  });
});

describe('CloudTrail: the PII policy', () => {
  it('masks the IP by default, and hashes or drops the user agent and the principal when the stage says so', () => {
    // Prepare
    const config = configWith({ pii: { fields: { 'network.ip': 'drop', 'network.userAgent': 'hash', 'actor.arn': 'drop' } } });

    // Act
    const event = normalize(delivery('account.ndjson', 'AdminDisableUser'), { config });

    // Assess
    expect(event.network?.ip).toBeUndefined();
    expect(event.network?.userAgent).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(event.actor).toEqual({ type: 'AssumedRole', accountId: '123456789012' });
  });

  it('keeps an IPv6 caller to its /48, and never takes a service name for an IP', () => {
    // Prepare
    const ipv6 = delivery('sign-in.ndjson', 'InitiateAuth');
    ipv6.detail.sourceIPAddress = '2001:db8:85a3:8d3:1319:8a2e:370:7348';
    const byService = delivery('account.ndjson', 'AdminDisableUser');
    byService.detail.sourceIPAddress = 'cognito-idp.amazonaws.com';

    // Act / Assess
    expect(normalize(ipv6).network?.ip).toBe('2001:db8:85a3::/48');
    expect(normalize(byService).network?.ip).toBeUndefined();
  });
});

describe('CloudTrail: records that try to get around the parser', () => {
  it('reads nothing from hidden maps and hidden values, wherever they are', () => {
    // Prepare: every map a string, every value hidden.
    const envelope = delivery('sign-in.ndjson', 'InitiateAuth');
    envelope.detail.requestParameters = HIDDEN;
    envelope.detail.additionalEventData = HIDDEN;
    envelope.detail.responseElements = HIDDEN;
    envelope.detail.userIdentity = HIDDEN;
    envelope.detail.sourceIPAddress = HIDDEN;
    envelope.detail.userAgent = HIDDEN;

    // Act
    const event = normalize(envelope);

    // Assess: still a failed sign-in (errorCode is there); nothing private invented.
    expect(event).toMatchObject({ outcome: 'failed', client: { id: null }, user: {}, userPool: { id: DEV_POOL } });
    expect(event.network).toBeUndefined();
    expect(event.actor).toBeUndefined();
  });

  it('takes a hidden value inside an endpoint array as absent', () => {
    // Prepare
    const envelope = delivery('managed-login.ndjson', 'login_POST');
    envelope.detail.additionalEventData.requestParameters.client_id = [HIDDEN];
    envelope.detail.additionalEventData.userPoolId = [HIDDEN];

    // Act
    const event = normalize(envelope);

    // Assess
    expect(event.client.id).toBeNull();
    expect(event.userPool.id).toBe(DEV_POOL);
  });

  it('survives missing optional parts', () => {
    // Prepare
    const envelope = delivery('sign-in.ndjson', 'InitiateAuth');
    for (const key of ['requestParameters', 'additionalEventData', 'responseElements', 'userIdentity', 'sourceIPAddress', 'userAgent', 'eventVersion', 'eventType', 'awsRegion']) {
      delete envelope.detail[key];
    }

    // Act
    const event = normalize(envelope);

    // Assess
    expect(event).toMatchObject({ outcome: 'failed', trigger: { version: null }, cloudTrail: { eventType: 'Unknown' }, userPool: { region: 'eu-west-1' } });
  });

  it('caps huge values and ignores nested junk where a string belongs', () => {
    // Prepare
    const envelope = delivery('sign-in.ndjson', 'InitiateAuth');
    envelope.detail.userAgent = 'A'.repeat(100_000);
    envelope.detail.requestParameters.clientId = { nested: { deeper: ['x'.repeat(10_000)] } };
    envelope.detail.additionalEventData.sub = ['s'.repeat(5000)];
    envelope.detail.errorMessage = { toString: 'Incorrect username or password.' };

    // Act
    const event = normalize(envelope);

    // Assess
    expect(event.network?.userAgent).toHaveLength(512);
    expect(event.client.id).toBeNull();
    expect(event.user.sub).toHaveLength(512);
    // A message that is not the text Cognito writes gives the generic reason.
    expect(event.reason?.code).toBe('NOT_AUTHORIZED');
  });

  it('never copies an error message, and names an odd error code only when it looks like one', () => {
    // Prepare
    const echoing = delivery('sign-in.ndjson', 'InitiateAuth');
    echoing.detail.errorCode = 'InvalidParameterException';
    echoing.detail.errorMessage = "Value 'alice@acme-corp.com' at 'username' failed to satisfy constraint";
    const injected = delivery('sign-in.ndjson', 'InitiateAuth');
    injected.detail.errorCode = '<script>alert(1)</script>';

    // Act
    const first = normalize(echoing);
    const second = normalize(injected);

    // Assess
    expect(JSON.stringify(first)).not.toContain('alice@acme-corp.com');
    expect(first.reason).toEqual({ code: 'COGNITO_ERROR', message: 'Cognito returned InvalidParameterException' });
    expect(second.reason).toEqual({ code: 'COGNITO_ERROR', message: 'Cognito returned an unnamed error' });
  });

  it('treats an empty errorCode as no error, as the endpoint records write it', () => {
    // Prepare
    const envelope = delivery('managed-login.ndjson', 'login_POST');
    envelope.detail.errorCode = '';

    // Act / Assess
    expect(normalize(envelope).outcome).toBe('succeeded');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Login_GET', 'initiateauth', 'InitiateAuth '])(
    'has no mapping for the event name %j',
    (eventName) => {
      // Prepare
      const envelope = delivery('sign-in.ndjson', 'InitiateAuth');
      envelope.detail.eventName = eventName;
      const record = CloudTrailEnvelopeSchema.parse(envelope).detail;

      // Act / Assess
      expect(() => authEventOfCloudTrail(record, { ...context, now: FIXED_NOW })).toThrow(UnmappedCloudTrailEventError);
    },
  );

  it('does not read inherited members for challenge names or grant types', () => {
    // Prepare
    const envelope = delivery('sign-in.ndjson', 'RespondToAuthChallenge', 1);
    envelope.detail.requestParameters = JSON.parse('{"__proto__": {"challengeName": "SOFTWARE_TOKEN_MFA"}, "clientId": "6m2c9c6r4m0k0s4bqlf0h0q0ja"}');

    // Act
    const event = normalize(envelope);

    // Assess: no own challengeName, so not an MFA step.
    expect(event.action).toBe('authenticate');
  });

  it('refuses a record of another service or an envelope of another detail type', () => {
    // Prepare
    const otherService = delivery('sign-in.ndjson', 'InitiateAuth');
    otherService.detail.eventSource = 'cognito-identity.amazonaws.com';
    const otherType = delivery('sign-in.ndjson', 'InitiateAuth');
    otherType['detail-type'] = 'AWS Console Sign In via CloudTrail';

    // Act / Assess
    expect(CloudTrailEnvelopeSchema.safeParse(otherService).success).toBe(false);
    expect(CloudTrailEnvelopeSchema.safeParse(otherType).success).toBe(false);
  });
});
