/**
 * Redrive: puts dead-lettered SIEM messages back on the SIEM queue once the
 * cause is fixed (SIEM back up, secret or format corrected).
 *
 * - SQS: receive from the DLQ, send each body to the SIEM queue, and delete it
 *   from the DLQ only after the send succeeded. A crash in between leaves a
 *   message on both queues: delivered twice, stored once (the SIEM drops repeats
 *   by AuthEvent id). Never the other way round, so nothing is lost.
 * - Local: the same for the local store's DLQ file: bodies appended to the queue
 *   file first, then the DLQ file rewritten without them.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AuthtrailError, messageOf } from '../../lib/errors.ts';
import { REASON_ATTRIBUTE } from '../../lib/siem/delivery.ts';
import { createNdjsonFile, siemStorePaths } from '../sinks/local-store.ts';
import type { LocalDeadLetter } from './local-forwarder.ts';

export interface RedriveProgress {
  moved: number;
  failed: number;
  /** Approximate messages on the DLQ when the redrive started (SQS), or exact (local). */
  total: number;
}

export interface RedriveReport {
  moved: number;
  failed: number;
  /** Why sends failed, at most five distinct reasons. */
  errors: string[];
}

/** SQS answered GetQueueUrl without a URL: the redrive has nowhere to read or write. */
export class QueueUrlError extends AuthtrailError {
  readonly code = 'QUEUE_URL_MISSING' as const;
  constructor(message: string) {
    super(message);
    this.name = 'QueueUrlError';
  }
}

export const queueUrlOf = async (sqs: SQSClient, name: string): Promise<string> => {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (QueueUrl === undefined) throw new QueueUrlError(`queue ${name} has no URL`);
  return QueueUrl;
};

export interface SqsRedriveOptions {
  sqs: SQSClient;
  fromUrl: string;
  toUrl: string;
  /** Stop after this many messages (default: until the DLQ reads empty). */
  max?: number;
  /** Empty receives in a row that mean "drained" (SQS may answer empty while messages remain). */
  emptyReceives?: number;
  onProgress?: (progress: RedriveProgress) => void;
}

export const redriveSqs = async (options: SqsRedriveOptions): Promise<RedriveReport> => {
  const { sqs, fromUrl, toUrl } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: fromUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const total = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0');
  const report: RedriveReport = { moved: 0, failed: 0, errors: [] };
  const noteError = (error: string) => {
    if (report.errors.length < 5 && !report.errors.includes(error)) report.errors.push(error);
  };
  let empty = 0;
  while (report.moved + report.failed < max && empty < (options.emptyReceives ?? 2)) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fromUrl,
        MaxNumberOfMessages: Math.min(10, max - report.moved - report.failed),
        // Long polling asks every SQS server, so an empty answer really means (nearly) empty.
        WaitTimeSeconds: 1,
        // Time to send and delete; a message whose send failed reappears after it.
        VisibilityTimeout: 60,
        MessageAttributeNames: [REASON_ATTRIBUTE],
      }),
    );
    const messages = (received.Messages ?? []).filter(
      (message): message is Message & { Body: string; ReceiptHandle: string } =>
        message.Body !== undefined && message.ReceiptHandle !== undefined,
    );
    if (messages.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    let sent: typeof messages = [];
    try {
      const output = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: toUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), MessageBody: message.Body })),
        }),
      );
      const failedIds = new Set((output.Failed ?? []).map((entry) => entry.Id));
      for (const entry of output.Failed ?? []) noteError(`${entry.Code ?? 'Failed'}: ${entry.Message ?? ''}`);
      sent = messages.filter((_, index) => !failedIds.has(String(index)));
    } catch (error) {
      noteError(`${(error as Error).name}: ${messageOf(error)}`);
    }
    if (sent.length > 0) {
      // Deleted only once safely on the SIEM queue; a failed delete means a duplicate, not a loss.
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: fromUrl,
          Entries: sent.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    report.moved += sent.length;
    report.failed += messages.length - sent.length;
    options.onProgress?.({ moved: report.moved, failed: report.failed, total });
    if (sent.length === 0) break;
  }
  return report;
};

/** Moves the local DLQ file's messages back onto the local SIEM queue file. */
export const redriveLocal = (options: {
  storeDir: string;
  stage: string;
  onProgress?: (progress: RedriveProgress) => void;
}): RedriveReport & { kept: number } => {
  const paths = siemStorePaths(options.storeDir, options.stage);
  if (!existsSync(paths.dlq)) return { moved: 0, failed: 0, errors: [], kept: 0 };
  const bodies: string[] = [];
  const kept: string[] = [];
  for (const line of readFileSync(paths.dlq, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const letter = JSON.parse(line) as Partial<LocalDeadLetter>;
      if (typeof letter.body === 'string') bodies.push(letter.body);
      else kept.push(line);
    } catch {
      kept.push(line);
    }
  }
  // Queue first, DLQ second: a crash between the two duplicates, never loses.
  if (bodies.length > 0) {
    // Checked, synced writes: a full disk throws StoreWriteError with nothing half-written, and the DLQ stays as it was.
    const queue = createNdjsonFile(paths.queue, { serialize: (body) => body as string });
    try {
      queue.append(bodies);
    } finally {
      queue.close();
    }
  }
  // Write then rename: a full disk or a crash leaves the old DLQ or the new one, never a cut one.
  writeFileSync(`${paths.dlq}.tmp`, kept.map((line) => `${line}\n`).join(''));
  renameSync(`${paths.dlq}.tmp`, paths.dlq);
  options.onProgress?.({ moved: bodies.length, failed: 0, total: bodies.length + kept.length });
  return {
    moved: bodies.length,
    failed: 0,
    errors: kept.length > 0 ? [`${kept.length} DLQ line(s) are not dead letters and were left in place`] : [],
    kept: kept.length,
  };
};
