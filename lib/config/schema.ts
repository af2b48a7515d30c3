/**
 * Stage configuration (`config/<stage>.json`): the sign-up policy, token claim
 * mapping, client names, PII policy. Every object is strict, so a typo in a key
 * fails at cold start with the field named instead of being silently ignored.
 * The format is documented in docs/configuration.md.
 */
import * as z from 'zod';
import { Category, ProviderType } from '../auth-event/schema.ts';

const Domain = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z0-9-]+$/, 'must be a lower-case domain name such as "example.com"');

const DomainList = z.array(Domain).default([]);

/** Claims Cognito refuses to let a trigger add or override. */
export const RESERVED_CLAIMS = [
  'acr', 'amr', 'at_hash', 'auth_time', 'aud', 'azp', 'c_hash', 'client_id', 'event_id',
  'exp', 'iat', 'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'sub',
  'token_use', 'username',
] as const;

const ClaimName = z
  .string()
  .min(1)
  .refine((name) => !(RESERVED_CLAIMS as readonly string[]).includes(name) && !name.startsWith('cognito:'), {
    message: 'is a claim Cognito reserves and will not let a trigger set',
  });

const TokenKinds = z.array(z.enum(['id', 'access'])).min(1).default(['id', 'access']);

const ClaimRule = z.discriminatedUnion('from', [
  z.strictObject({
    claim: ClaimName,
    from: z.literal('groups'),
    /** group -> value; groups not listed are left out. Without a map every group is used as is. */
    map: z.record(z.string(), z.string()).optional(),
    tokens: TokenKinds,
  }),
  z.strictObject({
    claim: ClaimName,
    from: z.literal('attribute'),
    attribute: z.string().min(1),
    tokens: TokenKinds,
  }),
  z.strictObject({
    claim: ClaimName,
    from: z.literal('static'),
    value: z.string(),
    tokens: TokenKinds,
  }),
]);
export type ClaimRule = z.infer<typeof ClaimRule>;

const ScopeRule = z.strictObject({
  scope: z.string().min(1),
  /** Add the scope when the user is in this group. */
  whenGroup: z.string().min(1),
});

const PiiAction = z.enum(['keep', 'mask', 'hash', 'drop']);
export type PiiAction = z.infer<typeof PiiAction>;

