/**
 * Where a user came from: the user pool itself or a federated identity provider.
 *
 * Cognito says so in two places: the `identities` attribute (a JSON string array,
 * present once a federated user exists) and, on the first federated sign-in
 * (PreSignUp_ExternalProvider), only in the username: `<ProviderName>_<id>`.
 */
import { ProviderType } from './auth-event/schema.ts';
import type { AuthEvent } from './auth-event/schema.ts';
import { own } from './own.ts';

type IdentityProvider = AuthEvent['identityProvider'];

const SOCIAL_PROVIDERS: readonly string[] = [
  ProviderType.Google,
  ProviderType.Facebook,
  ProviderType.LoginWithAmazon,
  ProviderType.SignInWithApple,
];

export const COGNITO: IdentityProvider = { type: 'cognito', name: 'Cognito', providerType: ProviderType.Cognito };

const typeOf = (name: string, declared: string | undefined, configured: Record<string, 'SAML' | 'OIDC'>) => {
  if (SOCIAL_PROVIDERS.includes(name)) return name as IdentityProvider['providerType'];
  const type = declared ?? own(configured, name);
  if (type === 'SAML' || type === 'OIDC') return type;
  if (type !== undefined && SOCIAL_PROVIDERS.includes(type)) return type as IdentityProvider['providerType'];
  return ProviderType.Unknown;
};

/** The provider type of a federated provider by its name in the pool: a social one, or as the stage config declares it. */
export const providerTypeOf = (name: string, configured: Record<string, 'SAML' | 'OIDC'>): IdentityProvider['providerType'] =>
  typeOf(name, undefined, configured);

const fromIdentitiesAttribute = (
  raw: string,
  configured: Record<string, 'SAML' | 'OIDC'>,
): IdentityProvider | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const identities = parsed.filter(
    (entry): entry is { providerName: string; providerType?: string; primary?: unknown } =>
      typeof entry === 'object' && entry !== null && typeof entry.providerName === 'string',
  );
  const chosen = identities.find((entry) => entry.primary === true || entry.primary === 'true') ?? identities[0];
  if (chosen === undefined) return undefined;
  const declared = typeof chosen.providerType === 'string' ? chosen.providerType : undefined;
  return { type: 'federated', name: chosen.providerName, providerType: typeOf(chosen.providerName, declared, configured) };
};

export const identityProviderOf = (
  userName: string | null,
  attributes: Record<string, string>,
  configured: Record<string, 'SAML' | 'OIDC'>,
  isExternalSignUp: boolean,
): IdentityProvider => {
  const identities = attributes.identities;
  if (identities !== undefined) {
    const provider = fromIdentitiesAttribute(identities, configured);
    if (provider !== undefined) return provider;
  }
  // Only trust the username prefix when Cognito says the user is federated or the
  // prefix names a provider we know: a native username may contain "_" too.
  const separator = userName?.indexOf('_') ?? -1;
  if (userName && separator > 0) {
    const name = userName.slice(0, separator);
    const known = SOCIAL_PROVIDERS.includes(name) || own(configured, name) !== undefined;
    if (isExternalSignUp || known) {
      return { type: 'federated', name, providerType: typeOf(name, undefined, configured) };
    }
  }
  return COGNITO;
};
