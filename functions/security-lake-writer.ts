/**
 * The Security Lake writer: consumes its queue (the siem-events rule's events, SQS
 * batches, ReportBatchItemFailures) and puts them as OCSF Parquet objects into the
 * custom sources' bucket with the provider role. Settings are checked at cold start.
 * Per batch: lib/security-lake/runtime.ts; per message: lib/security-lake/writer.ts.
 * Deployed only on a stage that sets securityLakeBucket (docs/security-lake.md).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLakeWriterRuntime } from '../lib/security-lake/runtime.ts';

const runtime = createLakeWriterRuntime(process.env);

const write = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => runtime.handle(event, context);

export const handler = middy(write).use(injectLambdaContext(runtime.logger));
