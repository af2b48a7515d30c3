/**
 * The local store: files under `.authtrail/<stage>/` (git-ignored) that stand in
 * for the stage's AWS resources when replaying locally.
 *
 * - `logs/events.ndjson`: the CloudWatch Logs group `/authtrail/<stage>/events`,
 *   one EventBridge envelope per line, as the log-group rule target writes them.
 * - `queues/siem.ndjson`: the SIEM queue, one message body per line.
 * - `logs/spill.ndjson`: events the bus did not take, as spill lines.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RuleTarget } from '../routing/rules.ts';

export const DEFAULT_STORE_DIR = '.authtrail';

export const storePaths = (storeDir: string, stage: string) => ({
  root: join(storeDir, stage),
  [RuleTarget.EventsLog]: join(storeDir, stage, 'logs', 'events.ndjson'),
  [RuleTarget.SiemQueue]: join(storeDir, stage, 'queues', 'siem.ndjson'),
  spill: join(storeDir, stage, 'logs', 'spill.ndjson'),
});

/** Removes a stage's local store so a replay starts from nothing. */
export const clearStore = (storeDir: string, stage: string): void => {
  rmSync(storePaths(storeDir, stage).root, { recursive: true, force: true });
};

/** Appends JSON lines to a file, creating its folder on first use. */
export const createNdjsonFile = (file: string) => {
  let ready = false;
  return {
    file,
    append: (records: readonly unknown[]): void => {
      if (records.length === 0) return;
      if (!ready) {
        mkdirSync(dirname(file), { recursive: true });
        ready = true;
      }
      appendFileSync(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    },
  };
};
