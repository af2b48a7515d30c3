/**
 * The Security Lake writer's step against S3 faked at the SDK transport
 * (aws-sdk-client-mock): objects land under the documented keys, a failing put is
 * retried, then given back to SQS, then dead-lettered with the reason on its last
 * receive; bad messages are dead-lettered at once; a redelivery writes the same keys.
 */
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { DEFAULT_SOURCES } from '../../lib/security-lake/objects.ts';
import { DEADLINE_REASON, s3PutObject, writeLakeMessages, type LakeMessage, type LakeWriterDeps } from '../../lib/security-lake/writer.ts';
import { startFakeS3, type FakeS3 } from '../helpers/fake-s3.ts';
import type { DeadLetter } from '../../lib/siem/forwarder.ts';
import { envelopeBody } from '../siem/helpers.ts';
import { pipelineEvents } from '../siem/pipeline-events.ts';

const KEY = /^ext\/authtrail_(auth|account)\/region=[a-z0-9-]+\/accountId=111122223333\/eventDay=\d{8}\/[0-9a-f]{32}\.parquet$/;
const s3 = mockClient(S3Client);
let events: AuthEvent[] = [];
beforeAll(async () => {
  events = (await pipelineEvents()).map(({ event }) => event).filter((event) => event.userPool.region === 'eu-west-1');
});
afterEach(() => s3.reset());

const messagesOf = (batch: readonly AuthEvent[], receiveCount = 1): LakeMessage[] =>
  batch.map((event, index) => ({ messageId: `m-${index}`, body: envelopeBody(event), receiveCount }));

const depsWith = (letters: DeadLetter[], overrides: Partial<LakeWriterDeps> = {}): LakeWriterDeps => ({
  put: s3PutObject(new S3Client({ region: 'eu-west-1' }), 'aws-security-data-lake-eu-west-1-example'),
  target: { sources: DEFAULT_SOURCES, accountId: '111122223333' },
  deadLetters: async (sent) => {
    letters.push(...sent);
    return [];
  },
  maxAttempts: 3,
  maxReceives: 3,
  baseDelayMs: 1,
  putTimeoutMs: 10_000,
  deadlineAt: Number.MAX_SAFE_INTEGER,
  sleep: async () => {},
  ...overrides,
});

const throttled = () => new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });

describe('Security Lake writer: SQS batch -> S3', () => {
  it('puts one object per source and day under the documented keys, into the configured bucket, and reports no failure', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const letters: DeadLetter[] = [];

    // Act
    const result = await writeLakeMessages(messagesOf(events), depsWith(letters));

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(result).toMatchObject({ retry: [], deadLettered: 0, objects: puts.length, events: new Set(events.map((event) => event.id)).size });
    expect(puts.length).toBeGreaterThanOrEqual(2);
    for (const input of puts) {
      expect(input.Bucket).toBe('aws-security-data-lake-eu-west-1-example');
      expect(input.Key).toMatch(KEY);
      expect(Buffer.from(input.Body as Uint8Array).subarray(0, 4).toString()).toBe('PAR1');
    }
    expect(letters).toEqual([]);
  });

  it('writes a redelivered batch to the same keys, so the lake keeps one copy', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    await writeLakeMessages(messagesOf(events), depsWith([]));
    await writeLakeMessages(messagesOf([...events].reverse(), 2), depsWith([]));

    // Assess
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(new Set(keys).size).toBe(keys.length / 2);
  });

  it('retries a failed put within the invocation, and succeeds when S3 recovers', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejectsOnce(throttled()).resolves({});

    // Act
    const result = await writeLakeMessages(messagesOf(events), depsWith([]));

    // Assess
    expect(result.retry).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand).length).toBe(result.objects + 1);
  });

  it('gives the messages back to SQS when every attempt fails, and dead-letters them with the reason on their last receive', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(throttled());
    const early: DeadLetter[] = [];
    const last: DeadLetter[] = [];

    // Act
    const first = await writeLakeMessages(messagesOf(events, 1), depsWith(early));
    const final = await writeLakeMessages(messagesOf(events, 3), depsWith(last));

    // Assess
    expect(first.retry.sort()).toEqual(messagesOf(events).map((message) => message.messageId).sort());
    expect(early).toEqual([]);
    expect(final.retry).toEqual([]);
    expect(last.map((letter) => letter.messageId).sort()).toEqual(first.retry);
    for (const letter of last) expect(letter.reason).toBe('put to the Security Lake failed after 3 attempt(s): SlowDown: Please reduce your request rate.');
  });

  it('dead-letters a message that is no valid envelope at once, with a reason that does not echo it, and writes the rest', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const letters: DeadLetter[] = [];
    const bad = [
      { messageId: 'not-json', body: '{"secret-token": "abc', receiveCount: 1 },
      { messageId: 'not-an-authevent', body: JSON.stringify({ version: '0', id: 'x', 'detail-type': 'x', source: 'authtrail.cognito', detail: { 'secret-token': 'abc' } }), receiveCount: 1 },
    ];

    // Act
    const result = await writeLakeMessages([...bad, ...messagesOf(events.slice(0, 3))], depsWith(letters));

    // Assess
    expect(letters.map((letter) => letter.messageId)).toEqual(['not-json', 'not-an-authevent']);
    for (const letter of letters) {
      expect(letter.reason).toMatch(/^invalid message: /);
      expect(letter.reason).not.toContain('abc');
    }
    expect(result).toMatchObject({ retry: [], events: 3 });
  });

  it('gives a dead letter the DLQ did not take back to SQS: nothing accepted is lost', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const deps = depsWith([], { deadLetters: async (letters) => letters.map((letter) => letter.messageId) });

    // Act
    const result = await writeLakeMessages([{ messageId: 'bad', body: 'not json', receiveCount: 1 }], deps);

    // Assess
    expect(result).toMatchObject({ retry: ['bad'], deadLettered: 0 });
  });
});

