/**
 * Token customisation: maps groups and custom attributes to claims, by config,
 * in the response shape the event's version allows.
 *
 * - V1_0 customises the ID token only: `claimsOverrideDetails`, string values
 *   (lists are joined with commas).
 * - V2_0 / V3_0 customise ID and access tokens: `claimsAndScopeOverrideDetails`,
 *   JSON values (lists stay arrays) and access-token scopes. Client-credentials
 *   (M2M, V3_0 only) tokens have no user and no ID token: only per-client static
 *   claims and scope suppression apply.
 *
 * Authorisation belongs in the API: these claims are hints for it, not a
 * substitute for checking groups server-side.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import type { ClaimRule, StageConfig } from '../config/schema.ts';
import { TokenLambdaVersion } from '../cognito/trigger-sources.ts';
import { own } from '../own.ts';

type TokenKind = 'id' | 'access';
type ClaimValue = string | string[];

export interface TokenFacts {
  version: TokenLambdaVersion;
  machineToMachine: boolean;
  clientId: string | null;
  groups: readonly string[];
  attributes: Readonly<Record<string, string>>;
  /** Scopes Cognito would grant (V2_0 / V3_0), when the payload lists them. */
  scopes: readonly string[] | null;
}

export interface TokenPlan {
  response: Record<string, unknown>;
  summary: Omit<NonNullable<AuthEvent['token']>, 'version' | 'source'>;
}

const valueOf = (rule: ClaimRule, facts: TokenFacts): ClaimValue | undefined => {
  switch (rule.from) {
    case 'groups': {
      const mapped = rule.map === undefined ? [...facts.groups] : facts.groups.flatMap((group) => (rule.map === undefined ? undefined : own(rule.map, group)) ?? []);
      const unique = [...new Set(mapped)];
      return unique.length > 0 ? unique : undefined;
    }
    case 'attribute':
      return facts.attributes[rule.attribute];
    case 'static':
      return rule.value;
  }
};

const claimsFor = (config: StageConfig['tokens'], facts: TokenFacts, token: TokenKind): Map<string, ClaimValue> => {
  const claims = new Map<string, ClaimValue>();
  if (facts.machineToMachine) {
    if (token === 'access' && facts.clientId !== null) {
      for (const [name, value] of Object.entries(own(config.clientClaims, facts.clientId) ?? {})) claims.set(name, value);
    }
    return claims;
  }
  for (const rule of config.claims) {
    if (!rule.tokens.includes(token)) continue;
    const value = valueOf(rule, facts);
    if (value !== undefined) claims.set(rule.claim, value);
  }
  return claims;
};

const asV1 = (value: ClaimValue): string => (Array.isArray(value) ? value.join(',') : value);

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

export const planTokenChanges = (config: StageConfig['tokens'], facts: TokenFacts): TokenPlan => {
  const suppress = facts.machineToMachine ? [] : config.suppressClaims;

  if (facts.version === TokenLambdaVersion.V1) {
    const idClaims = claimsFor(config, facts, 'id');
    return {
      response: {
        claimsOverrideDetails: {
          claimsToAddOrOverride: Object.fromEntries([...idClaims].map(([name, value]) => [name, asV1(value)])),
          claimsToSuppress: [...suppress],
        },
      },
      summary: {
        claimsAdded: sorted(idClaims.keys()),
        claimsSuppressed: sorted(suppress),
        scopesAdded: [],
        scopesSuppressed: [],
        tokens: ['id'],
      },
    };
  }

  const idClaims = claimsFor(config, facts, 'id');
  const accessClaims = claimsFor(config, facts, 'access');
  const scopesToAdd = facts.machineToMachine
    ? []
    : sorted(config.scopes.filter((rule) => facts.groups.includes(rule.whenGroup)).map((rule) => rule.scope));
  // Suppress only what Cognito would grant, when it says; otherwise ask it to suppress them all.
  const scopesToSuppress = sorted(
    facts.scopes === null ? config.suppressScopes : config.suppressScopes.filter((scope) => facts.scopes?.includes(scope)),
  );
  const accessTokenGeneration = {
    claimsToAddOrOverride: Object.fromEntries(accessClaims),
    claimsToSuppress: [...suppress],
    scopesToAdd,
    scopesToSuppress,
  };
  const details = facts.machineToMachine
    ? { accessTokenGeneration }
    : {
        idTokenGeneration: { claimsToAddOrOverride: Object.fromEntries(idClaims), claimsToSuppress: [...suppress] },
        accessTokenGeneration,
      };
  return {
    response: { claimsAndScopeOverrideDetails: details },
    summary: {
      claimsAdded: sorted([...idClaims.keys(), ...accessClaims.keys()]),
      claimsSuppressed: sorted(suppress),
      scopesAdded: scopesToAdd,
      scopesSuppressed: scopesToSuppress,
      tokens: facts.machineToMachine ? ['access'] : ['id', 'access'],
    },
  };
};
