import { describe, expect, it } from 'vitest';
import { processTrigger } from '../../lib/runtime/process.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';
import { configWith, devConfig, loadEvent, processContext } from '../helpers/fixtures.ts';

describe('Trigger: pre token generation', () => {
  it.each([
    ['pre-token-generation/v1/hosted-auth.json', 'V1_0', 'issue', 'HostedAuth'],
    ['pre-token-generation/v1/authentication.json', 'V1_0', 'issue', 'Authentication'],
    ['pre-token-generation/v1/new-password-challenge.json', 'V1_0', 'issue', 'NewPasswordChallenge'],
    ['pre-token-generation/v1/authenticate-device.json', 'V1_0', 'issue', 'AuthenticateDevice'],
    ['pre-token-generation/v1/refresh-tokens.json', 'V1_0', 'refresh', 'RefreshTokens'],
    ['pre-token-generation/v2/authentication-admin.json', 'V2_0', 'issue', 'Authentication'],
    ['pre-token-generation/v2/hosted-auth-federated-google.json', 'V2_0', 'issue', 'HostedAuth'],
    ['pre-token-generation/v2/refresh-tokens.json', 'V2_0', 'refresh', 'RefreshTokens'],
    ['pre-token-generation/v3/authentication.json', 'V3_0', 'issue', 'Authentication'],
    ['pre-token-generation/v3/client-credentials.json', 'V3_0', 'client_credentials', 'ClientCredentials'],
  ])('%s: a %s token event', (file, version, action, source) => {
    // Prepare
    const payload = loadEvent(file);

    // Act
    const result = processTrigger(preTokenGeneration, payload, processContext());

    // Assess
    expect(result.events[0]).toMatchObject({ category: 'token', action, outcome: 'issued', token: { version, source } });
    const responseKey = version === 'V1_0' ? 'claimsOverrideDetails' : 'claimsAndScopeOverrideDetails';
    expect(Object.keys(result.response.response as object)).toEqual([responseKey]);
  });

  it('maps groups and the tenant attribute to V1 string claims', () => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v1/authentication.json');

    // Act
    const result = processTrigger(preTokenGeneration, payload, processContext());

    // Assess
    expect(result.response.response).toEqual({
      claimsOverrideDetails: {
        claimsToAddOrOverride: { roles: 'admin,staff', tenant: 'acme', plan: 'enterprise' },
        claimsToSuppress: [],
      },
    });
    expect(result.events[0]?.groups).toEqual(['admins', 'staff']);
  });

  it('gives a client-credentials token the client claims and no ID token section', () => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v3/client-credentials.json');

    // Act
    const result = processTrigger(preTokenGeneration, payload, processContext());

    // Assess
    expect(result.response.response).toEqual({
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: {
          claimsToAddOrOverride: { tenant: 'acme', service: 'reporting' },
          claimsToSuppress: [],
          scopesToAdd: [],
          scopesToSuppress: [],
        },
      },
    });
    expect(result.events[0]).toMatchObject({ client: { name: 'reporting-service' }, token: { tokens: ['access'] } });
  });

  it('accepts a client-credentials event with no user name, attributes or groups', () => {
    // Prepare
    const payload = loadEvent('test/fixtures/quirks/pre-token-v3-client-credentials-minimal.json');

    // Act
    const result = processTrigger(preTokenGeneration, payload, processContext());

    // Assess
    expect(result.events[0]).toMatchObject({ action: 'client_credentials', user: {}, groups: [] });
  });

  it.each([
    ['cognito-local (version "0", V1 response pre-filled, null client)', 'test/fixtures/quirks/cognito-local-pre-token-v1.json', 'V2_0', 'V1_0'],
    ['a "$LATEST" placeholder version', 'test/fixtures/quirks/pre-token-version-placeholder.json', 'V1_0', 'V1_0'],
    ['a V2 shape marked version "1"', 'test/fixtures/quirks/pre-token-v2-shape-with-version-1.json', 'V2_0', 'V2_0'],
    ['null scopes and preferredRole', 'test/fixtures/quirks/pre-token-v2-null-scopes-and-preferred-role.json', 'V2_0', 'V2_0'],
  ])('decides the version of %s', (_, file, configured, expected) => {
    // Prepare
    const payload = loadEvent(file);
    const config = configWith({ ...devConfig(), tokens: { ...devConfig().tokens, lambdaVersion: configured as 'V1_0' } });

    // Act
    const result = processTrigger(preTokenGeneration, payload, processContext({ config }));

    // Assess
    expect(result.events[0]?.token?.version).toBe(expected);
  });

  it('replaces a pre-filled V1 response instead of merging into it, so groups are not emptied', () => {
    // Prepare
    const payload = loadEvent('test/fixtures/quirks/cognito-local-pre-token-v1.json');

    // Act
    const result = processTrigger(preTokenGeneration, payload, processContext());

    // Assess
    expect(result.response.response).toEqual({
      claimsOverrideDetails: { claimsToAddOrOverride: { roles: 'admin,staff', tenant: 'acme' }, claimsToSuppress: [] },
    });
    expect(result.events[0]?.client).toEqual({ id: null });
  });

  it('rejects a user token event without a user name', () => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v2/refresh-tokens.json');
    delete payload.userName;

    // Act
    const process = () => processTrigger(preTokenGeneration, payload, processContext());

    // Assess
    expect(process).toThrow('userName: required for TokenGeneration_RefreshTokens');
  });
});
