/**
 * What every trigger step shares: the context it runs in, the common part of an
 * AuthEvent, and the shape of its result. Steps are pure: time, config and the
 * disposable-domain lookup come in through the context.
 */
import type { ZodMiniType } from 'zod/mini';
import { AUTH_EVENT_SCHEMA_VERSION, type AuthEvent } from '../auth-event/schema.ts';
import type { StageConfig } from '../config/schema.ts';
import type { TriggerName } from '../cognito/trigger-sources.ts';
import { eventIdFor } from '../event-id.ts';
import { identityProviderOf } from '../identity.ts';
import { clientContextOf } from '../pii.ts';
import { parseEmail } from '../policy/email-address.ts';
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

export interface TriggerDefinition<T = unknown> {
  name: TriggerName;
  schema: ZodMiniType<T>;
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
