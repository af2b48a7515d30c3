/**
 * The Security Lake writer: consumes its queue (the siem-events rule's events, SQS
 * batches, ReportBatchItemFailures) and puts them as OCSF Parquet objects into the
 * custom sources' bucket with the provider role. Settings are checked at cold start.
 * Per batch: lib/security-lake/runtime.ts; per message: lib/security-lake/writer.ts.
 * Deployed only on a stage that sets securityLakeBucket (docs/security-lake.md).
 */
import { createLakeWriterRuntime, lakeWriterHandler } from '../lib/security-lake/runtime.ts';

const runtime = createLakeWriterRuntime(process.env);

export const handler = lakeWriterHandler(runtime);
