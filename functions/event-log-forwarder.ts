/**
 * Log-first delivery, second half (docs/delivery.md): a CloudWatch Logs
 * subscription on the trigger log groups delivers their event lines; this
 * function publishes them to the stage bus under their own ids and spills what
 * the bus refuses (recover-spilled re-publishes it). Off the sign-in path: the
 * triggers answered Cognito long before. The work happens in
 * lib/publish/log-forwarder.ts.
 */
import middy from '@middy/core';
import { requiredEnv } from '../lib/config/load.ts';
import { powertoolsRecorder } from '../lib/metrics/emf.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../lib/publish/eventbridge.ts';
import { FORWARD_DEADLINE_MS, createEventLogForwarder } from '../lib/publish/log-forwarder.ts';
import { spillToStdout } from '../lib/publish/spill.ts';
import { wholeNumberFrom } from '../lib/runtime/env.ts';
import { createLogger, createMetrics, powertoolsMiddlewares } from '../lib/runtime/powertools.ts';

const stage = requiredEnv(process.env, 'AUTHTRAIL_STAGE');
const logger = createLogger(stage);
const metrics = createMetrics(stage);
// Well inside the function's 30 s timeout: what the bus has not taken by then is spilled, not retried by Lambda.
const deadlineMs = wholeNumberFrom(process.env, 'AUTHTRAIL_PUBLISH_DEADLINE_MS', FORWARD_DEADLINE_MS);
const forward = createEventLogForwarder({
  logger,
  metrics: powertoolsRecorder(metrics),
  spill: spillToStdout,
  sink: createEventBridgePublisher({
    client: createEventBridgeClient(deadlineMs, process.env.AUTHTRAIL_EVENTBRIDGE_ENDPOINT || undefined),
    busName: requiredEnv(process.env, 'AUTHTRAIL_EVENT_BUS_NAME'),
    deadlineMs,
  }),
});

export const handler = middy(async (event: unknown) => {
  const summary = await forward(event);
  logger.info('authtrail.event-log-forwarder', { summary });
  return summary;
}).use(powertoolsMiddlewares(logger, metrics));
