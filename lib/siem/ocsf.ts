/**
 * AuthEvent -> OCSF 1.3.0 (Identity & Access Management category). 1.3.0 because
 * Amazon Security Lake custom sources take OCSF 1.3 and earlier, and 1.3 is the
 * latest of those (docs/siem.md). Every record is valid against the official
 * 1.3.0 schema (test/siem/ocsf.test.ts, schema files in test/fixtures/ocsf/).
 *
 * - sign-in (`signin.authenticate`) -> Authentication (3002), activity 1 Logon;
 *   an inferred failed sign-in (`failed`) is a Logon with status Failure;
 * - sign-in attempt (`signin.attempt`, pre authentication) -> activity 6
 *   Preauth ("a preauthentication stage was engaged"): Cognito has not checked
 *   the password yet, so it is no second Logon; Failure when the policy denied it;
 * - token issue / refresh (`token.issue`, `token.refresh`) -> activity 99 Other,
 *   named "Token Issue" / "Token Refresh": OCSF's ticket activities (3, 4, 5) are
 *   defined as Kerberos tickets, and the logon itself is already a Logon record;
 * - client credentials (`token.client_credentials`) -> Logon: the app client
 *   authenticates with its secret, and no other record reports that logon;
 * - sign-up (any `signup.*`) -> Account Change (3001), activity 1 Create;
 *   `account.confirm_signup` -> 2 Enable; `account.password_reset` -> 4 Password
 *   Reset; `account.password_change` (Cognito log events) -> 3 Password Change.
 *
 * Nothing is invented: triggers see no client IP, so `src_endpoint` is absent
 * (Cognito log events carry one: see sourceEndpointOf), and a trigger does not
 * know whether MFA was used, so `is_mfa` is set only from Cognito's logged
 * challenges. Fields without an OCSF home go to `unmapped`. The mapping, field
 * by field: docs/siem.md.
 */
import { isIP } from 'node:net';
import type { Action, AuthEvent, Outcome, ProviderType } from '../auth-event/schema.ts';
import { occurredAt } from '../auth-event/occurred-at.ts';
import { HASH_PREFIX } from '../pii.ts';

export const OCSF_VERSION = '1.3.0';

/** The profiles whose attributes the records carry (OCSF validators drop undeclared ones). */
export const OCSF_PROFILES = ['cloud'] as const;

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
  Preauth: { id: 6, name: 'Preauth' },
  /** OCSF's 99 Other takes the source's own name for the activity. */
  TokenIssue: { id: 99, name: 'Token Issue' },
  TokenRefresh: { id: 99, name: 'Token Refresh' },
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

// ---- Actions read from CloudTrail (issue 14, lib/cloudtrail/): a separate block, merged below.
/** OCSF activity ids of Account Change (3001) and Authentication (3002) that only CloudTrail actions use. */
const CloudTrailActivity = {
  Logoff: { id: 2, name: 'Logoff' },
  Disable: { id: 5, name: 'Disable' },
  Delete: { id: 6, name: 'Delete' },
  /** 99 Other takes the source's own name for the activity (as Token Issue does), never the caption "Other". */
  TokenRevoke: { id: 99, name: 'Token Revoke' },
  GroupAdd: { id: 99, name: 'Group Add' },
  GroupRemove: { id: 99, name: 'Group Remove' },
  AttributesUpdate: { id: 99, name: 'Attributes Update' },
  MfaSettings: { id: 99, name: 'MFA Settings Change' },
  ClientChange: { id: 99, name: 'App Client Change' },
  PoolChange: { id: 99, name: 'User Pool Change' },
} as const;

const CLOUDTRAIL_CLASS_AND_ACTIVITY = {
  // An MFA code is part of a logon.
  mfa: { classUid: OcsfClass.Authentication, activity: OcsfActivity.Logon },
  sign_out: { classUid: OcsfClass.Authentication, activity: CloudTrailActivity.Logoff },
  revoke: { classUid: OcsfClass.Authentication, activity: CloudTrailActivity.TokenRevoke },
  password_reset_request: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.PasswordReset },
  password_set: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.PasswordReset },
  user_disable: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.Disable },
  user_enable: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Enable },
  user_delete: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.Delete },
  group_add: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.GroupAdd },
  group_remove: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.GroupRemove },
  attributes_update: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.AttributesUpdate },
  mfa_settings: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.MfaSettings },
  client_change: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.ClientChange },
  pool_change: { classUid: OcsfClass.AccountChange, activity: CloudTrailActivity.PoolChange },
} as const;
// ---- end of the CloudTrail block.

/**
 * Class and activity of every action: a Record over all actions, so adding an
 * action without mapping it fails type-checking (the mapping is total).
 */
