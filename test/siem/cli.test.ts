/**
 * The two commands as a person runs them: `npm run siem` (the receiver, faults
 * from flags, totals on exit) and `npm run redrive -- --local`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSiemSender, systemDeliveryIo } from '../../lib/siem/delivery.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import { siemStorePaths } from '../../local/sinks/local-store.ts';
import { receivedFile } from '../../local/siem/receiver.ts';
import { createNdjsonFile } from '../../local/sinks/local-store.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { sleep } from '../helpers/process-group.ts';
import { envelopeBody, goldenEvents, newSecret, sinkFor } from './helpers.ts';

let storeDir: string;
let child: ChildProcessWithoutNullStreams | undefined;

beforeEach(() => {
  storeDir = mkdtempSync(join(tmpdir(), 'authtrail-siem-cli-'));
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  rmSync(storeDir, { recursive: true, force: true });
});

const run = (script: string, args: string[], env: Record<string, string> = {}) => {
  const process_ = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  process_.stdout.on('data', (chunk) => (stdout += chunk));
  process_.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => process_.on('close', resolve));
  return { process: process_, output: () => ({ stdout, stderr }), exited };
};

const waitFor = async (read: () => string, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => {
  const started = Date.now();
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}; got: ${read()}`);
    await sleep(20);
  }
};

describe('CLI: npm run siem', () => {
  it('receives signed batches with the secret from the environment, fails on request, prints totals on exit', async () => {
    // Prepare
    const secret = newSecret();
    const receiver = run('bin/siem.ts', ['--port', '0', '--store', storeDir, '--fail-status', '503', '--fail-count', '1'], {
      AUTHTRAIL_SIEM_SECRET: secret,
    });
    child = receiver.process;
    const [, url] = await waitFor(() => receiver.output().stdout, /authtrail SIEM receiver · stage dev · (http:\/\/127\.0\.0\.1:\d+\/)/);
    const transport = createHttpTransport();
    const events = goldenEvents();
    const sender = createSiemSender({
      sink: sinkFor(url as string, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 } }),
      credentials: { webhookSecrets: [secret] },
      io: systemDeliveryIo(transport.send),
    });

    // Act
    const report = await sender.deliver(events);
    transport.close();
    receiver.process.kill('SIGTERM');
    const status = await receiver.exited;

    // Assess
    expect(report).toMatchObject({ delivered: 31, requests: 2 });
    expect(status).toBe(0);
    const { stdout } = receiver.output();
    expect(stdout).toMatch(/POST \/ 503 \(fault\)/);
    expect(stdout).toMatch(/POST \/ 200 · 31 ndjson record\(s\): 31 new, 0 duplicate · 31 held/);
    expect(stdout).toContain('requests 2 · stored 31 · duplicates 0 · bad signature 0 · bad body 0 · faults 1');
    expect(stdout).not.toContain(secret);
    const stored = readFileSync(receivedFile(storeDir, 'dev'), 'utf8').trim().split('\n');
    expect(stored.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(events.map((event) => event.id));
  });

  it('refuses a bad flag with exit code 2', async () => {
    // Act
    const receiver = run('bin/siem.ts', ['--fail-count', '3', '--store', storeDir]);
    child = receiver.process;
    const status = await receiver.exited;

    // Assess
    expect(status).toBe(2);
    expect(receiver.output().stderr).toContain('--fail-count needs --fail-status');
  });
});

describe('CLI: npm run siem as a Splunk HEC token', () => {
  it('--hec-ack --hec-ack-polls 1 --hec-invalid-event 2: a channel is required, a bad event is refused alone, batches are acknowledged', async () => {
    // Prepare
    const secret = newSecret();
    const receiver = run(
      'bin/siem.ts',
      ['--port', '0', '--store', storeDir, '--hec-token-env', 'HEC_TOKEN', '--hec-ack', '--hec-ack-polls', '1', '--hec-invalid-event', '2'],
      { AUTHTRAIL_SIEM_SECRET: secret, HEC_TOKEN: 'cli-hec-token' },
    );
    child = receiver.process;
    const [, url] = await waitFor(() => receiver.output().stdout, /authtrail SIEM receiver · stage dev · (http:\/\/127\.0\.0\.1:\d+\/)/);
    const transport = createHttpTransport();
    const events = goldenEvents().slice(0, 6);
    const sender = createSiemSender({
      sink: sinkFor(`${url}services/collector/event`, {
        format: 'splunk-hec',
        splunk: { sourcetype: 'authtrail:authevent', source: 'authtrail', ack: { enabled: true, pollIntervalMs: 100, timeoutMs: 5_000 } },
      }),
      credentials: { webhookSecrets: [secret], hecToken: 'cli-hec-token' },
      io: systemDeliveryIo(transport.send),
    });

    // Act
    const report = await sender.deliver(events);
    transport.close();
    receiver.process.kill('SIGTERM');
    await receiver.exited;

    // Assess
    expect(report.results.map((result) => result.status)).toEqual(['delivered', 'delivered', 'rejected', 'delivered', 'delivered', 'delivered']);
    const { stdout } = receiver.output();
    expect(stdout).toMatch(/400 \(fault\) · invalid-event-number 2: 2 stored before it/);
    const stored = readFileSync(receivedFile(storeDir, 'dev'), 'utf8').trim().split('\n');
    expect(stored.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(events.filter((_, index) => index !== 2).map((event) => event.id));
  });
});

describe('CLI: npm run redrive -- --local', () => {
  it('moves the local DLQ back onto the local SIEM queue and reports the count', async () => {
    // Prepare
    const paths = siemStorePaths(storeDir, 'dev');
    const bodies = goldenEvents().slice(0, 4).map(envelopeBody);
    createNdjsonFile(paths.dlq).append(bodies.map((body) => ({ failedAt: '2026-11-27T10:00:00.000Z', reason: 'HTTP 503', retryable: true, body })));

    // Act
    const redrive = run('bin/redrive.ts', ['--stage', 'dev', '--local', '--store', storeDir]);
    const status = await redrive.exited;

    // Assess
    expect(status).toBe(0);
    expect(JSON.parse(redrive.output().stdout)).toEqual({ local: true, moved: 4, failed: 0, errors: [], kept: 0 });
    expect(redrive.output().stderr).toBe('moved 4 of ~4\n');
    expect(readFileSync(paths.queue, 'utf8')).toBe(bodies.map((body) => `${body}\n`).join(''));
    expect(readFileSync(paths.dlq, 'utf8')).toBe('');
  });

  it('requires --stage', async () => {
    // Act
    const redrive = run('bin/redrive.ts', ['--local']);
    const status = await redrive.exited;

    // Assess
    expect(status).toBe(2);
    expect(redrive.output().stderr).toContain('--stage is required');
  });
});
