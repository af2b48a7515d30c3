/**
 * Stage configuration (`config/<stage>.json`): the sign-up policy, token claim
 * mapping, client names, PII policy. Every object is strict, so a typo in a key
 * fails at cold start with the field named instead of being silently ignored.
 * The format is documented in docs/configuration.md.
 */
import * as z from 'zod/mini';
import '../zod-setup.ts';
import { Category, valuesOf } from '../auth-event/schema.ts';
import { PRE_SIGN_UP_SOURCES, TokenLambdaVersion } from '../cognito/trigger-sources.ts';
import { normalizeDomain } from '../policy/email-address.ts';
import { userIdentifierForm } from '../policy/sign-in.ts';
import { DEFAULT_SIEM_FORMAT, SIEM_FORMATS } from '../siem/formats/index.ts';

/** Whole numbers in [min, max]. */
const intIn = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const nonEmpty = () => z.string().check(z.minLength(1));

/**
 * A domain in a policy list, normalized the way addresses are (lib/policy/email-address.ts:
 * UTS #46, punycode, no trailing dot), so `Blocked.Example.` and `bücher.example` in a
 * config match what users type; what cannot be a host name is refused.
 */
const Domain = z
  .string()
  .check(
    z.overwrite((value) => normalizeDomain(value) ?? value),
    z.regex(/^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z0-9-]+$/, 'must be a domain name such as "example.com"'),
  );

const DomainList = z._default(z.array(Domain), []);

/** Claims Cognito refuses to let a trigger add or override. */
export const RESERVED_CLAIMS = [
  'acr', 'amr', 'at_hash', 'auth_time', 'aud', 'azp', 'c_hash', 'client_id', 'event_id',
  'exp', 'iat', 'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'sub',
  'token_use', 'username',
] as const;

const ClaimName = z.string().check(
  z.minLength(1),
  z.refine((name) => !(RESERVED_CLAIMS as readonly string[]).includes(name) && !name.startsWith('cognito:'), {
    message: 'is a claim Cognito reserves and will not let a trigger set',
  }),
);

const TokenKinds = z._default(z.array(z.enum(['id', 'access'])).check(z.minLength(1)), ['id', 'access']);

