/**
 * Done-when of the SIEM issue: replaying every fixture with --siem-url to a
 * Standard Webhooks verifier delivers every event, and every request verifies.
 * The verifier is the official `standardwebhooks` package behind a loopback
 * HTTP server, not our own signer; the replay is the real CLI process.
 */
import { runToEnd } from '../helpers/process-group.ts';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../local/siem/decode.ts';
import { SIEM_FORMATS } from '../../lib/siem/formats/index.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { formatCredentialsEnv } from '../siem/helpers.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const HEC_TOKEN = 'hec-test-token-0123';

interface Received {
  verified: boolean;
  ids: string[];
  headers: IncomingHttpHeaders;
}

const received: Received[] = [];
let url: string;
let close: () => Promise<void>;
const store = mkdtempSync(join(tmpdir(), 'authtrail-siem-url-'));

beforeAll(async () => {
  const verifier = new Webhook(SECRET);
  const server = createServer((request, response) => {
    void text(request).then((body) => {
      let verified = true;
      try {
        // jsonParse: false — NDJSON, HEC and OCSF bodies are concatenated objects, not one JSON value.
        verifier.verify(body, request.headers as Record<string, string>, { jsonParse: false });
      } catch {
        verified = false;
      }
      received.push({ verified, ids: decodeBody(body).map((record) => record.id), headers: request.headers });
      response.writeHead(verified ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.AUTHTRAIL_TEST_VERIFIER_PORT ?? 0), '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/authtrail`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close();
  rmSync(store, { recursive: true, force: true });
});

const replay = async (...args: string[]) => {
  const env = { ...process.env, AUTHTRAIL_SIEM_SECRET: SECRET, ...formatCredentialsEnv({ hecToken: HEC_TOKEN }) };
  const { code, stdout, stderr } = await runToEnd(process.execPath, ['bin/replay.ts', '--store', store, ...args], { cwd: ROOT, env });
  return { status: code, stdout, stderr };
};

describe('Replay: --siem-url to a Standard Webhooks verifier', () => {
  it.each(SIEM_FORMATS)('%s: every fixture event arrives once, every request verifies', async (format) => {
    // Prepare
    received.length = 0;

    // Act
    const run = await replay('--json', '--siem-url', url, '--siem-format', format, 'events/');

    // Assess
    expect(run.status, run.stderr.slice(-1500)).toBe(0);
    const results = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { events: { id: string }[] });
    const emitted = results.flatMap((result) => result.events.map((event) => event.id));
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((request) => request.verified)).toBe(true);
    expect(received.flatMap((request) => request.ids).sort()).toEqual([...emitted].sort());
    expect(new Set(received.map((request) => request.headers['webhook-id'])).size).toBe(received.length);
    if (format === 'splunk-hec') expect(received[0]?.headers.authorization).toBe(`Splunk ${HEC_TOKEN}`);
    expect(run.stderr).toMatch(new RegExp(`siem\\s+${emitted.length}\\s+${url.replace(/[/.]/g, '\\$&')}`));
  });

  it('refuses an unknown format and --siem-url with --target aws, exit 2', async () => {
    // Act
    const format = await replay('--siem-url', url, '--siem-format', 'cef', 'events/');
    const target = await replay('--target', 'aws', '--siem-url', url, 'events/');

    // Assess
    expect(format.status).toBe(2);
    expect(format.stderr).toContain('--siem-format must be one of ndjson, json, splunk-hec, ocsf, got "cef"');
    expect(target.status).toBe(2);
    expect(target.stderr).toContain('--siem-url goes with --target local');
  });
});
