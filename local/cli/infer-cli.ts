/**
 * `npm run infer`: failed sign-in inference on the local store. Reads what the
 * stage's local bus delivered to the events log since the last run, and puts the
 * failed sign-ins it infers on the local bus, whose rules (lib/routing/rules.json)
 * route them to the events log and the SIEM queue as the stack's rules would.
 */
import { assertStageName, configFileFor, loadStageConfigFile } from '../../lib/config/load.ts';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import { runLocalInference } from '../inference/local-consumer.ts';
import { createLocalStageSinks } from '../sinks/local-stage.ts';

interface Writable {
  write(text: string): unknown;
}

export const runInferCli = async (options: {
  stage: string;
  storeDir: string;
  /** The time to sweep at (ISO 8601); default now. */
  at?: string | undefined;
  stdout: Writable;
  stderr: Writable;
}): Promise<number> => {
  let config;
  let now;
  try {
    assertStageName(options.stage);
    config = loadStageConfigFile(configFileFor(options.stage, 'config'));
    now = options.at === undefined ? new Date() : new Date(options.at);
    if (Number.isNaN(now.getTime())) throw new ConfigError(`--at must be an ISO 8601 time, got "${options.at}"`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.stderr.write(`${messageOf(error)}\n`);
    return 2;
  }
  const sinks = createLocalStageSinks(options.storeDir, options.stage);
  try {
    const windowSeconds = config.signIn.failedSignInWindowSeconds;
    const report = await runLocalInference({ storeDir: options.storeDir, stage: options.stage, windowSeconds, now, sink: sinks.bus });
    options.stdout.write(`${JSON.stringify({ read: report.read, failed: report.failed.length, windowSeconds, at: now.toISOString() })}\n`);
    return 0;
  } finally {
    sinks.close();
  }
};
