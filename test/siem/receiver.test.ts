/**
 * The local SIEM receiver at the HTTP level: what it refuses (unsigned, wrong
 * or stale signatures, unknown bodies, a wrong HEC token), and its admin
 * endpoint for planning faults from another process.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeEvents } from '../../lib/siem/formats/index.ts';
import type { SiemReceiver } from '../../local/siem/receiver.ts';
import { goldenEvents, goldenEventsWithIds, newSecret, startReceiver } from './helpers.ts';

const secret = newSecret();
const rotatedIn = newSecret();
let receiver: SiemReceiver;
const ADMIN_TOKEN = 'admin-token-receiver-test';
const ADMIN_HEADERS = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

beforeAll(async () => {
  receiver = await startReceiver({ secrets: [secret, rotatedIn], hecToken: 'hec-1', adminToken: ADMIN_TOKEN });
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => receiver.setFaults([]));

/** Signs like any Standard Webhooks sender would, with the official package. */
const post = async (body: string, options: { signWith?: string; at?: Date; headers?: Record<string, string>; path?: string } = {}) => {
  const at = options.at ?? new Date();
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const signature = new Webhook(options.signWith ?? secret).sign(id, at, body);
  const response = await fetch(new URL(options.path ?? '/', receiver.url), {
    method: 'POST',
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
      ...options.headers,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const ndjson = (count: number, salt: string) => encodeEvents('ndjson', goldenEventsWithIds(count, salt)).body;

describe('Receiver: signatures', () => {
  it('stores a batch signed with any of its secrets (rotation), answering with the counts', async () => {
    // Act
    const old = await post(ndjson(3, 'a1'));
    const rotated = await post(ndjson(3, 'a2'), { signWith: rotatedIn });

    // Assess
    expect(old).toEqual({ status: 200, body: { text: 'Success', code: 0, stored: 3, duplicates: 0 } });
    expect(rotated.status).toBe(200);
  });

  it.each([
    ['another secret', { signWith: newSecret() }, 'no webhook-signature matches'],
    ['a timestamp 6 minutes old', { at: new Date(Date.now() - 6 * 60_000) }, 'more than 300 s'],
  ])('refuses a request signed with %s (401, nothing stored)', async (_, options, reason) => {
    // Prepare
    const before = receiver.stats.stored;

    // Act
    const answer = await post(ndjson(2, 'b1'), options);

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body.error).toContain(reason);
    expect(receiver.stats.stored).toBe(before);
  });

  it('refuses an unsigned request', async () => {
    // Act
    const response = await fetch(receiver.url, { method: 'POST', body: ndjson(1, 'c1') });

    // Assess
    expect(response.status).toBe(401);
  });
});

describe('Receiver: bodies', () => {
  it('refuses a body that is not records of a known format (400)', async () => {
    // Act
    const answer = await post('{"message":"hello"}');

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/neither an AuthEvent/);
  });

  it('checks the HEC token on Splunk HEC bodies', async () => {
    // Prepare
    const body = encodeEvents('splunk-hec', goldenEvents().slice(0, 2).map((event, index) => ({ ...event, id: `d${index}`.padEnd(32, '0') }))).body;

    // Act
    const wrong = await post(body, { headers: { authorization: 'Splunk nope' }, path: '/services/collector/event' });
    const right = await post(body, { headers: { authorization: 'Splunk hec-1' }, path: '/services/collector/event' });

    // Assess
    expect(wrong).toEqual({ status: 401, body: { text: 'Invalid token', code: 4 } });
    expect(right.status).toBe(200);
  });
});

describe('Receiver: admin endpoint', () => {
  it('plans faults posted to /_admin/faults and reports counts at /_admin/stats', async () => {
    // Prepare
    const planned = await fetch(new URL('/_admin/faults', receiver.url), {
      method: 'POST',
      headers: ADMIN_HEADERS,
      body: JSON.stringify({ plan: [{ kind: 'status', status: 503, retryAfter: '7' }] }),
    });

    // Act
    const faulted = await post(ndjson(1, 'e1'));
    const healthy = await post(ndjson(1, 'e1'));
    const again = await post(ndjson(1, 'e1'));
    const stats = (await (await fetch(new URL('/_admin/stats', receiver.url), { headers: ADMIN_HEADERS })).json()) as Record<string, unknown>;

    // Assess
    expect(await planned.json()).toEqual({ planned: 1 });
    expect(faulted.status).toBe(503);
    expect(healthy.body).toMatchObject({ stored: 1, duplicates: 0 });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(stats).toMatchObject({ faulted: expect.any(Number), duplicates: expect.any(Number), held: expect.any(Number) });
  });

  it('refuses a fault plan it cannot read', async () => {
    // Act
    const response = await fetch(new URL('/_admin/faults', receiver.url), {
      method: 'POST',
      headers: ADMIN_HEADERS,
      body: JSON.stringify({ plan: [{ kind: 'explode' }] }),
    });

    // Assess
    expect(response.status).toBe(400);
  });
});