const ClaimRule = z.discriminatedUnion('from', [
  z.strictObject({
    claim: ClaimName,
    from: z.literal('groups'),
    /** group -> value; groups not listed are left out. Without a map every group is used as is. */
    map: z.optional(z.record(z.string(), z.string())),
    tokens: TokenKinds,
  }),
  z.strictObject({
    claim: ClaimName,
    from: z.literal('attribute'),
    attribute: nonEmpty(),
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
  scope: nonEmpty(),
  /** Add the scope when the user is in this group. */
  whenGroup: nonEmpty(),
});

const PiiAction = z.enum(['keep', 'mask', 'hash', 'drop']);
export type PiiAction = z.infer<typeof PiiAction>;

const NonEmptyList = z._default(z.array(nonEmpty()), []);

export const StageConfigSchema = z.strictObject({
  /** Lambda app client id -> readable name, copied into `client.name`. */
  clients: z._default(z.record(z.string(), z.string()), {}),
  /** Federated provider name (as configured in the pool) -> type; Google & co. are known. */
  identityProviders: z._default(z.record(z.string(), z.enum(['SAML', 'OIDC'])), {}),
  signUp: z.prefault(
    z.strictObject({
      /** When not empty, only these email domains may sign up. */
      allowedEmailDomains: DomainList,
      blockedEmailDomains: DomainList,
      blockDisposableEmailDomains: z._default(z.boolean(), true),
      /** Deny sign-ups that carry no email at all (native and admin-created users). */
      requireEmail: z._default(z.boolean(), false),
      federated: z.prefault(
        z.strictObject({
          /** Provider names allowed to create users; empty means any configured provider. */
          allowedProviders: z._default(z.array(z.string()), []),
          /** Apply the email domain rules to federated sign-ups too. */
          applyEmailDomainRules: z._default(z.boolean(), true),
          /** Trust the IdP's email: mark it verified on first sign-in. */
          autoVerifyEmail: z._default(z.boolean(), true),
        }),
        {},
      ),
      autoConfirm: z.prefault(
        z.strictObject({
          /** Confirm users of these email domains without a code (e.g. your own company). */
          emailDomains: DomainList,
          /** Confirm every sign-up from these trigger sources (e.g. PreSignUp_AdminCreateUser). */
          triggerSources: z._default(
            z.array(z.enum(PRE_SIGN_UP_SOURCES)),
            [],
          ),
          /** With auto-confirm, also mark the email / phone verified when present. */
          verifyEmail: z._default(z.boolean(), true),
          verifyPhone: z._default(z.boolean(), false),
        }),
        {},
      ),
    }),
    {},
  ),
  /** The sign-in policy of the pre-authentication trigger (docs/configuration.md). Empty lists: no policy. */
  signIn: z.prefault(
    z.strictObject({
      /**
       * Users who may not sign in or get tokens (refreshes included): each entry
       * matches the user's `sub`, username or email, compared normalized (an email
       * as lib/policy/email-address.ts normalizes it, the rest case-insensitively),
       * before the PII policy. List the `sub`: a user can change their email.
       */
      blockedUsers: z._default(z.array(nonEmpty().check(z.overwrite(userIdentifierForm))), []),
      /** App client ids through which nobody may sign in. */
      blockedClients: NonEmptyList,
      /**
       * Not empty: the only app client ids sign-in may go through on this stage;
       * every other client (an unused or forgotten one) is denied.
       */
      allowedClients: NonEmptyList,
      /**
       * Failed sign-in inference (lib/inference/): an attempt with no successful
       * sign-in by the same user through the same client within this many seconds
       * becomes a `signin.authenticate` event with outcome `failed`.
       */
      failedSignInWindowSeconds: z._default(intIn(5, 3600), 120),
    }),
    {},
  ),
  tokens: z.prefault(
    z.strictObject({
      /**
       * User attributes that only an administrator can write: no app client of the
       * pool lists them in its WriteAttributes (the stack's own clients do not, and
       * `npm run check-pool` checks an existing pool). A claim may only come from one
       * of these: a claim from an attribute users can write is a claim users choose.
       */
      adminOnlyAttributes: NonEmptyList,
      /** Must match the user pool's pre token generation LambdaVersion; used when a payload does not say. */
      lambdaVersion: z._default(z.enum(valuesOf(TokenLambdaVersion)), TokenLambdaVersion.V2),
      claims: z._default(z.array(ClaimRule), []),
      suppressClaims: z._default(z.array(ClaimName), []),
      scopes: z._default(z.array(ScopeRule), []),
      /** Scopes taken out of access tokens (V2_0 / V3_0) when Cognito would grant them. */
      suppressScopes: NonEmptyList,
      /** Static claims per app client, for client-credentials (M2M) tokens. */
      clientClaims: z._default(z.record(z.string(), z.record(ClaimName, z.string())), {}),
    }).check(
      z.superRefine((tokens, context) => {
        tokens.claims.forEach((rule, index) => {
          if (rule.from === 'attribute' && !tokens.adminOnlyAttributes.includes(rule.attribute)) {
            context.addIssue({
              code: 'custom',
              path: ['claims', index, 'attribute'],
              message: `"${rule.attribute.slice(0, 40)}" is not in tokens.adminOnlyAttributes: users could write the claim "${rule.claim.slice(0, 40)}" themselves`,
              input: rule.attribute,
            });
          }
        });
      }),
    ),
    {},
  ),
  pii: z.prefault(
    z.strictObject({
      /** Names the hash key in every event (pipeline.piiKeyId), so keys can rotate. */
      keyId: z._default(nonEmpty(), 'default'),
      fields: z.prefault(
        z.strictObject({
          'user.sub': z._default(PiiAction, 'keep'),
          'user.username': z._default(PiiAction, 'hash'),
          'user.email': z._default(PiiAction, 'hash'),
          'user.emailDomain': z._default(PiiAction, 'keep'),
          'user.phone': z._default(PiiAction, 'hash'),
          /** The client IP of Cognito log events; `mask` keeps the /24 (IPv4) or /48 (IPv6) network. */
          'network.ip': z._default(PiiAction, 'mask'),
          /** The caller's user agent of CloudTrail events: a browser string, kept by default (hash it to correlate only). */
          'network.userAgent': z._default(PiiAction, 'keep'),
          /**
           * The IAM principal of CloudTrail events (an operator, not an end user); an assumed-role session name
           * may be a person's email, so a stage can hash or drop it.
           */
          'actor.arn': z._default(PiiAction, 'keep'),
        }),
        {},
      ),
    }),
    {},
  ),
  clientContext: z.prefault(
    z.strictObject({
      /** clientMetadata keys copied into the event (untrusted). Others are dropped and named. */
      allowedKeys: z._default(z.array(z.string()), ['app_version', 'platform', 'locale']),
      maxValueLength: z._default(intIn(1, 1024), 128),
    }),
    {},
  ),
  /** The CloudTrail source (lib/cloudtrail/, docs/delivery.md "CloudTrail events"). */
  cloudTrail: z.prefault(
    z.strictObject({
      /**
       * Records that name neither a user pool nor an app client (GlobalSignOut, ChangePassword, DeleteUser:
       * calls authorized by an access token alone) cannot be told apart between pools of one account.
       * `ignore` (default) counts and skips them; `accept` takes them as the stage's, right when the
       * account and region hold this one pool.
       */
      recordsWithoutPoolOrClient: z._default(z.enum(['ignore', 'accept']), 'ignore'),
    }),
    {},
  ),
  /** Width of the time bucket in the event id; Cognito retries inside it share an id. */
  eventIdWindowSeconds: z._default(intIn(1, 3600), 60),
  /**
   * The stage's SIEM sink, served by the forwarder (docs/siem.md). The URL and the
   * secrets are not here: the URL is deploy-time (AUTHTRAIL_SIEM_URL), secrets live
   * in Secrets Manager / SSM, and neither belongs in a committed file.
   */
  siem: z.prefault(
    z.strictObject({
      /** One of the registered formats (lib/siem/formats/index.ts). */
      format: z._default(z.enum(SIEM_FORMATS), DEFAULT_SIEM_FORMAT),
      /** Only these AuthEvent categories go to this SIEM; others are acknowledged and skipped. */
      categories: z._default(
        z.array(z.enum(valuesOf(Category))).check(z.minLength(1)),
        valuesOf(Category),
      ),
      batch: z.prefault(
        z.strictObject({
          maxEvents: z._default(intIn(1, 10_000), 100),
          /** Request body cap; an event alone above it is rejected to the DLQ. */
          maxBytes: z._default(intIn(1024, 16 * 1024 * 1024), 1024 * 1024),
        }),
        {},
      ),
      /**
       * One HTTP request, connect to the status line. Longer than a slow SIEM's answer (a 200 after
       * the timeout is a batch sent again, and out of attempts dead-lettered though delivered), and
       * inside the forwarder's 30 s, which also holds the retries' waits and the DLQ sends.
       */
      timeoutMs: z._default(intIn(100, 25_000), 10_000),
      retry: z.prefault(
        z.strictObject({
          /** Attempts per batch inside one delivery run (SQS redelivery comes on top). */
          maxAttempts: z._default(intIn(1, 20), 4),
          baseDelayMs: z._default(intIn(1, 60_000), 200),
          maxDelayMs: z._default(intIn(1, 600_000), 5_000),
          /** A Retry-After longer than this gives the batch back to the queue instead of waiting. */
          maxRetryAfterMs: z._default(intIn(0, 600_000), 30_000),
        }),
        {},
      ),
      splunk: z.prefault(
        z.strictObject({
          sourcetype: z._default(nonEmpty(), 'authtrail:authevent'),
          source: z._default(nonEmpty(), 'authtrail'),
          index: z.optional(nonEmpty()),
          host: z.optional(nonEmpty()),
          /** `per-forwarder`: every sender uses its own GUID HEC channel (X-Splunk-Request-Channel); implied by `ack.enabled`. */
          channel: z._default(z.enum(['none', 'per-forwarder']), 'none'),
          /** HEC indexer acknowledgment: a batch counts as delivered once /services/collector/ack confirms it (lib/siem/hec.ts). */
          ack: z.prefault(
            z.strictObject({
              enabled: z._default(z.boolean(), false),
              pollIntervalMs: z._default(intIn(100, 60_000), 1_000),
              timeoutMs: z._default(intIn(1_000, 600_000), 60_000),
            }),
            {},
          ),
        }),
        {},
      ),
      /** The local SIEM receiver (`npm run siem`) that local runs deliver to by default. */
      local: z.prefault(z.strictObject({ port: z._default(intIn(1, 65_535), 8787) }), {}),
    }),
    {},
  ),
});

export type StageConfig = z.infer<typeof StageConfigSchema>;
export type StageConfigInput = z.input<typeof StageConfigSchema>;
