/**
 * Nothing lost, nothing stored twice, locally and end to end: the local store's
 * SIEM queue delivered to the local receiver over loopback HTTP while it fails,
 * drops connections and refuses content; dead letters redriven; every AuthEvent
 * id stored exactly once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { StageConfigSchema } from '../../lib/config/schema.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { deliverLocalQueue, type LocalDeadLetter } from '../../local/siem/local-forwarder.ts';
import { siemStorePaths } from '../../local/sinks/local-store.ts';
import { receivedFile, startSiemReceiver, type SiemReceiver } from '../../local/siem/receiver.ts';
import { deliverToLocalReceiver } from '../../local/siem/local-siem.ts';
import { redriveLocal } from '../../local/siem/redrive.ts';
import { createNdjsonFile } from '../../local/sinks/local-store.ts';
import { readCursor } from '../../local/sinks/ndjson-cursor.ts';
import { goldenEvents, newSecret, startReceiver } from './helpers.ts';

const STAGE = 'dev';
const secret = newSecret();
/** Fast retries: the schedule itself is tested in delivery.test.ts. */
const siem = StageConfigSchema.parse({ siem: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } } }).siem;

let storeDir: string;
let receiver: SiemReceiver;

/** Appends envelopes to the local SIEM queue exactly as the in-process bus does. */
const enqueue = (events: readonly AuthEvent[]) =>
  createNdjsonFile(siemStorePaths(storeDir, STAGE).queue).append(events.map((event) => toBusEnvelope(event, '000000000000', 'local')));

const deliver = (options: { maxEvents?: number } = {}) =>
  deliverLocalQueue({
    stage: STAGE,
    storeDir,
    url: receiver.url,
    siem: { ...siem, batch: { ...siem.batch, maxEvents: options.maxEvents ?? siem.batch.maxEvents } },
    credentials: { webhookSecrets: [secret] },
  });

const deadLetters = (): LocalDeadLetter[] => {
  const file = siemStorePaths(storeDir, STAGE).dlq;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LocalDeadLetter);
};

const storedIds = () => receiver.stored.map((record) => record.id);

