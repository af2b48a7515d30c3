/**
 * The SIEM forwarder: consumes the SIEM queue (SQS batches, ReportBatchItemFailures)
 * and delivers each batch to the stage's SIEM as signed HTTP requests, in the
 * stage's format. Its runtime, built and checked at cold start:
 * lib/runtime/siem-forwarder.ts; what it does per batch: lib/siem/forwarder.ts.
 * Operating it: docs/siem.md.
 */
import { createForwarderRuntime, siemForwarderHandler } from '../lib/runtime/siem-forwarder.ts';

const runtime = createForwarderRuntime(process.env);

export const handler = siemForwarderHandler(runtime);
