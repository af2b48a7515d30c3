import { describe, expect, it } from 'vitest';
import { processTrigger } from '../../lib/runtime/process.ts';
import { postConfirmation } from '../../lib/triggers/post-confirmation.ts';
import { hashOfKey, loadEvent, processContext } from '../helpers/fixtures.ts';

describe('Trigger: post confirmation', () => {
  it.each([
    ['a confirmed sign-up', 'post-confirmation/confirm-sign-up-web.json', 'confirm_signup'],
    ['a password reset with a forgot-password code', 'post-confirmation/confirm-forgot-password-mobile.json', 'password_reset'],
  ])('records %s as an account event, returning the payload unchanged', (_, file, action) => {
    // Prepare
    const payload = loadEvent(file);

    // Act
    const result = processTrigger(postConfirmation, payload, processContext());

    // Assess
    expect(result.response).toEqual(payload);
    expect(result.denial).toBeUndefined();
    expect(result.events[0]).toMatchObject({ category: 'account', action, outcome: 'succeeded' });
  });

  it('records an admin confirmation without an app client', () => {
    // Prepare
    const payload = loadEvent('post-confirmation/admin-confirm-sign-up.json');

    // Act
    const event = processTrigger(postConfirmation, payload, processContext()).events[0];

    // Assess
    expect(event?.client).toEqual({ id: null });
    expect(event?.clientContext?.droppedKeys).toEqual([hashOfKey('console_user'), hashOfKey('reason')]);
  });

  it('accepts what cognito-local sends on ConfirmSignUp: version "0", region "local", a null client id', () => {
    // Prepare
    const payload = loadEvent('test/fixtures/quirks/cognito-local-post-confirmation.json');

    // Act
    const event = processTrigger(postConfirmation, payload, processContext()).events[0];

    // Assess
    expect(event).toMatchObject({
      action: 'confirm_signup',
      trigger: { version: '0' },
      userPool: { region: 'local' },
      client: { id: null },
    });
  });

  it('leaves sign-in payloads to their own trigger', () => {
    // Prepare
    const payload = loadEvent('pre-authentication/sign-in-attempt-web.json');

    // Act
    const process = () => processTrigger(postConfirmation, payload, processContext());

    // Assess
    expect(process).toThrow(/is not handled by post-confirmation/);
  });
});
