/**
 * Cold start of each trigger bundle: a fresh Node 22 process loads the esbuild
 * bundle, runs the module's cold-start code and one invocation, and exits. The
 * bundles are built with the esbuild options serverless.yml deploys with
 * (custom.esbuild), so the numbers are those of the deployed code. A
 * bare `node -e` runs interleaved with them: cold_init_ratio = bundle / bare.
 * AUTHTRAIL_BENCH_NO_MINIFY=1 builds the bundles unminified, for CPU profiles
 * that name functions and modules (the figures are then not the deployed ones).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { load as loadYaml } from 'js-yaml';
import { TriggerName } from '../lib/cognito/trigger-sources.ts';
import { collectFixtureFiles } from '../local/replay/fixture-file.ts';
import { summarize } from './lib/stats.ts';
import { startFakeParametersExtension } from '../test/helpers/fake-parameters-extension.ts';

/** Inside the project, so a bundle resolves the packages it keeps external (disposable-email-domains) as in its zip. */
export const BUILD_DIR = resolve('.bench-build');

interface EsbuildSettings {
  minify?: boolean;
  sourcemap?: BuildOptions['sourcemap'];
  format?: BuildOptions['format'];
  platform?: BuildOptions['platform'];
  target?: string;
  mainFields?: string[];
  banner?: Record<string, string>;
  exclude?: string[];
  external?: string[];
  /** A file exporting an array of esbuild plugins (serverless-esbuild's `plugins` setting). */
  plugins?: string;
}

/**
 * A block of serverless.yml's `custom:` (`esbuild`, `logFirstDefine`). The file
 * as a whole holds CloudFormation short-form tags (!GetAtt...) that a YAML
 * reader rejects, so only that block, which has none, is cut out and read.
 */
const customBlock = (name: string): unknown => {
  const lines = readFileSync('serverless.yml', 'utf8').split('\n');
  const start = lines.findIndex((line) => line === `  ${name}:`);
  if (start < 0) throw new Error(`serverless.yml has no custom.${name} block`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.trim() !== '' && !line.startsWith('    '));
  const block = (end < 0 ? rest : rest.slice(0, end)).map((line) => line.slice(4)).join('\n');
  return loadYaml(block);
};

/** custom.esbuild of serverless.yml. */
export const deployedEsbuildSettings = (): EsbuildSettings => customBlock('esbuild') as EsbuildSettings;

/**
 * custom.logFirstDefine: what the deployed build defines (custom.esbuild.define
 * resolves to it for every package and deploy), so the trigger bundles are the
 * log-first ones, without the AWS SDK (lib/runtime/trigger-lambda.ts).
 */
export const deployedDefine = (): Record<string, string> => customBlock('logFirstDefine') as Record<string, string>;

/**
 * The alternative docs/performance.md weighs: the AWS SDK left out of the bundle
 * and resolved at run time (from the nodejs22.x runtime on AWS; from node_modules here).
 */
export const RUNTIME_SDK_EXTERNALS = ['@aws-sdk/*', '@smithy/*'] as const;

export const buildBundle = async (name: string, extraExternal: readonly string[] = []): Promise<string> => {
  const settings = deployedEsbuildSettings();
  const outfile = join(BUILD_DIR, 'functions', `${name}.mjs`);
  const plugins = settings.plugins ? ((await import(resolve(settings.plugins))) as { default: Plugin[] }).default : [];
  await build({
    entryPoints: [`functions/${name}.ts`],
    outfile,
    bundle: true,
    minify: process.env.AUTHTRAIL_BENCH_NO_MINIFY ? false : (settings.minify ?? true),
    sourcemap: settings.sourcemap ?? false,
    format: settings.format ?? 'esm',
    platform: settings.platform ?? 'node',
    target: settings.target ?? 'node22',
    mainFields: settings.mainFields ?? ['module', 'main'],
    banner: settings.banner ?? {},
    external: [...(settings.exclude ?? []), ...(settings.external ?? []), ...extraExternal],
    define: deployedDefine(),
    plugins,
    logLevel: 'silent',
  });
  return outfile;
};

/** From process start to the first answer, as the child reports it; a CommonJS bundle's `handler` is found by Node's export detection. */
export const INVOKE_ONCE = `
const [bundle, fixture] = process.argv.slice(1);
const { readFileSync } = await import('node:fs');
const { handler } = await import(bundle);
try { await handler(JSON.parse(readFileSync(fixture, 'utf8')), { functionName: 'bench', awsRequestId: 'bench' }); } catch {} // a policy denial is an answer too
process.stdout.write('\\nelapsed_ms=' + performance.now() + '\\n');
process.exit(0);
`;

/** The bare process, measured the same way: from process start to the end of its only statement. */
export const BARE = "process.stdout.write('\\nelapsed_ms=' + performance.now() + '\\n'); process.exit(0);";

