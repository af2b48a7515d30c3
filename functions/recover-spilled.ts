/**
 * Scheduled: re-publishes events the triggers spilled to their logs. Each run
 * continues every log group from its checkpoint and stops in time to save it
 * (lib/recover/resumable.ts), so a backlog larger than one run is recovered over
 * several. A bus that still refuses events stops the run with the checkpoints
 * before them: the next run tries again, and the backlog metric and its alarm
 * say so. A run that cannot read the logs or its checkpoints throws: Lambda
 * retries it, then records it in the async failure queue.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { requiredEnv } from '../lib/config/load.ts';
import { powertoolsRecorder } from '../lib/metrics/emf.ts';
import { MetricName } from '../lib/metrics/catalog.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../lib/publish/eventbridge.ts';
import { createDynamoDbCheckpointStore } from '../lib/recover/checkpoint.ts';
import { spillLogGroups } from '../lib/recover/recover.ts';
import { StopReason, recoverResumably, scheduledUntil } from '../lib/recover/resumable.ts';
import { wholeNumberFrom } from '../lib/runtime/env.ts';
import { createLogger, createMetrics, powertoolsMiddlewares } from '../lib/runtime/powertools.ts';

/** CloudWatch Logs may take minutes to make a line searchable: recover what is older than this. */
const LAG_MINUTES = 5;

const stage = requiredEnv(process.env, 'AUTHTRAIL_STAGE');
/** The schedule's rate (serverless.yml recoverRateMinutes): each run covers this much log time. A typo fails the cold start, naming the variable. */
const RECOVER_RATE_MINUTES = { default: 15, min: 1, max: 1_440 } as const;
const rateMinutes = wholeNumberFrom(process.env, 'AUTHTRAIL_RECOVER_RATE_MINUTES', RECOVER_RATE_MINUTES);
const logGroups = spillLogGroups(stage);
const logger = createLogger(stage);
const metrics = createMetrics(stage);
const recorder = powertoolsRecorder(metrics);
const logs = new CloudWatchLogsClient({});
const checkpoints = createDynamoDbCheckpointStore({
  client: new DynamoDBClient({}),
  tableName: requiredEnv(process.env, 'AUTHTRAIL_RECOVER_CHECKPOINT_TABLE'),
});
const deadlineMs = 20_000;
const publisher = createEventBridgePublisher({
  client: createEventBridgeClient(deadlineMs),
  busName: requiredEnv(process.env, 'AUTHTRAIL_EVENT_BUS_NAME'),
  deadlineMs,
});

const recoverSpilled = async (event: ScheduledEvent, context: Context) => {
  const until = scheduledUntil(new Date(event.time), LAG_MINUTES);
  const report = await recoverResumably({
    logs,
    publisher,
    checkpoints,
    logGroups,
    until,
    // A log group never recovered before starts one schedule period back, as the fixed windows did.
    firstSince: until - rateMinutes * 60_000,
    remainingMs: () => context.getRemainingTimeInMillis(),
    now: () => new Date(),
  });
  recorder.count(MetricName.RecoveredEvents, report.published);
  recorder.record?.([{ name: MetricName.RecoveryBacklog, value: report.backlogSeconds, dimensions: {} }]);
  const summary = {
    until: new Date(until).toISOString(),
    stoppedBy: report.stoppedBy,
    found: report.found,
    published: report.published,
    backlogSeconds: report.backlogSeconds,
    ...(report.publishError === undefined ? {} : { publishError: report.publishError.slice(0, 300) }),
  };
  if (report.stoppedBy === StopReason.PublishFailure) logger.warn('authtrail.recover', summary);
  else logger.info('authtrail.recover', summary);
  return summary;
};

export const handler = middy(recoverSpilled).use(powertoolsMiddlewares(logger, metrics));
