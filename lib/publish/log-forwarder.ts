/**
 * The second half of log-first delivery (./event-log.ts): a CloudWatch Logs
 * subscription on the trigger log groups hands this forwarder batches of event
 * lines; it publishes the AuthEvents they carry to the stage bus, unchanged and
 * under their own ids, and spills what the bus does not take to its own log,
 * where recover-spilled finds it (lib/recover/recover.ts). So nothing the
 * triggers logged is lost while the bus misbehaves.
 *
 * A line that carries no valid AuthEvent is reported by log event id and group
 * (never with its content) and skipped: a retry would not make it readable, and
 * throwing would make Lambda send the good ones again.
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import { decodeSubscriptionEvent, SubscriptionPayloadError } from '../cognito-logs/subscription.ts';
import { ProblemCode } from '../errors.ts';
import { publishOrSpill, type TriggerRuntime } from '../runtime/handler.ts';
import { parseEventLogLine, type EventLogLineProblem } from './event-log.ts';

/**
 * The bus deadline of one delivery, in ms: PutEvents calls of 10 entries go one
 * after another (~20 ms each in region), so a delivery of a few thousand lines
 * fits in the default; what does not is spilled and recovered, never retried by
 * Lambda (which would publish the delivered ones again).
 */
export const FORWARD_DEADLINE_MS = { default: 20_000, min: 50, max: 25_000 } as const;

export interface ForwardSummary {
  received: number;
  published: number;
  /** Lines that carried no AuthEvent, and repeats of an id already in the batch. */
  skipped: number;
  spilled: number;
}

export interface ForwardProblem {
  code: EventLogLineProblem | typeof ProblemCode.UnreadablePayload | typeof ProblemCode.PublishFailed;
  message: string;
  logGroup?: string;
  logEventId?: string;
}

export type ForwarderRuntime = Pick<TriggerRuntime, 'sink' | 'spill' | 'metrics' | 'logger'>;

const NOTHING: ForwardSummary = { received: 0, published: 0, skipped: 0, spilled: 0 };

export const createEventLogForwarder = (runtime: ForwarderRuntime, onProblem?: (problem: ForwardProblem) => void) => {
  const report = (problem: ForwardProblem): void => {
    runtime.logger.error('authtrail.problem', { problem });
    onProblem?.(problem);
  };

  return async (payload: unknown): Promise<ForwardSummary> => {
    let data;
    try {
      data = decodeSubscriptionEvent(payload);
    } catch (error) {
      if (!(error instanceof SubscriptionPayloadError)) throw error;
      report({ code: ProblemCode.UnreadablePayload, message: error.message });
      return { ...NOTHING };
    }
    // CONTROL_MESSAGE: CloudWatch Logs checking the destination is reachable.
    if (data.messageType !== 'DATA_MESSAGE') return { ...NOTHING };

    const byId = new Map<string, AuthEvent>();
    for (const logEvent of data.logEvents) {
      const line = parseEventLogLine(logEvent.message);
      if ('problem' in line) {
        report({ code: line.problem, message: 'log line carries no AuthEvent', logGroup: data.logGroup, logEventId: logEvent.id });
      } else if (!byId.has(line.event.id)) {
        byId.set(line.event.id, line.event);
      }
    }
    const events = [...byId.values()];
    const summary = { received: data.logEvents.length, published: 0, skipped: data.logEvents.length - events.length, spilled: 0 };
    if (events.length === 0) return summary;

    const { undelivered, error } = await publishOrSpill(runtime, events);
    summary.spilled = undelivered.length;
    summary.published = events.length - undelivered.length;
    if (error !== undefined) report({ code: ProblemCode.PublishFailed, message: error, logGroup: data.logGroup });
    return summary;
  };
};
