/**
 * AuthEvent v1: the one canonical, versioned record authtrail emits for every
 * auth event. This module is the single source of its TypeScript type
 * (`z.infer`) and of `docs/auth-event.schema.json` for SIEM parsers
 * (`npm run schema` writes it; a test keeps it in sync).
 *
 * Field meanings: docs/auth-event.md.
 */
import * as z from 'zod';

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

const values = <T extends Record<string, string>>(constants: T) =>
  Object.values(constants) as [T[keyof T], ...T[keyof T][]];

const Names = z.array(z.string());

export const AuthEventSchema = z
  .strictObject({
    schemaVersion: z.literal(AUTH_EVENT_SCHEMA_VERSION),
    id: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .describe('Deterministic: the same trigger invocation (and its Cognito retries) gives the same id.'),
    time: z.iso.datetime().describe('When authtrail saw the invocation (UTC, ISO 8601).'),
    stage: z.string().min(1),
    category: z.enum(values(Category)),
    action: z.enum(values(Action)),
    outcome: z.enum(values(Outcome)),
    reason: z
      .strictObject({ code: z.string(), message: z.string() })
      .optional()
      .describe('Present when outcome is "denied" or "failed".'),
    trigger: z.strictObject({
      source: z.string().describe('Cognito triggerSource, e.g. PreSignUp_SignUp.'),
      version: z.string().nullable().describe('The payload `version` as Cognito sent it.'),
    }),
    userPool: z.strictObject({ id: z.string(), region: z.string() }),
    client: z.strictObject({
      id: z.string().nullable(),
      name: z.string().optional().describe('From the stage config `clients` map.'),
    }),
    user: z
      .strictObject({
        sub: z.string().optional(),
        username: z.string().optional(),
        email: z.string().optional(),
        emailDomain: z.string().optional(),
        emailVerified: z.boolean().optional(),
        phone: z.string().optional(),
        phoneVerified: z.boolean().optional(),
        status: z.string().optional().describe('cognito:user_status, e.g. CONFIRMED.'),
      })
      .describe('After the PII policy: hashed values look like "hmac-sha256:<32 hex>".'),
    identityProvider: z.strictObject({
      type: z.enum(['cognito', 'federated']),
      name: z.string(),
      providerType: z.enum(values(ProviderType)),
    }),
    groups: Names,
    device: z
      .strictObject({
        newDeviceUsed: z.boolean().nullable(),
        name: z.string().optional().describe('Browser and OS as Cognito threat protection names them (Cognito log events).'),
      })
      .optional(),
    network: z
      .strictObject({
        ip: z.string().optional().describe('The client IP after the PII policy (pii.fields["network.ip"]).'),
        city: z.string().optional(),
        country: z.string().optional(),
      })
      .optional()
      .describe('Where the request came from, as Cognito threat protection saw it (Cognito log events only).'),
    risk: z
      .strictObject({
        decision: z.string().describe('Cognito riskDecision, e.g. PASS, BLOCK, AccountTakeover.'),
        level: z.string().nullable().describe('Cognito riskLevel, e.g. LOW, MEDIUM, HIGH; null when not assessed.'),
        compromisedCredentials: z.boolean().nullable(),
      })
      .optional()
      .describe('Cognito threat protection assessment (Cognito log events only).'),
    token: z
      .strictObject({
        version: z.enum(['V1_0', 'V2_0', 'V3_0']),
        source: z.string().describe('The TokenGeneration_* suffix, e.g. RefreshTokens.'),
        claimsAdded: Names.describe('Names only, never values.'),
        claimsSuppressed: Names,
        scopesAdded: Names,
        scopesSuppressed: Names,
        tokens: z.array(z.enum(['id', 'access'])).describe('Which tokens the changes apply to.'),
      })
      .optional(),
    clientContext: z
      .strictObject({
        trusted: z.literal(false).describe('clientMetadata is set by the client app: never trust it.'),
        values: z.record(z.string(), z.string()),
        droppedKeys: Names,
      })
      .optional(),
    cognitoLog: z
      .strictObject({
        eventId: z.string().describe("Cognito's own event id; the AuthEvent id is derived from it."),
        eventType: z.string().describe('e.g. SignIn, SignUp, ForgotPassword.'),
        eventResponse: z.string().nullable().describe('Pass, Fail or InProgress, as Cognito logged it.'),
        at: z.iso.datetime().nullable().describe('When Cognito logged the event (UTC); `time` is when authtrail read it.'),
        challenges: z.string().optional().describe('e.g. "Password:Success, Mfa:Failure".'),
      })
      .optional()
      .describe('Set on events read from Cognito userAuthEvents log delivery (Plus feature plan), not from a trigger.'),
    pipeline: z.strictObject({
      version: z.string(),
      piiKeyId: z.string().describe('Which PII hash key produced the hmac-sha256 values.'),
      replay: z
        .strictObject({ source: z.literal('fixture'), file: z.string().optional() })
        .optional()
        .describe('Set on events produced by replaying a saved payload: test traffic the SOC can filter out.'),
      recovered: z
        .strictObject({ at: z.iso.datetime(), reason: z.string() })
        .optional()
        .describe('Set on real events that missed the bus at first and were re-published from the spill log.'),
      inferred: z
        .strictObject({
          attemptId: z.string().regex(/^[0-9a-f]{32}$/),
          windowSeconds: z.int().min(1),
        })
        .optional()
        .describe('Set on events authtrail inferred downstream (a failed sign-in): the attempt it comes from.'),
      trimmed: z
        .array(z.enum(['clientContext', 'groups', 'token']))
        .optional()
        .describe('Parts cut to fit the EventBridge 256 KB entry limit, in the order cut.'),
    }),
  })
  .describe('authtrail AuthEvent v1');

export type AuthEvent = z.infer<typeof AuthEventSchema>;
