/**
 * The local store: files under `.authtrail/<stage>/` (git-ignored) that stand in
 * for the stage's AWS resources when replaying locally.
 *
 * - `logs/events.ndjson`: the CloudWatch Logs group `/authtrail/<stage>/events`,
 *   one EventBridge envelope per line, as the log-group rule target writes them.
 * - `queues/siem.ndjson`: the SIEM queue, one message body per line.
 * - `logs/spill.ndjson`: events the bus did not take, as spill lines.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RuleTarget } from '../routing/rules.ts';

export const DEFAULT_STORE_DIR = '.authtrail';

export const storePaths = (storeDir: string, stage: string) => ({
  root: join(storeDir, stage),
  [RuleTarget.EventsLog]: join(storeDir, stage, 'logs', 'events.ndjson'),
  [RuleTarget.SiemQueue]: join(storeDir, stage, 'queues', 'siem.ndjson'),
  spill: join(storeDir, stage, 'logs', 'spill.ndjson'),
});

/** The local SIEM queue and, beside it, the forwarder's cursor and its dead letters. */
export const siemStorePaths = (storeDir: string, stage: string) => {
  const queue = storePaths(storeDir, stage)[RuleTarget.SiemQueue];
  return {
    queue,
    cursor: join(dirname(queue), 'siem.cursor.json'),
    dlq: join(dirname(queue), 'siem-dlq.ndjson'),
  };
};

/** Removes a stage's local store so a replay starts from nothing. */
export const clearStore = (storeDir: string, stage: string): void => {
  rmSync(storePaths(storeDir, stage).root, { recursive: true, force: true });
};

/** Flush threshold: large enough that writes are rare, small enough to bound memory. */
const FLUSH_BYTES = 256 * 1024;

/**
 * Appends JSON lines to a file, creating its folder on first use, through one
 * open descriptor (appendFileSync per event opens and closes the file each time,
 * which dominated replay time). With `buffered`, lines are held until 256 KB or
 * `close()`: for bulk writers that flush when done; otherwise every
 * append is written at once.
 */
export const createNdjsonFile = (
  file: string,
  {
    buffered: buffering = false,
    serialize = JSON.stringify,
  }: {
    buffered?: boolean;
    /** A record's JSON text; a caller writing one record to several files can serialize it once. */
    serialize?: (record: unknown) => string;
  } = {},
) => {
  let fd: number | undefined;
  let buffer: string[] = [];
  let buffered = 0;
  const flush = (): void => {
    if (buffer.length === 0) return;
    if (fd === undefined) {
      mkdirSync(dirname(file), { recursive: true });
      fd = openSync(file, 'a');
    }
    writeSync(fd, buffer.join(''));
    buffer = [];
    buffered = 0;
  };
  return {
    file,
    append: (records: readonly unknown[]): void => {
      for (const record of records) {
        const line = `${serialize(record)}\n`;
        buffer.push(line);
        buffered += line.length;
      }
      if (!buffering || buffered >= FLUSH_BYTES) flush();
    },
    close: (): void => {
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
};
