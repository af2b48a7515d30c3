import { describe, expect, it } from 'vitest';
import { planTokenChanges, type TokenFacts } from '../../lib/policy/token-claims.ts';
import { configWith } from '../helpers/fixtures.ts';

const tokens = configWith({
  tokens: {
    adminOnlyAttributes: ['custom:tenant_id', 'custom:plan'],
    claims: [
      { claim: 'roles', from: 'groups', map: { admins: 'admin', staff: 'staff' } },
      { claim: 'tenant', from: 'attribute', attribute: 'custom:tenant_id' },
      { claim: 'plan', from: 'attribute', attribute: 'custom:plan', tokens: ['id'] },
    ],
    suppressClaims: ['email_verified'],
    scopes: [{ scope: 'admin/users.write', whenGroup: 'admins' }],
    suppressScopes: ['aws.cognito.signin.user.admin'],
    clientClaims: { m2m: { service: 'reporting' } },
  },
}).tokens;

const alice = (overrides: Partial<TokenFacts> = {}): TokenFacts => ({
  version: 'V2_0',
  machineToMachine: false,
  clientId: 'web',
  groups: ['admins', 'staff', 'eu-west-1_Xq9Lk2MfA_Google'],
  attributes: { 'custom:tenant_id': 'acme' },
  scopes: ['openid', 'aws.cognito.signin.user.admin'],
  ...overrides,
});

describe('Policy: token claims', () => {
  it('answers V1_0 with string claims for the ID token only', () => {
    // Act
    const plan = planTokenChanges(tokens, alice({ version: 'V1_0', scopes: null }));

    // Assess
    expect(plan.response).toEqual({
      claimsOverrideDetails: {
        claimsToAddOrOverride: { roles: 'admin,staff', tenant: 'acme' },
        claimsToSuppress: ['email_verified'],
      },
    });
    expect(plan.summary).toEqual({
      claimsAdded: ['roles', 'tenant'],
      claimsSuppressed: ['email_verified'],
      scopesAdded: [],
      scopesSuppressed: [],
      tokens: ['id'],
    });
  });

  it('answers V2_0 with JSON claims per token and group-based scopes', () => {
    // Act
    const plan = planTokenChanges(tokens, alice({ attributes: { 'custom:tenant_id': 'acme', 'custom:plan': 'pro' } }));

    // Assess
    expect(plan.response).toEqual({
      claimsAndScopeOverrideDetails: {
        idTokenGeneration: {
          claimsToAddOrOverride: { roles: ['admin', 'staff'], tenant: 'acme', plan: 'pro' },
          claimsToSuppress: ['email_verified'],
        },
        accessTokenGeneration: {
          claimsToAddOrOverride: { roles: ['admin', 'staff'], tenant: 'acme' },
          claimsToSuppress: ['email_verified'],
          scopesToAdd: ['admin/users.write'],
          scopesToSuppress: ['aws.cognito.signin.user.admin'],
        },
      },
    });
    expect(plan.summary.claimsAdded).toEqual(['plan', 'roles', 'tenant']);
  });

  it('leaves out claims whose source is absent and scopes the user has no group for', () => {
    // Act
    const plan = planTokenChanges(tokens, alice({ groups: [], attributes: {}, scopes: ['openid'] }));

    // Assess
    expect(plan.summary).toEqual({
      claimsAdded: [],
      claimsSuppressed: ['email_verified'],
      scopesAdded: [],
      scopesSuppressed: [],
      tokens: ['id', 'access'],
    });
  });

  it('gives client-credentials tokens only the client static claims, on the access token', () => {
    // Act
    const plan = planTokenChanges(
      tokens,
      alice({ version: 'V3_0', machineToMachine: true, clientId: 'm2m', groups: [], attributes: {}, scopes: ['reports/read'] }),
    );

    // Assess
    expect(plan.response).toEqual({
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: {
          claimsToAddOrOverride: { service: 'reporting' },
          claimsToSuppress: [],
          scopesToAdd: [],
          scopesToSuppress: [],
        },
      },
    });
    expect(plan.summary.tokens).toEqual(['access']);
  });

  it('uses every group as is when a groups rule has no map', () => {
    // Prepare
    const plain = configWith({ tokens: { claims: [{ claim: 'groups_list', from: 'groups', tokens: ['access'] }] } }).tokens;

    // Act
    const plan = planTokenChanges(plain, alice({ groups: ['b', 'a', 'b'] }));

    // Assess
    expect(plan.response).toMatchObject({
      claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { groups_list: ['b', 'a'] } } },
    });
  });
});
