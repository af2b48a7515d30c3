#!/usr/bin/env node
/**
 * npm run bench:recovery -- [--signins-per-second <n>] [--outage-minutes <n>] [--put-events-ms <n>] [--filter-ms <n>]
 *
 * Spill recovery after a bus outage, measured: every sign-in of the outage spilled
 * three AuthEvents (pre authentication, post authentication, pre token
 * generation), one to each of those log groups. Scheduled runs of the
 * recover-spilled code (lib/recover/resumable.ts, with the function's settings:
 * 300 s timeout, 5 min lag, 15 min schedule, 20 s publish deadline) run every
 * 15 minutes of simulated time: during the outage the bus refuses every call,
 * then it answers like AWS, `--put-events-ms` per PutEvents. Each run gets the
 * function's real time budget (wall clock); log time is simulated. Prints the
 * runs, the events/s recovered and when the backlog reached 0.
 *
 * The log groups are served by a loopback FilterLogEvents endpoint that makes
 * the spill lines on demand (an hour of spills does not fit in memory), pages of
 * at most 1 MB or 10,000 events as CloudWatch Logs pages, `--filter-ms` per
 * request. Everything runs in this process on loopback; bounded by the runs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { AuthEvent } from '../lib/auth-event/schema.ts';
import { createBusPublisher } from '../lib/publish/eventbridge.ts';
import { spillLine } from '../lib/publish/spill.ts';
import { createMemoryCheckpointStore } from '../lib/recover/checkpoint.ts';
import { recoverResumably, scheduledUntil, StopReason } from '../lib/recover/resumable.ts';
import { namesFor } from '../lib/naming.ts';
import { startFakeEventBridge } from '../test/helpers/fake-eventbridge.ts';
import { golden } from '../test/helpers/fixtures.ts';

const { values } = parseArgs({
  options: {
    'signins-per-second': { type: 'string', default: '20' },
    'outage-minutes': { type: 'string', default: '60' },
    'put-events-ms': { type: 'string', default: '30' },
    'filter-ms': { type: 'string', default: '150' },
  },
});
const signInsPerSecond = Number(values['signins-per-second']);
const outageMinutes = Number(values['outage-minutes']);
const putEventsMs = Number(values['put-events-ms']);
const filterMs = Number(values['filter-ms']);
if (!(signInsPerSecond > 0 && signInsPerSecond <= 500) || !(outageMinutes > 0 && outageMinutes <= 240)) {
  throw new Error('--signins-per-second must be in (0, 500] and --outage-minutes in (0, 240]');
}

// The function's settings (serverless.yml, functions/recover-spilled.ts).
const TIMEOUT_MS = 300_000;
const RATE_MINUTES = 15;
const LAG_MINUTES = 5;
const PUBLISH_DEADLINE_MS = 20_000;
const MAX_RUNS = 40;

for (const [name, value] of Object.entries({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCALBENCH', AWS_SECRET_ACCESS_KEY: 'local-bench-secret' })) {
  process.env[name] = value;
}

const names = namesFor('prod');
const GROUPS = ['pre-authentication', 'post-authentication', 'pre-token-generation'].map(names.functionLogGroup);
const OUTAGE_START = Date.parse('2026-11-27T10:00:00.000Z');
const OUTAGE_END = OUTAGE_START + outageMinutes * 60_000;
const everyMs = 1000 / signInsPerSecond;
const perGroup = Math.floor(outageMinutes * 60 * signInsPerSecond);
const total = perGroup * GROUPS.length;

// One spill line per group and sign-in: the golden sign-in with an id that says which; `ID` is replaced.
const template = spillLine(
  { ...golden('post-authentication/sign-in-web.json'), id: 'ID'.padEnd(32, '_') } as AuthEvent,
  'deadline of 800 ms exceeded (last error: ThrottlingException: Rate exceeded)',
  new Date(OUTAGE_START),
);
const lineOf = (group: number, index: number) => ({
  timestamp: OUTAGE_START + Math.floor(index * everyMs),
  message: template.replace('ID'.padEnd(32, '_'), `${group.toString(16)}${index.toString(16).padStart(31, '0')}`),
});
const MAX_PAGE_BYTES = 1_000_000;
const MAX_PAGE_EVENTS = 10_000;

/** FilterLogEvents over the synthetic spills: [startTime, endTime] inclusive, nextToken = next index. */
const logsServer = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () =>
    setTimeout(() => {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { logGroupName: string; startTime: number; endTime: number; nextToken?: string };
      const group = GROUPS.indexOf(input.logGroupName);
      const first = Math.max(0, Math.ceil((input.startTime - OUTAGE_START) / everyMs));
      let index = input.nextToken === undefined ? first : Number(input.nextToken);
      const events = [];
      let bytes = 0;
      for (; index < perGroup && events.length < MAX_PAGE_EVENTS; index += 1) {
        const line = lineOf(group, index);
        if (line.timestamp < input.startTime) continue;
        if (line.timestamp > input.endTime) {
          index = perGroup;
          break;
        }
        if (bytes + line.message.length > MAX_PAGE_BYTES) break;
        bytes += line.message.length;
        events.push({ ...line, logStreamName: 'stream', eventId: String(index) });
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ events, ...(index < perGroup ? { nextToken: String(index) } : {}) }));
    }, filterMs),
  );
});
await new Promise<void>((resolve) => logsServer.listen(0, '127.0.0.1', resolve));
const logsEndpoint = `http://127.0.0.1:${(logsServer.address() as AddressInfo).port}`;

