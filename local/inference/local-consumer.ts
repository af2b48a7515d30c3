/**
 * Failed sign-in inference on the local store: the consumer reads the stage's
 * events log (`logs/events.ndjson`, what the bus's log rule delivered) from where
 * it stopped last time, keeps its state in a file (./state-store.ts), and puts the
 * failed sign-ins it infers back on the bus through `sink`, so the bus's rules
 * route them to the log and the SIEM queue like every other AuthEvent.
 * On AWS the same engine sits behind a rule on the bus (docs/delivery.md).
 */
import { dirname, join } from 'node:path';
import { AuthEventSchema, type AuthEvent } from '../../lib/auth-event/schema.ts';
import { RuleTarget } from '../../lib/routing/rules.ts';
import type { EventSink } from '../../lib/sinks/sink.ts';
import { storePaths } from '../sinks/local-store.ts';
import { linesFrom, readCursor, writeCursor } from '../sinks/ndjson-cursor.ts';
import { createFailedSignInInference } from '../../lib/inference/failed-sign-in.ts';
import { createFileStateStore, localStateFile } from './state-store.ts';

export interface LocalInferenceReport {
  /** Events read from the log since the last run. */
  read: number;
  failed: AuthEvent[];
}

export const runLocalInference = async (options: {
  storeDir: string;
  stage: string;
  windowSeconds: number;
  now: Date;
  sink: EventSink;
}): Promise<LocalInferenceReport> => {
  const log = storePaths(options.storeDir, options.stage)[RuleTarget.EventsLog];
  const stateFile = localStateFile(options.storeDir, options.stage);
  const cursorFile = join(dirname(stateFile), 'events.cursor.json');
  // One clock, `now`, for the engine and its store (a test may move it forward).
  const clock = () => options.now;
  const inference = createFailedSignInInference(createFileStateStore(stateFile, () => options.now.getTime()), {
    windowSeconds: options.windowSeconds,
    clock,
  });

  const lines = linesFrom(log, readCursor(cursorFile));
  let read = 0;
  for (const line of lines) {
    // Anything on the bus that is not an AuthEvent (a start-up probe, say) is not ours to read.
    const parsed = AuthEventSchema.safeParse((JSON.parse(line.text) as { detail?: unknown }).detail);
    if (!parsed.success) continue;
    read += 1;
    await inference.observe(parsed.data);
  }
  // The log is a finished batch up to `now`: every event written by then has been read (`completeUntil`).
  const failed = await inference.sweep({ emit: (events) => options.sink.publish(events), completeUntil: options.now });
  // Moved once everything read is in the state file; the failed events are on the bus by then.
  const last = lines.at(-1);
  if (last !== undefined) writeCursor(cursorFile, last.end);
  return { read, failed };
};
