/**
 * The replay command. `--target local` (default): the handlers in-process, on
 * the in-process bus and the local store. `--target aws`: the deployed stage's
 * functions through the Lambda API.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { assertStageName, configFileFor, loadStageConfigFile } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { isDisposableDomain } from '../policy/disposable-domains.ts';
import { spillLine } from '../publish/spill.ts';
import { collectFixtureFiles } from '../replay/fixture-file.ts';
import { createLambdaInvoker } from '../replay/lambda-invoker.ts';
import { createLocalInvoker } from '../replay/local-invoker.ts';
import { createReplayer, type Invoker, type ReplayResult } from '../replay/replay.ts';
import { formatSummary } from '../replay/summary.ts';
import { RuleTarget, loadRules } from '../routing/rules.ts';
import type { NarrowLogger } from '../runtime/handler.ts';
import { createLocalBus } from '../sinks/local-bus.ts';
import { clearStore, createNdjsonFile, storePaths } from '../sinks/local-store.ts';

/**
 * Local runs only: a fixed, public key so local hashes are stable. Deployed
 * functions never fall back to it (lib/runtime/lambda.ts requires a real key).
 */
export const LOCAL_PII_KEY = 'authtrail-local-replay-key-not-a-secret';

export const ReplayTarget = { Local: 'local', Aws: 'aws' } as const;
export type ReplayTarget = (typeof ReplayTarget)[keyof typeof ReplayTarget];

interface Writable {
  write(text: string): unknown;
}

export interface ReplayCliOptions {
  paths: readonly string[];
  stage: string;
  target: string;
  json: boolean;
  fresh: boolean;
  storeDir: string;
  configFile?: string | undefined;
  verbose: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stdout: Writable;
  stderr: Writable;
  clock?: () => Date;
}

interface Target {
  invoke: Invoker;
  sinks: Sinks[];
  /** Writes out whatever the target still holds. */
  close: () => void;
}

interface Sinks {
  name: string;
  delivered: () => number;
  location: string;
}

const stderrLogger = (stderr: Writable, verbose: boolean): NarrowLogger => {
  const write = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (verbose) stderr.write(`${JSON.stringify({ level, message, ...Object.assign({}, ...extra) })}\n`);
  };
  return { info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
};

/** The in-process invoker with its bus and local store, and what to report about them. */
const localTarget = (options: ReplayCliOptions): Target => {
  const { stage, stderr } = options;
  const config = loadStageConfigFile(options.configFile ?? configFileFor(stage, 'config'));
  const piiKey = options.env.AUTHTRAIL_PII_HASH_KEY ?? LOCAL_PII_KEY;
  if (options.env.AUTHTRAIL_PII_HASH_KEY === undefined) {
    stderr.write('note: hashing PII with the built-in local key; set AUTHTRAIL_PII_HASH_KEY to use your own\n');
  }
  if (options.fresh) clearStore(options.storeDir, stage);
  const paths = storePaths(options.storeDir, stage);
  const files = {
    [RuleTarget.EventsLog]: createNdjsonFile(paths[RuleTarget.EventsLog], { buffered: true }),
    [RuleTarget.SiemQueue]: createNdjsonFile(paths[RuleTarget.SiemQueue], { buffered: true }),
  };
  const spillFile = createNdjsonFile(paths.spill);
  const bus = createLocalBus({
    rules: loadRules(),
    targets: {
      [RuleTarget.EventsLog]: { deliver: (envelopes) => files[RuleTarget.EventsLog].append(envelopes) },
      [RuleTarget.SiemQueue]: { deliver: (envelopes) => files[RuleTarget.SiemQueue].append(envelopes) },
    },
  });
  const invoke = createLocalInvoker({
    stage,
    config,
    piiKey,
    sink: bus,
    spill: (events, reason) => {
      const at = new Date();
      spillFile.append(events.map((event) => JSON.parse(spillLine(event, reason, at)) as unknown));
    },
    logger: stderrLogger(stderr, options.verbose),
    isDisposableDomain,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  return {
    invoke,
    close: () => {
      files[RuleTarget.EventsLog].close();
      files[RuleTarget.SiemQueue].close();
      spillFile.close();
    },
    sinks: Object.values(RuleTarget).map((target) => ({
      name: target,
      delivered: () => bus.delivered[target] ?? 0,
      location: files[target].file,
    })),
  };
};

export const runReplayCli = async (options: ReplayCliOptions): Promise<number> => {
  const { stage, stderr, stdout } = options;
  let target: Target;
  try {
    assertStageName(stage);
    if (options.target === ReplayTarget.Local) target = localTarget(options);
    else if (options.target === ReplayTarget.Aws) {
      target = { invoke: createLambdaInvoker(stage, new LambdaClient({})), sinks: [], close: () => undefined };
      stderr.write(`replaying against the deployed functions authtrail-${stage}-*; events are tagged pipeline.replay\n`);
    } else throw new ConfigError(`--target must be "local" or "aws", got "${options.target}"`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`${error.message}\n`);
    return 2;
  }

  const replayer = createReplayer(target.invoke);
  const results: ReplayResult[] = [];
  try {
    for (const file of collectFixtureFiles(options.paths)) {
      const result = await replayer.replayFile(file);
      results.push(result);
      if (options.json) stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    target.close();
  }
  const summary = formatSummary(
    results,
    target.sinks.map((sink) => ({ name: sink.name, events: sink.delivered(), location: sink.location })),
    stage,
  );
  (options.json ? stderr : stdout).write(summary);
  return results.every((result) => result.ok) ? 0 : 1;
};
