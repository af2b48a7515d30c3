import { describe, expect, it } from 'vitest';
import { processTrigger } from '../../lib/runtime/process.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';
import { userIdentifierForm } from '../../lib/policy/sign-in.ts';
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

describe('Trigger: pre token generation applies the sign-in policy at every token issue', () => {
  const blocking = (blockedUsers: string[]) => {
    const config = devConfig();
    config.signIn.blockedUsers = blockedUsers.map(userIdentifierForm);
    return processContext({ config });
  };

  it.each([
    ['the sub', 'b4e8c4a8-5021-70f3-a61d-0c7f2e9b3d84'],
    ['the email, spelled differently', 'CAROL@Gmail.com.'],
  ])('refuses a refresh of a user blocked by %s, recording a denied token event', (_, identifier) => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v2/refresh-tokens.json');

    // Act
    const result = processTrigger(preTokenGeneration, payload, blocking([identifier]));

    // Assess
    expect(result.denial).toEqual({ code: 'USER_BLOCKED', message: 'Sign-in is not allowed for this account.' });
    expect(result.events[0]).toMatchObject({
      category: 'token',
      action: 'refresh',
      outcome: 'denied',
      reason: { code: 'USER_BLOCKED' },
      token: { source: 'RefreshTokens', claimsAdded: [], tokens: [] },
    });
  });

  it.each(['v1/refresh-tokens.json', 'v1/authentication.json', 'v1/hosted-auth.json', 'v2/authenticate-device.json', 'v2/new-password-challenge.json'])(
    'refuses %s for a user blocked by sub (every trigger source)',
    (file) => {
      // Prepare
      const payload = loadEvent(`pre-token-generation/${file}`);
      const sub = payload.request.userAttributes.sub as string;

      // Act
      const result = processTrigger(preTokenGeneration, payload, blocking([sub]));

      // Assess
      expect(result.denial?.code).toBe('USER_BLOCKED');
    },
  );

  it('refuses tokens to a user whose email was changed to a blocked or disposable domain after sign-up', () => {
    // Prepare
    const blocked = loadEvent('pre-token-generation/v2/refresh-tokens.json');
    blocked.request.userAttributes.email = 'carol@blocked\u3002example';
    const disposable = loadEvent('pre-token-generation/v2/refresh-tokens.json');
    disposable.request.userAttributes.email = 'carol@5801000.рф';

    // Act
    const results = [blocked, disposable].map((payload) => processTrigger(preTokenGeneration, payload, processContext()));

    // Assess
    expect(results.map((result) => result.denial?.code)).toEqual(['EMAIL_DOMAIN_BLOCKED', 'DISPOSABLE_EMAIL_DOMAIN']);
    expect(results.map((result) => result.denial?.message)).toEqual(['Sign-in is not allowed for this account.', 'Sign-in is not allowed for this account.']);
  });

  it('refuses client-credentials tokens to a blocked client, and issues them otherwise', () => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v3/client-credentials.json');
    const config = devConfig();
    config.signIn.blockedClients = [payload.callerContext.clientId as string];

    // Act
    const blocked = processTrigger(preTokenGeneration, payload, processContext({ config }));
    const issued = processTrigger(preTokenGeneration, loadEvent('pre-token-generation/v3/client-credentials.json'), processContext());

    // Assess
    expect(blocked.denial?.code).toBe('CLIENT_BLOCKED');
    expect(issued.denial).toBeUndefined();
  });
});
