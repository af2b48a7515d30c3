/**
 * The runtime of the failed-sign-ins function (failed sign-in inference,
 * downstream of the bus: docs/delivery.md), built once per container. The work
 * happens in lib/inference/.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { createFailedSignInConsumer } from '../inference/consumer.ts';
import { createDynamoDbStateStore } from '../inference/dynamodb-store.ts';
import { powertoolsRecorder } from '../metrics/emf.ts';
import { createBusPublisher } from '../publish/eventbridge.ts';
import { extendEnv, parseEnv, required, type Env } from './env.ts';
import { STAGE_ENV, stageConfigFrom } from './lambda-base.ts';
import { createLogger, createMetrics, powertoolsMiddlewares } from './powertools.ts';

/**
 * The bus deadline of what it infers, in ms. Nobody waits on this function
 * (30 s timeout): a slow bus gets time, and a failure goes back to Lambda's
 * retries and the async failure queue.
 */
export const INFERENCE_PUBLISH_DEADLINE_MS = 5_000;

export const FAILED_SIGN_INS_ENV = extendEnv(STAGE_ENV, {
  AUTHTRAIL_EVENT_BUS_NAME: required(),
  AUTHTRAIL_SIGN_IN_TABLE: required(),
});

/** Cold start: a missing setting or a bad config fails here, with the setting named. */
export const createFailedSignInsHandler = (env: Env) => {
  const settings = parseEnv(FAILED_SIGN_INS_ENV, env);
  const config = stageConfigFrom(settings);
  const logger = createLogger(settings.AUTHTRAIL_STAGE);
  const metrics = createMetrics(settings.AUTHTRAIL_STAGE);
  const consume = createFailedSignInConsumer({
    store: createDynamoDbStateStore({
      client: new DynamoDBClient({}),
      tableName: settings.AUTHTRAIL_SIGN_IN_TABLE,
      clock: Date.now,
    }),
    sink: createBusPublisher({ busName: settings.AUTHTRAIL_EVENT_BUS_NAME, deadlineMs: INFERENCE_PUBLISH_DEADLINE_MS }),
    windowSeconds: config.signIn.failedSignInWindowSeconds,
    logger,
    metrics: powertoolsRecorder(metrics),
    clock: () => new Date(),
  });
  return middy(consume).use(powertoolsMiddlewares(logger, metrics));
};
