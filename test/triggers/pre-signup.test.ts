import { describe, expect, it } from 'vitest';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { processTrigger } from '../../lib/runtime/process.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { loadEvent, processContext } from '../helpers/fixtures.ts';

describe('Trigger: pre sign-up', () => {
  it('allows a self sign-up, answering with Cognito response flags and a signup event', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-allowed.json');

    // Act
    const result = processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(result.denial).toBeUndefined();
    expect(result.response).toEqual({
      ...payload,
      response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
    });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      category: 'signup',
      action: 'self_signup',
      outcome: 'allowed',
      trigger: { source: 'PreSignUp_SignUp', version: '1' },
      client: { id: '3n4b5urk1ft4fl3mg5e62d9ado', name: 'web-app' },
      user: { emailDomain: 'gmail.com' },
      identityProvider: { type: 'cognito', name: 'Cognito', providerType: 'Cognito' },
    });
    expect(AuthEventSchema.safeParse(result.events[0]).success).toBe(true);
  });

  it('denies a disposable domain with a reason in the event and a message for the user', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-denied-disposable-domain.json');

    // Act
    const result = processTrigger(preSignUp, payload, processContext());

    // Assess
    const reason = {
      code: 'DISPOSABLE_EMAIL_DOMAIN',
      message: 'Sign-up with disposable email domain mailinator.com is not allowed. Please use a permanent email address.',
    };
    expect(result.denial).toEqual(reason);
    expect(result.events[0]).toMatchObject({ outcome: 'denied', reason });
  });

  it('auto-confirms an admin-created user and reads the admin client as no client', () => {
    // Prepare
    const payload = loadEvent('pre-signup/admin-create-user.json');

    // Act
    const result = processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(result.response.response).toEqual({ autoConfirmUser: true, autoVerifyEmail: true, autoVerifyPhone: false });
    expect(result.events[0]).toMatchObject({ action: 'admin_create_user', client: { id: null } });
  });

  it.each([
    ['pre-signup/federated-google-first-sign-in.json', 'Google', 'Google'],
    ['pre-signup/federated-okta-saml-first-sign-in.json', 'Okta', 'SAML'],
  ])('records the provider of a first federated sign-in (%s)', (file, name, providerType) => {
    // Prepare
    const payload = loadEvent(file);

    // Act
    const result = processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(result.events[0]).toMatchObject({
      action: 'federated_signup',
      outcome: 'allowed',
      identityProvider: { type: 'federated', name, providerType },
    });
    expect(result.response.response).toMatchObject({ autoVerifyEmail: true });
  });

  it('accepts null optional blocks and a null response', () => {
    // Prepare
    const payload = loadEvent('test/fixtures/quirks/pre-signup-null-optional-blocks.json');

    // Act
    const result = processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(result.response.response).toEqual({ autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false });
    expect(result.events[0]?.clientContext).toBeUndefined();
  });

  it('leaves the payload it was given unchanged', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-with-client-metadata.json');
    const before = structuredClone(payload);

    // Act
    processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(payload).toEqual(before);
  });
});
