/**
 * Failed sign-in inference on AWS, downstream of the bus (docs/delivery.md,
 * "Failed sign-in inference"). Not on anyone's sign-in path. The work happens in
 * lib/inference/; this file builds its dependencies once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { requiredEnv, stageConfigFromEnv } from '../lib/config/load.ts';
import { createFailedSignInConsumer } from '../lib/inference/consumer.ts';
import { createDynamoDbStateStore } from '../lib/inference/dynamodb-store.ts';
import { powertoolsRecorder } from '../lib/metrics/emf.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../lib/publish/eventbridge.ts';
import { createLogger, createMetrics, powertoolsMiddlewares } from '../lib/runtime/powertools.ts';

// Cold start: a missing setting or a bad config fails here, with the setting named.
const stage = requiredEnv(process.env, 'AUTHTRAIL_STAGE');
const config = stageConfigFromEnv(process.env, stage);
const logger = createLogger(stage);
const deadlineMs = 5_000;
const metrics = createMetrics(stage);

const consume = createFailedSignInConsumer({
  store: createDynamoDbStateStore({
    client: new DynamoDBClient({}),
    tableName: requiredEnv(process.env, 'AUTHTRAIL_SIGN_IN_TABLE'),
    clock: Date.now,
  }),
  sink: createEventBridgePublisher({
    client: createEventBridgeClient(deadlineMs),
    busName: requiredEnv(process.env, 'AUTHTRAIL_EVENT_BUS_NAME'),
    deadlineMs,
  }),
  windowSeconds: config.signIn.failedSignInWindowSeconds,
  logger,
  metrics: powertoolsRecorder(metrics),
  clock: () => new Date(),
});

export const handler = middy(consume).use(powertoolsMiddlewares(logger, metrics));
