/**
 * The runtime of the recover-spilled function, built once per container:
 * scheduled, it re-publishes events the triggers spilled to their logs. Each run
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
import { MetricName } from '../metrics/catalog.ts';
import { powertoolsRecorder } from '../metrics/emf.ts';
import { createBusPublisher } from '../publish/eventbridge.ts';
import { createDynamoDbCheckpointStore } from '../recover/checkpoint.ts';
import { spillLogGroups } from '../recover/recover.ts';
import { StopReason, recoverResumably, scheduledUntil } from '../recover/resumable.ts';
import { envSchema, parseEnv, required, wholeNumber, type Env } from './env.ts';
import { createLogger, createMetrics, powertoolsMiddlewares } from './powertools.ts';

/** CloudWatch Logs may take minutes to make a line searchable: recover what is older than this. */
export const LAG_MINUTES = 5;
/**
 * The bus deadline of one run's publishes, in ms: generous, as nobody waits on a
 * run (300 s timeout), and what the bus does not take stays spilled for the next run.
 */
export const RECOVER_PUBLISH_DEADLINE_MS = 20_000;
/** The schedule's rate (serverless.yml recoverRateMinutes): each run covers this much log time. */
export const RECOVER_RATE_MINUTES = { default: 15, min: 1, max: 1_440 } as const;
/** Characters kept of a publish failure in the run's summary: enough for the reason, short enough for one log line. */
const PUBLISH_ERROR_CHARS = 300;

export const RECOVER_SPILLED_ENV = envSchema({
  AUTHTRAIL_STAGE: required(),
  AUTHTRAIL_EVENT_BUS_NAME: required(),
  AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: required(),
  AUTHTRAIL_RECOVER_RATE_MINUTES: wholeNumber(RECOVER_RATE_MINUTES),
});

/** Cold start: a missing or bad setting (a typo in the rate) fails here, naming the variable. */
export const createRecoverSpilledHandler = (env: Env) => {
  const settings = parseEnv(RECOVER_SPILLED_ENV, env);
  const stage = settings.AUTHTRAIL_STAGE;
  const rateMinutes = settings.AUTHTRAIL_RECOVER_RATE_MINUTES;
  const logGroups = spillLogGroups(stage);
  const logger = createLogger(stage);
  const metrics = createMetrics(stage);
  const recorder = powertoolsRecorder(metrics);
  const logs = new CloudWatchLogsClient({});
  const checkpoints = createDynamoDbCheckpointStore({
    client: new DynamoDBClient({}),
    tableName: settings.AUTHTRAIL_RECOVER_CHECKPOINT_TABLE,
  });
  const publisher = createBusPublisher({ busName: settings.AUTHTRAIL_EVENT_BUS_NAME, deadlineMs: RECOVER_PUBLISH_DEADLINE_MS });

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
      ...(report.publishError === undefined ? {} : { publishError: report.publishError.slice(0, PUBLISH_ERROR_CHARS) }),
    };
    if (report.stoppedBy === StopReason.PublishFailure) logger.warn('authtrail.recover', summary);
    else logger.info('authtrail.recover', summary);
    return summary;
  };

  return middy(recoverSpilled).use(powertoolsMiddlewares(logger, metrics));
};
