/**
 * Issue 16, item 6: error paths carry no payload text. A body with an email in
 * it gets a 400 naming the position only; a SIEM answer that echoes our API key
 * reaches neither the reason (DLQ attribute, local DLQ line) nor the attempt
 * log, which say status and size; a fixture with a YAML error is named by line
 * and column. Real receivers on loopback, the real sender.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiemSender, systemDeliveryIo, type Attempt } from '../../lib/siem/delivery.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import type { SiemReceiver } from '../../local/siem/receiver.ts';
import { parseFixtureText } from '../../local/replay/fixture-file.ts';
import { goldenEventsWithIds, newSecret, sinkFor, startReceiver } from './helpers.ts';

const PII = /alice|example\.com|5551234/;
const API_KEY = 'sk-live-0123456789abcdef';
const secret = newSecret();
const logged: string[] = [];
let receiver: SiemReceiver;

beforeAll(async () => {
  receiver = await startReceiver({ secrets: [secret], log: (line) => logged.push(line) });
});
afterAll(async () => {
  await receiver.close();
});

describe('Error paths: no payload text', () => {
  it('the receiver answers a body with PII in broken JSON with a 400 that names the position only', async () => {
    // Prepare
    const body = '[{"email":"alice@example.com","phone_number":+15551234567}]';
    const at = new Date();
    const signature = new Webhook(secret).sign('msg_leak', at, body);

    // Act
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'webhook-id': 'msg_leak', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
      body,
    });

    // Assess
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(JSON.parse(text)).toEqual({
      error: 'the JSON array body is not valid JSON: unexpected character at position 45 (line 1, column 46)',
    });
    expect(`${text}${logged.join('\n')}`).not.toMatch(PII);
  });

  it('a SIEM answer echoing our API key reaches no reason and no attempt log: status and size only', async () => {
    // Prepare: a SIEM that echoes the request headers in its 401 and 503 answers
    const echo = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(request.headers['x-attempt'] === undefined ? 401 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'unauthorized', echo: request.headers }));
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
    const transport = createHttpTransport();
    const attempts: Attempt[] = [];
    const sender = createSiemSender({
      sink: sinkFor(url),
      credentials: { webhookSecrets: [secret], authHeader: { name: 'Authorization', value: `Bearer ${API_KEY}` } },
      io: systemDeliveryIo(transport.send),
      onAttempt: (attempt) => attempts.push(attempt),
    });

    // Act
    const report = await sender.deliver(goldenEventsWithIds(2, 'e0'));
    transport.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));

    // Assess
    expect(report.rejected).toBe(2);
    expect(report.results[0]).toEqual({ status: 'rejected', reason: expect.stringMatching(/^HTTP 401 \(\d+-byte body\) \(not retried\)$/) });
    expect(JSON.stringify([report, attempts])).not.toContain(API_KEY);
    expect(JSON.stringify([report, attempts])).not.toContain('unauthorized');
  });

  it('a fixture with a YAML or JSON error is named by where, not by what it holds', () => {
    // Act
    const yaml = (() => {
      try {
        return parseFixtureText('userName: alice@example.com\nrequest: [\n  phone: +15551234567\n', 'event.yaml');
      } catch (error) {
        return error as Error & { code: string };
      }
    })();
    const json = (() => {
      try {
        return parseFixtureText('{"userName": alice@example.com}', 'event.json');
      } catch (error) {
        return error as Error & { code: string };
      }
    })();

    // Assess
    expect(yaml).toMatchObject({ code: 'INVALID_JSON', message: expect.stringMatching(/^event\.yaml is not valid YAML: syntax error at line \d+, column \d+$/) });
    expect(json).toMatchObject({ code: 'INVALID_JSON', message: 'event.json is not valid JSON: unexpected character at position 13 (line 1, column 14)' });
    expect(JSON.stringify([String(yaml), String(json), (yaml as Error).cause ?? null])).not.toMatch(PII);
  });
});