beforeEach(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'authtrail-siem-'));
  receiver = await startReceiver({ secrets: [secret], storeFile: receivedFile(storeDir, STAGE) });
});
afterEach(async () => {
  await receiver.close();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('Local forwarder: the local SIEM queue to the receiver', () => {
  it('delivers every queued event once; a re-run sends only lines added since (cursor)', async () => {
    // Prepare
    const events = goldenEvents();
    enqueue(events);

    // Act
    const first = await deliver();
    const again = await deliver();
    const added = events.slice(0, 2).map((event, index) => ({ ...event, id: `${'e'.repeat(31)}${index}` }));
    enqueue(added);
    const third = await deliver();

    // Assess
    expect(first).toMatchObject({ read: 31, delivered: 31, rejected: 0, failed: 0, pending: 0, requests: 1 });
    expect(again).toMatchObject({ read: 0, requests: 0 });
    expect(third).toMatchObject({ read: 2, delivered: 2, requests: 1 });
    expect(storedIds()).toEqual([...events, ...added].map((event) => event.id));
  });

  it('SIEM down -> DLQ -> redrive -> each event id stored exactly once, none lost at any step', async () => {
    // Prepare
    const emitted = goldenEvents();
    enqueue(emitted);
    receiver.setFaults([], { kind: 'status', status: 503, retryAfter: '0' });

    // Act: the SIEM is down
    const down = await deliver();
    const storedWhileDown = storedIds().length;
    const lettered = deadLetters();
    // Act: it is back; the dead letters go back on the queue and out again
    receiver.setFaults([]);
    const redriven = redriveLocal({ storeDir, stage: STAGE });
    const up = await deliver();

    // Assess
    expect(down).toMatchObject({ read: 31, delivered: 0, failed: 31, requests: 3 });
    expect(storedWhileDown).toBe(0);
    expect(lettered).toHaveLength(31);
    expect(lettered[0]).toMatchObject({ retryable: true, reason: expect.stringContaining('HTTP 503') });
    expect(down.delivered + lettered.length).toBe(emitted.length);
    expect(redriven).toMatchObject({ moved: 31, kept: 0 });
    expect(deadLetters()).toHaveLength(0);
    expect(up).toMatchObject({ read: 31, delivered: 31, failed: 0 });
    expect(storedIds().sort()).toEqual(emitted.map((event) => event.id).sort());
    expect(new Set(storedIds()).size).toBe(storedIds().length);
  });

  it('a connection dropped after the SIEM stored the batch: resent, and the receiver keeps one copy of each', async () => {
    // Prepare
    const emitted = goldenEvents();
    enqueue(emitted);
    receiver.setFaults([{ kind: 'drop', afterStore: true }]);

    // Act
    const report = await deliver();

    // Assess
    expect(report).toMatchObject({ delivered: 31, requests: 2 });
    expect(receiver.stats).toMatchObject({ stored: 31, duplicates: 31 });
    expect(storedIds()).toEqual(emitted.map((event) => event.id));
  });

  it('content the SIEM refuses goes to the DLQ with the reason; the rest is delivered; after the fix, redrive completes it', async () => {
    // Prepare
    const emitted = goldenEvents();
    enqueue(emitted);
    receiver.setFaults([{ kind: 'status', status: 400, body: 'field too long' }]);

    // Act
    const refused = await deliver({ maxEvents: 10 });
    const lettered = deadLetters();
    const redriven = redriveLocal({ storeDir, stage: STAGE });
    const completed = await deliver({ maxEvents: 10 });

    // Assess
    expect(refused).toMatchObject({ read: 31, delivered: 21, rejected: 10, failed: 0 });
    expect(lettered).toHaveLength(10);
    expect(lettered[0]).toMatchObject({ retryable: false, reason: 'HTTP 400 (26-byte body) (not retried)' });
    expect(refused.delivered + lettered.length).toBe(emitted.length);
    expect(redriven.moved).toBe(10);
    expect(completed).toMatchObject({ read: 10, delivered: 10 });
    expect(storedIds().sort()).toEqual(emitted.map((event) => event.id).sort());
  });

  it('a restarted receiver still drops ids it stored before', async () => {
    // Prepare
    const emitted = goldenEvents();
    enqueue(emitted);
    await deliver();
    await receiver.close();
    receiver = await startSiemReceiver({ secrets: [secret], storeFile: receivedFile(storeDir, STAGE) });
    rmSync(siemStorePaths(storeDir, STAGE).cursor);

    // Act
    const resent = await deliver();

    // Assess
    expect(resent).toMatchObject({ delivered: 31 });
    expect(receiver.stats).toMatchObject({ stored: 0, duplicates: 31 });
    const lines = readFileSync(receivedFile(storeDir, STAGE), 'utf8').trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(emitted.map((event) => event.id));
  });

  it('a queue line that is not an envelope is dead-lettered as invalid, not retried', async () => {
    // Prepare
    enqueue(goldenEvents().slice(0, 2));
    createNdjsonFile(siemStorePaths(storeDir, STAGE).queue).append([{ hello: 'world' }]);

    // Act
    const report = await deliver();

    // Assess
    expect(report).toMatchObject({ read: 3, delivered: 2, rejected: 1 });
    expect(deadLetters()[0]).toMatchObject({ retryable: false, reason: expect.stringMatching(/^invalid message: /), body: '{"hello":"world"}' });
  });
});

describe('Local SIEM in one call (npm start)', () => {
  it('delivers the stage queue to an in-process receiver and reports what it stored', async () => {
    // Prepare
    const emitted = goldenEvents();
    enqueue(emitted);

    // Act
    const result = await deliverToLocalReceiver({ stage: STAGE, storeDir, env: {} });

    // Assess
    expect(result.builtInSecret).toBe(true);
    expect(result.delivery).toMatchObject({ read: 31, delivered: 31, failed: 0 });
    expect(result.received).toMatchObject({ stored: 31, duplicates: 0, rejectedSignature: 0 });
    const lines = readFileSync(result.storeFile, 'utf8').trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(emitted.map((event) => event.id));
  });
});

describe('Local forwarder: a DLQ the disk cannot take (issue 16, item 8)', () => {
  it('stops with the ENOSPC error and leaves the cursor before the lines it could not dead-letter', async () => {
    // Prepare: the SIEM refuses everything; the DLQ file is /dev/full (every write: ENOSPC from the kernel)
    enqueue(goldenEvents().slice(0, 3));
    receiver.setFaults([], { kind: 'status', status: 422 });
    const paths = siemStorePaths(storeDir, STAGE);
    symlinkSync('/dev/full', paths.dlq);

    // Act
    const full = await deliver().catch((error: unknown) => error);
    const cursorWhenFull = readCursor(paths.cursor);
    unlinkSync(paths.dlq);
    const retried = await deliver();

    // Assess: nothing skipped; the second run dead-letters all three
    expect(full).toMatchObject({ name: 'StoreWriteError', code: 'ENOSPC', linesNotStored: 3 });
    expect(cursorWhenFull).toBe(0);
    expect(retried).toMatchObject({ read: 3, rejected: 3 });
    expect(deadLetters()).toHaveLength(3);
  });
});
