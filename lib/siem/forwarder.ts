/**
 * The SIEM forwarder on AWS: an SQS event source (the SIEM queue, with
 * ReportBatchItemFailures) feeding ./forward.ts.
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
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requiredEnv, stageConfigFromEnv } from '../config/load.ts';
import { createLogger, createMetrics } from '../runtime/powertools.ts';
import { MetricName } from '../metrics/catalog.ts';
import { ConfigError, messageOf } from '../errors.ts';
import { EventStatus, REASON_ATTRIBUTE, createSiemSender, sinkFromConfig, systemDeliveryIo, type SiemCredentials, type SiemSender } from './delivery.ts';
import { forwardMessages, type MessageVerdict } from './forward.ts';
import { createHttpTransport, isLoopbackUrl } from './http.ts';
import { credentialsSourceFromEnv, type CredentialsSource } from './secrets.ts';

type Env = Readonly<Record<string, string | undefined>>;


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

const forwardSqsEvent = async (event: SQSEvent, deps: ForwarderDeps): Promise<ForwarderResult> => {
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

/** Time kept back from delivery for the DLQ sends and the response (also the Security Lake writer's). */
export const deadlineFrom = (context: Pick<Context, 'getRemainingTimeInMillis'>, now: number): number => {
  const remaining = context.getRemainingTimeInMillis();
  return now + remaining - Math.min(2_000, Math.floor(remaining * 0.25));
};

/** The SIEM URL of a deploy: https, except a loopback receiver (offline runs and tests). */
const siemUrlFrom = (env: Env): string => {
  const raw = requiredEnv(env, 'AUTHTRAIL_SIEM_URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError('AUTHTRAIL_SIEM_URL is not a URL', { cause: error });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    throw new ConfigError('AUTHTRAIL_SIEM_URL must be https:// (http:// only for a loopback receiver)');
  }
  return url.toString();
};

/** Messages SQS delivers again after an earlier attempt did not take them (the SIEM retries). */
const redeliveredIn = (event: SQSEvent): number =>
  event.Records.filter((record) => Number(record.attributes?.ApproximateReceiveCount ?? '1') > 1).length;

export interface ForwarderRuntime {
  logger: Logger;
  metrics: Metrics;
  handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
}

/** Cold start: every setting checked here, so a bad deploy fails loudly before any message is taken. */
export const createForwarderRuntime = (env: Env = process.env): ForwarderRuntime => {
  const stage = requiredEnv(env, 'AUTHTRAIL_STAGE');
  const config = stageConfigFromEnv(env, stage);
  const sink = sinkFromConfig(config.siem, siemUrlFrom(env));
  const dlqUrl = requiredEnv(env, 'AUTHTRAIL_SIEM_DLQ_URL');
  const source: CredentialsSource = credentialsSourceFromEnv(env);
  const transport = createHttpTransport();
  const sqs = new SQSClient({});
  const logger = createLogger(stage);
  const metrics = createMetrics(stage);
  const deadLetters = sqsDeadLetterSink(sqs, dlqUrl);
  let current: { credentials: SiemCredentials; sender: SiemSender } | undefined;

  /** One sender per secret version: rebuilt only when the (cached) secret changed. */
  const senderFor = async (): Promise<SiemSender> => {
    // The source hands out the same credentials object until the secret text changes.
    const credentials = await source.load();
    if (current?.credentials !== credentials) {
      current = { credentials, sender: createSiemSender({ sink, credentials, io: systemDeliveryIo(transport.send) }) };
    }
    return current.sender;
  };

  return {
    logger,
    metrics,
    handle: async (event, context) => {
      let sender: SiemSender;
      try {
        sender = await senderFor();
      } catch (error) {
        // No secret, no delivery: every message comes back later (and to the DLQ after maxReceiveCount).
        logger.error('authtrail.siem.secret', { error: `${(error as Error).name}: ${messageOf(error)}` });
        return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
      }
      const result = await forwardSqsEvent(event, { sender, deadLetters, deadlineAt: deadlineFrom(context, Date.now()) });
      metrics.addMetric(MetricName.SiemDelivered, MetricUnit.Count, result.delivered);
      metrics.addMetric(MetricName.SiemRejected, MetricUnit.Count, result.rejected);
      metrics.addMetric(MetricName.SiemFailed, MetricUnit.Count, result.failed);
      metrics.addMetric(MetricName.SiemRetried, MetricUnit.Count, redeliveredIn(event));
      metrics.addMetric(MetricName.SiemRequests, MetricUnit.Count, result.requests);
      const { response, ...counts } = result;
      (result.failed + result.rejected > 0 ? logger.warn : logger.info).call(logger, 'authtrail.siem.forward', {
        messages: event.Records.length,
        ...counts,
      });
      return response;
    },
  };
};