/**
 * Milliseconds from the child's process start to the end of its work, as it
 * reports them (performance.now() counts from process start): keep-alive
 * sockets or the time to tear a process down do not count, as in Lambda.
 */
export const runTimed = (args: string[], env: NodeJS.ProcessEnv): Promise<{ elapsedMs: number; stdout: string }> =>
  // Asynchronous on purpose: the local EventBridge endpoint lives in this process and must keep answering.
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) return reject(new Error(`cold start run failed: ${stderr}`));
      // The function's own log lines (event lines, EMF metrics, spills) share stdout.
      const reported = /^elapsed_ms=([\d.]+)$/m.exec(stdout);
      if (reported === null) return reject(new Error(`cold start run reported no time: ${stdout.slice(-300)}`));
      if (stdout.includes('"authtrail":"authtrail.spill"')) return reject(new Error('the cold start run spilled its event'));
      resolve({ elapsedMs: Number(reported[1]), stdout });
    });
  });

const timeProcess = async (args: string[], env: NodeJS.ProcessEnv): Promise<number> => (await runTimed(args, env)).elapsedMs;

/**
 * Medians of several process kinds, run interleaved (one of each per round), so
 * that the machine's slow and fast moments fall on all of them alike: bare node
 * timed in a separate block once moved the ratio by a third.
 */
const timeInterleaved = async (runs: number, kinds: readonly { args: string[]; env: NodeJS.ProcessEnv }[]): Promise<number[]> => {
  const samples = kinds.map((): number[] => []);
  for (let run = 0; run < runs; run += 1) {
    for (const [index, kind] of kinds.entries()) samples[index]?.push(await timeProcess(kind.args, kind.env));
  }
  return samples.map((values) => summarize(values).p50);
};

export interface ColdInitResult {
  trigger: TriggerName;
  bundle_bytes: number;
  /** As deployed: the PII key read through the Parameters and Secrets extension (loopback) on the first invocation. */
  cold_init_ms: number;
  /** The PII key from the environment instead (no SSM call): the code's own share. */
  cold_init_env_key_ms: number;
  bare_node_ms: number;
  cold_init_ratio: number;
}

const BENCH_PII_KEY = 'bench-pii-key-0123456789abcdef';
export const BENCH_PII_KEY_PARAMETER = '/authtrail/dev/pii-hash-key';
const BENCH_SESSION_TOKEN = 'bench-session-token';

/** `eventBridgeEndpoint`: a local endpoint that accepts PutEvents, so the invocation publishes for real. */
export const measureColdInit = async (
  eventBridgeEndpoint: string,
  runs = 7,
  extraExternal: readonly string[] = [],
): Promise<ColdInitResult[]> => {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(BUILD_DIR, { recursive: true });
  // The deployed triggers read their key through the Parameters and Secrets extension (lib/runtime/pii-key.ts).
  const extension = await startFakeParametersExtension({ parameters: { [BENCH_PII_KEY_PARAMETER]: BENCH_PII_KEY }, sessionToken: BENCH_SESSION_TOKEN });
  // As the stack deploys the functions (serverless.yml), with loopback endpoints and Lambda's TZ.
  const deployedEnv = {
    PATH: process.env.PATH,
    TZ: ':UTC',
    AUTHTRAIL_STAGE: 'dev',
    AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
    AUTHTRAIL_CONFIG_FILE: resolve('config/dev.json'),
    AUTHTRAIL_PII_HASH_KEY_PARAMETER: BENCH_PII_KEY_PARAMETER,
    AUTHTRAIL_EVENTBRIDGE_ENDPOINT: eventBridgeEndpoint,
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(extension.port),
    AWS_SESSION_TOKEN: BENCH_SESSION_TOKEN,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALBENCH',
    AWS_SECRET_ACCESS_KEY: 'local-bench-secret',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  const envKeyEnv = { ...deployedEnv, AUTHTRAIL_PII_HASH_KEY: BENCH_PII_KEY };
  const results: ColdInitResult[] = [];
  try {
    for (const trigger of Object.values(TriggerName)) {
      const bundle = await buildBundle(trigger, extraExternal);
      const fixture = collectFixtureFiles([`events/${trigger}`])[0] as string;
      const args = ['--input-type=module', '-e', INVOKE_ONCE, bundle, resolve(fixture)];
      const [bare = Number.NaN, cold = Number.NaN, envKey = Number.NaN] = await timeInterleaved(runs, [
        { args: ['-e', BARE], env: deployedEnv },
        { args, env: deployedEnv },
        { args, env: envKeyEnv },
      ]);
      results.push({
        trigger,
        bundle_bytes: statSync(bundle).size,
        cold_init_ms: cold,
        cold_init_env_key_ms: envKey,
        bare_node_ms: bare,
        cold_init_ratio: cold / bare,
      });
    }
  } finally {
    await extension.close();
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }
  return results;
};
