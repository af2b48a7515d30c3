/**
 * AuthEvent -> OCSF 1.2.0 (Identity & Access Management category):
 *
 * - sign-in (`signin.authenticate`) -> Authentication (3002), activity 1 Logon;
 * - token issue (`token.issue`, `token.client_credentials`) -> Authentication,
 *   activity 3 Authentication Ticket; token refresh (`token.refresh`) -> activity
 *   5 Service Ticket Renew (OCSF words these in Kerberos terms; a Cognito refresh
 *   renews a session's tokens without a new logon, which is what 5 describes);
 * - sign-up (any `signup.*`) -> Account Change (3001), activity 1 Create; a denied
 *   sign-up is status Failure with the policy's reason code;
 * - sign-in attempt (`signin.attempt`, pre authentication) -> Authentication,
 *   activity 1 Logon, status Unknown (the password is not checked yet), or Failure
 *   when the sign-in policy denied it; an inferred failed sign-in
 *   (`signin.authenticate` `failed`) -> Logon, status Failure;
 * - `account.confirm_signup` -> Account Change, activity 2 Enable (the account
 *   becomes usable); `account.password_reset` -> activity 4 Password Reset;
 *   `account.password_change` (Cognito log events) -> activity 3 Password Change.
 *
 * Nothing is invented: triggers see no client IP, so `src_endpoint` is absent
 * (Cognito log events carry one: see sourceEndpointOf),
 * and Cognito does not tell a trigger whether MFA was used, so `is_mfa` is absent
 * (absent means unknown in OCSF). Fields without an OCSF home go to `unmapped`.
 * The mapping, field by field: docs/siem.md.
 */
import { isIP } from 'node:net';
import type { Action, AuthEvent, Outcome, ProviderType } from '../auth-event/schema.ts';
import { HASH_PREFIX } from '../pii.ts';

const OCSF_VERSION = '1.2.0';

export const OcsfClass = { AccountChange: 3001, Authentication: 3002 } as const;
export type OcsfClass = (typeof OcsfClass)[keyof typeof OcsfClass];

const CLASS_NAME: Readonly<Record<OcsfClass, string>> = {
  [OcsfClass.AccountChange]: 'Account Change',
  [OcsfClass.Authentication]: 'Authentication',
};

/** Activity ids used here, with their OCSF captions. */
export const OcsfActivity = {
  Create: { id: 1, name: 'Create' },
  Enable: { id: 2, name: 'Enable' },
  PasswordChange: { id: 3, name: 'Password Change' },
  PasswordReset: { id: 4, name: 'Password Reset' },
  Logon: { id: 1, name: 'Logon' },
  AuthenticationTicket: { id: 3, name: 'Authentication Ticket' },
  ServiceTicketRenew: { id: 5, name: 'Service Ticket Renew' },
} as const;

export const OcsfStatus = { Unknown: 0, Success: 1, Failure: 2 } as const;
export const OcsfSeverity = { Informational: 1, Low: 2 } as const;

/** auth_protocol_id values (OCSF dictionary). */
export const OcsfAuthProtocol = { Unknown: 0, OpenId: 4, Saml: 5, OAuth2: 6, Other: 99 } as const;

const AUTH_PROTOCOL_NAME: Readonly<Record<number, string>> = {
  0: 'Unknown',
  4: 'OpenID',
  5: 'SAML',
  6: 'OAUTH 2.0',
};

const AUTH_PROTOCOL_BY_PROVIDER: Readonly<Record<ProviderType, number | 'cognito'>> = {
  SAML: OcsfAuthProtocol.Saml,
  OIDC: OcsfAuthProtocol.OpenId,
  Google: OcsfAuthProtocol.OpenId,
  SignInWithApple: OcsfAuthProtocol.OpenId,
  Facebook: OcsfAuthProtocol.OAuth2,
  LoginWithAmazon: OcsfAuthProtocol.OAuth2,
  Cognito: 'cognito',
  Unknown: OcsfAuthProtocol.Unknown,
};