const CLASS_AND_ACTIVITY: Readonly<Record<Action, { classUid: OcsfClass; activity: { id: number; name: string } }>> = {
  self_signup: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Create },
  admin_create_user: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Create },
  federated_signup: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Create },
  // Pre authentication runs before Cognito checks the password: OCSF's Preauth, not a second Logon.
  attempt: { classUid: OcsfClass.Authentication, activity: OcsfActivity.Preauth },
  authenticate: { classUid: OcsfClass.Authentication, activity: OcsfActivity.Logon },
  issue: { classUid: OcsfClass.Authentication, activity: OcsfActivity.TokenIssue },
  // The app client's own logon (client secret); no other record reports it.
  client_credentials: { classUid: OcsfClass.Authentication, activity: OcsfActivity.Logon },
  refresh: { classUid: OcsfClass.Authentication, activity: OcsfActivity.TokenRefresh },
  // Confirming a sign-up makes the account usable: OCSF's Enable.
  confirm_signup: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.Enable },
  password_reset: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.PasswordReset },
  password_change: { classUid: OcsfClass.AccountChange, activity: OcsfActivity.PasswordChange },
  ...CLOUDTRAIL_CLASS_AND_ACTIVITY,
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
 * Region codes that are not ISO 3166-1 alpha-2 country codes although the
 * Unicode region list names them: groupings (EU, EZ, UN), the unknown region
 * (ZZ), and ISO's exceptional reservations (AC, CP, CQ, DG, EA, IC, TA).
 */
const NOT_ISO_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'AC', 'CP', 'CQ', 'DG', 'EA', 'IC', 'TA']);

let countryCodes: ReadonlyMap<string, string> | undefined;
/**
 * English country name -> ISO 3166-1 alpha-2 code, from the ICU region names
 * Node ships (Intl.DisplayNames): Cognito threat protection logs the name
 * ("Ireland"), OCSF `location.country` is the code ("IE"). Deprecated codes
 * (SU, DD, …) are skipped: their names map to the current code.
 */
const countryCodeOf = (country: string): string | undefined => {
  if (/^[A-Z]{2}$/.test(country)) return NOT_ISO_COUNTRIES.has(country) ? undefined : country;
  countryCodes ??= (() => {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    const codes = new Map<string, string>();
    for (let first = 65; first <= 90; first += 1) {
      for (let second = 65; second <= 90; second += 1) {
        const code = String.fromCharCode(first, second);
        const name = names.of(code);
        if (name === undefined || NOT_ISO_COUNTRIES.has(code) || Intl.getCanonicalLocales(`und-${code}`)[0] !== `und-${code}`) continue;
        codes.set(name.toLowerCase(), code);
      }
    }
    return codes;
  })();
  return countryCodes.get(country.trim().toLowerCase());
};

export interface OcsfLocation {
  city?: string;
  country?: string;
}

/**
 * OCSF `src_endpoint` from what Cognito threat protection logged (Cognito log
 * events only; triggers get no client IP). OCSF requires an endpoint to be
 * identified (ip, name, uid, …): with the IP masked to a network there is no
 * address, so there is no endpoint, and the location stays in
 * `unmapped.network` with the masked IP.
 */
const sourceEndpointOf = (event: AuthEvent): { ip: string; location?: OcsfLocation } | undefined => {
  const network = event.network;
  if (network?.ip === undefined || !isIpAddress(network.ip)) return undefined;
  const country = network.country === undefined ? undefined : countryCodeOf(network.country);
  const location = definedOnly({ city: network.city, country });
  return { ip: network.ip, ...(Object.keys(location).length === 0 ? {} : { location }) };
};

/** Cognito challenge names that are a second factor ("Mfa", "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", …). */
const MFA_CHALLENGE = /mfa|otp|totp/i;

/**
 * Whether MFA was used, from the challenges Cognito logged ("Password:Success,
 * Mfa:Success"): true when a second-factor challenge succeeded, false when the
 * sign-in passed without one. Unknown (absent) for trigger events and for
 * records without challenges.
 */
const isMfaOf = (event: AuthEvent): boolean | undefined => {
  const challenges = event.cognitoLog?.challenges;
  if (challenges === undefined || event.category !== 'signin') return undefined;
  const passed = challenges.split(',').map((part) => part.trim().split(':'));
  const mfa = passed.some(([name, result]) => MFA_CHALLENGE.test(name ?? '') && result?.trim().toLowerCase() === 'success');
  return mfa || event.outcome === 'succeeded' ? mfa : undefined;
};

/** OCSF observable type ids (observable.type_id, from the dictionary's observable types). */
const Observable = {
  IpAddress: { type_id: 2, type: 'IP Address' },
  UserName: { type_id: 4, type: 'User Name' },
  EmailAddress: { type_id: 5, type: 'Email Address' },
  Country: { type_id: 14, type: 'Country' },
} as const;


/** Which log the event was read from (OCSF metadata.log_name / log_provider): a trigger's own, Cognito's userAuthEvents, or CloudTrail. */
const logOf = (event: AuthEvent): { log_name: string; log_provider: string } =>
  event.cognitoLog !== undefined
    ? { log_name: 'userAuthEvents', log_provider: 'Amazon Cognito' }
    : event.cloudTrail !== undefined
      ? { log_name: 'CloudTrail management events', log_provider: 'AWS CloudTrail' }
      : { log_name: 'authtrail.cognito', log_provider: 'Amazon Cognito Lambda triggers' };

