/**
 * Log-first delivery (docs/delivery.md): a deployed trigger does not call
 * EventBridge on the user's sign-in path. It writes each finished AuthEvent (PII
 * policy applied, schema-checked) as one JSON line to stdout, which Lambda ships
 * to the function's log group after the answer, with nothing to wait for. A
 * CloudWatch Logs subscription filter on EVENT_LOG_FILTER_PATTERN delivers those
 * lines in batches to the `event-log-forwarder` function, which publishes them
 * to the bus under the same ids (lib/publish/log-forwarder.ts).
 *
 * The line shape mirrors the spill line (./spill.ts): a marker, then the event.
 */
import { AuthEventSchema, type AuthEvent } from '../auth-event/schema.ts';
import { PublishError, type EventSink } from '../sinks/sink.ts';
import { MAX_ENTRY_BYTES, fitEntry } from './fit.ts';

export const EVENT_LOG_MARKER = 'authtrail.event' as const;

/** CloudWatch Logs filter pattern of the subscription that feeds the forwarder. */
export const EVENT_LOG_FILTER_PATTERN = `{ $.authtrail = "${EVENT_LOG_MARKER}" }`;

export interface EventLogRecord {
  authtrail: typeof EVENT_LOG_MARKER;
  event: AuthEvent;
}

export const eventLogLine = (event: AuthEvent): string =>
  JSON.stringify({ authtrail: EVENT_LOG_MARKER, event } satisfies EventLogRecord);

/** Why a log line carries no AuthEvent the forwarder can publish: named, never quoting the line. */
export const EventLogLineProblem = {
  NotJson: 'NOT_JSON',
  NotAnEventLine: 'NOT_AN_EVENT_LINE',
  InvalidEvent: 'INVALID_EVENT',
} as const;
export type EventLogLineProblem = (typeof EventLogLineProblem)[keyof typeof EventLogLineProblem];

/**
 * The AuthEvent of an event line, or the problem. Lambda may prefix a line
 * (timestamp, request id, level), so the JSON starts at the first "{".
 */
export const parseEventLogLine = (message: string): { event: AuthEvent } | { problem: EventLogLineProblem } => {
  const start = message.indexOf('{');
  if (start < 0) return { problem: EventLogLineProblem.NotJson };
  let record: unknown;
  try {
    record = JSON.parse(message.slice(start));
  } catch {
    // JSON.parse's message quotes the input: it is not passed on.
    return { problem: EventLogLineProblem.NotJson };
  }
  if (typeof record !== 'object' || record === null || (record as { authtrail?: unknown }).authtrail !== EVENT_LOG_MARKER) {
    return { problem: EventLogLineProblem.NotAnEventLine };
  }
  const parsed = AuthEventSchema.safeParse((record as { event?: unknown }).event);
  return parsed.success ? { event: parsed.data } : { problem: EventLogLineProblem.InvalidEvent };
};

/**
 * The sink of a log-first trigger: one line per event, written synchronously
 * (stdout is a pipe on Lambda, and pipes are synchronous in Node on Linux), so
 * the line is in the log before the answer leaves. Events are fitted to the bus
 * entry limit here, as the bus publisher would, so what the forwarder reads is
 * what it can publish; one that cannot fit is thrown back undelivered, and the
 * handler spills it as it would a bus failure.
 */
export const createEventLogSink = (write: (line: string) => void, limit = MAX_ENTRY_BYTES): EventSink => ({
  publish: async (events) => {
    const oversized: AuthEvent[] = [];
    for (const event of events) {
      const fitted = fitEntry(event, limit);
      if (fitted.bytes > limit) oversized.push(fitted.event);
      else write(eventLogLine(fitted.event));
    }
    if (oversized.length > 0) {
      throw new PublishError(`${oversized.length} of ${events.length} event(s) over ${limit} bytes after trimming`, oversized);
    }
  },
});