/** How the user proved who they are, from the identity provider's type. */
const authProtocolOf = (event: AuthEvent): { id: number; name: string } => {
  if (event.action === 'client_credentials') return { id: OcsfAuthProtocol.OAuth2, name: AUTH_PROTOCOL_NAME[6] as string };
  const id = AUTH_PROTOCOL_BY_PROVIDER[event.identityProvider.providerType];
  // Cognito's own user directory (SRP / password / custom auth) has no OCSF protocol id.
  if (id === 'cognito') return { id: OcsfAuthProtocol.Other, name: 'Amazon Cognito' };
  return { id, name: AUTH_PROTOCOL_NAME[id] ?? 'Unknown' };
};

/**
 * Class and activity of every action: a Record over all actions, so adding an
 * action without mapping it fails type-checking (the mapping is total).
 */
const CLASS_AND_ACTIVITY: Readonly<Record<Action, { classUid: OcsfClass; activity: { id: number; name: string } }>> = {
  self_signup: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Create },
  admin_create_user: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Create },
  federated_signup: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Create },
  // A sign-in attempt is the start of a logon; its status says it is not decided yet (Unknown).
  attempt: { classUid: OcsfClass.Authentication, activity: OcsfActivity.Logon },
  authenticate: { classUid: OcsfClass.Authentication, activity: OcsfActivity.Logon },
  issue: { classUid: OcsfClass.Authentication, activity: OcsfActivity.AuthenticationTicket },
  client_credentials: { classUid: OcsfClass.Authentication, activity: OcsfActivity.AuthenticationTicket },
  refresh: { classUid: OcsfClass.Authentication, activity: OcsfActivity.ServiceTicketRenew },
  // Confirming a sign-up makes the account usable: OCSF's Enable.
  confirm_signup: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Enable },
  password_reset: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.PasswordReset },
  password_change: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.PasswordChange },
};

/** Status of every outcome, total like the actions. */
const STATUS: Readonly<Record<Outcome, { id: number; name: string }>> = {
  allowed: { id: OcsfStatus.Success, name: 'Success' },
  succeeded: { id: OcsfStatus.Success, name: 'Success' },
  issued: { id: OcsfStatus.Success, name: 'Success' },
  denied: { id: OcsfStatus.Failure, name: 'Failure' },
  failed: { id: OcsfStatus.Failure, name: 'Failure' },
  // The password check has not happened yet when pre authentication runs.
  attempted: { id: OcsfStatus.Unknown, name: 'Unknown' },
  // The policy could not decide; whether the action went on is in the reason, not a status.
  error: { id: OcsfStatus.Unknown, name: 'Unknown' },
};

/** A readable address only: hashed values are not email addresses (email_t), they stay in `unmapped`. */
const emailAddress = (email: string | undefined): string | undefined =>
  email !== undefined && email.includes('@') && !email.startsWith(HASH_PREFIX) ? email : undefined;

const definedOnly = <T extends Record<string, unknown>>(object: T): Partial<T> =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;

export interface OcsfUser {
  uid?: string;
  name?: string;
  email_addr?: string;
  type_id: number;
  type: string;
  groups?: { name: string }[];
}

/** The OCSF `user`: the Cognito user, or for client-credentials tokens the app client itself. */
const userOf = (event: AuthEvent): OcsfUser => {
  if (event.action === 'client_credentials') {
    return {
      ...(event.client.id === null ? {} : { uid: event.client.id }),
      name: event.client.name ?? event.client.id ?? 'unknown',
      type_id: 99,
      type: 'App Client',
    };
  }
  const email = emailAddress(event.user.email);
  const user: OcsfUser = {
    ...(event.user.sub === undefined ? {} : { uid: event.user.sub }),
    ...(event.user.username === undefined ? {} : { name: event.user.username }),
    ...(email === undefined ? {} : { email_addr: email }),
    type_id: 1,
    type: 'User',
    ...(event.groups.length === 0 ? {} : { groups: event.groups.map((name) => ({ name })) }),
  };
  // OCSF needs one of uid / name / account; a PII policy may have dropped both.
  return user.uid === undefined && user.name === undefined ? { ...user, name: 'unknown' } : user;
};

