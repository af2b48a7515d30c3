/**
 * Issue 16, item 9: the local receiver is safe to leave running. Real sockets on
 * loopback speak raw HTTP to it: more connections than its cap, bodies over its
 * limit (declared and streamed), headers and bodies that never finish, admin
 * requests a web page could send, and a signature that only matches the body
 * once its bytes are decoded.
 */
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvents } from '../../lib/siem/formats/index.ts';
import type { ReceiverOptions, SiemReceiver } from '../../local/siem/receiver.ts';
import { goldenEventsWithIds, newSecret, startReceiver } from './helpers.ts';

const secret = newSecret();
const ADMIN_TOKEN = 'admin-token-limits-test';
const receivers: SiemReceiver[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

const start = async (options: Partial<ReceiverOptions> = {}) => {
  const receiver = await startReceiver({ secrets: [secret], ...options });
  receivers.push(receiver);
  return receiver;
};

/** Signature headers for `body`, signed with the official package. */
const signed = (body: string, at = new Date()): Record<string, string> => {
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
};

/**
 * Signature headers over raw bytes, as the Standard Webhooks spec defines them
 * (HMAC-SHA256 with the base64-decoded secret over `<id>.<timestamp>.<body>`):
 * the official package takes the body as a string only.
 */
const signedBytes = (body: Buffer): Record<string, string> => {
  const id = 'msg_bytes';
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
};

/** A raw TCP connection to the receiver; `received` collects what the server sent, `closed` settles when it hangs up. */
const open = (receiver: SiemReceiver) => {
  const socket = connect(receiver.port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => {
    const from = performance.now();
    socket.on('close', () => resolve(performance.now() - from));
  });
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, closed, connected, received: () => received };
};

const head = (receiver: SiemReceiver, lines: Record<string, string>, path = '/'): string =>
  `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${receiver.port}\r\n${Object.entries(lines)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

const body = (count: number, salt: string) => encodeEvents('ndjson', goldenEventsWithIds(count, salt)).body;

describe('Receiver limits: connections and bodies, before authentication', () => {
  it('closes connections over its cap at once, and serves again when one goes', async () => {
    // Prepare
    const receiver = await start({ maxConnections: 3 });
    const held = [open(receiver), open(receiver), open(receiver)];
    await Promise.all(held.map((connection) => connection.connected));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Act
    const extra = open(receiver);
    const extraClosedAfter = await extra.closed;
    held[0]?.socket.destroy();
    await held[0]?.closed;
    const text = body(1, 'f1');
    const response = await fetch(receiver.url, { method: 'POST', headers: signed(text), body: text });

    // Assess
    expect(extra.received()).toBe('');
    expect(extraClosedAfter).toBeLessThan(1_000);
    expect(response.status).toBe(200);
  });

  it('refuses an unsigned request of any declared size with 401 without reading its body', async () => {
    // Prepare
    const receiver = await start();
    const connection = open(receiver);

    // Act: headers only, announcing 1 GB that never comes
    connection.socket.write(head(receiver, { 'content-type': 'application/x-ndjson', 'content-length': String(1024 ** 3) }));
    await connection.closed;

    // Assess
    expect(connection.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(connection.received()).toMatch(/missing webhook-id/);
    expect(receiver.stats).toMatchObject({ rejectedSignature: 1, stored: 0 });
  });

  it('refuses a declared body over its limit with 413 before reading it', async () => {
    // Prepare
    const receiver = await start({ maxBodyBytes: 64 * 1024 });
    const connection = open(receiver);

    // Act: signature headers (for some other body), then nothing of the 100 MB announced
    connection.socket.write(head(receiver, { ...signed('x'), 'content-length': String(100 * 1024 * 1024) }));
    await connection.closed;

    // Assess
    expect(connection.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(receiver.stats.rejectedBody).toBe(1);
  });

  it('stops reading a streamed (chunked) body as soon as it passes the limit', async () => {
    // Prepare
    const limit = 64 * 1024;
    const receiver = await start({ maxBodyBytes: limit });
    const connection = open(receiver);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;

    // Act: 16 KB chunks, one every 5 ms, until the server answers or 4 MB are out
    connection.socket.write(head(receiver, { ...signed('x'), 'transfer-encoding': 'chunked' }));
    while (connection.received() === '' && sent < 4 * 1024 * 1024 && !connection.socket.destroyed) {
      connection.socket.write(`${chunk.length.toString(16)}\r\n`);
      connection.socket.write(chunk);
      connection.socket.write('\r\n');
      sent += chunk.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await connection.closed;

    // Assess: answered after about the limit, not after the whole stream
    expect(connection.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(limit + 20 * chunk.length);
  });
});

describe('Receiver limits: timeouts', () => {
  it('drops a connection whose headers never finish, within the headers timeout', async () => {
    // Prepare
    const receiver = await start({ headersTimeoutMs: 400, requestTimeoutMs: 800 });
    const connection = open(receiver);

    // Act
    connection.socket.write(`POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nwebhook-id: msg_slow\r\n`);
    const closedAfter = await connection.closed;

    // Assess: the timeout plus Node's one-second check interval, well short of the old 300 s
    expect(closedAfter).toBeLessThan(3_000);
  });

  it('drops a request whose body never finishes, within the request timeout', async () => {
    // Prepare
    const receiver = await start({ headersTimeoutMs: 400, requestTimeoutMs: 800 });
    const connection = open(receiver);
    const text = body(1, 'f2');

    // Act: signed headers for the whole body, then half of it
    connection.socket.write(head(receiver, { ...signed(text), 'content-length': String(Buffer.byteLength(text)) }));
    connection.socket.write(text.slice(0, 100));
    const closedAfter = await connection.closed;

    // Assess
    expect(closedAfter).toBeLessThan(3_000);
    expect(receiver.stats.stored).toBe(0);
  });

  it('still answers late on purpose (delay fault) after the body has arrived', async () => {
    // Prepare
    const receiver = await start({ headersTimeoutMs: 400, requestTimeoutMs: 800 });
    receiver.setFaults([{ kind: 'delay', ms: 1_500 }]);
    const text = body(1, 'f3');

    // Act
    const response = await fetch(receiver.url, { method: 'POST', headers: signed(text), body: text });

    // Assess
    expect(response.status).toBe(200);
    expect(receiver.stats.stored).toBe(1);
  });
});

describe('Receiver limits: the admin endpoint', () => {
  const plan = JSON.stringify({ plan: [], then: { kind: 'status', status: 503 } });
  const admin = (receiver: SiemReceiver, headers: Record<string, string>, method = 'POST') =>
    fetch(new URL('/_admin/faults', receiver.url), { method, headers, ...(method === 'POST' ? { body: plan } : {}) });

  it('is off without an admin token', async () => {
    // Prepare
    const receiver = await start();

    // Act
    const response = await admin(receiver, { 'content-type': 'application/json' });

    // Assess
    expect(response.status).toBe(404);
  });

  it.each([
    ['no token, text/plain from another origin (a web page\'s simple POST)', { 'content-type': 'text/plain', origin: 'http://evil.example' }, 401],
    ['a wrong token', { 'content-type': 'application/json', authorization: 'Bearer admin-token-limits-tesT' }, 401],
    ['the token, as text/plain', { 'content-type': 'text/plain', authorization: `Bearer ${ADMIN_TOKEN}` }, 415],
    ['the token, from another origin', { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, origin: 'http://evil.example' }, 403],
    ['the token, cross-site by Sec-Fetch-Site', { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, 'sec-fetch-site': 'cross-site' }, 403],
  ])('refuses %s (%#) and leaves the faults as they were', async (_case, headers, status) => {
    // Prepare
    const receiver = await start({ adminToken: ADMIN_TOKEN });
    const text = body(1, 'f4');

    // Act
    const refused = await admin(receiver, headers as Record<string, string>);
    const after = await fetch(receiver.url, { method: 'POST', headers: signed(text), body: text });

    // Assess
    expect(refused.status).toBe(status);
    expect(after.status).toBe(200);
  });

  it('takes a plan with the token, as JSON, from its own origin', async () => {
    // Prepare
    const receiver = await start({ adminToken: ADMIN_TOKEN });
    const text = body(1, 'f5');

    // Act
    const planned = await admin(receiver, {
      'content-type': 'application/json',
      authorization: `Bearer ${ADMIN_TOKEN}`,
      origin: `http://127.0.0.1:${receiver.port}`,
    });
    const after = await fetch(receiver.url, { method: 'POST', headers: signed(text), body: text });

    // Assess
    expect(planned.status).toBe(200);
    expect(after.status).toBe(503);
  });
});

