/**
 * Issue 16, item 10: a SIEM that answers 200 late. A batch keeps one
 * `webhook-id` across its retries (the key Standard Webhooks receivers dedupe
 * on), and a 200 status line is taken as delivered even when the body after it
 * is slower than the client timeout. A hand-made SIEM on loopback stores per
 * webhook-id and answers late, as a slow one does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSiemSender, systemDeliveryIo, type Attempt } from '../../lib/siem/delivery.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import { goldenEventsWithIds, newSecret, recordingSleep, sinkFor } from './helpers.ts';

const secret = newSecret();
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

/** A SIEM that stores what it gets under its webhook-id, then answers as `answer` says. */
const slowSiem = async (answer: (seen: number, response: import('node:http').ServerResponse) => void) => {
  const webhookIds: string[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      webhookIds.push(id);
      answer(webhookIds.filter((seen) => seen === id).length, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, webhookIds };
};

const senderFor = (url: string, timeoutMs: number, attempts: Attempt[]) => {
  const transport = createHttpTransport();
  closing.push(async () => transport.close());
  return createSiemSender({
    sink: sinkFor(url, { timeoutMs }),
    credentials: { webhookSecrets: [secret] },
    io: { ...systemDeliveryIo(transport.send), sleep: recordingSleep().sleep },
    onAttempt: (attempt) => attempts.push(attempt),
  });
};

describe('Delivery: slow 200s', () => {
  it('sends the batch again under the same webhook-id when the 200 comes after the client timeout', async () => {
    // Prepare: the first answer to an id comes 600 ms late; a repeat of the id is answered at once (deduped)
    const siem = await slowSiem((seen, response) => {
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":1}'), seen === 1 ? 600 : 0);
    });
    const attempts: Attempt[] = [];
    const sender = senderFor(siem.url, 200, attempts);

    // Act
    const report = await sender.deliver(goldenEventsWithIds(3, 's1'));

    // Assess
    expect(report).toMatchObject({ delivered: 3, failed: 0, rejected: 0, requests: 2 });
    expect(siem.webhookIds).toHaveLength(2);
    expect(new Set(siem.webhookIds).size).toBe(1);
    expect(attempts.map((attempt) => [attempt.batchId, attempt.status ?? attempt.error])).toEqual([
      [siem.webhookIds[0], 'no answer within 200 ms'],
      [siem.webhookIds[0], 200],
    ]);
  });

  it('takes a 200 status line as delivered when the body after it comes later than the timeout', async () => {
    // Prepare: status line at once, the body 800 ms later
    const siem = await slowSiem((_seen, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
      setTimeout(() => response.end('{"stored":2}'), 800);
    });
    const attempts: Attempt[] = [];
    const sender = senderFor(siem.url, 300, attempts);

    // Act
    const report = await sender.deliver(goldenEventsWithIds(2, 's2'));

    // Assess: one request, not resent, not failed
    expect(report).toMatchObject({ delivered: 2, failed: 0, requests: 1 });
    expect(attempts).toEqual([expect.objectContaining({ attempt: 1, status: 200 })]);
  });

  it('a batch split after a 413 gets one id per half, each kept across that half\'s retries', async () => {
    // Prepare: 413 for the whole batch; each half first answered late, then at once
    let first = true;
    const siem = await slowSiem((seen, response) => {
      if (first) {
        first = false;
        response.writeHead(413).end();
        return;
      }
      setTimeout(() => response.writeHead(200).end(), seen === 1 ? 500 : 0);
    });
    const attempts: Attempt[] = [];
    const sender = senderFor(siem.url, 200, attempts);

    // Act
    const report = await sender.deliver(goldenEventsWithIds(4, 's3'));

    // Assess
    expect(report).toMatchObject({ delivered: 4, requests: 5 });
    const [whole, halfA, halfARetry, halfB, halfBRetry] = siem.webhookIds;
    expect(new Set([whole, halfA, halfB]).size).toBe(3);
    expect([halfARetry, halfBRetry]).toEqual([halfA, halfB]);
  });
});
