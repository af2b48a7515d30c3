/**
 * The replay command. `--target local` (default): the handlers in-process, on
 * the in-process bus and the local store. `--target aws`: the deployed stage's
 * functions through the Lambda API.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { assertStageName, configFileFor, loadStageConfigFile } from '../../lib/config/load.ts';
import type { StageConfig } from '../../lib/config/schema.ts';
import { ConfigError } from '../../lib/errors.ts';
import { isDisposableDomain } from '../../lib/policy/disposable-domains.ts';
import { collectFixtureFiles } from '../replay/fixture-file.ts';
import { createLambdaInvoker } from '../replay/lambda-invoker.ts';
import { createLocalInvoker } from '../replay/local-invoker.ts';
import { createReplayer, type Invoker, type ReplayResult } from '../replay/replay.ts';
import { createInputReplayer, createSourceReplayer, type SourceReplayer } from '../replay/inputs.ts';
import { formatSummary } from '../replay/summary.ts';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { SIEM_FORMATS, isSiemFormat, type SiemFormat } from '../../lib/siem/formats/index.ts';
import { isLoopbackUrl } from '../../lib/siem/http.ts';
import { createLocalSiemSender } from '../siem/local-forwarder.ts';
import { deliverToLocalReceiver } from '../siem/local-siem.ts';
import { receivedFile } from '../siem/receiver.ts';
import type { NarrowLogger } from '../../lib/runtime/handler.ts';
import { clearStore, StoreWriteError } from '../sinks/local-store.ts';
import { CursorError } from '../sinks/ndjson-cursor.ts';
import { createLocalStageSinks, type StoreShortfall } from '../sinks/local-stage.ts';
import { namesFor } from '../../lib/naming.ts';
import { writeLocalSecurityLake, type LocalLakeReport } from '../security-lake/local-sink.ts';

/**
 * Local runs only: a fixed, public key so local hashes are stable. Deployed
 * functions never fall back to it (lib/runtime/lambda.ts requires a real key).
 */
export const LOCAL_PII_KEY = 'authtrail-local-replay-key-not-a-secret';

/**
 * The `pipeline.piiKeyId` of events hashed with LOCAL_PII_KEY. Never the stage's
 * key id: anyone can reverse hashes of a public key by dictionary, so a SIEM must
 * not take them for the stage's.
 */
export const LOCAL_PII_KEY_ID = 'local';

const ReplayTarget = { Local: 'local', Aws: 'aws' } as const;
type ReplayTarget = (typeof ReplayTarget)[keyof typeof ReplayTarget];

interface Writable {
  write(text: string): unknown;
}

