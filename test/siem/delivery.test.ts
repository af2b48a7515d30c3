/**
 * Delivery over real loopback HTTP to the local receiver: signed requests that
 * standardwebhooks verifies, batching caps, the retry schedule, Retry-After,
 * refusals, the category filter, and a slow SIEM against a deadline.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSiemSender,
  parseRetryAfter,
  systemDeliveryIo,
  type Attempt,
  type DeliveryIo,
  type SinkSettings,
} from '../../lib/siem/delivery.ts';
import { decodeBody } from '../../local/siem/decode.ts';
import { SIEM_FORMATS } from '../../lib/siem/formats/index.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import type { SiemReceiver } from '../../local/siem/receiver.ts';
import { formatCredentials, goldenEventsWithIds, newSecret, recordingSleep, sinkFor, startReceiver } from './helpers.ts';

const secret = newSecret();
const transport = createHttpTransport();
let receiver: SiemReceiver;

beforeAll(async () => {
  receiver = await startReceiver({ secrets: [secret], hecToken: 'hec-token-1' });
});
afterAll(async () => {
  transport.close();
  await receiver.close();
});
beforeEach(() => {
  receiver.setFaults([]);
  receiver.requests.length = 0;
});

const senderWith = (changes: Partial<SinkSettings> = {}, io: Partial<DeliveryIo> = {}, attempts: Attempt[] = []) =>
  createSiemSender({
    sink: sinkFor(receiver.url, changes),
    credentials: { webhookSecrets: [secret], ...formatCredentials({ hecToken: 'hec-token-1' }) },
    io: { ...systemDeliveryIo(transport.send), ...io },
    onAttempt: (attempt) => attempts.push(attempt),
  });

/** Each golden event with a fresh id, so the receiver stores it as new in this test. */
let generation = 0;
const freshEvents = (count = 23) => goldenEventsWithIds(count, (generation += 1).toString(16).padStart(8, '0'));