/** A plain IPv4 or IPv6 address (OCSF ip_t); a masked network such as 192.0.2.0/24 is none. */
const isIpAddress = (value: string): boolean => isIP(value) !== 0;

/**
 * OCSF `src_endpoint` from what Cognito threat protection logged (Cognito log
 * events only; triggers get no client IP): the IP when the PII policy kept it
 * whole, and the location. Undefined when there is neither.
 */
const sourceEndpointOf = (event: AuthEvent): { ip?: string; location?: { city?: string; country?: string } } | undefined => {
  const network = event.network;
  if (network === undefined) return undefined;
  const ip = network.ip !== undefined && isIpAddress(network.ip) ? network.ip : undefined;
  const location = definedOnly({ city: network.city, country: network.country });
  const endpoint = definedOnly({ ip, location: Object.keys(location).length === 0 ? undefined : location });
  return Object.keys(endpoint).length === 0 ? undefined : endpoint;
};

export type OcsfEvent = ReturnType<typeof toOcsf>;

export const toOcsf = (event: AuthEvent) => {
  const { classUid, activity } = CLASS_AND_ACTIVITY[event.action];
  const status = STATUS[event.outcome];
  const failed = status.id === OcsfStatus.Failure;
  const protocol = authProtocolOf(event);
  const sourceEndpoint = sourceEndpointOf(event);
  const labels = [
    ...(event.pipeline.replay === undefined ? [] : ['replay']),
    ...(event.pipeline.recovered === undefined ? [] : ['recovered']),
  ];
  return {
    category_uid: 3,
    category_name: 'Identity & Access Management',
    class_uid: classUid,
    class_name: CLASS_NAME[classUid],
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: classUid * 100 + activity.id,
    type_name: `${CLASS_NAME[classUid]}: ${activity.name}`,
    time: Date.parse(event.time),
    severity_id: failed ? OcsfSeverity.Low : OcsfSeverity.Informational,
    severity: failed ? 'Low' : 'Informational',
    status_id: status.id,
    status: status.name,
    ...(event.reason === undefined ? {} : { status_code: event.reason.code, status_detail: event.reason.message }),
    message: `${event.category}.${event.action} ${event.outcome}`,
    metadata: {
      version: OCSF_VERSION,
      uid: event.id,
      product: { name: 'authtrail', vendor_name: 'authtrail', version: event.pipeline.version },
      log_name: 'authtrail.cognito',
      original_time: event.time,
      tenant_uid: event.userPool.id,
      ...(labels.length === 0 ? {} : { labels }),
    },
    cloud: { provider: 'AWS', region: event.userPool.region },
    user: userOf(event),
    actor: definedOnly({
      app_uid: event.client.id ?? undefined,
      app_name: event.client.name,
      idp: { name: event.identityProvider.name },
    }),
    ...(sourceEndpoint === undefined ? {} : { src_endpoint: sourceEndpoint }),
    ...(classUid === OcsfClass.Authentication
      ? {
          service: { name: 'Amazon Cognito', uid: event.userPool.id },
          auth_protocol_id: protocol.id,
          auth_protocol: protocol.name,
        }
      : {}),
    unmapped: definedOnly({
      authtrail_category: event.category,
      authtrail_action: event.action,
      authtrail_outcome: event.outcome,
      stage: event.stage,
      trigger: event.trigger,
      identity_provider: event.identityProvider,
      user: definedOnly({
        email: emailAddress(event.user.email) === undefined ? event.user.email : undefined,
        email_domain: event.user.emailDomain,
        email_verified: event.user.emailVerified,
        phone: event.user.phone,
        phone_verified: event.user.phoneVerified,
        status: event.user.status,
      }),
      device: event.device,
      // A masked IP (a network, not an address) and the risk assessment have no OCSF 1.2 Authentication field.
      network: event.network,
      risk: event.risk,
      cognito_log: event.cognitoLog,
      token: event.token,
      client_context: event.clientContext,
      pipeline: event.pipeline,
    }),
  };
};