/** OCSF logon type 3 Network: credentials sent to a remote service (Cognito's API) over the network. */
const LOGON_TYPE_NETWORK = { id: 3, name: 'Network' } as const;

export type OcsfEvent = ReturnType<typeof toOcsf>;

export const toOcsf = (event: AuthEvent) => {
  const { classUid, activity } = CLASS_AND_ACTIVITY[event.action];
  const status = STATUS[event.outcome];
  const failed = status.id === OcsfStatus.Failure;
  const protocol = authProtocolOf(event);
  const sourceEndpoint = sourceEndpointOf(event);
  const user = userOf(event);
  const isMfa = isMfaOf(event);
  const eventTime = occurredAt(event);
  const labels = [
    ...(event.pipeline.replay === undefined ? [] : ['replay']),
    ...(event.pipeline.recovered === undefined ? [] : ['recovered']),
    ...(event.pipeline.inferred === undefined ? [] : ['inferred']),
  ];
  const observables = [
    ...(user.name === undefined || user.name === 'unknown' ? [] : [{ name: 'user.name', ...Observable.UserName, value: user.name }]),
    ...(user.email_addr === undefined ? [] : [{ name: 'user.email_addr', ...Observable.EmailAddress, value: user.email_addr }]),
    ...(sourceEndpoint === undefined ? [] : [{ name: 'src_endpoint.ip', ...Observable.IpAddress, value: sourceEndpoint.ip }]),
    ...(sourceEndpoint?.location?.country === undefined
      ? []
      : [{ name: 'src_endpoint.location.country', ...Observable.Country, value: sourceEndpoint.location.country }]),
  ];
  const app = definedOnly({ app_uid: event.client.id ?? undefined, app_name: event.client.name });
  return {
    category_uid: 3,
    category_name: 'Identity & Access Management',
    class_uid: classUid,
    class_name: CLASS_NAME[classUid],
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: classUid * 100 + activity.id,
    type_name: `${CLASS_NAME[classUid]}: ${activity.name}`,
    time: Date.parse(eventTime),
    // Cognito and authtrail times are UTC.
    timezone_offset: 0,
    severity_id: failed ? OcsfSeverity.Low : OcsfSeverity.Informational,
    severity: failed ? 'Low' : 'Informational',
    status_id: status.id,
    status: status.name,
    ...(event.reason === undefined ? {} : { status_code: event.reason.code, status_detail: event.reason.message }),
    message: `${event.category}.${event.action} ${event.outcome}`,
    metadata: {
      version: OCSF_VERSION,
      profiles: [...OCSF_PROFILES],
      uid: event.id,
      product: { name: 'authtrail', vendor_name: 'authtrail', version: event.pipeline.version },
      ...logOf(event),
      original_time: eventTime,
      // When authtrail processed it, when that differs from the event time (Cognito log and CloudTrail events are read later).
      ...(eventTime === event.time ? {} : { processed_time: Date.parse(event.time) }),
      tenant_uid: event.userPool.id,
      ...(labels.length === 0 ? {} : { labels }),
    },
    cloud: { provider: 'AWS', region: event.userPool.region },
    user,
    // Who asked: the app client. An admin API call (AdminCreateUser, AdminConfirmSignUp) names no client and no
    // caller, and OCSF needs one of them in an actor: then there is no actor (the IdP stays in unmapped).
    ...(Object.keys(app).length === 0 ? {} : { actor: { ...app, idp: { name: event.identityProvider.name } } }),
    ...(sourceEndpoint === undefined ? {} : { src_endpoint: sourceEndpoint }),
    ...(classUid === OcsfClass.Authentication
      ? {
          service: { name: 'Amazon Cognito', uid: event.userPool.id },
          auth_protocol_id: protocol.id,
          auth_protocol: protocol.name,
          logon_type_id: LOGON_TYPE_NETWORK.id,
          logon_type: LOGON_TYPE_NETWORK.name,
          is_remote: true,
          ...(isMfa === undefined ? {} : { is_mfa: isMfa }),
          ...(event.category === 'token'
            ? { session: { issuer: `https://cognito-idp.${event.userPool.region}.amazonaws.com/${event.userPool.id}`, is_remote: true } }
            : {}),
        }
      : {}),
    // The account as it is after a successful creation.
    ...(classUid === OcsfClass.AccountChange && event.action !== 'password_change' && event.action !== 'password_reset' && !failed
      ? { user_result: user }
      : {}),
    ...(observables.length === 0 ? {} : { observables }),
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
      // A masked IP (a network, not an address) and Cognito's country name; the risk assessment has no OCSF 1.3 Authentication field.
      network: event.network,
      risk: event.risk,
      cognito_log: event.cognitoLog,
      token: event.token,
      client_context: event.clientContext,
      pipeline: event.pipeline,
    }),
  };
};
