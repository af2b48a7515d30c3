/**
 * The SIEM forwarder: consumes the SIEM queue (SQS batches, ReportBatchItemFailures)
 * and delivers each batch to the stage's SIEM as signed HTTP requests, in the
 * stage's format. Everything is built and checked at cold start (settings, config,
 * secret source); the secret itself is read on first use and cached per container.
 * What it does per message: lib/siem/forwarder.ts. Operating it: docs/siem.md.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createForwarderRuntime } from '../lib/siem/forwarder.ts';

const runtime = createForwarderRuntime(process.env);

const forward = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => runtime.handle(event, context);

export const handler = middy(forward)
  .use(injectLambdaContext(runtime.logger))
  .use(logMetrics(runtime.metrics));
