#!/usr/bin/env node
/**
 * npm run bench:siem -- [--events <n>] [--rounds <n>] [--format ndjson|json|splunk-hec|ocsf]
 *
 * Events per second from the delivery code to the local SIEM receiver over
 * loopback HTTP: batched (the stage default, 100 events per request) against
 * one request per event, measured in the same run, alternating, on fresh ids so
 * the receiver stores every event in both modes. The receiver runs in its own
 * process (`bin/siem.ts`, storing to a temporary directory), as it would for a
 * local run. Loopback only; bounded by --events x --rounds requests at most.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuthEvent } from '../lib/auth-event/schema.ts';
import { StageConfigSchema } from '../lib/config/schema.ts';
import { createSiemSender, sinkFromConfig, systemDeliveryIo } from '../lib/siem/delivery.ts';
import { DEFAULT_SIEM_FORMAT, isSiemFormat } from '../lib/siem/formats/index.ts';
import { createHttpTransport } from '../lib/siem/http.ts';
import { webhookSecretFrom } from '../lib/siem/signing.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    format: { type: 'string', default: DEFAULT_SIEM_FORMAT },
  },
});
const total = Number(values.events);
const rounds = Number(values.rounds);
if (!Number.isInteger(total) || total < 1 || total > 10_000 || !Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  throw new Error('--events must be 1..10000 and --rounds 1..10');
}
if (!isSiemFormat(values.format)) throw new Error(`unknown --format ${values.format}`);
const format = values.format;

const root = join(import.meta.dirname, '..');
const golden: AuthEvent[] = [
  'post-authentication/sign-in-web.json',
  'pre-token-generation/v2/authentication-admin.json',
  'pre-signup/sign-up-allowed.json',
  'pre-token-generation/v2/refresh-tokens.json',
].map((file) => (JSON.parse(readFileSync(join(root, 'test', 'golden', file), 'utf8')) as { events: AuthEvent[] }).events[0] as AuthEvent);

let run = 0;
/** `count` real events under ids never used before in this run. */
const freshEvents = (count: number): AuthEvent[] => {
  run += 1;
  return Array.from({ length: count }, (_, index) => ({
    ...(golden[index % golden.length] as AuthEvent),
    id: `${run.toString(16).padStart(8, '0')}${index.toString(16).padStart(24, '0')}`,
  }));
};

const secret = webhookSecretFrom(Buffer.alloc(32, 7));
const store = mkdtempSync(join(tmpdir(), 'authtrail-bench-siem-'));
const receiver = spawn(process.execPath, [join(root, 'bin', 'siem.ts'), '--port', '0', '--quiet', '--store', store], {
  cwd: root,
  env: { ...process.env, AUTHTRAIL_SIEM_SECRET: secret },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  receiver.stdout.on('data', (chunk) => {
    out += chunk;
    const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
    if (match) resolve(match[1] as string);
  });
  receiver.on('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
});

const siem = StageConfigSchema.parse({}).siem;
const transport = createHttpTransport({ maxSockets: 1 });
const senderFor = (maxEvents: number) =>
  createSiemSender({
    sink: { ...sinkFromConfig(siem, url, { format }), batch: { maxEvents, maxBytes: siem.batch.maxBytes } },
    // The receiver checks HEC tokens only when told one; the sender needs one for splunk-hec.
    credentials: { webhookSecrets: [secret], hecToken: 'bench' },
    io: systemDeliveryIo(transport.send),
  });
type Mode = 'batched' | 'single';
let modes: Record<Mode, ReturnType<typeof senderFor>>;

/**
 * Batched rounds carry ten times the events of per-event rounds, so that both
 * run for about half a second to a second: a batched round of only 20 requests
 * lasted ~40 ms, and one scheduling hiccup moved its rate by half.
 */
const BATCHED_SCALE = 10;
const eventsFor = (mode: Mode) => (mode === 'batched' ? total * BATCHED_SCALE : total);

const measure = async (mode: Mode) => {
  const count = eventsFor(mode);
  const events = freshEvents(count);
  const started = performance.now();
  const report = await modes[mode].deliver(events);
  const seconds = (performance.now() - started) / 1000;
  if (report.delivered !== count) throw new Error(`${mode}: delivered ${report.delivered} of ${count}`);
  return { eventsPerSecond: count / seconds, requests: report.requests };
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  modes = { batched: senderFor(siem.batch.maxEvents), single: senderFor(1) };
  await measure('batched'); // warm-up: JIT, keep-alive socket, receiver file
  await measure('single');
  const results: Record<Mode, { eventsPerSecond: number; requests: number }[]> = { batched: [], single: [] };
  for (let round = 0; round < rounds; round += 1) {
    const order: (Mode)[] = round % 2 === 0 ? ['batched', 'single'] : ['single', 'batched'];
    for (const mode of order) results[mode].push(await measure(mode));
  }
  const batched = median(results.batched.map((result) => result.eventsPerSecond));
  const single = median(results.single.map((result) => result.eventsPerSecond));
  const cpu = cpus();
  process.stdout.write(
    [
      `authtrail SIEM delivery benchmark · ${format} · ${rounds} rounds per mode (median) of ${eventsFor('batched')} events batched, ${eventsFor('single')} one per request; loopback, receiver in its own process`,
      `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      `batched (${siem.batch.maxEvents}/request, ${results.batched[0]?.requests} requests): ${Math.round(batched)} events/s`,
      `single  (1/request, ${results.single[0]?.requests} requests): ${Math.round(single)} events/s`,
      `ratio batched / single: ${(batched / single).toFixed(1)}x`,
      '',
    ].join('\n'),
  );
} finally {
  transport.close();
  receiver.kill('SIGTERM');
  rmSync(store, { recursive: true, force: true });
}
