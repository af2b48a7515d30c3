/**
 * Schemas for the Cognito trigger payloads authtrail reads. They are the single
 * source of the trigger types, and they are lenient on purpose: real payloads
 * carry versions "0".."3" or placeholders, null or missing optional blocks and a
 * null client id (see docs/trigger-payloads.md). What we need to build an
 * AuthEvent is required; everything else is optional and normalised here, once.
 *
 * Parsing never mutates the payload: the handler answers Cognito with the
 * original event object plus its response.
 */
import * as z from 'zod/mini';
import '../zod-setup.ts';
import {
  POST_AUTHENTICATION_SOURCES,
  POST_CONFIRMATION_SOURCES,
  PRE_AUTHENTICATION_SOURCES,
  PRE_SIGN_UP_SOURCES,
  PRE_TOKEN_GENERATION_SOURCES,
} from './trigger-sources.ts';

/** Attribute and metadata maps: Cognito sends strings; other tools send scalars or null. */
const StringMap = z.pipe(
  z.nullish(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
  z.transform((map) => {
    const strings: Record<string, string> = {};
    for (const [key, value] of Object.entries(map ?? {})) {
      if (value !== null) strings[key] = String(value);
    }
    return strings;
  }),
);

const StringList = z.pipe(
  z.nullish(z.array(z.string())),
  z.transform((list) => list ?? []),
);

const OptionalString = z.pipe(
  z.nullish(z.string()),
  z.transform((value) => (value === '' || value == null ? null : value)),
);

const Version = z.pipe(
  z.nullish(z.union([z.string(), z.number()])),
  z.transform((value) => (value == null ? null : String(value))),
);

/** What Cognito sends as the client id of admin API calls, which have no app client. */
export const NO_CLIENT_ID = 'CLIENT_ID_NOT_APPLICABLE';

const CallerContext = z.pipe(
  z.nullish(z.looseObject({ awsSdkVersion: OptionalString, clientId: OptionalString })),
  z.transform((context) => ({
    awsSdkVersion: context?.awsSdkVersion ?? null,
    clientId: context?.clientId === NO_CLIENT_ID ? null : (context?.clientId ?? null),
  })),
);

/**
 * Set by authtrail's own replay tools, never by Cognito: only a caller allowed to
 * invoke the function can add it, and it tags the resulting events as replays.
 */
export const REPLAY_MARKER = 'authtrailReplay' as const;

const ReplayMarker = z.optional(
  z.strictObject({ source: z.literal('fixture'), file: z.optional(z.string().check(z.maxLength(512))) }),
);

const NonEmpty = z.string().check(z.minLength(1));

/** Fields every user-pool trigger carries. */
const BaseTrigger = z.looseObject({
  [REPLAY_MARKER]: ReplayMarker,
  version: Version,
  region: NonEmpty,
  userPoolId: NonEmpty,
  userName: NonEmpty,
  callerContext: CallerContext,
  triggerSource: NonEmpty,
  response: z.optional(z.unknown()),
});

/** What every user trigger's request carries (the attributes, and the client's metadata when it sends any). */
const UserRequest = { userAttributes: StringMap, clientMetadata: StringMap };

/** @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html */
export const PreSignUpTriggerSchema = z.extend(BaseTrigger, {
  triggerSource: z.enum(PRE_SIGN_UP_SOURCES),
  request: z.looseObject({ ...UserRequest, validationData: StringMap }),
});
export type PreSignUpTrigger = z.infer<typeof PreSignUpTriggerSchema>;

const BooleanLike = z.pipe(
  z.nullish(z.union([z.boolean(), z.enum(['true', 'false'])])),
  z.transform((value) => (value == null ? null : value === true || value === 'true')),
);

/** @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-post-authentication.html */
export const PostAuthenticationTriggerSchema = z.extend(BaseTrigger, {
  triggerSource: z.enum(POST_AUTHENTICATION_SOURCES),
  request: z.looseObject({ ...UserRequest, newDeviceUsed: BooleanLike }),
});
export type PostAuthenticationTrigger = z.infer<typeof PostAuthenticationTriggerSchema>;

/**
 * Pre authentication runs before Cognito checks the password. `userNotFound` is
 * set (true) only when the pool prevents user-existence errors and the user does
 * not exist; then `userAttributes` is empty. Cognito sends `validationData` from
 * InitiateAuth's ClientMetadata (sic) and, per the docs, no `clientMetadata`;
 * other tools send it anyway, so both are read.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-authentication.html
 */
export const PreAuthenticationTriggerSchema = z.extend(BaseTrigger, {
  triggerSource: z.enum(PRE_AUTHENTICATION_SOURCES),
  request: z.looseObject({ ...UserRequest, validationData: StringMap, userNotFound: BooleanLike }),
});
export type PreAuthenticationTrigger = z.infer<typeof PreAuthenticationTriggerSchema>;

/**
 * Post confirmation: after a sign-up is confirmed (ConfirmSignUp, AdminConfirmSignUp)
 * or a forgotten password is reset (ConfirmForgotPassword). Cognito ignores the response.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-post-confirmation.html
 */
export const PostConfirmationTriggerSchema = z.extend(BaseTrigger, {
  triggerSource: z.enum(POST_CONFIRMATION_SOURCES),
  request: z.looseObject(UserRequest),
});
export type PostConfirmationTrigger = z.infer<typeof PostConfirmationTriggerSchema>;

const GroupConfiguration = z.pipe(
  z.nullish(
    z.looseObject({
      groupsToOverride: StringList,
      iamRolesToOverride: StringList,
      preferredRole: OptionalString,
    }),
  ),
  z.transform((groups) => ({
    groupsToOverride: groups?.groupsToOverride ?? [],
    iamRolesToOverride: groups?.iamRolesToOverride ?? [],
    preferredRole: groups?.preferredRole ?? null,
  })),
);

/**
 * V1_0, V2_0 and V3_0 share the request; they differ in `version`, in `scopes`
 * (V2/V3) and in the response block they expect.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
 */
export const PreTokenGenerationTriggerSchema = z.extend(BaseTrigger, {
  triggerSource: z.enum(PRE_TOKEN_GENERATION_SOURCES),
  // Machine-to-machine (client credentials) events have no user.
  userName: OptionalString,
  request: z.looseObject({
    ...UserRequest,
    groupConfiguration: GroupConfiguration,
    scopes: z.pipe(
      z.nullish(z.array(z.string())),
      z.transform((scopes) => scopes ?? null),
    ),
  }),
});
export type PreTokenGenerationTrigger = z.infer<typeof PreTokenGenerationTriggerSchema>;

/** Just enough to route a payload to the function that handles it. */
export const TriggerEnvelopeSchema = z.looseObject({ triggerSource: NonEmpty });