export interface ReplayCliOptions {
  paths: readonly string[];
  stage: string;
  target: string;
  /** Deliver the replayed events to this SIEM instead of the built-in local receiver. */
  siemUrl?: string | undefined;
  siemFormat?: string | undefined;
  /** Skip the SIEM leg entirely. */
  noSiem?: boolean;
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
  /** Replays CloudTrail records and Cognito logs (local only). */
  sources?: SourceReplayer;
  sinks: Sinks[];
  /** The stage's SIEM settings, when the target knows them (local). */
  siem?: StageConfig['siem'];
  /** Writes out whatever the target still holds; says what the local store could not take. */
  close: () => StoreShortfall[];
  /** Writes the replayed events as the stage's Security Lake objects (local only). */
  securityLake?: (events: readonly AuthEvent[]) => LocalLakeReport;
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
  const ownKey = options.env.AUTHTRAIL_PII_HASH_KEY || undefined;
  if (ownKey === undefined) {
    stderr.write(`note: hashing PII with the built-in local key (piiKeyId "${LOCAL_PII_KEY_ID}"); set AUTHTRAIL_PII_HASH_KEY to use your own\n`);
  }
  if (options.fresh) clearStore(options.storeDir, stage);
  const sinks = createLocalStageSinks(options.storeDir, stage);
  // The trigger handlers and the CloudTrail / Cognito log ingesters share config, key, sinks, logger and clock.
  const shared = {
    stage,
    config,
    piiKey: ownKey ?? LOCAL_PII_KEY,
    ...(ownKey === undefined ? { piiKeyId: LOCAL_PII_KEY_ID } : {}),
    sink: sinks.bus,
    spill: sinks.spill,
    logger: stderrLogger(stderr, options.verbose),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
  const invoke = createLocalInvoker({ ...shared, isDisposableDomain });
  const sources = createSourceReplayer(shared);
  return {
    invoke,
    sources,
    siem: config.siem,
    close: sinks.close,
    securityLake: (events) => writeLocalSecurityLake(events, { storeDir: options.storeDir, stage }),
    sinks: Object.values(RuleTarget).map((target) => ({
      name: target,
      delivered: () => sinks.bus.delivered[target] ?? 0,
      location: sinks.files[target],
    })),
  };
};

/**
 * Events hashed with the public local key may go to a loopback receiver only: a
 * real SIEM (any other host) gets them hashed with a key of the user's own.
 */
const assertSiemUrlFitsKey = (siemUrl: string, env: ReplayCliOptions['env']): void => {
  let url: URL;
  try {
    url = new URL(siemUrl);
  } catch (error) {
    throw new ConfigError('--siem-url is not a URL', { cause: error });
  }
  if (!isLoopbackUrl(url) && !env.AUTHTRAIL_PII_HASH_KEY) {
    throw new ConfigError(
      `--siem-url to ${url.host} (not this machine) needs AUTHTRAIL_PII_HASH_KEY: the built-in local PII key is public, and its hashes can be reversed by dictionary`,
    );
  }
};

export const runReplayCli = async (options: ReplayCliOptions): Promise<number> => {
  const { stage, stderr, stdout } = options;
  let target: Target;
  try {
    assertStageName(stage);
    // Before the target: a refused run must not have cleared (--fresh) or written the store.
    if (options.siemUrl !== undefined) assertSiemUrlFitsKey(options.siemUrl, options.env);
    if (options.target === ReplayTarget.Local) target = localTarget(options);
    else if (options.target === ReplayTarget.Aws) {
      target = { invoke: createLambdaInvoker(stage, new LambdaClient({})), sinks: [], close: () => [] };
      stderr.write(`replaying against the deployed functions ${namesFor(stage).functionName('*')}; events are tagged pipeline.replay\n`);
    } else throw new ConfigError(`--target must be "local" or "aws", got "${options.target}"`);
    if (options.siemFormat !== undefined && !isSiemFormat(options.siemFormat)) {
      throw new ConfigError(`--siem-format must be one of ${SIEM_FORMATS.join(', ')}, got "${options.siemFormat}"`);
    }
    if (options.siemUrl !== undefined && options.target === ReplayTarget.Aws) {
      throw new ConfigError('--siem-url goes with --target local: deployed functions deliver through the stage\'s forwarder');
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`${error.message}\n`);
    return 2;
  }

  const replayFile = createInputReplayer(createReplayer(target.invoke).replayPayload, target.sources);
  const results: ReplayResult[] = [];
  let shortfalls: StoreShortfall[] = [];
  try {
    for (const file of collectFixtureFiles(options.paths)) {
      for (const result of await replayFile(file)) {
        results.push(result);
        if (options.json) stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
  } finally {
    shortfalls = target.close();
  }
  const notStoredIn = (location: string) => shortfalls.find((shortfall) => shortfall.file === location)?.notStored ?? 0;
  // What each sink holds: what the bus gave it, less what its file could not take.
  const sinks = target.sinks.map((sink) => ({ name: sink.name, events: sink.delivered() - notStoredIn(sink.location), location: sink.location }));
  const lake = target.securityLake?.(results.flatMap((result) => result.events));
  if (lake !== undefined) sinks.push({ name: 'security-lake', events: lake.events, location: `${lake.location} (${lake.objects} object(s))` });
  const siem = await deliverToSiem(options, target, results);
  if (siem !== undefined) sinks.push(siem.line);
  const summary = formatSummary(results, sinks, stage);
  (options.json ? stderr : stdout).write(summary);
  if (siem !== undefined && siem.problems !== '') stderr.write(`${siem.problems}\n`);
  for (const shortfall of shortfalls) stderr.write(`error: ${shortfall.notStored} event(s) not stored in ${shortfall.file} (${shortfall.error.code})\n`);
  for (const refused of lake?.refused ?? []) stderr.write(`error: event ${refused.id} not written to the Security Lake: ${refused.reason}\n`);
  const stored = shortfalls.length === 0 && (lake?.refused.length ?? 0) === 0;
  return results.every((result) => result.ok) && (siem === undefined || siem.problems === '') && stored ? 0 : 1;
};

const BUILT_IN_SECRET_NOTE = 'note: signing SIEM requests with the built-in local secret; set AUTHTRAIL_SIEM_SECRET to use your own\n';

/**
 * The SIEM leg. With --siem-url, the replayed events go to that SIEM, signed with
 * AUTHTRAIL_SIEM_SECRET. Otherwise a local replay delivers the stage's local SIEM
 * queue to the built-in receiver, so `npm start` shows events arriving in a SIEM.
 */
const deliverToSiem = async (options: ReplayCliOptions, target: Target, results: readonly ReplayResult[]) => {
  if (options.noSiem || target.siem === undefined) return undefined;
  const format = options.siemFormat as SiemFormat | undefined;
  if (options.siemUrl !== undefined) {
    const local = createLocalSiemSender({ url: options.siemUrl, format, siem: target.siem, env: options.env });
    if (local.builtInSecret) options.stderr.write(BUILT_IN_SECRET_NOTE);
    try {
      const report = await local.sender.deliver(results.flatMap((result) => result.events));
      const notDelivered = report.rejected + report.failed;
      return {
        line: { name: 'siem', events: report.delivered, location: `${options.siemUrl} (${report.requests} request(s))` },
        problems: notDelivered === 0 ? '' : `${notDelivered} event(s) not delivered to ${options.siemUrl}: ${report.rejected} rejected, ${report.failed} failed`,
      };
    } finally {
      local.close();
    }
  }
  let result;
  try {
    result = await deliverToLocalReceiver({ stage: options.stage, storeDir: options.storeDir, siem: target.siem, format, env: options.env });
  } catch (error) {
    // A cursor that would skip events, or a DLQ the disk cannot take: nothing moved on, the run fails.
    if (!(error instanceof CursorError || error instanceof StoreWriteError)) throw error;
    return { line: { name: 'siem-receiver', events: 0, location: receivedFile(options.storeDir, options.stage) }, problems: `error: ${error.message}` };
  }
  if (result.builtInSecret) options.stderr.write(BUILT_IN_SECRET_NOTE);
  const { delivery } = result;
  const notDelivered = delivery.rejected + delivery.failed + delivery.pending;
  return {
    line: { name: 'siem-receiver', events: result.received.stored, location: result.storeFile },
    problems: notDelivered === 0 ? '' : `${notDelivered} SIEM event(s) not delivered locally; see ${delivery.dlqFile}`,
  };
};
