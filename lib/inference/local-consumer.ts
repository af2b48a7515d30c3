/**
 * Failed sign-in inference on the local store: the consumer reads the stage's
 * events log (`logs/events.ndjson`, what the bus's log rule delivered) from where
 * it stopped last time, keeps its state in a file (./state-store.ts), and puts the
 * failed sign-ins it infers back on the bus through `sink`, so the bus's rules
 * route them to the log and the SIEM queue like every other AuthEvent.
 * On AWS the same engine sits behind a rule on the bus (docs/delivery.md).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AuthEventSchema, type AuthEvent } from '../auth-event/schema.ts';
import { RuleTarget } from '../routing/rules.ts';
import type { EventSink } from '../sinks/sink.ts';
import { storePaths } from '../sinks/local-store.ts';
import { createFailedSignInInference } from './failed-sign-in.ts';
import { createFileStateStore, localStateFile } from './state-store.ts';

export interface LocalInferenceReport {
  /** Events read from the log since the last run. */
  read: number;
  failed: AuthEvent[];
}

const readOffset = (file: string): number => {
  if (!existsSync(file)) return 0;
  const offset = (JSON.parse(readFileSync(file, 'utf8')) as { offset?: unknown }).offset;
  return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : 0;
};

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
  // The state expires on the events' clock, which is `now` here (a test may move it forward).
  const inference = createFailedSignInInference(createFileStateStore(stateFile, () => options.now.getTime()), options);

  const content = existsSync(log) ? readFileSync(log) : Buffer.alloc(0);
  const offset = readOffset(cursorFile);
  // A log emptied or replaced (npm start --fresh) starts over.
  const start = offset > content.length ? 0 : offset;
  const end = content.lastIndexOf(0x0a) + 1;
  let read = 0;
  if (end > start) {
    for (const line of content.subarray(start, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      // Anything on the bus that is not an AuthEvent (a start-up probe, say) is not ours to read.
      const parsed = AuthEventSchema.safeParse((JSON.parse(line) as { detail?: unknown }).detail);
      if (!parsed.success) continue;
      read += 1;
      await inference.observe(parsed.data);
    }
  }
  const failed = await inference.sweep(options.now, (events) => options.sink.publish(events));
  // Moved once everything read is in the state file; the failed events are on the bus by then.
  mkdirSync(dirname(cursorFile), { recursive: true });
  writeFileSync(`${cursorFile}.tmp`, JSON.stringify({ offset: Math.max(start, end) }));
  renameSync(`${cursorFile}.tmp`, cursorFile);
  return { read, failed };
};
