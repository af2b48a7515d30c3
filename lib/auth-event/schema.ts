/**
 * AuthEvent v1: the one canonical, versioned record authtrail emits for every
 * auth event. This module is the single source of its TypeScript type
 * (`z.infer`) and of `docs/auth-event.schema.json` for SIEM parsers
 * (`npm run schema` writes it; a test keeps it in sync).
 *
 * Field meanings: docs/auth-event.md.
 */
import * as z from 'zod/mini';
import { TokenLambdaVersion } from '../cognito/trigger-sources.ts';
import { described } from '../zod-setup.ts';

export const AUTH_EVENT_SCHEMA_VERSION = '1' as const;

/** The event source on the bus; detail-type is `AuthEvent <category>.<action>`. */
export const AUTH_EVENT_SOURCE = 'authtrail.cognito' as const;

export const Category = { SignUp: 'signup', SignIn: 'signin', Token: 'token', Account: 'account' } as const;
export type Category = (typeof Category)[keyof typeof Category];

export const Action = {
  SelfSignUp: 'self_signup',
  AdminCreateUser: 'admin_create_user',
  FederatedSignUp: 'federated_signup',
  /** A sign-in attempt, seen before Cognito checks the password (pre authentication). */
  Attempt: 'attempt',
  Authenticate: 'authenticate',
  Issue: 'issue',
  Refresh: 'refresh',
  ClientCredentials: 'client_credentials',
  /** The user confirmed their sign-up (post confirmation). */
  ConfirmSignUp: 'confirm_signup',
  /** The user set a new password with a forgot-password code (post confirmation). */
  PasswordReset: 'password_reset',
  /** A signed-in user changed their password (Cognito log events only: no trigger runs for it). */
  PasswordChange: 'password_change',
  // From CloudTrail only (lib/cloudtrail/): what no trigger sees.
  /** An MFA code answered (RespondToAuthChallenge SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP...; managed login mfa_*_POST). */
  Mfa: 'mfa',
  /** A sign-out: GlobalSignOut, AdminUserGlobalSignOut, the logout endpoint. */
  SignOut: 'sign_out',
  /** A refresh token revoked: RevokeToken, the revoke endpoint. */
  Revoke: 'revoke',
  /** A password reset asked for: ForgotPassword by the user, AdminResetUserPassword by an administrator. */
  PasswordResetRequest: 'password_reset_request',
  /** An administrator set a user's password (AdminSetUserPassword). */
  PasswordSet: 'password_set',
  UserDisable: 'user_disable',
  UserEnable: 'user_enable',
  UserDelete: 'user_delete',
  GroupAdd: 'group_add',
  GroupRemove: 'group_remove',
  AttributesUpdate: 'attributes_update',
  /** A user's MFA preference or settings changed. */
  MfaSettings: 'mfa_settings',
  /** An app client created, changed or deleted. */
  ClientChange: 'client_change',
  /** The user pool's own settings changed (UpdateUserPool, SetRiskConfiguration, identity providers...). */
  PoolChange: 'pool_change',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

export const Outcome = {
  Allowed: 'allowed',
  Denied: 'denied',
  Succeeded: 'succeeded',
  Issued: 'issued',
  /** A sign-in attempt let through to the password check: neither success nor failure yet. */
  Attempted: 'attempted',
  /** An attempt with no success within the window (inferred downstream, lib/inference/). */
  Failed: 'failed',
  /**
   * The trigger's policy step threw: `reason.message` says whether the action was
   * denied or allowed, as docs/configuration.md ("Policy errors") decides per trigger.
   */
  Error: 'error',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export const ProviderType = {
  Cognito: 'Cognito',
  Google: 'Google',
  Facebook: 'Facebook',
  LoginWithAmazon: 'LoginWithAmazon',
  SignInWithApple: 'SignInWithApple',
  SAML: 'SAML',
  OIDC: 'OIDC',
  Unknown: 'Unknown',
} as const;
export type ProviderType = (typeof ProviderType)[keyof typeof ProviderType];

/** The values of an `as const` object, typed as the non-empty tuple z.enum wants. */
export const valuesOf = <T extends Record<string, string>>(constants: T) =>
  Object.values(constants) as [T[keyof T], ...T[keyof T][]];

const Names = z.array(z.string());

const Id = z.string().check(z.regex(/^[0-9a-f]{32}$/));

export const AuthEventSchema = described(
  z.strictObject({
    schemaVersion: z.literal(AUTH_EVENT_SCHEMA_VERSION),
    id: described(Id, 'Deterministic: the same trigger invocation (and its Cognito retries) gives the same id.'),
    time: described(z.iso.datetime(), 'When authtrail saw the invocation (UTC, ISO 8601).'),
    stage: z.string().check(z.minLength(1)),
    category: z.enum(valuesOf(Category)),
    action: z.enum(valuesOf(Action)),
    outcome: z.enum(valuesOf(Outcome)),
    reason: described(
      z.optional(z.strictObject({ code: z.string(), message: z.string() })),
      'Present when outcome is "denied", "failed" or "error".',
    ),
    trigger: z.strictObject({
      source: described(z.string(), 'Cognito triggerSource, e.g. PreSignUp_SignUp.'),
      version: described(z.nullable(z.string()), 'The payload `version` as Cognito sent it.'),
    }),
    userPool: z.strictObject({ id: z.string(), region: z.string() }),
    client: z.strictObject({
      id: z.nullable(z.string()),
      name: described(z.optional(z.string()), 'From the stage config `clients` map.'),
    }),
    user: described(
      z.strictObject({
        sub: z.optional(z.string()),
        username: z.optional(z.string()),
        email: z.optional(z.string()),
        emailDomain: z.optional(z.string()),
        emailVerified: z.optional(z.boolean()),
        phone: z.optional(z.string()),
        phoneVerified: z.optional(z.boolean()),
        status: described(z.optional(z.string()), 'cognito:user_status, e.g. CONFIRMED.'),
      }),
      'After the PII policy: hashed values look like "hmac-sha256:<32 hex>".',
    ),
    identityProvider: z.strictObject({
      type: z.enum(['cognito', 'federated']),
      name: z.string(),
      providerType: z.enum(valuesOf(ProviderType)),
    }),
    groups: Names,
    device: z.optional(
      z.strictObject({
        newDeviceUsed: z.nullable(z.boolean()),
        name: described(z.optional(z.string()), 'Browser and OS as Cognito threat protection names them (Cognito log events).'),
      }),
    ),
    network: described(
      z.optional(
        z.strictObject({
          ip: described(z.optional(z.string()), 'The client IP after the PII policy (pii.fields["network.ip"]).'),
          city: z.optional(z.string()),
          country: z.optional(z.string()),
          userAgent: described(
            z.optional(z.string()),
            'The caller\'s user agent after the PII policy (pii.fields["network.userAgent"]); CloudTrail events only.',
          ),
        }),
      ),
      'Where the request came from: as Cognito threat protection saw it (Cognito log events), or the API caller (CloudTrail events).',
    ),
    risk: described(
      z.optional(
        z.strictObject({
          decision: described(z.string(), 'Cognito riskDecision, e.g. PASS, BLOCK, AccountTakeover.'),
          level: described(z.nullable(z.string()), 'Cognito riskLevel, e.g. LOW, MEDIUM, HIGH; null when not assessed.'),
          compromisedCredentials: z.nullable(z.boolean()),
        }),
      ),
      'Cognito threat protection assessment (Cognito log events only).',
    ),
    token: z.optional(
      z.strictObject({
        version: z.enum(valuesOf(TokenLambdaVersion)),
        source: described(z.string(), 'The TokenGeneration_* suffix, e.g. RefreshTokens.'),
        claimsAdded: described(Names, 'Names only, never values.'),
        claimsSuppressed: Names,
        scopesAdded: Names,
        scopesSuppressed: Names,
        tokens: described(z.array(z.enum(['id', 'access'])), 'Which tokens the changes apply to.'),
      }),
    ),
    clientContext: z.optional(
      z.strictObject({
        trusted: described(z.literal(false), 'clientMetadata is set by the client app: never trust it.'),
        values: z.record(z.string(), z.string()),
        droppedKeys: Names,
      }),
    ),
    cognitoLog: described(
      z.optional(
        z.strictObject({
          eventId: described(z.string(), "Cognito's own event id; the AuthEvent id is derived from it."),
          eventType: described(z.string(), 'e.g. SignIn, SignUp, ForgotPassword.'),
          eventResponse: described(z.nullable(z.string()), 'Pass, Fail or InProgress, as Cognito logged it.'),
          at: described(z.nullable(z.iso.datetime()), 'When Cognito logged the event (UTC); `time` is when authtrail read it.'),
          challenges: described(z.optional(z.string()), 'e.g. "Password:Success, Mfa:Failure".'),
        }),
      ),
      'Set on events read from Cognito userAuthEvents log delivery (Plus feature plan), not from a trigger.',
    ),
    actor: described(
      z.optional(
        z.strictObject({
          type: described(z.string(), 'CloudTrail userIdentity.type: IAMUser, AssumedRole, Root, AWSService...; absent on calls no AWS identity signed.'),
          arn: described(z.optional(z.string()), 'The IAM principal after the PII policy (pii.fields["actor.arn"]).'),
          accountId: z.optional(z.string()),
          invokedBy: described(z.optional(z.string()), 'The AWS service that made the call on the principal\'s behalf.'),
        }),
      ),
      'Who made the call (CloudTrail events): for admin API calls the IAM principal, not the user acted on.',
    ),
    cloudTrail: described(
      z.optional(
        z.strictObject({
          eventId: described(z.string(), "CloudTrail's eventID; the AuthEvent id is derived from it."),
          eventName: described(z.string(), 'e.g. InitiateAuth, AdminDisableUser, Token_POST.'),
          eventType: described(z.string(), 'AwsApiCall or AwsServiceEvent (hosted UI and managed login endpoints).'),
          at: described(z.iso.datetime(), 'When Cognito handled the request (eventTime, UTC); `time` is when authtrail read it.'),
          errorCode: described(z.optional(z.string()), 'The API error, e.g. NotAuthorizedException; never the error message.'),
          countedByTrigger: described(
            z.boolean(),
            'True when a Cognito trigger emits its own event for the same occurrence (a successful sign-in, sign-up, confirmation or token): counts use that one, so nothing is counted twice.',
          ),
        }),
      ),
      'Set on events read from CloudTrail records of the user pool (lib/cloudtrail/), not from a trigger.',
    ),
    pipeline: z.strictObject({
      version: z.string(),
      piiKeyId: described(z.string(), 'Which PII hash key produced the hmac-sha256 values.'),
      replay: described(
        z.optional(z.strictObject({ source: z.literal('fixture'), file: z.optional(z.string()) })),
        'Set on events produced by replaying a saved payload: test traffic the SOC can filter out.',
      ),
      recovered: described(
        z.optional(z.strictObject({ at: z.iso.datetime(), reason: z.string() })),
        'Set on real events that missed the bus at first and were re-published from the spill log.',
      ),
      inferred: described(
        z.optional(z.strictObject({ attemptId: Id, windowSeconds: z.int().check(z.minimum(1)) })),
        'Set on events authtrail inferred downstream (a failed sign-in): the attempt it comes from.',
      ),
      trimmed: described(
        z.optional(z.array(z.enum(['clientContext', 'groups', 'token']))),
        'Parts cut to fit the EventBridge 256 KB entry limit, in the order cut.',
      ),
    }),
  }),
  'authtrail AuthEvent v1',
);

export type AuthEvent = z.infer<typeof AuthEventSchema>;
