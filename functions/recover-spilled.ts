/**
 * Scheduled: re-publishes events the triggers spilled to their logs. Each run
 * covers the window before its scheduled time (lib/recover/recover.ts); a run
 * that cannot publish everything fails, and Lambda's retry covers the same window.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { requiredEnv } from '../lib/config/load.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../lib/publish/eventbridge.ts';
import { findSpills, republish, scheduledWindow, spillLogGroups } from '../lib/recover/recover.ts';
import { createLogger } from '../lib/runtime/powertools.ts';

const stage = requiredEnv(process.env, 'AUTHTRAIL_STAGE');
const rateMinutes = Number(process.env.AUTHTRAIL_RECOVER_RATE_MINUTES ?? '15');
const logGroups = spillLogGroups(stage);
const logger = createLogger(stage);
const logs = new CloudWatchLogsClient({});
const deadlineMs = 20_000;
const publisher = createEventBridgePublisher({
  client: createEventBridgeClient(deadlineMs),
  busName: requiredEnv(process.env, 'AUTHTRAIL_EVENT_BUS_NAME'),
  deadlineMs,
});

const recoverSpilled = async (event: ScheduledEvent) => {
  const window = scheduledWindow(new Date(event.time), rateMinutes, 5);
  const report = await republish(await findSpills(logs, logGroups, window), publisher, new Date());
  logger.info('authtrail.recover', { window, report: { ...report, failedIds: report.failedIds.slice(0, 20) } });
  if (report.failed > 0) throw new Error(`${report.failed} spilled event(s) could not be re-published`);
  return report;
};

export const handler = middy(recoverSpilled).use(injectLambdaContext(logger));
