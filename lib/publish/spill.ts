/**
 * The spill log: when an event cannot reach the bus in time, the trigger writes
 * it as one JSON line to its own log (CloudWatch Logs on AWS), with a stable
 * marker, and answers Cognito as usual. `npm run recover` and the scheduled
 * recover function find these lines (FilterLogEvents with SPILL_FILTER_PATTERN)
 * and publish the events again, under their original ids.
 */
import { AuthEventSchema, type AuthEvent } from '../auth-event/schema.ts';
import type { Spill } from '../sinks/sink.ts';

export const SPILL_MARKER = 'authtrail.spill' as const;

/** CloudWatch Logs filter pattern matching spill lines. */
export const SPILL_FILTER_PATTERN = `{ $.authtrail = "${SPILL_MARKER}" }`;

export interface SpillRecord {
  authtrail: typeof SPILL_MARKER;
  spilledAt: string;
  reason: string;
  event: AuthEvent;
}

export const spillRecord = (event: AuthEvent, reason: string, at: Date): SpillRecord => ({
  authtrail: SPILL_MARKER,
  spilledAt: at.toISOString(),
  reason,
  event,
});

export const spillLine = (event: AuthEvent, reason: string, at: Date): string => JSON.stringify(spillRecord(event, reason, at));

/**
 * Spill lines go straight to stdout, which Lambda sends to the function's log
 * group: no log level or logger setting can silence them.
 */
export const spillToStdout: Spill = (events, reason) => {
  const at = new Date();
  for (const event of events) process.stdout.write(`${spillLine(event, reason, at)}\n`);
};

/**
 * The spill record in a log message, or undefined. Lambda may prefix lines
 * (timestamp, request id, level), so the JSON starts at the first "{".
 */
export const parseSpillLine = (message: string): SpillRecord | undefined => {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(message.slice(start));
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { authtrail, spilledAt, reason, event } = record as Record<string, unknown>;
  if (authtrail !== SPILL_MARKER || typeof spilledAt !== 'string' || typeof reason !== 'string') return undefined;
  const parsed = AuthEventSchema.safeParse(event);
  return parsed.success ? { authtrail, spilledAt, reason, event: parsed.data } : undefined;
};
