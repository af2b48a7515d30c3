/**
 * Replay input detection: every input the pipeline ingests, told apart by its
 * shape, and each sent through the steps its deployed function runs.
 *
 * | shape                                                                | kind         | runs through                     |
 * |----------------------------------------------------------------------|--------------|----------------------------------|
 * | an object with `triggerSource`                                       | trigger      | the trigger handlers (replay.ts) |
 * | an EventBridge event, `source: aws.cognito-idp`, CloudTrail detail-type | cloudtrail | lib/cloudtrail/ingest.ts         |
 * | a `userAuthEvents` record (`eventSource` and a `message` object)     | cognito-log  | lib/cognito-logs/ingest.ts       |
 * | a CloudWatch Logs subscription payload (`awslogs.data`)              | subscription | lib/cognito-logs/ingest.ts       |
 *
 * A file holds one input (JSON, YAML, or JSON wrapped in `{"event": ...}`), or,
 * as `.ndjson` / `.jsonl`, one input per line: each line is its own result,
 * named `<file>:<line>`. Anything else is `UNSUPPORTED_INPUT`, described by its
 * type and size only: an input may be full of personal data, and the message
 * must not carry any of it.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { createCloudTrailIngester, type CloudTrailProblem } from '../../lib/cloudtrail/ingest.ts';
import { COGNITO_IDP_SOURCE, CloudTrailDetailType } from '../../lib/cloudtrail/record.ts';
import { CLOUDTRAIL_SOURCE_PREFIX } from '../../lib/cloudtrail/normalize.ts';
import { createCognitoLogIngester, type CognitoLogProblem } from '../../lib/cognito-logs/ingest.ts';
import { COGNITO_LOG_SOURCE_PREFIX } from '../../lib/cognito-logs/normalize.ts';
import { encodeSubscriptionEvent } from '../../lib/cognito-logs/subscription.ts';
import type { StageConfig } from '../../lib/config/schema.ts';
import { FixtureError, ProblemCode, messageOf } from '../../lib/errors.ts';
import type { NarrowLogger } from '../../lib/runtime/handler.ts';
import type { EventSink, Spill } from '../../lib/sinks/sink.ts';
import { PIPELINE_VERSION } from '../../lib/version.ts';
import { parseFixtureText } from './fixture-file.ts';
import { failure, success, type ReplayResult } from './replay.ts';

export const InputKind = {
  Trigger: 'trigger',
  CloudTrail: 'cloudtrail',
  CognitoLog: 'cognito-log',
  Subscription: 'subscription',
  Unsupported: 'unsupported',
} as const;
export type InputKind = (typeof InputKind)[keyof typeof InputKind];

/** The result code of an input whose shape is none of the above. */
export const UNSUPPORTED_INPUT = 'UNSUPPORTED_INPUT' as const;

const LINE_PER_INPUT = ['.ndjson', '.jsonl'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const CLOUDTRAIL_DETAIL_TYPES: readonly unknown[] = Object.values(CloudTrailDetailType);

export const detectInput = (value: unknown): InputKind => {
  if (!isRecord(value)) return InputKind.Unsupported;
  // Any triggerSource, even of the wrong type: the trigger path names what is wrong with it (INVALID_EVENT).
  if (Object.hasOwn(value, 'triggerSource')) return InputKind.Trigger;
  if (value.source === COGNITO_IDP_SOURCE && CLOUDTRAIL_DETAIL_TYPES.includes(value['detail-type'])) return InputKind.CloudTrail;
  if (isRecord(value.awslogs)) return InputKind.Subscription;
  if (typeof value.eventSource === 'string' && isRecord(value.message)) return InputKind.CognitoLog;
  return InputKind.Unsupported;
};

/** What an unsupported input looked like: its JSON type and size, never a value or a key. */
export const describeInput = (value: unknown): string => {
  const seen = Array.isArray(value)
    ? `a JSON array of ${value.length} item(s)`
    : isRecord(value)
      ? `a JSON object with ${Object.keys(value).length} key(s)`
      : value === null
        ? 'null'
        : `a JSON ${typeof value}`;
  return (
    `${seen}: not a Cognito trigger payload (triggerSource), a CloudTrail record as EventBridge delivers it ` +
    `(source ${COGNITO_IDP_SOURCE}, detail-type "${CloudTrailDetailType.ApiCall}" or "${CloudTrailDetailType.ServiceEvent}"), ` +
    'a userAuthEvents record (eventSource and message), or a CloudWatch Logs subscription payload (awslogs.data)'
  );
};

export interface Input {
  /** The file, or `<file>:<line>` for a line of an NDJSON file. */
  name: string;
  value: unknown;
  /** Set when this line of an NDJSON file is not JSON: the other lines still go through. */
  error?: FixtureError;
}

/** The inputs of one file; throws FixtureError when the file cannot be read, or (one input) parsed. */
export const readInputs = (file: string): Input[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FixtureError(ProblemCode.UnreadableFile, `cannot read ${file}: ${messageOf(error)}`, { cause: error });
  }
  if (!LINE_PER_INPUT.includes(extname(file).toLowerCase())) return [{ name: file, value: parseFixtureText(text, file) }];
  const inputs: Input[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const name = `${file}:${index + 1}`;
      try {
        inputs.push({ name, value: JSON.parse(line) });
      } catch (error) {
        const problem = new FixtureError(ProblemCode.InvalidJson, `${name} is not valid JSON: ${messageOf(error).split('\n')[0]}`, { cause: error });
        inputs.push({ name, value: undefined, error: problem });
      }
    });
  return inputs;
};

