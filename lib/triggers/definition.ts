/**
 * What every trigger step shares: the context it runs in, the common part of an
 * AuthEvent, and the shape of its result. Steps are pure: time, config and the
 * disposable-domain lookup come in through the context.
 */
import type { ZodMiniType } from 'zod/mini';
import { AUTH_EVENT_SCHEMA_VERSION, Outcome, type AuthEvent } from '../auth-event/schema.ts';
import type { StageConfig } from '../config/schema.ts';
import type { TriggerName } from '../cognito/trigger-sources.ts';
import { TriggerEventError } from '../errors.ts';
import { eventIdFor } from '../event-id.ts';
import { COGNITO, identityProviderOf } from '../identity.ts';
import { clientContextOf } from '../pii.ts';
import { parseEmail } from '../policy/email-address.ts';
import { decideSignIn, type SignInDecision } from '../policy/sign-in.ts';
import { own } from '../own.ts';

export interface TriggerContext {
  stage: string;
  config: StageConfig;
  now: Date;
  pipeline: AuthEvent['pipeline'];
  isDisposableDomain: (domain: string) => boolean;
}

export interface TriggerResult {
  /** Fields to set in the payload's `response` block. */
  response: Record<string, unknown>;
  /** The AuthEvent before the PII policy. */
  event: AuthEvent;
  /** Set when the trigger must fail the user's action (pre sign-up policy). */
  denial?: { code: string; message: string };
}

/**
 * What a trigger does when its policy step throws (a bug, a corrupt data file, an
 * input nobody foresaw): refuse the user's action or let it go on. Either way the
 * invocation emits an event with outcome `error` and a PolicyErrors point, which
 * an alarm watches. Per trigger in docs/configuration.md ("Policy errors").
 */
export const PolicyErrorMode = { Deny: 'deny', Allow: 'allow' } as const;
export type PolicyErrorMode = (typeof PolicyErrorMode)[keyof typeof PolicyErrorMode];

export interface TriggerDefinition<T = unknown> {
  name: TriggerName;
  schema: ZodMiniType<T>;
  onPolicyError: PolicyErrorMode;
  /** The event's category and action for a payload: the error event needs them when `run` could not finish. */
  kindOf: (trigger: T) => Pick<AuthEvent, 'category' | 'action'>;
  run: (trigger: T, context: TriggerContext) => TriggerResult;
}

/** Upper bound for any string copied out of a payload, before the PII policy. */
export const MAX_FIELD_LENGTH = 512;
const MAX_GROUPS = 100;

export const capped = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : value.slice(0, MAX_FIELD_LENGTH);

/** The object itself, its undefined-valued keys deleted (absent rather than undefined in the JSON). */
export const withoutUndefined = <T extends object>(value: T): T => {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
};

const flag = (value: string | undefined): boolean | undefined =>
  value === undefined ? undefined : value === 'true';

export interface CommonTrigger {
  version: string | null;
  region: string;
  userPoolId: string;
  userName: string | null;
  callerContext: { clientId: string | null };
  triggerSource: string;
  authtrailReplay?: { source: 'fixture'; file?: string | undefined } | undefined;
  request: { userAttributes: Record<string, string>; clientMetadata: Record<string, string> };
}

/** The email attribute whole (trimmed), or undefined when there is none. */
export const emailOf = (attributes: Record<string, string>): string | undefined => attributes.email?.trim() || undefined;

/** The user block, before the PII policy. */
export const userOf = (userName: string | null, attributes: Record<string, string>): AuthEvent['user'] => {
  const whole = emailOf(attributes);
  return withoutUndefined<AuthEvent['user']>({
    sub: capped(attributes.sub),
    username: capped(userName ?? undefined),
    // Only what is stored is cut; the domain comes from the whole address, normalized as the policies see it.
    email: capped(whole),
    emailDomain: whole === undefined ? undefined : parseEmail(whole)?.domain,
    emailVerified: flag(attributes.email_verified),
    phone: capped(attributes.phone_number?.trim() || undefined),
    phoneVerified: flag(attributes.phone_number_verified),
    status: capped(attributes['cognito:user_status']),
  });
};

