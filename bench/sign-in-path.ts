/**
 * The sign-in path, side by side in one run (issue 17): how long Cognito waits
 * for an answer from
 * - authtrail's post-authentication trigger, built as deployed (serverless.yml's
 *   esbuild settings and its log-first define), PII key through a loopback
 *   Parameters and Secrets extension;
 * - a hand-written trigger with the same AWS SDK and one awaited PutEvents
 *   (bench/hand-written/post-authentication.ts), bundled as a user would:
 *   esbuild's plain settings, nothing excluded;
 * - bare node: a process that does nothing (cold), and a handler that only
 *   returns its event in the same harness (warm): the machine's floor;
 * - an allocation control: a handler that copies the event through JSON for
 *   authtrail's warm p50 and answers, in the same harness: its p99 is what this
 *   machine does to any handler that allocates for that long (scheduling,
 *   memory, GC), none of it authtrail's code.
 * The bus is a loopback EventBridge that answers every PutEvents after 20 ms (an
 * in-region round trip). Warm: one process per trigger, many invocations, each
 * timed inside the process. Cold: fresh processes, interleaved (bare, authtrail,
 * hand-written per round), each reporting `performance.now()` when the first
 * answer is back. Events reaching the bus (hand-written) or the log (authtrail,
 * one event line each) are counted per invocation.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parseEventLogLine } from '../lib/publish/event-log.ts';
import { startFakeEventBridge } from '../test/helpers/fake-eventbridge.ts';
import { startFakeParametersExtension } from '../test/helpers/fake-parameters-extension.ts';
import { BARE, BUILD_DIR, INVOKE_ONCE, buildBundle, runTimed } from './cold-init.ts';
import { summarize } from './lib/stats.ts';

export const BUS_ROUND_TRIP_MS = 20;
const FIXTURE = resolve('events/post-authentication/sign-in-web.json');
const PARAMETER = '/authtrail/dev/pii-hash-key';
const SESSION_TOKEN = 'bench-session-token';

/** Imports the bundle, invokes it `count` times with the fixture, writes each answer time (ms) to the result file. */
const INVOKE_MANY = `
const [bundle, fixture, count, resultFile] = process.argv.slice(1);
const { readFileSync, writeFileSync } = await import('node:fs');
const { handler } = await import(bundle);
const event = JSON.parse(readFileSync(fixture, 'utf8'));
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 5000 };
const samples = [];
for (let i = 0; i < Number(count); i += 1) {
  const started = performance.now();
  try { await handler(structuredClone(event), context); } catch {}
  samples.push(performance.now() - started);
  // Lambda hands each invocation over from its runtime API (I/O), so nextTick work of one invocation (stream write
  // callbacks) runs before the next. A bare await loop never lets it: 3,000 invocations left 3,000 pending ticks,
  // each holding a Console, and the heap grew ~7 KB per invocation with slow scavenges. Untimed.
  await new Promise((resolve) => setImmediate(resolve));
}
writeFileSync(resultFile, JSON.stringify(samples));
process.stdout.write('\\nelapsed_ms=' + performance.now() + '\\n');
process.exit(0);
`;

const eventLinesIn = (stdout: string): number => stdout.split('\n').filter((line) => 'event' in parseEventLogLine(line)).length;

export interface SignInPathRow {
  /** bare node: a handler that only returns its event, in the same harness: the machine's floor, warm and cold. */
  variant: 'authtrail' | 'hand-written' | 'bare node' | 'allocation control';
  bundle_bytes: number | null;
  warm_p50_ms: number | null;
  warm_p99_ms: number | null;
  cold_ms: number;
  /** Events on the bus (hand-written) or in the log (authtrail) per invocation, warm and cold runs together. */
  events_per_invocation: number | null;
}

/** The hand-written trigger, bundled the way a user would: esbuild with its plain settings for Node, everything in. */
const buildHandWritten = async (): Promise<string> => {
  const outfile = join(BUILD_DIR, 'hand-written', 'post-authentication.cjs');
  await build({
    entryPoints: ['bench/hand-written/post-authentication.ts'],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'silent',
  });
  return outfile;
};

