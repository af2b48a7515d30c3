import { describe, expect, it } from 'vitest';
import { processTrigger } from '../../lib/runtime/process.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { hashOfKey, loadEvent, processContext } from '../helpers/fixtures.ts';

describe('Trigger: post authentication', () => {
  it('records a sign-in with client, provider and device, returning the event unchanged', () => {
    // Prepare
    const payload = loadEvent('post-authentication/sign-in-new-device-mobile.json');

    // Act
    const result = processTrigger(postAuthentication, payload, processContext());

    // Assess
    expect(result.response).toEqual(payload);
    expect(result.events[0]).toMatchObject({
      category: 'signin',
      action: 'authenticate',
      outcome: 'succeeded',
      client: { name: 'mobile-app' },
      device: { newDeviceUsed: true },
      identityProvider: { type: 'cognito' },
      clientContext: { trusted: false, droppedKeys: [hashOfKey('otp_code')] },
    });
  });

  it('reads the federated provider from the identities attribute', () => {
    // Prepare
    const payload = loadEvent('post-authentication/sign-in-federated-google.json');

    // Act
    const result = processTrigger(postAuthentication, payload, processContext());

    // Assess
    expect(result.events[0]?.identityProvider).toEqual({ type: 'federated', name: 'Google', providerType: 'Google' });
  });

  it('reads identities written with string-typed fields', () => {
    // Prepare
    const payload = loadEvent('test/fixtures/quirks/post-auth-identities-string-typed.json');

    // Act
    const result = processTrigger(postAuthentication, payload, processContext());

    // Assess
    expect(result.events[0]?.identityProvider.type).toBe('federated');
  });

  it.each([
    ['a missing response block', 'test/fixtures/quirks/post-auth-missing-response.json'],
    ['a payload without clientMetadata', 'post-authentication/sign-in-no-client-metadata.json'],
    ['a caller context without a client id', 'test/fixtures/quirks/caller-context-without-client-id.json'],
  ])('accepts %s', (_, file) => {
    // Prepare
    const payload = loadEvent(file);

    // Act
    const process = () => processTrigger(postAuthentication, payload, processContext());

    // Assess
    if (payload.triggerSource === 'PostAuthentication_Authentication') expect(process().events).toHaveLength(1);
    else expect(process).toThrow(/is not handled by post-authentication/);
  });

  it('accepts a null newDeviceUsed and a string "true"', () => {
    // Prepare
    const missing = loadEvent('post-authentication/sign-in-web.json');
    missing.request.newDeviceUsed = null;
    const text = loadEvent('post-authentication/sign-in-web.json');
    text.request.newDeviceUsed = 'true';

    // Act
    const none = processTrigger(postAuthentication, missing, processContext()).events[0];
    const yes = processTrigger(postAuthentication, text, processContext()).events[0];

    // Assess
    expect(none?.device).toEqual({ newDeviceUsed: null });
    expect(yes?.device).toEqual({ newDeviceUsed: true });
  });
});
