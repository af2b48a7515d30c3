import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../lib/config/load.ts';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { authEventOfCognitoLog, cognitoLogEventIdFor, UnsupportedCognitoLogEventError } from '../../lib/cognito-logs/normalize.ts';
import { CognitoLogRecordSchema } from '../../lib/cognito-logs/record.ts';
import { FIXED_NOW, ROOT, processContext } from '../helpers/fixtures.ts';
import { sampleRecord } from './helpers.ts';

const contextAt = (now = FIXED_NOW) => ({ ...processContext(), now });
const normalize = (index: number, now = FIXED_NOW) =>
  authEventOfCognitoLog(CognitoLogRecordSchema.parse(sampleRecord(index)), contextAt(now));

describe('Cognito logs: records become AuthEvents', () => {
  it('turns a passed sign-in into a succeeded signin.authenticate with its IP, device and risk', () => {
    // Act
    const event = normalize(0);

    // Assess
    expect(AuthEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      category: 'signin',
      action: 'authenticate',
      outcome: 'succeeded',
      trigger: { source: 'CognitoLog_SignIn', version: '1' },
      userPool: { id: 'eu-west-1_Xq9Lk2MfA', region: 'eu-west-1' },
      client: { id: '3n4b5urk1ft4fl3mg5e62d9ado', name: 'web-app' },
      user: { sub: 'd2b5a4e4-60a1-70c2-9f3e-5b8c1a7d4e21' },
      identityProvider: { type: 'cognito', providerType: 'Cognito' },
      device: { newDeviceUsed: null, name: 'Chrome 131, Windows 10' },
      network: { ip: '192.0.2.44', city: 'Dublin', country: 'Ireland' },
      risk: { decision: 'NoRisk', level: 'Low', compromisedCredentials: false },
      cognitoLog: {
        eventId: '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a51',
        eventType: 'SignIn',
        eventResponse: 'Pass',
        at: '2026-11-27T09:58:12.345Z',
        challenges: 'Password:Success',
      },
    });
    expect(event.reason).toBeUndefined();
  });

  it('turns a failed sign-in into a failed signin.authenticate with the reason Cognito gave', () => {
    // Act
    const event = normalize(1);

    // Assess
    expect(event).toMatchObject({ category: 'signin', action: 'authenticate', outcome: 'failed' });
    expect(event.reason?.code).toBe('COGNITO_REPORTED_FAILURE');
    expect(event.risk).toEqual({ decision: 'AccountTakeover', level: 'Medium', compromisedCredentials: false });
  });

  it('makes a request threat protection blocked a denied event, whatever its response', () => {
    // Act
    const event = normalize(2);

    // Assess
    expect(event).toMatchObject({ outcome: 'denied', reason: { code: 'RISK_BLOCKED' } });
    expect(event.risk).toEqual({ decision: 'Block', level: 'High', compromisedCredentials: true });
  });

  it('keeps an in-progress sign-in out of the attempts the failed sign-in inference pairs', () => {
    // Prepare
    const record = sampleRecord(0);
    record.message.eventResponse = 'InProgress';

    // Act
    const event = authEventOfCognitoLog(CognitoLogRecordSchema.parse(record), contextAt());

    // Assess
    expect(event).toMatchObject({ category: 'signin', action: 'authenticate', outcome: 'attempted' });
  });

  it('maps sign-ups, forgotten passwords and password changes to their categories', () => {
    // Act
    const signUp = normalize(3);
    const reset = normalize(4);
    const change = normalize(5);

    // Assess
    expect(signUp).toMatchObject({ category: 'signup', action: 'self_signup', outcome: 'allowed' });
    expect(reset).toMatchObject({ category: 'account', action: 'password_reset', outcome: 'succeeded' });
    expect(change).toMatchObject({
      category: 'account',
      action: 'password_change',
      outcome: 'succeeded',
      trigger: { source: 'CognitoLog_PasswordChange' },
    });
  });

  it('rejects an event type with no AuthEvent action by name', () => {
    // Act
    const act = () => normalize(6);

    // Assess
    expect(act).toThrow(UnsupportedCognitoLogEventError);
    expect(act).toThrow('"ResendCode"');
  });

  it("derives the id from Cognito's event id, so a redelivered record keeps it", () => {
    // Act
    const first = normalize(0, FIXED_NOW);
    const later = normalize(0, new Date(FIXED_NOW.getTime() + 3_600_000));

    // Assess
    expect(later.id).toBe(first.id);
    expect(first.id).toBe(cognitoLogEventIdFor('dev', 'eu-west-1_Xq9Lk2MfA', '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a51'));
    expect(normalize(1).id).not.toBe(first.id);
  });

  it('reads string flags, takes eventTimestamp as the event time and lists the challenges', () => {
    // Prepare
    const record = sampleRecord(1);
    record.message.compromisedCredentialDetected = 'true';
    record.message.challenges = [
      { challengeName: 'Password', challengeResponse: 'Success' },
      { challengeName: 'Mfa', challengeResponse: 'Failure' },
    ];

    // Act
    const event = authEventOfCognitoLog(CognitoLogRecordSchema.parse(record), contextAt());

    // Assess
    expect(event.risk?.compromisedCredentials).toBe(true);
    expect(event.cognitoLog?.at).toBe(new Date(Number(record.eventTimestamp)).toISOString());
    expect(event.cognitoLog?.challenges).toBe('Password:Success, Mfa:Failure');
  });

  it('names a federated provider from idpName', () => {
    // Prepare
    const record = sampleRecord(0);
    record.message.idpName = 'Google';

    // Act
    const event = authEventOfCognitoLog(CognitoLogRecordSchema.parse(record), contextAt());

    // Assess
    expect(event.identityProvider).toEqual({ type: 'federated', name: 'Google', providerType: 'Google' });
  });
});

