/**
 * One trigger invocation, end to end and free of I/O: check the payload, run
 * the trigger's step, apply the PII policy, and build the answer for Cognito.
 * The Lambda handler and the local replay both come through here.
 */
import { AuthEventSchema, type AuthEvent } from '../auth-event/schema.ts';
import { TriggerEnvelopeSchema } from '../cognito/schemas.ts';
import { sourcesOf } from '../cognito/trigger-sources.ts';
import { formatIssues } from '../config/load.ts';
import { ProblemCode, TriggerEventError } from '../errors.ts';
import { applyPiiPolicy } from '../pii.ts';
import type { TriggerContext, TriggerDefinition } from '../triggers/definition.ts';

export interface Processed {
  /** The payload as received, with its `response` block filled: what Cognito expects back. */
  response: Record<string, unknown>;
  /** AuthEvents after the PII policy, ready to publish. */
  events: AuthEvent[];
  denial?: { code: string; message: string };
}

export interface ProcessContext extends Omit<TriggerContext, 'now'> {
  piiKey: string;
  clock: () => Date;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An AuthEvent as it leaves authtrail: the PII policy applied, then checked
 * against its own schema. The check catches a bug before it reaches the SOC and
 * puts the fields in schema order; a failure here is a bug, and the caller fails
 * open.
 */
export const finalizeEvent = (event: AuthEvent, context: Pick<ProcessContext, 'config' | 'piiKey'>): AuthEvent =>
  AuthEventSchema.parse(applyPiiPolicy(event, context.config.pii, context.piiKey));

/** Throws TriggerEventError (INVALID_EVENT or UNSUPPORTED_TRIGGER) for payloads it cannot use. */
export const processTrigger = <T>(
  definition: TriggerDefinition<T>,
  payload: unknown,
  context: ProcessContext,
): Processed => {
  if (!isRecord(payload)) {
    throw new TriggerEventError(ProblemCode.InvalidEvent, 'event: expected a JSON object');
  }
  const envelope = TriggerEnvelopeSchema.safeParse(payload);
  if (!envelope.success) {
    throw new TriggerEventError(ProblemCode.InvalidEvent, formatIssues(envelope.error.issues), {
      cause: envelope.error,
    });
  }
  const handled = sourcesOf(definition.name);
  if (!handled.includes(envelope.data.triggerSource)) {
    throw new TriggerEventError(
      ProblemCode.UnsupportedTrigger,
      `triggerSource "${envelope.data.triggerSource.slice(0, 100)}" is not handled by ${definition.name} (handles ${handled.join(', ')})`,
    );
  }
  const parsed = definition.schema.safeParse(payload);
  if (!parsed.success) {
    throw new TriggerEventError(ProblemCode.InvalidEvent, formatIssues(parsed.error.issues), { cause: parsed.error });
  }

  const result = definition.run(parsed.data, { ...context, now: context.clock() });
  const event = finalizeEvent(result.event, context);
  const previous = isRecord(payload.response) ? payload.response : {};
  return {
    response: { ...payload, response: { ...previous, ...result.response } },
    events: [event],
    ...(result.denial === undefined ? {} : { denial: result.denial }),
  };
};
