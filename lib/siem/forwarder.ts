/**
 * The SIEM forwarder on AWS: an SQS event source (the SIEM queue, with
 * ReportBatchItemFailures) feeding ./forward.ts. Its runtime, built at cold
 * start: lib/runtime/siem-forwarder.ts.
 *
 * - Delivered and skipped (category filtered out) messages succeed: SQS deletes them.
 * - Rejected messages (the SIEM refused them, or they are not valid envelopes) go
 *   to the SIEM dead-letter queue now, with the reason as message attribute
 *   `authtrail-reason`, then succeed. If that send fails they are reported as
 *   failures instead, and come back: never dropped.
 * - Failed messages (SIEM slow, down, throttling) are reported in
 *   `batchItemFailures`; SQS redelivers them after the visibility timeout and,
 *   after maxReceiveCount receives, its redrive policy moves them to the DLQ.
 * - Delivery stops at a deadline taken from context.getRemainingTimeInMillis(),
 *   keeping a reserve for the DLQ sends, so a slow SIEM never times the function
 *   out (a timed-out invocation would redeliver the whole batch).
 *
 * Powertools' BatchProcessor is not used: it calls a handler per record, and the
 * forwarder's point is one signed request per batch of records. The response
 * shape is the same `{ batchItemFailures: [{ itemIdentifier }] }`.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EventStatus, REASON_ATTRIBUTE, type SiemSender } from './delivery.ts';
import { forwardMessages, type MessageVerdict } from './forward.ts';

export interface DeadLetter {
  messageId: string;
  body: string;
  reason: string;
}

/** Sends rejected messages to the DLQ; returns the message ids it could not send. */
export type DeadLetterSink = (letters: readonly DeadLetter[]) => Promise<string[]>;

/** SQS attribute values are capped at 256 KB with the body; a reason is a short sentence. */
const MAX_REASON = 1000;

export const sqsDeadLetterSink = (sqs: SQSClient, queueUrl: string, clock: () => Date = () => new Date()): DeadLetterSink =>
  async (letters) => {
    const unsent: string[] = [];
    for (let start = 0; start < letters.length; start += 10) {
      const chunk = letters.slice(start, start + 10);
      try {
        const output = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((letter, index) => ({
              Id: String(index),
              MessageBody: letter.body,
              MessageAttributes: {
                [REASON_ATTRIBUTE]: { DataType: 'String', StringValue: letter.reason.slice(0, MAX_REASON) },
                'authtrail-rejected-at': { DataType: 'String', StringValue: clock().toISOString() },
                'authtrail-source-message-id': { DataType: 'String', StringValue: letter.messageId },
              },
            })),
          }),
        );
        for (const failed of output.Failed ?? []) {
          const letter = chunk[Number(failed.Id)];
          if (letter !== undefined) unsent.push(letter.messageId);
        }
      } catch {
        unsent.push(...chunk.map((letter) => letter.messageId));
      }
    }
    return unsent;
  };

export interface ForwarderDeps {
  sender: SiemSender;
  deadLetters: DeadLetterSink;
  /** Epoch ms by which delivery must stop. */
  deadlineAt: number;
}

export interface ForwarderResult {
  response: SQSBatchResponse;
  delivered: number;
  skipped: number;
  rejected: number;
  failed: number;
  requests: number;
  /** Reasons of the first failures, for the log (no payloads). */
  reasons: string[];
}

export const forwardSqsEvent = async (event: SQSEvent, deps: ForwarderDeps): Promise<ForwarderResult> => {
  const summary = await forwardMessages(
    event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    deps.sender,
    { deadlineAt: deps.deadlineAt },
  );
  const rejected = summary.verdicts.filter((verdict) => verdict.result.status === EventStatus.Rejected);
  const unsent = await deps.deadLetters(
    rejected.map((verdict) => ({ messageId: verdict.messageId, body: verdict.body, reason: reasonOf(verdict) })),
  );
  const retry = new Set([
    ...summary.verdicts.filter((verdict) => verdict.result.status === EventStatus.Failed).map((verdict) => verdict.messageId),
    ...unsent,
  ]);
  return {
    response: { batchItemFailures: [...retry].map((itemIdentifier) => ({ itemIdentifier })) },
    delivered: summary.delivered,
    skipped: summary.skipped,
    rejected: summary.rejected - unsent.length,
    failed: retry.size,
    requests: summary.requests,
    reasons: [...new Set(summary.verdicts.map(reasonOf).filter((reason) => reason !== ''))].slice(0, 5),
  };
};

const reasonOf = (verdict: MessageVerdict): string => ('reason' in verdict.result ? verdict.result.reason : '');

