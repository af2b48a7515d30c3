/**
 * The runtime of the event-log-forwarder function (log-first delivery, second
 * half: docs/delivery.md), built once per container. The work happens in
 * lib/publish/log-forwarder.ts.
 */
import middy from '@middy/core';
import { powertoolsRecorder } from '../metrics/emf.ts';
import { createBusPublisher } from '../publish/eventbridge.ts';
import { FORWARD_DEADLINE_MS, createEventLogForwarder } from '../publish/log-forwarder.ts';
import { spillToStdout } from '../publish/spill.ts';
import { envSchema, optional, parseEnv, required, wholeNumber, type Env } from './env.ts';
import { createLogger, createMetrics, powertoolsMiddlewares } from './powertools.ts';

export const EVENT_LOG_FORWARDER_ENV = envSchema({
  AUTHTRAIL_STAGE: required(),
  AUTHTRAIL_EVENT_BUS_NAME: required(),
  // Well inside the function's 30 s timeout: what the bus has not taken by then is spilled, not retried by Lambda.
  AUTHTRAIL_PUBLISH_DEADLINE_MS: wholeNumber(FORWARD_DEADLINE_MS),
  /** Offline runs and tests: a local EventBridge. */
  AUTHTRAIL_EVENTBRIDGE_ENDPOINT: optional(),
});

/** Cold start: a missing or bad setting fails here, naming the variable. */
export const createEventLogForwarderHandler = (env: Env) => {
  const settings = parseEnv(EVENT_LOG_FORWARDER_ENV, env);
  const logger = createLogger(settings.AUTHTRAIL_STAGE);
  const metrics = createMetrics(settings.AUTHTRAIL_STAGE);
  const forward = createEventLogForwarder({
    logger,
    metrics: powertoolsRecorder(metrics),
    spill: spillToStdout,
    sink: createBusPublisher({
      busName: settings.AUTHTRAIL_EVENT_BUS_NAME,
      deadlineMs: settings.AUTHTRAIL_PUBLISH_DEADLINE_MS,
      endpoint: settings.AUTHTRAIL_EVENTBRIDGE_ENDPOINT,
    }),
  });
  return middy(async (event: unknown) => {
    const summary = await forward(event);
    logger.info('authtrail.event-log-forwarder', { summary });
    return summary;
  }).use(powertoolsMiddlewares(logger, metrics));
};
