/**
 * Payload values used as lookup keys into config maps must never reach
 * Object.prototype: a client id "toString" once made client.name a function and
 * the event failed its own schema (found by the fuzz test).
 */
import { describe, expect, it } from 'vitest';
import { processTrigger } from '../../lib/runtime/process.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';
import { loadEvent, processContext } from '../helpers/fixtures.ts';

const PROTOTYPE_KEYS = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('Hostile keys: payload values that name Object.prototype properties', () => {
  it.each(PROTOTYPE_KEYS)('treats client id %s as an unnamed client', (clientId) => {
    // Prepare
    const payload = loadEvent('post-authentication/sign-in-web.json');
    payload.callerContext.clientId = clientId;

    // Act
    const { events } = processTrigger(postAuthentication, payload, processContext());

    // Assess
    expect(events[0]?.client).toEqual({ id: clientId });
  });

  it.each(PROTOTYPE_KEYS)('maps group %s like any unlisted group and reads version %s as unknown', (key) => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v3/client-credentials.json');
    payload.callerContext.clientId = key;
    const user = loadEvent('pre-token-generation/v1/authentication.json');
    user.version = key;
    user.request.groupConfiguration.groupsToOverride = [key, 'admins'];

    // Act
    const m2m = processTrigger(preTokenGeneration, payload, processContext());
    const v1 = processTrigger(preTokenGeneration, user, processContext());

    // Assess
    expect(m2m.response.response).toMatchObject({
      claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: {} } },
    });
    expect(v1.events[0]?.token?.version).toBe('V1_0');
    expect(v1.response.response).toMatchObject({ claimsOverrideDetails: { claimsToAddOrOverride: { roles: 'admin' } } });
  });

  // (a username starting with "_" has no provider prefix at all, so "__proto__" is not a provider name)
  it.each(PROTOTYPE_KEYS.filter((key) => !key.startsWith('_')))('reads federated provider %s as an unknown provider type', (name) => {
    // Prepare
    const payload = loadEvent('pre-signup/federated-google-first-sign-in.json');
    payload.userName = `${name}_1234567890`;

    // Act
    const { events } = processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(events[0]?.identityProvider).toEqual({ type: 'federated', name, providerType: 'Unknown' });
  });
});