describe('Delivery: signed batches every SIEM format takes', () => {
  it.each(SIEM_FORMATS)('%s: all events arrive, every request verifies with standardwebhooks', async (format) => {
    // Prepare
    const events = freshEvents();
    const sender = senderWith({ format, splunk: { sourcetype: 'authtrail:authevent', source: 'authtrail', index: 'auth' } });

    // Act
    const report = await sender.deliver(events);

    // Assess
    expect(report).toMatchObject({ delivered: 23, rejected: 0, failed: 0, skipped: 0, requests: 1 });
    const [request] = receiver.requests;
    expect(request?.status).toBe(200);
    const webhook = new Webhook(secret);
    const headers = request?.headers as Record<string, string>;
    expect(() => webhook.verify(request?.body ?? '', headers, { jsonParse: false })).not.toThrow();
    expect(decodeBody(request?.body ?? '').map((record) => record.id)).toEqual(events.map((event) => event.id));
    expect(events.every((event) => receiver.has(event.id))).toBe(true);
    expect(headers['user-agent']).toMatch(/^authtrail\//);
    if (format === 'splunk-hec') expect(headers.authorization).toBe('Splunk hec-token-1');
    else expect(headers).not.toHaveProperty('authorization');
  });

  it('adds a static auth header when one is configured', async () => {
    // Prepare
    const sender = createSiemSender({
      sink: sinkFor(receiver.url),
      credentials: { webhookSecrets: [secret], authHeader: { name: 'Authorization', value: 'Bearer siem-key' } },
      io: systemDeliveryIo(transport.send),
    });

    // Act
    await sender.deliver(freshEvents(1));

    // Assess
    expect(receiver.requests[0]?.headers.authorization).toBe('Bearer siem-key');
  });
});

describe('Delivery: batches', () => {
  it('caps a batch by event count', async () => {
    // Prepare
    const sender = senderWith({ batch: { maxEvents: 5, maxBytes: 1024 * 1024 } });

    // Act
    const report = await sender.deliver(freshEvents());

    // Assess
    expect(report).toMatchObject({ delivered: 23, requests: 5 });
    expect(receiver.requests.map((request) => decodeBody(request.body).length)).toEqual([5, 5, 5, 5, 3]);
  });

  it('caps a batch by body bytes, framing included', async () => {
    // Prepare
    const maxBytes = 6_000;
    const sender = senderWith({ format: 'json', batch: { maxEvents: 100, maxBytes } });

    // Act
    const report = await sender.deliver(freshEvents());

    // Assess
    expect(report.delivered).toBe(23);
    expect(receiver.requests.length).toBeGreaterThan(2);
    for (const request of receiver.requests) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(maxBytes);
    expect(receiver.requests.flatMap((request) => JSON.parse(request.body) as unknown[])).toHaveLength(23);
  });

  it('rejects an event that alone exceeds the byte cap, and delivers the others', async () => {
    // Prepare
    const events = freshEvents(3);
    (events[1] as (typeof events)[number]).groups = Array.from({ length: 100 }, (_, index) => `group-${index}-${'x'.repeat(40)}`);
    const sender = senderWith({ batch: { maxEvents: 100, maxBytes: 4_000 } });

    // Act
    const report = await sender.deliver(events);

    // Assess
    expect(report.results.map((result) => result.status)).toEqual(['delivered', 'rejected', 'delivered']);
    expect(report.results[1]).toMatchObject({ reason: expect.stringMatching(/exceeds siem.batch.maxBytes \(4000\)/) });
  });

  it('skips events of categories the sink does not take', async () => {
    // Prepare
    const events = freshEvents();
    const sender = senderWith({ categories: ['signin'] });

    // Act
    const report = await sender.deliver(events);

    // Assess
    const signIns = events.filter((event) => event.category === 'signin');
    expect(report).toMatchObject({ delivered: signIns.length, skipped: 23 - signIns.length, requests: 1 });
    expect(decodeBody(receiver.requests[0]?.body ?? '').map((record) => record.id)).toEqual(signIns.map((event) => event.id));
  });

  it('splits a batch the SIEM finds too large (413) and sends the halves', async () => {
    // Prepare
    receiver.setFaults([{ kind: 'status', status: 413 }]);
    const sender = senderWith();

    // Act
    const report = await sender.deliver(freshEvents(8));

    // Assess
    expect(report).toMatchObject({ delivered: 8, requests: 3 });
    expect(receiver.requests.map((request) => [request.status, decodeBody(request.body).length])).toEqual([
      [413, 8],
      [200, 4],
      [200, 4],
    ]);
  });
});

describe('Delivery: retries', () => {
  it('retries 5xx with exponential backoff and full jitter, then delivers', async () => {
    // Prepare
    receiver.setFaults([
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 504 },
    ]);
    const { waits, sleep } = recordingSleep();
    const sender = senderWith(
      { retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 } },
      { sleep, random: () => 0.5 },
    );

    // Act
    const report = await sender.deliver(freshEvents(3));

    // Assess: delay n = random * min(max, base * 2^(n-1))
    expect(report).toMatchObject({ delivered: 3, requests: 4 });
    expect(waits).toEqual([100, 200, 400]);
    expect(receiver.requests.map((request) => request.status)).toEqual([500, 502, 504, 200]);
    // The same batch is resent under the same webhook-id, re-signed with a fresh timestamp.
    expect(new Set(receiver.requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
  });

  it('caps the backoff at maxDelayMs and gives up after maxAttempts, the events failed (retryable)', async () => {
    // Prepare
    receiver.setFaults([], { kind: 'status', status: 500 });
    const { waits, sleep } = recordingSleep();
    const sender = senderWith(
      { retry: { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 3_000, maxRetryAfterMs: 30_000 } },
      { sleep, random: () => 0.999 },
    );

    // Act
    const report = await sender.deliver(freshEvents(2));

    // Assess
    expect(waits).toEqual([999, 1998, 2997, 2997]);
    expect(report).toMatchObject({ delivered: 0, failed: 2, requests: 5 });
    expect(report.results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('gave up after 5 attempt(s): HTTP 500') });
  });

  it.each([
    ['seconds', '2', 2_000],
    ['an HTTP date', 'date+3', 3_000],
  ])('429 with Retry-After in %s: waits exactly that long, then delivers', async (_, header, expected) => {
    // Prepare
    const now = Date.now();
    const retryAfter = header.startsWith('date+') ? new Date(now + Number(header.slice(5)) * 1000).toUTCString() : header;
    receiver.setFaults([{ kind: 'status', status: 429, retryAfter }]);
    const { waits, sleep } = recordingSleep();
    const sender = senderWith({}, { sleep, now: () => now, random: () => 0.5 });

    // Act
    const report = await sender.deliver(freshEvents(2));

    // Assess
    expect(report).toMatchObject({ delivered: 2, requests: 2 });
    expect(waits).toHaveLength(1);
    expect(Math.abs((waits[0] ?? 0) - expected)).toBeLessThanOrEqual(1_000); // HTTP dates have whole seconds
    expect(receiver.requests.map((request) => request.status)).toEqual([429, 200]);
  });

  it('503 with a Retry-After longer than allowed: gives the batch back at once instead of waiting', async () => {
    // Prepare
    receiver.setFaults([{ kind: 'status', status: 503, retryAfter: '3600' }]);
    const { waits, sleep } = recordingSleep();
    const sender = senderWith({}, { sleep });

    // Act
    const report = await sender.deliver(freshEvents(2));

    // Assess
    expect(waits).toEqual([]);
    expect(report).toMatchObject({ failed: 2, requests: 1 });
    expect(report.results[0]).toMatchObject({ reason: expect.stringContaining('Retry-After 3600 s is longer than') });
  });

  it.each([400, 401, 403, 404, 422])('%i: not retried, every event rejected with the status and the answer\'s size (never its text)', async (status) => {
    // Prepare
    receiver.setFaults([{ kind: 'status', status, body: 'schema mismatch' }]);
    const { waits, sleep } = recordingSleep();
    const sender = senderWith({}, { sleep });

    // Act
    const report = await sender.deliver(freshEvents(3));

    // Assess
    expect(report).toMatchObject({ rejected: 3, requests: 1 });
    expect(waits).toEqual([]);
    expect(report.results[0]).toEqual({
      status: 'rejected',
      reason: `HTTP ${status} (27-byte body) (not retried)`,
    });
  });

  it('a dropped connection is retried like a 5xx', async () => {
    // Prepare
    receiver.setFaults([{ kind: 'drop' }]);
    const { sleep } = recordingSleep();
    const sender = senderWith({}, { sleep });

    // Act
    const report = await sender.deliver(freshEvents(2));

    // Assess
    expect(report).toMatchObject({ delivered: 2, requests: 2 });
  });

  it('after a batch fails, the batches after it are not tried in this run', async () => {
    // Prepare
    receiver.setFaults([], { kind: 'status', status: 503 });
    const { sleep } = recordingSleep();
    const sender = senderWith({ batch: { maxEvents: 5, maxBytes: 1024 * 1024 }, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 } }, { sleep });

    // Act
    const report = await sender.deliver(freshEvents(15));

    // Assess
    expect(report).toMatchObject({ failed: 15, requests: 2 });
    expect(report.results[14]).toMatchObject({ reason: expect.stringMatching(/^not attempted: /) });
  });

  it('reads Retry-After as delta-seconds or HTTP date, and ignores anything else', () => {
    // Prepare
    const now = Date.parse('2026-11-27T10:00:00Z');

    // Act / Assess
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('Delivery: a slow SIEM and the deadline', () => {
  it('gives up inside the deadline when the SIEM answers too late, events failed for redelivery', async () => {
    // Prepare
    receiver.setFaults([], { kind: 'delay', ms: 2_000 });
    const sender = senderWith({ timeoutMs: 5_000 });
    const started = Date.now();

    // Act
    const report = await sender.deliver(freshEvents(5), { deadlineAt: started + 400 });

    // Assess
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(400 + 250); // the deadline, plus scheduling slack on a loaded machine
    expect(report).toMatchObject({ delivered: 0, failed: 5 });
    expect(report.results[0]).toMatchObject({ reason: expect.stringMatching(/deadline reached \(last error: no answer within \d+ ms\)/) });
  });

  it('times a request out at timeoutMs and retries it', async () => {
    // Prepare
    receiver.setFaults([{ kind: 'delay', ms: 1_000 }]);
    const { sleep } = recordingSleep();
    const attempts: Attempt[] = [];
    const sender = senderWith({ timeoutMs: 150 }, { sleep }, attempts);

    // Act
    const report = await sender.deliver(freshEvents(2));

    // Assess
    expect(report).toMatchObject({ delivered: 2, requests: 2 });
    expect(attempts[0]).toMatchObject({ attempt: 1, error: 'no answer within 150 ms' });
    expect(attempts[1]).toMatchObject({ attempt: 2, status: 200 });
  });
});
