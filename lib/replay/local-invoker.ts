/**
 * Runs replayed payloads in-process through the handlers the trigger functions
 * export (same middy stack, same steps), with the given sink: the Lambda path
 * and the local replay share every line but the sink.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { AuthEvent } from '../auth-event/schema.ts';
import { TriggerName } from '../cognito/trigger-sources.ts';
import type { StageConfig } from '../config/schema.ts';
import { ProblemCode, TriggerDeniedError, messageOf } from '../errors.ts';
import { createTriggerHandler, type NarrowLogger, type Problem, type TriggerHandler } from '../runtime/handler.ts';
import type { EventSink } from '../sinks/sink.ts';
import { postAuthentication } from '../triggers/post-authentication.ts';
import { postConfirmation } from '../triggers/post-confirmation.ts';
import { preAuthentication } from '../triggers/pre-authentication.ts';
import { preSignUp } from '../triggers/pre-signup.ts';
import { preTokenGeneration } from '../triggers/pre-token-generation.ts';
import { PIPELINE_VERSION } from '../version.ts';
import { failure, type Invoker } from './replay.ts';
import { namesFor } from '../naming.ts';

export interface LocalInvokerOptions {
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

const lambdaContextFor = (stage: string, trigger: TriggerName): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: namesFor(stage).functionName(trigger),
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${namesFor(stage).functionName(trigger)}`,
  memoryLimitInMB: '256',
  awsRequestId: randomUUID(),
  logGroupName: namesFor(stage).functionLogGroup(trigger),
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 5_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export const createLocalInvoker = (options: LocalInvokerOptions): Invoker => {
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
    [TriggerName.PreAuthentication]: createTriggerHandler(preAuthentication, runtime),
    [TriggerName.PostConfirmation]: createTriggerHandler(postConfirmation, runtime),
  };

  return async ({ file, trigger, source, payload }) => {
    published = [];
    problems = [];
    let returned: unknown;
    let denied = false;
    try {
      returned = await handlers[trigger](payload, lambdaContextFor(options.stage, trigger));
    } catch (error) {
      if (!(error instanceof TriggerDeniedError)) return failure(file, source, ProblemCode.HandlerFailed, messageOf(error));
      denied = true;
    }
    const problem = problems[0];
    if (problem !== undefined) return { ...failure(file, source, problem.code, problem.message), events: published };
    const response =
      !denied && typeof returned === 'object' && returned !== null && 'response' in returned ? returned.response : null;
    return { file, ok: true, trigger: source, response, events: published, error: null };
  };
};
