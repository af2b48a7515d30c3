/**
 * Local replay: every fixture goes through the very handler a trigger function
 * exports (the same middy stack and steps), with the in-process bus as its sink.
 * One result per file, in the `npm run replay -- --json` contract.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { AuthEvent } from '../auth-event/schema.ts';
import { REPLAY_MARKER, TriggerEnvelopeSchema } from '../cognito/schemas.ts';
import { TriggerName, sourcesOf, triggerNameFor } from '../cognito/trigger-sources.ts';
import { formatIssues } from '../config/load.ts';
import type { StageConfig } from '../config/schema.ts';
import { FixtureError, ProblemCode, SignUpDeniedError, messageOf } from '../errors.ts';
import { createTriggerHandler, type NarrowLogger, type Problem, type TriggerHandler } from '../runtime/handler.ts';
import type { EventSink } from '../sinks/sink.ts';
import { postAuthentication } from '../triggers/post-authentication.ts';
import { preSignUp } from '../triggers/pre-signup.ts';
import { preTokenGeneration } from '../triggers/pre-token-generation.ts';
import { PIPELINE_VERSION } from '../version.ts';
import { readFixture } from './fixture-file.ts';

export interface ReplayResult {
  file: string;
  ok: boolean;
  trigger: string | null;
  response: unknown;
  events: AuthEvent[];
  error: { code: string; message: string } | null;
}


export interface ReplayerOptions {
  stage: string;
  config: StageConfig;
  piiKey: string;
  sink: EventSink;
  logger: NarrowLogger;
  isDisposableDomain: (domain: string) => boolean;
  /** Where events the sink refused are kept (the local store's spill file). */
  spill: (events: readonly AuthEvent[], reason: string) => void;
  clock?: () => Date;
}

const SUPPORTED = Object.values(TriggerName).flatMap((name) => sourcesOf(name));

const lambdaContextFor = (stage: string, trigger: TriggerName): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: `authtrail-${stage}-${trigger}`,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:authtrail-${stage}-${trigger}`,
  memoryLimitInMB: '256',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/authtrail-${stage}-${trigger}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 5_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

const failure = (file: string, trigger: string | null, code: string, message: string): ReplayResult => ({
  file,
  ok: false,
  trigger,
  response: null,
  events: [],
  error: { code, message },
});

export const createReplayer = (options: ReplayerOptions) => {
  let published: AuthEvent[] = [];
  let problems: Problem[] = [];
  const runtime = {
    stage: options.stage,
    config: options.config,
    piiKey: options.piiKey,
    clock: options.clock ?? (() => new Date()),
    pipeline: { version: PIPELINE_VERSION, piiKeyId: options.config.pii.keyId },
    isDisposableDomain: options.isDisposableDomain,
    logger: options.logger,
    onProblem: (problem: Problem) => problems.push(problem),
    spill: options.spill,
    sink: {
      publish: async (events: readonly AuthEvent[]) => {
        published.push(...events);
        await options.sink.publish(events);
      },
    },
  };
  const handlers: Record<TriggerName, TriggerHandler> = {
    [TriggerName.PreSignUp]: createTriggerHandler(preSignUp, runtime),
    [TriggerName.PostAuthentication]: createTriggerHandler(postAuthentication, runtime),
    [TriggerName.PreTokenGeneration]: createTriggerHandler(preTokenGeneration, runtime),
  };

  /** Replays one payload; `file` names it in the result and in `pipeline.replay`. */
  const replayPayload = async (file: string, payload: unknown): Promise<ReplayResult> => {
    const envelope = TriggerEnvelopeSchema.safeParse(payload);
    if (!envelope.success) {
      return failure(file, null, ProblemCode.InvalidEvent, formatIssues(envelope.error.issues));
    }
    const source = envelope.data.triggerSource;
    const trigger = triggerNameFor(source);
    if (trigger === undefined) {
      return failure(
        file,
        source,
        ProblemCode.UnsupportedTrigger,
        `triggerSource "${source.slice(0, 100)}" is not supported (supported: ${SUPPORTED.join(', ')})`,
      );
    }
    published = [];
    problems = [];
    let returned: unknown;
    let denied: SignUpDeniedError | undefined;
    try {
      returned = await handlers[trigger](
        { ...(payload as object), [REPLAY_MARKER]: { source: 'fixture', file } },
        lambdaContextFor(options.stage, trigger),
      );
    } catch (error) {
      if (!(error instanceof SignUpDeniedError)) {
        return failure(file, source, ProblemCode.HandlerFailed, messageOf(error));
      }
      denied = error;
    }
    const problem = problems[0];
    if (problem !== undefined) {
      return { ...failure(file, source, problem.code, problem.message), events: published };
    }
    const response =
      denied === undefined && typeof returned === 'object' && returned !== null && 'response' in returned
        ? returned.response
        : null;
    return { file, ok: true, trigger: source, response, events: published, error: null };
  };

  const replayFile = async (file: string): Promise<ReplayResult> => {
    let payload: unknown;
    try {
      payload = readFixture(file);
    } catch (error) {
      if (error instanceof FixtureError) return failure(file, null, error.code, error.message);
      throw error;
    }
    return replayPayload(file, payload);
  };

  return { replayFile, replayPayload };
};
