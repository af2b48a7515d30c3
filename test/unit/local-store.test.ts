/**
 * Issue 16, item 8: the local store's NDJSON files lose nothing silently. A real
 * full disk comes from /dev/full (every write fails with ENOSPC, for any user);
 * a disk that fills mid-write, and short writes, are injected at the fs boundary
 * (StoreFs); torn lines are written by hand as a crash leaves them.
 */
import { closeSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { createNdjsonFile, StoreWriteError, type StoreFs } from '../../local/sinks/local-store.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'authtrail-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const records = (count: number, from = 0) => Array.from({ length: count }, (_, index) => ({ n: from + index, email: 'x'.repeat(40) }));
const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');

/** node:fs, except that the device holds `room` more bytes and writes at most `chunk` bytes a call. */
const fillingFs = (room: number, chunk = Number.POSITIVE_INFINITY): StoreFs & { calls: number } => {
  const injected = {
    calls: 0,
    openSync: fs.openSync,
    fsyncSync: fs.fsyncSync,
    ftruncateSync: fs.ftruncateSync,
    closeSync: fs.closeSync,
    writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
      injected.calls += 1;
      if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      const count = Math.min(length, room, chunk);
      const written = writeSync(fd, buffer, offset, count);
      room -= written;
      return written;
    },
  };
  return injected;
};

describe('Local store: every write checked', () => {
  it('continues short writes until the whole line is out', () => {
    // Prepare: a device that takes 7 bytes a call
    const file = join(dir, 'queue.ndjson');
    const injected = fillingFs(Number.POSITIVE_INFINITY, 7);
    const store = createNdjsonFile(file, { fs: injected });

    // Act
    store.append(records(3));
    store.close();

    // Assess
    expect(linesOf(file).map((line) => (JSON.parse(line) as { n: number }).n)).toEqual([0, 1, 2]);
    expect(injected.calls).toBeGreaterThan(3);
    expect({ stored: store.stored, notStored: store.notStored, error: store.error }).toEqual({ stored: 3, notStored: 0, error: undefined });
  });

  it('a disk that fills mid-write: the torn part is cut back, the lines are counted as not stored, and the error thrown names ENOSPC', () => {
    // Prepare: room for the first append and half of the second
    const file = join(dir, 'dlq.ndjson');
    const first = records(2);
    const firstBytes = Buffer.byteLength(first.map((record) => `${JSON.stringify(record)}\n`).join(''));
    const store = createNdjsonFile(file, { fs: fillingFs(firstBytes + 30) });

    // Act
    store.append(first);
    let thrown: unknown;
    try {
      store.append(records(2, 2));
    } catch (error) {
      thrown = error;
    }
    store.close();

    // Assess: the file holds the first two lines, whole, and nothing of the others
    expect(thrown).toBeInstanceOf(StoreWriteError);
    expect(thrown).toMatchObject({ code: 'ENOSPC', linesNotStored: 2, message: `2 line(s) not stored in ${file}: no space left on device (ENOSPC)` });
    expect(readFileSync(file, 'utf8')).toBe(first.map((record) => `${JSON.stringify(record)}\n`).join(''));
    expect({ stored: store.stored, notStored: store.notStored }).toEqual({ stored: 2, notStored: 2 });
  });

  it('buffered: a flush that fails is counted, not thrown, and reported after close', () => {
    // Prepare
    const file = join(dir, 'events.ndjson');
    const store = createNdjsonFile(file, { buffered: true, fs: fillingFs(100) });

    // Act
    store.append(records(5));
    store.close();

    // Assess
    expect(store.notStored).toBe(5);
    expect(store.error?.code).toBe('ENOSPC');
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('a real full device (/dev/full): ENOSPC from the kernel, every line counted as not stored', () => {
    // Prepare: the store file is /dev/full, as a full disk would be
    const file = join(dir, 'queue.ndjson');
    symlinkSync('/dev/full', file);
    const store = createNdjsonFile(file, { buffered: true });

    // Act
    store.append(records(4));
    store.close();

    // Assess
    expect(store.notStored).toBe(4);
    expect(store.error).toMatchObject({ code: 'ENOSPC' });
  });
});

describe('Local store: torn lines', () => {
  it('cuts a torn last line on open, so the next line is not glued onto it', () => {
    // Prepare: a crash left half a record without its newline
    const file = join(dir, 'queue.ndjson');
    writeFileSync(file, '{"n":0}\n{"n":1}\n{"n":2,"em');

    // Act
    const store = createNdjsonFile(file);
    store.append([{ n: 3 }]);
    store.close();

    // Assess
    expect(readFileSync(file, 'utf8')).toBe('{"n":0}\n{"n":1}\n{"n":3}\n');
    expect(store.repairedBytes).toBe('{"n":2,"em'.length);
  });

  it('cuts a file that is one torn line (no newline at all) to empty, and leaves a whole file alone', () => {
    // Prepare
    const torn = join(dir, 'torn.ndjson');
    const whole = join(dir, 'whole.ndjson');
    writeFileSync(torn, `{"n":0,"pad":"${'y'.repeat(100_000)}`);
    writeFileSync(whole, '{"n":0}\n');

    // Act
    const tornStore = createNdjsonFile(torn, { openNow: true });
    const wholeStore = createNdjsonFile(whole, { openNow: true });
    tornStore.close();
    wholeStore.close();

    // Assess
    expect(readFileSync(torn, 'utf8')).toBe('');
    expect(readFileSync(whole, 'utf8')).toBe('{"n":0}\n');
    expect([tornStore.repairedBytes, wholeStore.repairedBytes]).toEqual([100_014, 0]);
  });

  it('syncs at close (fsync called on the descriptor it wrote)', () => {
    // Prepare
    const file = join(dir, 'synced.ndjson');
    const synced: number[] = [];
    const store = createNdjsonFile(file, {
      buffered: true,
      fs: { ...fillingFs(Number.POSITIVE_INFINITY), fsyncSync: (fd: number) => void synced.push(fd), closeSync: (fd: number) => closeSync(fd) },
    });

    // Act
    store.append(records(2));
    store.close();

    // Assess
    expect(synced).toHaveLength(1);
    expect(linesOf(file)).toHaveLength(2);
  });
});