/** Everything an AuthEvent takes from the payload and context, before category and outcome. */
export const commonEventOf = (
  trigger: CommonTrigger,
  context: TriggerContext,
  groups: readonly string[],
): Omit<AuthEvent, 'category' | 'action' | 'outcome'> => {
  const clientId = trigger.callerContext.clientId;
  const clientName = clientId === null ? undefined : own(context.config.clients, clientId);
  const clientContext = clientContextOf(trigger.request.clientMetadata, context.config.clientContext);
  return {
    schemaVersion: AUTH_EVENT_SCHEMA_VERSION,
    id: eventIdFor(
      {
        stage: context.stage,
        userPoolId: trigger.userPoolId,
        triggerSource: trigger.triggerSource,
        userName: trigger.userName,
        clientId,
        request: trigger.request,
      },
      context.now,
      context.config.eventIdWindowSeconds,
    ),
    time: context.now.toISOString(),
    stage: context.stage,
    trigger: { source: trigger.triggerSource, version: trigger.version },
    userPool: { id: trigger.userPoolId, region: trigger.region },
    client: clientName === undefined ? { id: clientId } : { id: clientId, name: clientName },
    user: userOf(trigger.userName, trigger.request.userAttributes),
    identityProvider: identityProviderOf(
      trigger.userName,
      trigger.request.userAttributes,
      context.config.identityProviders,
      trigger.triggerSource === 'PreSignUp_ExternalProvider',
    ),
    groups: groups.slice(0, MAX_GROUPS).map((group) => group.slice(0, MAX_FIELD_LENGTH)),
    ...(clientContext === undefined ? {} : { clientContext }),
    pipeline:
      trigger.authtrailReplay === undefined
        ? context.pipeline
        : { ...context.pipeline, replay: trigger.authtrailReplay },
  };
};

/**
 * The sign-in policy over a user's payload (pre authentication, and pre token
 * generation at every token issue): the identifiers and current email as Cognito
 * sends them, federated or not as the common event read it.
 */
export const signInDecisionOf = (
  trigger: Pick<CommonTrigger, 'callerContext' | 'request'> & { userName: string },
  common: Pick<AuthEvent, 'identityProvider'>,
  context: TriggerContext,
): SignInDecision =>
  decideSignIn(
    context.config,
    {
      clientId: trigger.callerContext.clientId,
      userName: trigger.userName,
      sub: trigger.request.userAttributes.sub,
      email: trigger.request.userAttributes.email,
      federated: common.identityProvider.type === 'federated',
    },
    context.isDisposableDomain,
  );

/** The code of a policy error, in the event's reason and in the denial Cognito shows. */
export const POLICY_ERROR = 'POLICY_ERROR' as const;

/** What Cognito shows the user when a policy error denies: nothing about the cause. */
const POLICY_ERROR_MESSAGE = 'This request cannot be completed right now. Please try again later.';

/**
 * The common part of the error event: as much as the payload gives without the
 * step that threw. Each part that fails falls back to what cannot fail (the id
 * over the invocation's plain fields, no user, the pool's own provider).
 */
const errorEventBaseOf = (trigger: CommonTrigger, context: TriggerContext): Omit<AuthEvent, 'category' | 'action' | 'outcome'> => {
  try {
    return commonEventOf(trigger, context, []);
  } catch {
    const clientId = trigger.callerContext.clientId;
    const invocation = { stage: context.stage, userPoolId: trigger.userPoolId, triggerSource: trigger.triggerSource, userName: trigger.userName, clientId };
    return {
      schemaVersion: AUTH_EVENT_SCHEMA_VERSION,
      id: eventIdFor({ ...invocation, request: POLICY_ERROR }, context.now, context.config.eventIdWindowSeconds),
      time: context.now.toISOString(),
      stage: context.stage,
      trigger: { source: trigger.triggerSource, version: trigger.version },
      userPool: { id: trigger.userPoolId, region: trigger.region },
      client: { id: clientId },
      user: withoutUndefined({ sub: capped(trigger.request.userAttributes.sub), username: capped(trigger.userName ?? undefined) }),
      identityProvider: COGNITO,
      groups: [],
      pipeline: context.pipeline,
    };
  }
};

/** The error's class and where it was thrown (file and line, never its message: messages can quote the payload). */
const describeError = (error: unknown): string => {
  const name = error instanceof Error ? error.name.slice(0, 64) : typeof error;
  const frame = error instanceof Error ? /\(?([^\s()]+:\d+:\d+)\)?\s*$/m.exec(error.stack?.split('\n')[1] ?? '')?.[1] : undefined;
  return frame === undefined ? name : `${name} at ${frame.split('/').slice(-2).join('/').slice(-120)}`;
};

/**
 * The definition with its `run` guarded: an exception becomes an error event and,
 * when the definition says so, a denial. A TriggerEventError (a payload we cannot
 * use) passes through unchanged: the runtime reports it as such.
 */
export const defineTrigger = <T extends CommonTrigger>(definition: TriggerDefinition<T>): TriggerDefinition<T> => ({
  ...definition,
  run: (trigger, context) => {
    try {
      return definition.run(trigger, context);
    } catch (error) {
      if (error instanceof TriggerEventError) throw error;
      const denies = definition.onPolicyError === PolicyErrorMode.Deny;
      const reason = {
        code: POLICY_ERROR,
        message: `The ${definition.name} policy failed (${describeError(error)}); the action was ${denies ? 'denied' : 'allowed'}.`,
      };
      return {
        response: {},
        event: { ...errorEventBaseOf(trigger, context), ...definition.kindOf(trigger), outcome: Outcome.Error, reason },
        ...(denies ? { denial: { code: POLICY_ERROR, message: POLICY_ERROR_MESSAGE } } : {}),
      };
    }
  },
});