describe('Receiver limits: signatures over the bytes received', () => {
  it('refuses bytes that decode to the same text as the signed ones', async () => {
    // Prepare: a body with an invalid UTF-8 byte (0xff); the forgery has 0xfe there. Both decode to the same
    // text (U+FFFD), so a signature checked over decoded text would take the forgery.
    const receiver = await start();
    const text = body(1, 'f6');
    const genuine = Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xff]), Buffer.from(text.slice(21))]);
    const forged = Buffer.from(genuine);
    forged[20] = 0xfe;
    expect(forged.toString('utf8')).toBe(genuine.toString('utf8'));
    const headers = signedBytes(genuine);

    // Act
    const forgery = await fetch(receiver.url, { method: 'POST', headers, body: forged });
    const original = await fetch(receiver.url, { method: 'POST', headers, body: genuine });

    // Assess: the forgery fails the signature; the original passes it, then is refused as not UTF-8
    expect(forgery.status).toBe(401);
    expect(original.status).toBe(400);
    expect(await original.json()).toEqual({ error: 'body is not valid UTF-8' });
  });

  it('compares the HEC token whole: one character off is refused', async () => {
    // Prepare
    const receiver = await start({ hecToken: 'hec-token-0123456789' });
    const hec = encodeEvents('splunk-hec', goldenEventsWithIds(1, 'f7')).body;

    // Act
    const statuses = [];
    for (const token of ['hec-token-012345678', 'hec-token-01234567890', 'hec-token-0123456788', 'hec-token-0123456789']) {
      const response = await fetch(receiver.url, { method: 'POST', headers: { ...signed(hec), authorization: `Splunk ${token}` }, body: hec });
      statuses.push(response.status);
    }

    // Assess
    expect(statuses).toEqual([401, 401, 401, 200]);
  });
});
