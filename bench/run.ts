#!/usr/bin/env node
/**
 * npm run bench [-- --json] [--quick] [--runtime-sdk]
 *
 * authtrail's cost on the sign-in path, measured in one run on this machine:
 * warm trigger overhead, cold start per bundle against bare node, local replay
 * throughput, SIEM delivery batched vs per event, sign-in latency against a
 * stalled bus, dollars per million events, and the Security Lake writer against
 * Firehose (bench/security-lake-cost.ts). Prints a table; with --json, one
 * JSON object as the last line. Method and results: docs/performance.md.
 * Loopback only; every loop is bounded.
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { startFakeEventBridge } from '../test/helpers/fake-eventbridge.ts';
import { RUNTIME_SDK_EXTERNALS, measureColdInit } from './cold-init.ts';
import { ASSUMPTIONS, costPerMillionEvents } from './cost.ts';
import { measureDeadlineLatency } from './deadline.ts';
import { measureReplayThroughput } from './replay-throughput.ts';
import { measureSecurityLake } from './security-lake-cost.ts';
import { BUS_ROUND_TRIP_MS, measureSignInPath } from './sign-in-path.ts';
import { round } from './lib/stats.ts';
import { measureTriggerOverhead } from './trigger-overhead.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    /** Measure bundles with the AWS SDK taken from the runtime instead (docs/performance.md). */
    'runtime-sdk': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** bench/siem.ts runs its receiver in another process; read the figures it prints. */
const measureSiem = (events: number, rounds: number) =>
  new Promise<{ batched: number; single: number; ratio: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/siem.ts', '--events', String(events), '--rounds', String(rounds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (status) => {
      const batched = /batched .*: (\d+) events\/s/.exec(out)?.[1];
      const single = /single .*: (\d+) events\/s/.exec(out)?.[1];
      if (status !== 0 || batched === undefined || single === undefined) return reject(new Error(`bench/siem.ts failed: ${out}`));
      resolve({ batched: Number(batched), single: Number(single), ratio: Number(batched) / Number(single) });
    });
  });

log('trigger overhead...');
const overhead = await measureTriggerOverhead(quick ? 2_000 : 20_000, quick ? 200 : 2_000);
log('cold init...');
const bus = await startFakeEventBridge();
const cold = await measureColdInit(bus.endpoint, quick ? 3 : 7, values['runtime-sdk'] ? RUNTIME_SDK_EXTERNALS : []).finally(() =>
  bus.close(),
);
log('sign-in path: authtrail, hand-written, bare node...');
const signInPath = await measureSignInPath(quick ? 200 : 2_000, quick ? 3 : 9);
log('replay throughput...');
const replay = await measureReplayThroughput(quick ? 10_000 : 100_000);
log('SIEM delivery...');
const siem = await measureSiem(quick ? 500 : 2_000, quick ? 1 : 3);
log('deadline latency...');
const deadline = await measureDeadlineLatency(quick ? 3 : 20);
log('security lake: writer step, fidelity, cost against Firehose...');
const securityLake = await measureSecurityLake(quick);
const meanUs = overhead.reduce((sum, row) => sum + row.mean_us, 0) / overhead.length;
const cost = costPerMillionEvents(meanUs, 'log');
const costBusDirect = costPerMillionEvents(meanUs, 'bus');
const row = (variant: string) => signInPath.find((candidate) => candidate.variant === variant)!;
const [authtrailPath, handWrittenPath, barePath, controlPath] = [row('authtrail'), row('hand-written'), row('bare node'), row('allocation control')];

const figures = {
  machine: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  trigger_overhead_us_p50: Object.fromEntries(overhead.map((row) => [row.trigger, round(row.p50_us)])),
  trigger_overhead_us_p99: Object.fromEntries(overhead.map((row) => [row.trigger, round(row.p99_us)])),
  cold_init_ms: Object.fromEntries(cold.map((row) => [row.trigger, round(row.cold_init_ms)])),
  cold_init_env_key_ms: Object.fromEntries(cold.map((row) => [row.trigger, round(row.cold_init_env_key_ms)])),
  bare_node_ms: Object.fromEntries(cold.map((row) => [row.trigger, round(row.bare_node_ms)])),
  cold_init_ratio: Object.fromEntries(cold.map((row) => [row.trigger, round(row.cold_init_ratio, 2)])),
  bundle_bytes: Object.fromEntries(cold.map((row) => [row.trigger, row.bundle_bytes])),
  sign_in_path: {
    bus_round_trip_ms: BUS_ROUND_TRIP_MS,
    rows: signInPath.map((entry) => ({
      ...entry,
      warm_p50_ms: entry.warm_p50_ms === null ? null : round(entry.warm_p50_ms, 2),
      warm_p99_ms: entry.warm_p99_ms === null ? null : round(entry.warm_p99_ms, 2),
      cold_ms: Number.isNaN(entry.cold_ms) ? null : round(entry.cold_ms),
    })),
    cold_vs_hand_written: round(authtrailPath.cold_ms / handWrittenPath.cold_ms, 2),
  },
  replay_events_per_s: Math.round(replay.replay_events_per_s),
  siem_batched_events_per_s: siem.batched,
  siem_per_event_events_per_s: siem.single,
  siem_batch_ratio: round(siem.ratio, 1),
  deadline_ms: deadline.deadline_ms,
  deadline_latency_ms_p99: round(deadline.deadline_latency_ms_p99),
  cost_per_million_events_usd: round(cost.cost_per_million_events_usd, 2),
  cost_breakdown_usd: Object.fromEntries(Object.entries(cost.breakdown).map(([key, value]) => [key, round(value, 3)])),
  cost_per_million_events_bus_direct_usd: round(costBusDirect.cost_per_million_events_usd, 2),
  cost_breakdown_bus_direct_usd: Object.fromEntries(Object.entries(costBusDirect.breakdown).map(([key, value]) => [key, round(value, 3)])),
  cost_assumptions: { ...ASSUMPTIONS, billedMsPerTrigger: cost.billedMs, billedMsPerTriggerBusDirect: costBusDirect.billedMs },
  security_lake: securityLake,
};

