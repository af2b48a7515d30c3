import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyPiiPolicy, clientContextOf, hashValue, maskIp } from '../../lib/pii.ts';
import { configWith, devConfig, hashOfKey, processContext, loadEvent, TEST_PII_KEY } from '../helpers/fixtures.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { processTrigger } from '../../lib/runtime/process.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';

const eventWithUser = (user: AuthEvent['user']): AuthEvent =>
  ({ user, groups: [] }) as unknown as AuthEvent;

const USER = {
  sub: '7f3c9e2a-1b4d-4c8e-9a6f-2d5e8b1c4a7f',
  username: 'alice',
  email: 'Alice@Acme-Corp.com',
  emailDomain: 'acme-corp.com',
  phone: '+1 415 555 0123',
};

describe('PII policy', () => {
  it('hashes email, phone and username by default with a keyed HMAC over canonical values', () => {
    // Prepare
    const policy = configWith({}).pii;

    // Act
    const { user } = applyPiiPolicy(eventWithUser(USER), policy, TEST_PII_KEY);

    // Assess
    const expected = createHmac('sha256', TEST_PII_KEY).update('alice@acme-corp.com').digest('hex').slice(0, 32);
    expect(user.email).toBe(`hmac-sha256:${expected}`);
    expect(user.phone).toBe(hashValue(TEST_PII_KEY, 'user.phone', '+14155550123'));
    expect(user.username).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(user.sub).toBe(USER.sub);
    expect(user.emailDomain).toBe('acme-corp.com');
  });

  it('masks, keeps or drops each field as configured', () => {
    // Prepare
    const policy = configWith({
      pii: { fields: { 'user.email': 'mask', 'user.phone': 'mask', 'user.username': 'keep', 'user.sub': 'drop' } },
    }).pii;

    // Act
    const { user } = applyPiiPolicy(eventWithUser(USER), policy, TEST_PII_KEY);

    // Assess
    expect(user).toEqual({
      username: 'alice',
      email: 'A***@Acme-Corp.com',
      emailDomain: 'acme-corp.com',
      phone: '***********0123',
    });
  });

  it('gives different hashes under different keys', () => {
    // Prepare
    const policy = configWith({}).pii;

    // Act
    const one = applyPiiPolicy(eventWithUser(USER), policy, TEST_PII_KEY).user.email;
    const two = applyPiiPolicy(eventWithUser(USER), policy, 'another-key-0123456789').user.email;

    // Assess
    expect(one).not.toBe(two);
  });

  it('keeps only allow-listed client metadata and always drops keys that name secrets', () => {
    // Prepare
    const policy = configWith({ clientContext: { allowedKeys: ['platform', 'otp_code'], maxValueLength: 4 } }).clientContext;

    // Act
    const context = clientContextOf({ platform: 'android', otp_code: '123456', campaign: 'x' }, policy);

    // Assess
    expect(context).toEqual({ trusted: false, values: { platform: 'andr' }, droppedKeys: ['campaign', 'otp_code'] });
  });

  it('lets no raw email, phone, code or other personal attribute out of a trigger', () => {
    // Prepare
    const payload = loadEvent('post-authentication/sign-in-new-device-mobile.json');
    const attributes = payload.request.userAttributes as Record<string, string>;

    // Act
    const { events } = processTrigger(postAuthentication, payload, processContext());

    // Assess
    const serialized = JSON.stringify(events);
    expect(payload.request.clientMetadata.otp_code).toBeDefined();
    expect(serialized).not.toContain(payload.request.clientMetadata.otp_code);
    for (const key of ['email', 'phone_number', 'name', 'given_name', 'family_name', 'birthdate', 'address']) {
      const value = attributes[key];
      if (value !== undefined) expect(serialized).not.toContain(value);
    }
    // This pool signs in by email, so the username is the sub, which the policy keeps.
    expect(payload.userName).toBe(attributes.sub);
  });
});

describe('PII: what a denial and the client context let out', () => {
  it.each([
    ['drop', 'Sign-up with email domain withheld is not allowed.'],
    ['hash', /^Sign-up with email domain hmac-sha256:[0-9a-f]{32} is not allowed\.$/],
    ['keep', 'Sign-up with email domain blocked.example is not allowed.'],
  ] as const)('with user.emailDomain "%s", the denial message shows the domain as the policy does', (action, message) => {
    // Prepare
    const config = devConfig();
    config.pii.fields['user.emailDomain'] = action;

    // Act
    const event = processTrigger(preSignUp, loadEvent('pre-signup/sign-up-denied-blocked-domain.json'), processContext({ config })).events[0];

    // Assess
    expect(event?.reason?.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    if (action !== 'keep') expect(JSON.stringify(event)).not.toContain('blocked.example');
  });

  it('names dropped clientMetadata keys by their hash, never the client-chosen text', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-with-client-metadata.json');
    payload.request.clientMetadata = { 'mallory@evil.example': 'x', 'eyJhbGciOiJIUzI1NiJ9.token': 'y', platform: 'ios' };

    // Act
    const event = processTrigger(preSignUp, payload, processContext()).events[0];

    // Assess
    expect(event?.clientContext).toEqual({
      trusted: false,
      values: { platform: 'ios' },
      droppedKeys: [hashOfKey('eyJhbGciOiJIUzI1NiJ9.token'), hashOfKey('mallory@evil.example')],
    });
  });
  it('withholds dropped key names altogether without a key: an empty key hashes nothing anyone cannot reverse', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-with-client-metadata.json');
    payload.request.clientMetadata = { 'mallory@evil.example': 'x', platform: 'ios' };

    // Act
    const event = processTrigger(preSignUp, payload, processContext({ piiKey: '' })).events[0];

    // Assess
    expect(event?.clientContext?.droppedKeys).toEqual(['withheld']);
  });
});

describe('PII: IP masking of what log sources send', () => {
  it.each([
    ['203.0.113.77:443', '203.0.113.0/24'],
    ['[2001:db8:85a3::8a2e:370:7334]:8443', '2001:db8:85a3::/48'],
    ['[2001:db8::1]', '2001:db8:0::/48'],
    ['fe80::1%eth0', 'fe80:0:0::/48'],
    ['::1', '0:0:0::/48'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:DB8:85A3:0000:0000:8A2E:0370:7334', '2001:db8:85a3::/48'],
    ['999.1.1.1:80', '99***'],
  ])('masks %s as %s', (ip, masked) => {
    // Act
    const result = maskIp(ip);

    // Assess
    expect(result).toBe(masked);
  });
});
