/**
 * The local store: files under `.authtrail/<stage>/` (git-ignored) that stand in
 * for the stage's AWS resources when replaying locally.
 *
 * - `logs/events.ndjson`: the CloudWatch Logs group `/authtrail/<stage>/events`,
 *   one EventBridge envelope per line, as the log-group rule target writes them.
 * - `queues/siem.ndjson`: the SIEM queue, one message body per line.
 * - `logs/spill.ndjson`: events the bus did not take, as spill lines.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { AuthtrailError } from '../../lib/errors.ts';

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
 * The file-system calls a store makes, for tests to inject faults at this
 * boundary (a short write, ENOSPC after N bytes) where a real full disk is not
 * at hand. Defaults: node:fs.
 */
export interface StoreFs {
  openSync: typeof openSync;
  writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
  fsyncSync: typeof fsyncSync;
  ftruncateSync: typeof ftruncateSync;
  closeSync: typeof closeSync;
}

const nodeFs: StoreFs = {
  openSync,
  writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  fsyncSync,
  ftruncateSync,
  closeSync,
};

/** A write the device took 0 bytes of (a full device, as the kernel would say with ENOSPC): the cause of a StoreWriteError. */
export class ZeroByteWriteError extends AuthtrailError {
  readonly code = 'ENOSPC' as const;
  constructor() {
    super('write took 0 bytes');
    this.name = 'ZeroByteWriteError';
  }
}

/** Lines a store could not write: the disk is full, or the write failed otherwise. `code` is the errno code (ENOSPC…). */
export class StoreWriteError extends AuthtrailError {
  readonly code: string;
  readonly file: string;
  /** Lines of this write that are not in the file (none of them is: a partial write is cut back). */
  readonly linesNotStored: number;
  constructor(file: string, linesNotStored: number, options: { cause: unknown }) {
    const code = (options.cause as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
    super(
      `${linesNotStored} line(s) not stored in ${file}: ${code === 'ENOSPC' ? 'no space left on device' : 'write failed'} (${code})`,
      options,
    );
    this.name = 'StoreWriteError';
    this.code = code;
    this.file = file;
    this.linesNotStored = linesNotStored;
  }
}

/**
 * Cuts a torn last line (no newline: a crash or a full disk mid-write) off an
 * NDJSON file, so the next append starts on a line of its own instead of
 * gluing onto half a record. Returns the file's size after, and the bytes cut.
 */
export const repairTornTail = (fd: number, fs: Pick<StoreFs, 'ftruncateSync'> = nodeFs): { size: number; cut: number } => {
  const size = fstatSync(fd).size;
  if (size === 0) return { size, cut: 0 };
  const block = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const read = readSync(fd, block, 0, end - start, start);
    const newline = block.subarray(0, read).lastIndexOf(0x0a);
    if (newline >= 0) {
      const keep = start + newline + 1;
      if (keep < size) fs.ftruncateSync(fd, keep);
      return { size: keep, cut: size - keep };
    }
    end = start;
  }
  fs.ftruncateSync(fd, 0);
  return { size: 0, cut: size };
};

export interface NdjsonFile {
  file: string;
  /**
   * Appends records, one JSON line each. Unbuffered: written now, or a
   * StoreWriteError (nothing of it in the file). Buffered: held until 256 KB or
   * `close()`; a failed flush is counted in `notStored`, not thrown, so a bulk
   * writer learns of it at the end.
   */
  append(records: readonly unknown[]): void;
  /** Writes out what is held, fsyncs and closes. Check `notStored` / `error` after. */
  close(): void;
  /** Lines written and synced or pending sync; lines lost to failed writes. */
  readonly stored: number;
  readonly notStored: number;
  /** The first write failure, if any. */
  readonly error: StoreWriteError | undefined;
  /** Bytes of a torn last line cut off when the file was opened. */
  readonly repairedBytes: number;
}