const TARGETS: [string, string, boolean][] = [
  [
    `sign-in warm p99 <= 2 ms (bus ${BUS_ROUND_TRIP_MS} ms)`,
    `${round(authtrailPath.warm_p99_ms ?? Number.NaN, 2)} (hand-written ${round(handWrittenPath.warm_p99_ms ?? Number.NaN, 2)}, empty handler ${round(barePath.warm_p99_ms ?? Number.NaN, 2)}, allocation control ${round(controlPath.warm_p99_ms ?? Number.NaN, 2)})`,
    (authtrailPath.warm_p99_ms ?? Infinity) <= 2,
  ],
  ['sign-in cold <= 0.6x hand-written', `${figures.sign_in_path.cold_vs_hand_written} (${round(authtrailPath.cold_ms)} / ${round(handWrittenPath.cold_ms)} ms, bare ${round(barePath.cold_ms)})`, figures.sign_in_path.cold_vs_hand_written <= 0.6],
  ['sign-in events per invocation = 1', `${authtrailPath.events_per_invocation} (hand-written ${handWrittenPath.events_per_invocation})`, authtrailPath.events_per_invocation === 1],
  ['p99 overhead <= 200 us', JSON.stringify(figures.trigger_overhead_us_p99), overhead.every((row) => row.p99_us <= 200)],
  ['cold init ratio <= 2', JSON.stringify(figures.cold_init_ratio), cold.every((row) => row.cold_init_ratio <= 2)],
  ['bundle <= 200 KB', JSON.stringify(figures.bundle_bytes), cold.every((row) => row.bundle_bytes <= 200 * 1024)],
  ['replay >= 50,000 events/s', String(figures.replay_events_per_s), figures.replay_events_per_s >= 50_000],
  ['SIEM batch ratio >= 20', String(figures.siem_batch_ratio), figures.siem_batch_ratio >= 20],
  [`deadline latency p99 <= ${deadline.deadline_ms + 50} ms`, String(figures.deadline_latency_ms_p99), figures.deadline_latency_ms_p99 <= deadline.deadline_ms + 50],
];

const table = [
  `authtrail bench · ${figures.machine}`,
  '',
  ...TARGETS.map(([target, value, met]) => `${met ? 'met ' : 'MISS'}  ${target.padEnd(36)} ${value}`),
  '',
  `trigger p50 us: ${JSON.stringify(figures.trigger_overhead_us_p50)}`,
  `cold init ms, PII key through the extension as deployed: ${JSON.stringify(figures.cold_init_ms)}`,
  `bare node ms, interleaved with each: ${JSON.stringify(figures.bare_node_ms)}`,
  `cold init ms, PII key from the environment: ${JSON.stringify(figures.cold_init_env_key_ms)}`,
  `SIEM events/s: batched ${figures.siem_batched_events_per_s}, per event ${figures.siem_per_event_events_per_s}`,
  `sign-in path: ${JSON.stringify(figures.sign_in_path.rows)}`,
  `cost per million events, log-first as deployed: $${figures.cost_per_million_events_usd} ${JSON.stringify(figures.cost_breakdown_usd)}`,
  `cost per million events, trigger awaiting PutEvents: $${figures.cost_per_million_events_bus_direct_usd} ${JSON.stringify(figures.cost_breakdown_bus_direct_usd)}`,
  `security lake writer step over loopback S3 (after a ${securityLake.latency.batching_window_s} s batching window): ${JSON.stringify(securityLake.latency.step)}`,
  ...securityLake.cost_per_million_usd.map(
    (row) => `security lake per million at ${row.eventsPerMonth.toExponential(0)} events/month: writer $${row.writer.total}, Firehose (arrival-time day) $${row.firehoseArrivalTime.total}, Firehose (event day, dynamic partitioning) $${row.firehoseEventDay.total} (Firehose prices are assumptions)`,
  ),
];
process.stdout.write(`${table.join('\n')}\n`);
if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