/** A clock the test moves: each put takes the time the fake says it took. */
const clockFrom = (start: number) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('Security Lake writer: the invocation deadline', () => {
  it('never begins a put that could end after the deadline: what is not begun goes back to SQS, nothing is lost', async () => {
    // Prepare: 80 s left, one attempt may take 30 s, each put takes 60 s: a second put could end after the deadline.
    const clock = clockFrom(0);
    s3.on(PutObjectCommand).callsFake(async () => {
      clock.advance(60_000);
      return {};
    });
    const messages = messagesOf(events);
    const deps = depsWith([], { now: clock.now, deadlineAt: 80_000, putTimeoutMs: 30_000 });

    // Act
    const result = await writeLakeMessages(messages, deps);

    // Assess: one object put; the messages of the others back to SQS, none in both.
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    expect(result.objects).toBe(1);
    const idOf = (messageId: string) => events[Number(messageId.slice('m-'.length))]!.id;
    const retried = new Set(result.retry.map(idOf));
    const written = new Set(messages.map((message) => message.messageId).filter((id) => !result.retry.includes(id)).map(idOf));
    expect(retried.size).toBeGreaterThan(0);
    expect(written.size).toBe(result.events);
    expect([...written].filter((id) => retried.has(id))).toEqual([]);
    expect(clock.now()).toBe(60_000);
  });

  it('on the last receive dead-letters what the deadline left unwritten, with that reason', async () => {
    // Prepare: no time for a single attempt.
    s3.on(PutObjectCommand).resolves({});
    const letters: DeadLetter[] = [];
    const deps = depsWith(letters, { now: () => 90_000, deadlineAt: 100_000, putTimeoutMs: 30_000 });

    // Act
    const result = await writeLakeMessages(messagesOf(events, 3), deps);

    // Assess
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(result.retry).toEqual([]);
    expect(letters).toHaveLength(events.length);
    for (const letter of letters) expect(letter.reason).toBe(DEADLINE_REASON);
  });

  it('does not back off into the deadline: a failed put is not tried again when the next attempt could not end in time', async () => {
    // Prepare: the first attempt fails after 75 s of the 100 s left; a second (200 ms backoff + 30 s) could not end in time.
    const clock = clockFrom(0);
    s3.on(PutObjectCommand).callsFake(async () => {
      clock.advance(75_000);
      throw throttled();
    });
    const letters: DeadLetter[] = [];
    const deps = depsWith(letters, { now: clock.now, deadlineAt: 100_000, putTimeoutMs: 30_000, baseDelayMs: 200 });

    // Act: on the last receive, so the reason is visible in the dead letter.
    const result = await writeLakeMessages(messagesOf(events.slice(0, 1), 3), deps);

    // Assess
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(result.retry).toEqual([]);
    expect(letters.map((letter) => letter.reason)).toEqual([
      "put to the Security Lake failed after 1 attempt(s) before the invocation's deadline: SlowDown: Please reduce your request rate.",
    ]);
  });
});

describe('Security Lake writer: a put S3 does not answer (loopback S3)', () => {
  let fake: FakeS3 | undefined;
  beforeAll(async () => {
    fake = await startFakeS3();
  });
  afterAll(async () => fake?.close());

  it('aborts each attempt after putTimeoutMs, so a stalled S3 cannot hold the invocation, and gives the messages back', async () => {
    // Prepare: the real SDK over HTTP, S3 never answers; S3 still received the bodies (the window the dedupe query covers).
    s3.restore();
    const server = fake!;
    server.plan([], { kind: 'stall' });
    const batch = events.slice(0, 3);
    const deps = depsWith([], { put: s3PutObject(server.client(), 'aws-security-data-lake-eu-west-1-example'), putTimeoutMs: 100, maxAttempts: 2 });
    const started = performance.now();

    // Act
    const result = await writeLakeMessages(messagesOf(batch), deps);

    // Assess
    const elapsed = performance.now() - started;
    expect(result.objects).toBe(0);
    expect(result.retry.sort()).toEqual(messagesOf(batch).map((message) => message.messageId).sort());
    expect(server.received.length).toBeGreaterThan(0);
    // Two attempts of 100 ms per object, with the SDK's overhead: far below the function's timeout.
    expect(elapsed).toBeLessThan(5_000);
  });
});
