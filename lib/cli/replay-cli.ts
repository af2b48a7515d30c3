/** The replay command: wires config, the local bus and store, and prints results. */
import { join } from 'node:path';
import { configFileFor, loadStageConfigFile } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { isDisposableDomain } from '../policy/disposable-domains.ts';
import { collectFixtureFiles } from '../replay/fixture-file.ts';
import { createReplayer, type ReplayResult } from '../replay/replay.ts';
import { formatSummary } from '../replay/summary.ts';
import { RuleTarget, loadRules } from '../routing/rules.ts';
import type { NarrowLogger } from '../runtime/handler.ts';
import { createLocalBus } from '../sinks/local-bus.ts';
import { spillLine } from '../publish/spill.ts';
import { clearStore, createNdjsonFile, storePaths } from '../sinks/local-store.ts';

/**
 * Local runs only: a fixed, public key so local hashes are stable. Deployed
 * functions never fall back to it (lib/runtime/lambda.ts requires a real key).
 */
export const LOCAL_PII_KEY = 'authtrail-local-replay-key-not-a-secret';

interface Writable {
  write(text: string): unknown;
}

export interface ReplayCliOptions {
  paths: readonly string[];
  stage: string;
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

const stderrLogger = (stderr: Writable, verbose: boolean): NarrowLogger => {
  const write = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (verbose) stderr.write(`${JSON.stringify({ level, message, ...Object.assign({}, ...extra) })}\n`);
  };
  return { info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
};

export const runReplayCli = async (options: ReplayCliOptions): Promise<number> => {
  const { stage, stderr, stdout } = options;
  let config;
  try {
    config = loadStageConfigFile(options.configFile ?? configFileFor(stage, 'config'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`${error.message}\n`);
    return 2;
  }
  const piiKey = options.env.AUTHTRAIL_PII_HASH_KEY ?? LOCAL_PII_KEY;
  if (options.env.AUTHTRAIL_PII_HASH_KEY === undefined) {
    stderr.write('note: hashing PII with the built-in local key; set AUTHTRAIL_PII_HASH_KEY to use your own\n');
  }

  if (options.fresh) clearStore(options.storeDir, stage);
  const paths = storePaths(options.storeDir, stage);
  const files = {
    [RuleTarget.EventsLog]: createNdjsonFile(paths[RuleTarget.EventsLog]),
    [RuleTarget.SiemQueue]: createNdjsonFile(paths[RuleTarget.SiemQueue]),
  };
  const bus = createLocalBus({
    rules: loadRules(),
    targets: {
      [RuleTarget.EventsLog]: { deliver: (envelopes) => files[RuleTarget.EventsLog].append(envelopes) },
      [RuleTarget.SiemQueue]: { deliver: (envelopes) => files[RuleTarget.SiemQueue].append(envelopes) },
    },
  });
  const spillFile = createNdjsonFile(paths.spill);
  const replayer = createReplayer({
    spill: (events, reason) => {
      const at = new Date();
      spillFile.append(events.map((event) => JSON.parse(spillLine(event, reason, at))));
    },
    stage,
    config,
    piiKey,
    sink: bus,
    logger: stderrLogger(stderr, options.verbose),
    isDisposableDomain,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });

  const results: ReplayResult[] = [];
  for (const file of collectFixtureFiles(options.paths)) {
    const result = await replayer.replayFile(file);
    results.push(result);
    if (options.json) stdout.write(`${JSON.stringify(result)}\n`);
  }
  const summary = formatSummary(
    results,
    Object.values(RuleTarget).map((target) => ({
      name: target,
      events: bus.delivered[target] ?? 0,
      location: join(files[target].file),
    })),
    stage,
  );
  (options.json ? stderr : stdout).write(summary);
  return results.every((result) => result.ok) ? 0 : 1;
};
