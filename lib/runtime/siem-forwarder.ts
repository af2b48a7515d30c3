/**
 * The runtime of the siem-forwarder function, built once per container (cold
 * start): settings, stage config, SIEM URL and secret source are checked here,
 * so a bad deploy fails loudly before any message is taken; the secret itself
 * is read on first use and cached per container. What it does per batch:
 * lib/siem/forwarder.ts; per message: lib/siem/forward.ts. Operating it: docs/siem.md.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { messageOf } from '../errors.ts';
import { MetricName, type MetricsRecorder } from '../metrics/catalog.ts';
import { powertoolsRecorder } from '../metrics/emf.ts';
import { createSiemSender, sinkFromConfig, systemDeliveryIo, type SiemCredentials, type SiemSender } from '../siem/delivery.ts';
import { forwardSqsEvent, sqsDeadLetterSink } from '../siem/forwarder.ts';
import { createHttpTransport, isLoopbackUrl } from '../siem/http.ts';
import { SIEM_SECRET_ONE_OF, credentialsSourceFrom } from '../siem/secrets.ts';
import { extendEnv, optional, parseEnv, required, wholeNumber, type Env, type ValueCheck } from './env.ts';
import { STAGE_ENV, stageConfigFrom } from './lambda-base.ts';
import { deadlineFrom } from './batch-deadline.ts';
import { createLogger, createMetrics } from './powertools.ts';

/** The SIEM URL of a deploy: https, except a loopback receiver (offline runs and tests). */
const siemUrl: ValueCheck = (value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))
    ? undefined
    : 'must be https:// (http:// only for a loopback receiver)';
};

/** How long a warm container keeps the secret, in seconds: a rotation reaches it within this. */
export const SIEM_SECRET_MAX_AGE_SECONDS = { default: 300, min: 0, max: Number.MAX_SAFE_INTEGER, what: 'a whole number of seconds' } as const;

export const SIEM_FORWARDER_ENV = extendEnv(
  STAGE_ENV,
  {
    AUTHTRAIL_SIEM_URL: required(siemUrl),
    AUTHTRAIL_SIEM_DLQ_URL: required(),
    /** The secret's name in Secrets Manager (deployed) … */
    AUTHTRAIL_SIEM_SECRET_ID: optional(),
    /** … or of an SSM SecureString (lib/siem/secrets.ts). */
    AUTHTRAIL_SIEM_SECRET_PARAMETER: optional(),
    AUTHTRAIL_SIEM_SECRET_MAX_AGE_SECONDS: wholeNumber(SIEM_SECRET_MAX_AGE_SECONDS),
  },
  [SIEM_SECRET_ONE_OF],
);

/** Messages SQS delivers again after an earlier attempt did not take them (the SIEM retries). */
const redeliveredIn = (event: SQSEvent): number =>
  event.Records.filter((record) => Number(record.attributes?.ApproximateReceiveCount ?? '1') > 1).length;

export interface ForwarderRuntime {
  logger: Logger;
  /** Powertools' Metrics, for the middleware that flushes it. */
  lambdaMetrics: Metrics;
  /** The catalog's recorder over it, as the triggers count (lib/metrics/emf.ts). */
  metrics: MetricsRecorder;
  handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
}

/** Cold start: every setting checked here, so a bad deploy fails loudly before any message is taken. */
export const createForwarderRuntime = (env: Env): ForwarderRuntime => {
  const settings = parseEnv(SIEM_FORWARDER_ENV, env);
  const config = stageConfigFrom(settings);
  const sink = sinkFromConfig(config.siem, new URL(settings.AUTHTRAIL_SIEM_URL).toString());
  const source = credentialsSourceFrom({
    secretId: settings.AUTHTRAIL_SIEM_SECRET_ID,
    parameter: settings.AUTHTRAIL_SIEM_SECRET_PARAMETER,
    maxAgeSeconds: settings.AUTHTRAIL_SIEM_SECRET_MAX_AGE_SECONDS,
  });
  const transport = createHttpTransport();
  const sqs = new SQSClient({});
  const logger = createLogger(settings.AUTHTRAIL_STAGE);
  const lambdaMetrics = createMetrics(settings.AUTHTRAIL_STAGE);
  const metrics = powertoolsRecorder(lambdaMetrics, { countZeros: true });
  const deadLetters = sqsDeadLetterSink(sqs, settings.AUTHTRAIL_SIEM_DLQ_URL);
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
    lambdaMetrics,
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
      metrics.count(MetricName.SiemDelivered, result.delivered);
      metrics.count(MetricName.SiemRejected, result.rejected);
      metrics.count(MetricName.SiemFailed, result.failed);
      metrics.count(MetricName.SiemRetried, redeliveredIn(event));
      metrics.count(MetricName.SiemRequests, result.requests);
      const { response, ...counts } = result;
      (result.failed + result.rejected > 0 ? logger.warn : logger.info).call(logger, 'authtrail.siem.forward', {
        messages: event.Records.length,
        ...counts,
      });
      return response;
    },
  };
};

/**
 * The exported handler: Lambda context in the logs, then Powertools' logMetrics,
 * which flushes the five counts after every batch.
 */
export const siemForwarderHandler = (runtime: ForwarderRuntime) =>
  middy((event: SQSEvent, context: Context): Promise<SQSBatchResponse> => runtime.handle(event, context))
    .use(injectLambdaContext(runtime.logger))
    .use(logMetrics(runtime.lambdaMetrics));
