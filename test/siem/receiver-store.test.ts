/**
 * Issue 16, item 8, at the receiver: what it counts as stored is what its file
 * holds, line for line. A full disk (injected at the fs boundary) answers 503 so
 * the sender keeps the batch, takes no id, and stores it once there is room; a
 * torn last line left by a crash is cut off when the receiver starts.
 */
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEvents } from '../../lib/siem/formats/index.ts';
import type { SiemReceiver } from '../../local/siem/receiver.ts';
import type { StoreFs } from '../../local/sinks/local-store.ts';
import { goldenEventsWithIds, newSecret, startReceiver } from './helpers.ts';

const secret = newSecret();
let dir: string;
let receiver: SiemReceiver | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'authtrail-receiver-store-'));
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const post = async (body: string) => {
  const at = new Date();
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const response = await fetch((receiver as SiemReceiver).url, {
    method: 'POST',
    headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** The lines of the store file that parse as JSON, and all its lines. */
const parseable = (file: string) => {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  return { lines: lines.length, parseable: lines.filter((line) => { try { JSON.parse(line); return true; } catch { return false; } }).length };
};

/** node:fs, with a disk that has `room.bytes` left (settable). */
const diskWithRoom = (room: { bytes: number }): StoreFs => ({
  openSync: fs.openSync,
  fsyncSync: fs.fsyncSync,
  ftruncateSync: fs.ftruncateSync,
  closeSync: fs.closeSync,
  writeSync: (fd, buffer, offset, length) => {
    if (room.bytes <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const written = writeSync(fd, buffer, offset, Math.min(length, room.bytes));
    room.bytes -= written;
    return written;
  },
});

describe('Receiver store: stored means in the file', () => {
  it('answers 503 on a full disk, stores nothing of the batch, and stores it when room comes back', async () => {
    // Prepare: room for one batch and a part of the next
    const file = join(dir, 'received.ndjson');
    const room = { bytes: 0 };
    receiver = await startReceiver({ secrets: [secret], storeFile: file, fs: diskWithRoom(room) });
    const first = encodeEvents('ndjson', goldenEventsWithIds(3, 'a1')).body;
    const second = encodeEvents('ndjson', goldenEventsWithIds(3, 'a2')).body;
    room.bytes = Buffer.byteLength(first) * 2;

    // Act
    const stored = await post(first);
    const full = await post(second);
    const countsWhenFull = { ...receiver.stats };
    const fileWhenFull = parseable(file);
    room.bytes = Number.POSITIVE_INFINITY;
    const retried = await post(second);

    // Assess
    expect(stored).toMatchObject({ status: 200, body: { stored: 3 } });
    expect(full).toEqual({ status: 503, body: { error: 'not stored (ENOSPC)' } });
    expect(countsWhenFull).toMatchObject({ stored: 3, notStored: 3 });
    expect(fileWhenFull).toEqual({ lines: 3, parseable: 3 });
    expect(retried).toMatchObject({ status: 200, body: { stored: 3, duplicates: 0 } });
    expect(parseable(file)).toEqual({ lines: 6, parseable: 6 });
    expect(receiver.stats.stored).toBe(6);
  });

  it('cuts a torn last line on start, then stores its record again when it is resent', async () => {
    // Prepare: a file a crash left with a torn third record
    const file = join(dir, 'received.ndjson');
    receiver = await startReceiver({ secrets: [secret], storeFile: file });
    await post(encodeEvents('ndjson', goldenEventsWithIds(3, 'b1')).body);
    await receiver.close();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 40));

    // Act
    receiver = await startReceiver({ secrets: [secret], storeFile: file });
    const again = await post(encodeEvents('ndjson', goldenEventsWithIds(3, 'b1')).body);

    // Assess: two ids were held, the third is stored anew, and every line parses
    expect(again.body).toMatchObject({ stored: 1, duplicates: 2 });
    expect(parseable(file)).toEqual({ lines: 3, parseable: 3 });
  });
});