export const StageConfigSchema = z.strictObject({
  /** Lambda app client id -> readable name, copied into `client.name`. */
  clients: z.record(z.string(), z.string()).default({}),
  /** Federated provider name (as configured in the pool) -> type; Google & co. are known. */
  identityProviders: z.record(z.string(), z.enum(['SAML', 'OIDC'])).default({}),
  signUp: z
    .strictObject({
      /** When not empty, only these email domains may sign up. */
      allowedEmailDomains: DomainList,
      blockedEmailDomains: DomainList,
      blockDisposableEmailDomains: z.boolean().default(true),
      /** Deny sign-ups that carry no email at all (native and admin-created users). */
      requireEmail: z.boolean().default(false),
      federated: z
        .strictObject({
          /** Provider names allowed to create users; empty means any configured provider. */
          allowedProviders: z.array(z.string()).default([]),
          /** Apply the email domain rules to federated sign-ups too. */
          applyEmailDomainRules: z.boolean().default(true),
          /** Trust the IdP's email: mark it verified on first sign-in. */
          autoVerifyEmail: z.boolean().default(true),
        })
        .prefault({}),
      autoConfirm: z
        .strictObject({
          /** Confirm users of these email domains without a code (e.g. your own company). */
          emailDomains: DomainList,
          /** Confirm every sign-up from these trigger sources (e.g. PreSignUp_AdminCreateUser). */
          triggerSources: z
            .array(z.enum(['PreSignUp_SignUp', 'PreSignUp_AdminCreateUser', 'PreSignUp_ExternalProvider']))
            .default([]),
          /** With auto-confirm, also mark the email / phone verified when present. */
          verifyEmail: z.boolean().default(true),
          verifyPhone: z.boolean().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The sign-in policy of the pre-authentication trigger (docs/configuration.md). Empty lists: no policy. */
  signIn: z
    .strictObject({
      /**
       * Users who may not sign in: each entry matches the user's `sub`, username or
       * email (case-insensitive), as Cognito sends them, before the PII policy.
       */
      blockedUsers: z.array(z.string().min(1)).default([]),
      /** App client ids through which nobody may sign in. */
      blockedClients: z.array(z.string().min(1)).default([]),
      /**
       * Not empty: the only app client ids sign-in may go through on this stage;
       * every other client (an unused or forgotten one) is denied.
       */
      allowedClients: z.array(z.string().min(1)).default([]),
      /**
       * Failed sign-in inference (lib/inference/): an attempt with no successful
       * sign-in by the same user through the same client within this many seconds
       * becomes a `signin.authenticate` event with outcome `failed`.
       */
      failedSignInWindowSeconds: z.int().min(5).max(3600).default(120),
    })
    .prefault({}),
  tokens: z
    .strictObject({
      /** Must match the user pool's pre token generation LambdaVersion; used when a payload does not say. */
      lambdaVersion: z.enum(['V1_0', 'V2_0', 'V3_0']).default('V2_0'),
      claims: z.array(ClaimRule).default([]),
      suppressClaims: z.array(ClaimName).default([]),
      scopes: z.array(ScopeRule).default([]),
      /** Scopes taken out of access tokens (V2_0 / V3_0) when Cognito would grant them. */
      suppressScopes: z.array(z.string().min(1)).default([]),
      /** Static claims per app client, for client-credentials (M2M) tokens. */
      clientClaims: z.record(z.string(), z.record(ClaimName, z.string())).default({}),
    })
    .prefault({}),
  pii: z
    .strictObject({
      /** Names the hash key in every event (pipeline.piiKeyId), so keys can rotate. */
      keyId: z.string().min(1).default('default'),
      fields: z
        .strictObject({
          'user.sub': PiiAction.default('keep'),
          'user.username': PiiAction.default('hash'),
          'user.email': PiiAction.default('hash'),
          'user.emailDomain': PiiAction.default('keep'),
          'user.phone': PiiAction.default('hash'),
          /** The client IP of Cognito log events; `mask` keeps the /24 (IPv4) or /48 (IPv6) network. */
          'network.ip': PiiAction.default('mask'),
        })
        .prefault({}),
    })
    .prefault({}),
  clientContext: z
    .strictObject({
      /** clientMetadata keys copied into the event (untrusted). Others are dropped and named. */
      allowedKeys: z.array(z.string()).default(['app_version', 'platform', 'locale']),
      maxValueLength: z.int().min(1).max(1024).default(128),
    })
    .prefault({}),
  /** Width of the time bucket in the event id; Cognito retries inside it share an id. */
  eventIdWindowSeconds: z.int().min(1).max(3600).default(60),
  /**
   * The stage's SIEM sink, served by the forwarder (docs/siem.md). The URL and the
   * secrets are not here: the URL is deploy-time (AUTHTRAIL_SIEM_URL), secrets live
   * in Secrets Manager / SSM, and neither belongs in a committed file.
   */
  siem: z
    .strictObject({
      format: z.enum(['ndjson', 'json', 'splunk-hec', 'ocsf']).default('ndjson'),
      /** Only these AuthEvent categories go to this SIEM; others are acknowledged and skipped. */
      categories: z
        .array(z.enum(Object.values(Category) as [Category, ...Category[]]))
        .min(1)
        .default(Object.values(Category)),
      batch: z
        .strictObject({
          maxEvents: z.int().min(1).max(10_000).default(100),
          /** Request body cap; an event alone above it is rejected to the DLQ. */
          maxBytes: z.int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
        })
        .prefault({}),
      /** One HTTP request, connect to last byte. */
      timeoutMs: z.int().min(100).max(120_000).default(5_000),
      retry: z
        .strictObject({
          /** Attempts per batch inside one delivery run (SQS redelivery comes on top). */
          maxAttempts: z.int().min(1).max(20).default(4),
          baseDelayMs: z.int().min(1).max(60_000).default(200),
          maxDelayMs: z.int().min(1).max(600_000).default(5_000),
          /** A Retry-After longer than this gives the batch back to the queue instead of waiting. */
          maxRetryAfterMs: z.int().min(0).max(600_000).default(30_000),
        })
        .prefault({}),
      splunk: z
        .strictObject({
          sourcetype: z.string().min(1).default('authtrail:authevent'),
          source: z.string().min(1).default('authtrail'),
          index: z.string().min(1).optional(),
          host: z.string().min(1).optional(),
        })
        .prefault({}),
      /** The local SIEM receiver (`npm run siem`) that local runs deliver to by default. */
      local: z.strictObject({ port: z.int().min(1).max(65_535).default(8787) }).prefault({}),
    })
    .prefault({}),
});

export type StageConfig = z.infer<typeof StageConfigSchema>;
export type StageConfigInput = z.input<typeof StageConfigSchema>;