/**
 * Appends JSON lines to a file, creating its folder on first use, through one
 * open descriptor (appendFileSync per event opens and closes the file each time,
 * which dominated replay time). With `buffered`, lines are held until 256 KB or
 * `close()`: for bulk writers that flush when done; otherwise every
 * append is written at once.
 *
 * Durable: a torn last line is cut off on open; every write's byte count is
 * checked and a short one continued; a write that fails (ENOSPC) is cut back to
 * the last whole line and counted; `close()` fsyncs (`syncEachAppend`: every
 * append, for a writer that confirms each one, like the SIEM receiver).
 */
export const createNdjsonFile = (
  file: string,
  {
    buffered: buffering = false,
    serialize = JSON.stringify,
    syncEachAppend = false,
    openNow = false,
    fs = nodeFs,
  }: {
    buffered?: boolean;
    /** A record's JSON text; a caller writing one record to several files can serialize it once. */
    serialize?: (record: unknown) => string;
    syncEachAppend?: boolean;
    /** Open (and repair) the file now, not at the first write: for a writer that reads it back first. */
    openNow?: boolean;
    fs?: StoreFs;
  } = {},
): NdjsonFile => {
  let fd: number | undefined;
  /** The file's size as far as this writer knows: where a failed write is cut back to. */
  let size = 0;
  let buffer: string[] = [];
  let buffered = 0;
  let stored = 0;
  let notStored = 0;
  let repairedBytes = 0;
  let error: StoreWriteError | undefined;

  const open = (): number => {
    if (fd !== undefined) return fd;
    mkdirSync(dirname(file), { recursive: true });
    // a+: appends, and lets the repair read the tail.
    const opened = fs.openSync(file, 'a+');
    const repaired = repairTornTail(opened, fs);
    fd = opened;
    size = repaired.size;
    repairedBytes = repaired.cut;
    return opened;
  };

  /** Writes the held lines; on failure cuts the file back to its last whole line and throws. */
  const flush = (): void => {
    if (buffer.length === 0) return;
    const lines = buffer.length;
    const bytes = Buffer.from(buffer.join(''), 'utf8');
    buffer = [];
    buffered = 0;
    let descriptor: number | undefined;
    let written = 0;
    try {
      descriptor = open();
      while (written < bytes.length) {
        const count = fs.writeSync(descriptor, bytes, written, bytes.length - written);
        // A write of 0 bytes would loop for ever: the device takes nothing more.
        if (count <= 0) throw new ZeroByteWriteError();
        written += count;
      }
      if (syncEachAppend) fs.fsyncSync(descriptor);
    } catch (cause) {
      if (descriptor !== undefined && written > 0) {
        try {
          fs.ftruncateSync(descriptor, size);
        } catch {
          // Cut back on the next open (repairTornTail), if not now.
        }
      }
      notStored += lines;
      const failure = new StoreWriteError(file, lines, { cause });
      error ??= failure;
      throw failure;
    }
    size += bytes.length;
    stored += lines;
  };

  if (openNow) open();

  return {
    file,
    append: (records) => {
      for (const record of records) {
        const line = `${serialize(record)}\n`;
        buffer.push(line);
        buffered += line.length;
      }
      if (!buffering) return flush();
      if (buffered < FLUSH_BYTES) return;
      try {
        flush();
      } catch (failure) {
        if (!(failure instanceof StoreWriteError)) throw failure;
      }
    },
    close: () => {
      try {
        flush();
      } catch (failure) {
        if (!(failure instanceof StoreWriteError)) throw failure;
      }
      if (fd === undefined) return;
      try {
        fs.fsyncSync(fd);
      } catch (cause) {
        // The lines were written but may not survive a crash: said, not hidden.
        error ??= new StoreWriteError(file, 0, { cause });
      }
      fs.closeSync(fd);
      fd = undefined;
    },
    get stored() {
      return stored;
    },
    get notStored() {
      return notStored;
    },
    get error() {
      return error;
    },
    get repairedBytes() {
      return repairedBytes;
    },
  };
};
