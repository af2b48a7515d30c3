import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { TriggerDeniedError } from '../../lib/errors.ts';
import { createTriggerHandler, SILENT_LOGGER } from '../../lib/runtime/handler.ts';
import { processTrigger } from '../../lib/runtime/process.ts';
import { preAuthentication } from '../../lib/triggers/pre-authentication.ts';
import { configWith, hashOfKey, devConfig, loadEvent, processContext } from '../helpers/fixtures.ts';


describe('Trigger: pre authentication', () => {
  it('records a sign-in attempt, returning the event unchanged', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-web.json');

    // Act
    const result = processTrigger(preAuthentication, payload, processContext());

    // Assess
    expect(result.response).toEqual(payload);
    expect(result.denial).toBeUndefined();
    expect(result.events[0]).toMatchObject({
      category: 'signin',
      action: 'attempt',
      outcome: 'attempted',
      client: { id: '3n4b5urk1ft4fl3mg5e62d9ado', name: 'web-app' },
      user: { sub: 'd2b5a4e4-60a1-70c2-9f3e-5b8c1a7d4e21', emailDomain: 'acme-corp.com' },
    });
    expect(result.events[0]).not.toHaveProperty('reason');
  });

  it('treats validationData as untrusted client context, allow-listed like clientMetadata', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-mobile-with-validation-data.json');

    // Act
    const event = processTrigger(preAuthentication, payload, processContext()).events[0];

    // Assess
    expect(event?.clientContext).toEqual({
      trusted: false,
      values: { app_version: '4.2.1', locale: 'en-US', platform: 'android' },
      droppedKeys: [hashOfKey('device_fingerprint')],
    });
  });

  it('records an attempt for a user that does not exist, with only the hashed name typed', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-unknown-user.json');

    // Act
    const event = processTrigger(preAuthentication, payload, processContext()).events[0];

    // Assess
    expect(event?.outcome).toBe('attempted');
    expect(event?.user).toEqual({ username: expect.stringMatching(/^hmac-sha256:[0-9a-f]{32}$/) });
  });

  it.each([
    ['a blocked user, matched on the email', 'pre-authentication/sign-in-denied-blocked-user.json', 'USER_BLOCKED'],
    ['a blocked app client', 'pre-authentication/sign-in-denied-blocked-client.json', 'CLIENT_BLOCKED'],
  ])('denies %s, with the reason in the event', (_, file, code) => {
    // Prepare
    const payload = loadEvent(file);

    // Act
    const result = processTrigger(preAuthentication, payload, processContext());

    // Assess
    expect(result.denial).toMatchObject({ code });
    expect(result.events[0]).toMatchObject({ category: 'signin', action: 'attempt', outcome: 'denied', reason: { code } });
  });

  it('locks down clients not on the allow-list, including an unnamed client (cognito-local sends null)', () => {
    // Prepare
    const config = configWith({ ...devConfig(), signIn: { allowedClients: ['3n4b5urk1ft4fl3mg5e62d9ado'] } });
    const listed = loadEvent('pre-authentication/sign-in-attempt-web.json');
    const unlisted = loadEvent('pre-authentication/sign-in-attempt-mobile-with-validation-data.json');
    const unnamed = loadEvent('test/fixtures/quirks/cognito-local-pre-authentication.json');

    // Act
    const [allowed, other, none] = [listed, unlisted, unnamed].map((payload) =>
      processTrigger(preAuthentication, payload, processContext({ config })),
    );

    // Assess
    expect(allowed?.denial).toBeUndefined();
    expect(other?.denial).toMatchObject({ code: 'CLIENT_NOT_ALLOWED' });
    expect(none?.denial).toMatchObject({ code: 'CLIENT_NOT_ALLOWED' });
  });

  it('accepts what cognito-local sends: version "0", region "local", a null client id', () => {
    // Prepare
    const payload = loadEvent('test/fixtures/quirks/cognito-local-pre-authentication.json');

    // Act
    const event = processTrigger(preAuthentication, payload, processContext()).events[0];

    // Assess
    expect(event).toMatchObject({
      outcome: 'attempted',
      trigger: { source: 'PreAuthentication_Authentication', version: '0' },
      userPool: { id: 'local_4X9kQ2mz', region: 'local' },
      client: { id: null },
    });
  });

  it('denies through the shared stack with TriggerDeniedError and the message for the user, after publishing', async () => {
    // Prepare
    const published: AuthEvent[] = [];
    const handler = createTriggerHandler(preAuthentication, {
      ...processContext(),
      logger: SILENT_LOGGER,
      spill: () => undefined,
      sink: { publish: async (events) => void published.push(...events) },
    });

    // Act
    const denial = handler(loadEvent('pre-authentication/sign-in-denied-blocked-user.json'), {} as Context);

    // Assess
    await expect(denial).rejects.toThrow(new TriggerDeniedError('USER_BLOCKED', 'Sign-in is not allowed for this account.'));
    expect(published.map((event) => event.outcome)).toEqual(['denied']);
  });

  it('gives a Cognito retry of the same attempt the same id', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-web.json');

    // Act
    const first = processTrigger(preAuthentication, structuredClone(payload), processContext()).events[0];
    const retry = processTrigger(preAuthentication, structuredClone(payload), processContext()).events[0];

    // Assess
    expect(retry?.id).toBe(first?.id);
  });
});

describe('Trigger: pre authentication re-checks what can change after sign-up', () => {
  it('denies a sign-in once the email was changed to a blocked domain, with the same message as any account rule', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-web.json');
    payload.request.userAttributes.email = 'someone@BLOCKED.example.';

    // Act
    const result = processTrigger(preAuthentication, payload, processContext());

    // Assess
    expect(result.denial).toEqual({ code: 'EMAIL_DOMAIN_BLOCKED', message: 'Sign-in is not allowed for this account.' });
    expect(result.events[0]).toMatchObject({ outcome: 'denied', reason: { code: 'EMAIL_DOMAIN_BLOCKED' } });
  });

  it('still denies a user blocked by sub after their email changed', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-web.json');
    const config = devConfig();
    config.signIn.blockedUsers = [payload.request.userAttributes.sub as string];
    payload.request.userAttributes.email = 'new-address@example.com';

    // Act
    const result = processTrigger(preAuthentication, payload, processContext({ config }));

    // Assess
    expect(result.denial?.code).toBe('USER_BLOCKED');
  });
});