const bus = await startFakeEventBridge(0);
const published = new Set<string>();
const drain = () => {
  for (const entry of bus.accepted) published.add(/"id":"([^"]+)"/.exec(entry.Detail)?.[1] ?? '');
  bus.accepted.length = 0;
  bus.calls.length = 0;
};

const logs = new CloudWatchLogsClient({ endpoint: logsEndpoint });
const publisher = createBusPublisher({ busName: names.busName, deadlineMs: PUBLISH_DEADLINE_MS, endpoint: bus.endpoint });
// The runs before the outage had caught up: every group's checkpoint is at the outage's start.
const checkpoints = createMemoryCheckpointStore(Object.fromEntries(GROUPS.map((group) => [group, OUTAGE_START])));

const log = (line: string) => process.stdout.write(`${line}\n`);
log(`recovery bench: ${signInsPerSecond} sign-ins/s x 3 spilled events, ${outageMinutes} min outage = ${total} events; PutEvents ${putEventsMs} ms, FilterLogEvents ${filterMs} ms a request`);
log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, node ${process.version}`);
log('run at (simulated)      bus      stopped by        published  run s   events/s  backlog s');

let publishingMs = 0;
let publishingEvents = 0;
let caughtUpAt: number | undefined;
for (let run = 1; run <= MAX_RUNS; run += 1) {
  const scheduled = OUTAGE_START + run * RATE_MINUTES * 60_000;
  const busDown = scheduled <= OUTAGE_END;
  bus.plan([], busDown ? { kind: 'throttle' } : { kind: 'slow', ms: putEventsMs });
  const until = scheduledUntil(new Date(scheduled), LAG_MINUTES);
  const started = performance.now();
  const report = await recoverResumably({
    logs,
    publisher,
    checkpoints,
    logGroups: GROUPS,
    until,
    firstSince: until - RATE_MINUTES * 60_000,
    remainingMs: () => TIMEOUT_MS - (performance.now() - started),
    now: () => new Date(scheduled),
  });
  const elapsed = performance.now() - started;
  drain();
  if (!busDown) {
    publishingMs += elapsed;
    publishingEvents += report.published;
  }
  log(
    `${new Date(scheduled).toISOString()}  ${busDown ? 'down' : 'up  '}  ${report.stoppedBy.padEnd(16)}  ${String(report.published).padStart(9)}  ${(elapsed / 1000).toFixed(1).padStart(5)}  ${(report.published / (elapsed / 1000)).toFixed(0).padStart(8)}  ${String(report.backlogSeconds).padStart(9)}`,
  );
  if (!busDown && report.stoppedBy === StopReason.CaughtUp && until >= OUTAGE_END) {
    caughtUpAt = scheduled;
    break;
  }
}

log(`recovered ${published.size} of ${total} distinct events; ${(publishingEvents / (publishingMs / 1000)).toFixed(0)} events/s over the runs with the bus up`);
log(
  caughtUpAt === undefined
    ? `NOT caught up after ${MAX_RUNS} runs`
    : `caught up by the run at ${new Date(caughtUpAt).toISOString()}: ${((caughtUpAt - OUTAGE_END) / 60_000).toFixed(0)} min after the outage ended`,
);
await bus.close();
logsServer.close();
process.exitCode = published.size === total && caughtUpAt !== undefined ? 0 : 1;