export const measureSignInPath = async (warmInvocations: number, coldRounds: number): Promise<SignInPathRow[]> => {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(BUILD_DIR, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'authtrail-sign-in-path-'));
  const bus = await startFakeEventBridge();
  bus.plan([], { kind: 'slow', ms: BUS_ROUND_TRIP_MS });
  const extension = await startFakeParametersExtension({ parameters: { [PARAMETER]: 'bench-pii-key-0123456789abcdef' }, sessionToken: SESSION_TOKEN });
  try {
    const authtrail = await buildBundle('post-authentication');
    const handWritten = await buildHandWritten();
    const bareHandler = join(BUILD_DIR, 'bare-handler.mjs');
    writeFileSync(bareHandler, 'export const handler = async (event) => event;\n');
    // Copies the event through JSON for CONTROL_MS and answers: what any handler that allocates like a real one for
    // that long sees of this machine (scheduling, memory, GC), with none of authtrail's code.
    const controlHandler = join(BUILD_DIR, 'control-handler.mjs');
    writeFileSync(
      controlHandler,
      'export const handler = async (event) => { const end = performance.now() + Number(process.env.CONTROL_MS); let copy = event; while (performance.now() < end) copy = JSON.parse(JSON.stringify(event)); return copy; };\n',
    );
    const common = { PATH: process.env.PATH, TZ: ':UTC', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCALBENCH', AWS_SECRET_ACCESS_KEY: 'local-bench-secret', AWS_SESSION_TOKEN: SESSION_TOKEN };
    const authtrailEnv = {
      ...common,
      AUTHTRAIL_STAGE: 'dev',
      AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
      AUTHTRAIL_CONFIG_FILE: resolve('config/dev.json'),
      AUTHTRAIL_PII_HASH_KEY_PARAMETER: PARAMETER,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(extension.port),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    const handWrittenEnv = { ...common, EVENT_BUS_NAME: 'authtrail-dev', AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint };

    // Warm: one process each, the first tenth as warm-up.
    const warm = async (bundle: string, env: NodeJS.ProcessEnv) => {
      const resultFile = join(scratch, `warm-${Math.random().toString(36).slice(2)}.json`);
      const { stdout } = await runTimed(['--input-type=module', '-e', INVOKE_MANY, bundle, FIXTURE, String(warmInvocations), resultFile], env);
      const samples = JSON.parse(readFileSync(resultFile, 'utf8')) as number[];
      return { stats: summarize(samples.slice(Math.floor(samples.length / 10))), stdout };
    };
    const authtrailWarm = await warm(authtrail, authtrailEnv);
    const busBeforeHandWritten = bus.accepted.length;
    const handWrittenWarm = await warm(handWritten, handWrittenEnv);
    const handWrittenWarmEvents = bus.accepted.length - busBeforeHandWritten;
    const bareWarm = await warm(bareHandler, common);
    const controlWarm = await warm(controlHandler, { ...common, CONTROL_MS: String(authtrailWarm.stats.p50) });

    // Cold: interleaved fresh processes.
    const cold = { bare: [] as number[], authtrail: [] as number[], handWritten: [] as number[] };
    let authtrailColdEvents = 0;
    const busBeforeCold = bus.accepted.length;
    for (let round = 0; round < coldRounds; round += 1) {
      cold.bare.push((await runTimed(['-e', BARE], common)).elapsedMs);
      const authtrailCold = await runTimed(['--input-type=module', '-e', INVOKE_ONCE, authtrail, FIXTURE], authtrailEnv);
      cold.authtrail.push(authtrailCold.elapsedMs);
      authtrailColdEvents += eventLinesIn(authtrailCold.stdout);
      cold.handWritten.push((await runTimed(['--input-type=module', '-e', INVOKE_ONCE, handWritten, FIXTURE], handWrittenEnv)).elapsedMs);
    }
    const handWrittenColdEvents = bus.accepted.length - busBeforeCold;

    const invocations = warmInvocations + coldRounds;
    return [
      {
        variant: 'authtrail',
        bundle_bytes: statSync(authtrail).size,
        warm_p50_ms: authtrailWarm.stats.p50,
        warm_p99_ms: authtrailWarm.stats.p99,
        cold_ms: summarize(cold.authtrail).p50,
        events_per_invocation: (eventLinesIn(authtrailWarm.stdout) + authtrailColdEvents) / invocations,
      },
      {
        variant: 'hand-written',
        bundle_bytes: statSync(handWritten).size,
        warm_p50_ms: handWrittenWarm.stats.p50,
        warm_p99_ms: handWrittenWarm.stats.p99,
        cold_ms: summarize(cold.handWritten).p50,
        events_per_invocation: (handWrittenWarmEvents + handWrittenColdEvents) / invocations,
      },
      {
        variant: 'bare node',
        bundle_bytes: null,
        warm_p50_ms: bareWarm.stats.p50,
        warm_p99_ms: bareWarm.stats.p99,
        cold_ms: summarize(cold.bare).p50,
        events_per_invocation: null,
      },
      {
        variant: 'allocation control',
        bundle_bytes: null,
        warm_p50_ms: controlWarm.stats.p50,
        warm_p99_ms: controlWarm.stats.p99,
        cold_ms: Number.NaN,
        events_per_invocation: null,
      },
    ];
  } finally {
    await bus.close();
    await extension.close();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }
};

// `node bench/sign-in-path.ts [warm invocations] [cold rounds]` runs it alone; bench/run.ts imports it.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await measureSignInPath(Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 7));
  process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
}
