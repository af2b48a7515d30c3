/**
 * The shared middy stack every trigger function is wrapped in, defined once.
 *
 * A trigger sits on the user's sign-in path: it throws only to deny a sign-up or
 * sign-in on purpose. A payload it cannot read, a bug, or a sink that fails is reported and
 * logged, and Cognito gets its event back unchanged (fail-open), so telemetry
 * never breaks a sign-in.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { TriggerName } from '../cognito/trigger-sources.ts';
import { ProblemCode, TriggerDeniedError, TriggerEventError, messageOf } from '../errors.ts';
import type { AuthEvent } from '../auth-event/schema.ts';
import { MetricName, authEventMetrics, publishMetrics, type MetricsRecorder } from '../metrics/catalog.ts';
import { PublishError, type EventSink, type Spill } from '../sinks/sink.ts';
import type { TriggerDefinition } from '../triggers/definition.ts';
import { withoutPiiKey } from './pii-key.ts';
import { processTrigger, type ProcessContext } from './process.ts';

/** The few logger methods we use; Powertools Logger fits, and so does a stderr logger. */
export interface NarrowLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A logger that says nothing: benchmarks, tests and embedded runs that report through results instead. */
export const SILENT_LOGGER: NarrowLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface Problem {
  trigger: TriggerName;
  code: ProblemCode;
  message: string;
}

// Metric names, units and dimensions: lib/metrics/catalog.ts (CloudWatch EMF on AWS).

export interface TriggerRuntime extends ProcessContext {
  sink: EventSink;
  logger: NarrowLogger;
  /**
   * Keeps events the sink could not take, durably, for `recover` (the function's
   * log on AWS). Must not throw.
   */
  spill: Spill;
  metrics?: MetricsRecorder;
  /** Told of every problem the handler absorbed; the local replay turns them into results. */
  onProblem?: (problem: Problem) => void;
  /**
   * Log-first functions (./trigger-lambda.ts): the PII key, read during the
   * invocation within a bounded wait (./pii-key.ts). `undefined`: not there in
   * time, the invocation's events drop what they would hash. Absent: `piiKey` holds.
   */
  piiKeyNow?: () => Promise<string | undefined>;
  /**
   * The sink is the function's own log (log-first): the forwarder counts what
   * reaches the bus, so the trigger does not count its lines as published.
   */
  sinkIsLog?: boolean;
}

const report = (runtime: TriggerRuntime, problem: Problem): void => {
  // Never the payload: it carries personal data.
  runtime.logger.error('authtrail.problem', { problem });
  runtime.onProblem?.(problem);
};

/**
 * Publishes the events; what did not reach the bus goes to the spill log (lose
 * nothing) and counts as one publish failure. Counts what was published and
 * what was spilled, for every function that publishes (triggers, sources, the
 * log-first forwarder). Returns what was not delivered, and why.
 */
export const publishOrSpill = async (
  runtime: Pick<TriggerRuntime, 'sink' | 'spill' | 'metrics' | 'sinkIsLog'>,
  events: readonly AuthEvent[],
): Promise<{ undelivered: readonly AuthEvent[]; error?: string }> => {
  const outcome = await publishOrSpillOnce(runtime, events);
  // A log sink only writes lines: the forwarder that puts them on the bus counts them as published.
  if (runtime.sinkIsLog !== true) runtime.metrics?.count(MetricName.EventsPublished, events.length - outcome.undelivered.length);
  runtime.metrics?.count(MetricName.SpilledEvents, outcome.undelivered.length);
  return outcome;
};

const publishOrSpillOnce = async (
  runtime: Pick<TriggerRuntime, 'sink' | 'spill' | 'metrics'>,
  events: readonly AuthEvent[],
): Promise<{ undelivered: readonly AuthEvent[]; error?: string }> => {
  try {
    await runtime.sink.publish(events);
    return { undelivered: [] };
  } catch (error) {
    const undelivered = error instanceof PublishError ? error.undelivered : events;
    runtime.spill(undelivered, messageOf(error));
    runtime.metrics?.count(MetricName.PublishFailures, 1);
    return { undelivered, error: messageOf(error) };
  }
};

const failOpen = (runtime: TriggerRuntime, trigger: TriggerName): MiddlewareObj<unknown, unknown> => ({
  name: 'authtrail-fail-open',
  onError: (request) => {
    if (request.error instanceof TriggerDeniedError) return;
    report(runtime, {
      trigger,
      code: ProblemCode.HandlerFailed,
      message: `${request.error?.name ?? 'Error'}: ${messageOf(request.error)}`,
    });
    // Outside the guarded policy step (lib/triggers/definition.ts) nothing decided either: counted with its errors.
    runtime.metrics?.record?.([{ name: MetricName.PolicyErrors, value: 1, dimensions: { trigger } }]);
    request.response = request.event;
  },
});

export type TriggerHandler = (event: unknown, context: Context) => Promise<unknown>;

export const createTriggerHandler = <T>(
  definition: TriggerDefinition<T>,
  runtime: TriggerRuntime,
  middlewares: readonly MiddlewareObj<unknown, unknown>[] = [],
): TriggerHandler => {
  const handle = async (event: unknown): Promise<unknown> => {
    let context: ProcessContext = runtime;
    if (runtime.piiKeyNow !== undefined) {
      const piiKey = await runtime.piiKeyNow();
      context = piiKey === undefined ? withoutPiiKey(runtime) : { ...runtime, piiKey };
    }
    let processed;
    try {
      processed = processTrigger(definition, event, context);
    } catch (error) {
      if (!(error instanceof TriggerEventError)) throw error;
      report(runtime, { trigger: definition.name, code: error.code, message: error.message });
      return event;
    }
    const publishStarted = performance.now();
    // Fail open: a failed publish is spilled and reported, and the sign-in goes on.
    const { undelivered, error } = await publishOrSpill(runtime, processed.events);
    if (error !== undefined) report(runtime, { trigger: definition.name, code: ProblemCode.PublishFailed, message: error });
    runtime.metrics?.record?.([
      ...(runtime.sinkIsLog === true ? [] : publishMetrics(definition.name, performance.now() - publishStarted)),
      ...processed.events.flatMap(authEventMetrics),
    ]);
    if (processed.denial !== undefined) {
      runtime.logger.info('authtrail.denied', { trigger: definition.name, code: processed.denial.code });
      throw new TriggerDeniedError(processed.denial.code, processed.denial.message);
    }
    return processed.response;
  };
  const stack = middy<unknown, unknown>(handle).use(failOpen(runtime, definition.name));
  for (const middleware of middlewares) stack.use(middleware);
  return stack as unknown as TriggerHandler;
};
