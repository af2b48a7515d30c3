/**
 * Runs replayed payloads in-process through the handlers the trigger functions
 * export (same middy stack, same steps), with the given sink: the Lambda path
 * and the local replay share every line but the sink.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { TriggerName } from '../../lib/cognito/trigger-sources.ts';
import type { StageConfig } from '../../lib/config/schema.ts';
import { ProblemCode, TriggerDeniedError, messageOf } from '../../lib/errors.ts';
import type { NarrowLogger, Problem } from '../../lib/runtime/handler.ts';
import type { EventSink, Spill } from '../../lib/sinks/sink.ts';
import { triggerHandlersFor } from '../triggers/all.ts';
import { PIPELINE_VERSION } from '../../lib/version.ts';
import { failure, success, type Invoker } from './replay.ts';
import { namesFor } from '../../lib/naming.ts';

export interface LocalInvokerOptions {
  stage: string;
  config: StageConfig;
  piiKey: string;
  /** What `pipeline.piiKeyId` says; default the stage's `pii.keyId`. Replay with the built-in local key says `local`. */
  piiKeyId?: string;
  sink: EventSink;
  logger: NarrowLogger;
  isDisposableDomain: (domain: string) => boolean;
  /** Where events the sink refused are kept (the local store's spill file). */
  spill: Spill;
  clock?: () => Date;
}

const lambdaContextFor = (names: ReturnType<typeof namesFor>, trigger: TriggerName): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: names.functionName(trigger),
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${names.functionName(trigger)}`,
  memoryLimitInMB: '256',
  awsRequestId: randomUUID(),
  logGroupName: names.functionLogGroup(trigger),
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 5_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export const createLocalInvoker = (options: LocalInvokerOptions): Invoker => {
  const names = namesFor(options.stage);
  let published: AuthEvent[] = [];
  let problems: Problem[] = [];
  const runtime = {
    stage: options.stage,
    config: options.config,
    piiKey: options.piiKey,
    clock: options.clock ?? (() => new Date()),
    pipeline: { version: PIPELINE_VERSION, piiKeyId: options.piiKeyId ?? options.config.pii.keyId },
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
  const handlers = triggerHandlersFor(runtime);

  return async ({ file, trigger, source, payload }) => {
    published = [];
    problems = [];
    let returned: unknown;
    let denied = false;
    try {
      returned = await handlers[trigger](payload, lambdaContextFor(names, trigger));
    } catch (error) {
      if (!(error instanceof TriggerDeniedError)) return failure(file, source, ProblemCode.HandlerFailed, messageOf(error));
      denied = true;
    }
    const problem = problems[0];
    if (problem !== undefined) return { ...failure(file, source, problem.code, problem.message), events: published };
    return success(file, source, denied ? null : returned, published);
  };
};