describe('Cognito logs: the record AWS documents', () => {
  const documented = (): Record<string, any> =>
    JSON.parse(readFileSync(join(ROOT, 'events', 'cognito-logs', 'documented.ndjson'), 'utf8').split('\n')[0] ?? 'null');

  it('reads the example of "Exporting logs from Amazon Cognito user pools" as it stands', () => {
    // Act
    const event = authEventOfCognitoLog(CognitoLogRecordSchema.parse(documented()), contextAt());

    // Assess: empty strings are absent (no risk level, no provider), the time is eventTimestamp.
    expect(AuthEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      category: 'signup',
      action: 'self_signup',
      outcome: 'allowed',
      trigger: { source: 'CognitoLog_SignUp', version: '1' },
      userPool: { id: 'us-west-2_EXAMPLE', region: 'us-west-2' },
      client: { id: '1example23456789' },
      user: { sub: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE22222', username: 'test-user' },
      identityProvider: { type: 'cognito' },
      device: { newDeviceUsed: null, name: 'Other, Other' },
      network: { ip: '192.0.2.1', city: 'Seattle', country: 'United States' },
      risk: { decision: 'PASS', level: null, compromisedCredentials: false },
      cognitoLog: { eventId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', eventType: 'SignUp', eventResponse: 'InProgress', at: '2023-06-20T21:42:10.677Z' },
    });
    expect(event.cognitoLog?.challenges).toBeUndefined();
    // No user agent in these records: only the device name.
    expect(event.network).not.toHaveProperty('userAgent');
  });

  it('reads null and the word "null" in places as absent', () => {
    // Prepare
    const record = documented();
    record.message.city = 'null';
    record.message.country = null;
    record.message.riskDecision = null;
    record.message.challenges = null;

    // Act
    const event = authEventOfCognitoLog(CognitoLogRecordSchema.parse(record), contextAt());

    // Assess
    expect(event.network).toEqual({ ip: '192.0.2.1' });
    expect(event.risk).toBeUndefined();
  });

  it('refuses a record in the old sample shape with an error that names the problem', () => {
    // Prepare
    const old = documented();
    old.eventSource = 'USER_AUTH_EVENTS';
    old.message.challenges = 'Password:Success';

    // Act
    const result = CognitoLogRecordSchema.safeParse(old);

    // Assess
    expect(result.success).toBe(false);
    const text = formatIssues(result.error?.issues ?? []);
    expect(text).toContain('eventSource: "USER_AUTH_EVENTS" is the shape of authtrail\'s old reconstructed samples; Cognito writes "USER_ACTIVITY"');
    expect(text).toContain('message.challenges: expected an array of {challengeName, challengeResponse}');
  });

  it('refuses a time that is not epoch milliseconds as text, and never echoes what it got', () => {
    // Prepare
    const iso = documented();
    iso.eventTimestamp = '2023-06-20T21:42:10Z';
    const other = documented();
    other.eventSource = 'alice@example.com';

    // Act
    const first = formatIssues(CognitoLogRecordSchema.safeParse(iso).error?.issues ?? []);
    const second = formatIssues(CognitoLogRecordSchema.safeParse(other).error?.issues ?? []);

    // Assess
    expect(first).toBe('eventTimestamp: expected epoch milliseconds as a string of digits');
    expect(second).toBe('eventSource: expected "USER_ACTIVITY" (a userAuthEvents record)');
    expect(first + second).not.toMatch(/2023-06-20|alice/);
  });
});