export interface SourceReplayOptions {
  stage: string;
  config: StageConfig;
  piiKey: string;
  sink: EventSink;
  spill: Spill;
  logger: NarrowLogger;
  clock?: () => Date;
}

/** Replays the inputs that are not trigger payloads through the ingesters of their deployed functions. */
export type SourceReplayer = (name: string, kind: typeof InputKind.CloudTrail | typeof InputKind.CognitoLog | typeof InputKind.Subscription, value: unknown) => Promise<ReplayResult>;

/** The one-record subscription payload CloudWatch Logs would deliver for a log line. */
const subscriptionOf = (record: unknown, at: Date) =>
  encodeSubscriptionEvent({
    messageType: 'DATA_MESSAGE',
    logGroup: 'replay',
    logStream: 'replay',
    logEvents: [{ id: 'replay', timestamp: at.getTime(), message: JSON.stringify(record) }],
  });

export const createSourceReplayer = (options: SourceReplayOptions): SourceReplayer => {
  const clock = options.clock ?? (() => new Date());
  return async (name, kind, value) => {
    const published: AuthEvent[] = [];
    const problems: (CloudTrailProblem | CognitoLogProblem)[] = [];
    const runtime = {
      stage: options.stage,
      config: options.config,
      piiKey: options.piiKey,
      clock,
      // Marked like replayed trigger payloads: test traffic the SOC can filter out.
      pipeline: { version: PIPELINE_VERSION, piiKeyId: options.config.pii.keyId, replay: { source: 'fixture' as const, file: name } },
      isDisposableDomain: () => false,
      logger: options.logger,
      spill: options.spill,
      sink: {
        publish: async (events: readonly AuthEvent[]) => {
          published.push(...events);
          await options.sink.publish(events);
        },
      },
    };
    const onProblem = (problem: CloudTrailProblem | CognitoLogProblem) => void problems.push(problem);
    let label: string;
    if (kind === InputKind.CloudTrail) {
      // No pool filter: a replay takes the records it is given, of any pool.
      await createCloudTrailIngester(runtime, onProblem)(value);
      const eventName = isRecord(value) && isRecord(value.detail) && typeof value.detail.eventName === 'string' ? value.detail.eventName.slice(0, 64) : '';
      label = `${CLOUDTRAIL_SOURCE_PREFIX}${eventName}`;
    } else {
      await createCognitoLogIngester(runtime, onProblem)(kind === InputKind.Subscription ? value : subscriptionOf(value, clock()));
      label = published.length === 1 ? (published[0]?.trigger.source ?? COGNITO_LOG_SOURCE_PREFIX) : COGNITO_LOG_SOURCE_PREFIX;
    }
    const problem = problems[0];
    if (problem !== undefined) return { ...failure(name, label, problem.code, problem.message), events: published };
    return success(name, label, null, published);
  };
};

/**
 * Replays every input of one file: trigger payloads through `replayPayload`
 * (the trigger handlers, local or deployed), the other inputs through
 * `sources` when the target runs them (local only).
 */
export const createInputReplayer =
  (replayPayload: (name: string, payload: unknown) => Promise<ReplayResult>, sources?: SourceReplayer) =>
  async (file: string): Promise<ReplayResult[]> => {
    let inputs: Input[];
    try {
      inputs = readInputs(file);
    } catch (error) {
      if (error instanceof FixtureError) return [failure(file, null, error.code, error.message)];
      throw error;
    }
    const results: ReplayResult[] = [];
    for (const { name, value, error } of inputs) {
      const kind = detectInput(value);
      if (error !== undefined) results.push(failure(name, null, error.code, error.message));
      else if (kind === InputKind.Trigger) results.push(await replayPayload(name, value));
      else if (kind === InputKind.Unsupported) results.push(failure(name, null, UNSUPPORTED_INPUT, describeInput(value)));
      else if (sources === undefined) {
        results.push(failure(name, null, UNSUPPORTED_INPUT, `a ${kind} input replays locally only (--target local)`));
      } else results.push(await sources(name, kind, value));
    }
    return results;
  };
