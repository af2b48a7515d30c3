/**
 * The Powertools logger and metrics of every deployed function: one service
 * name and namespace, the stage on every log line and as every metric's
 * dimension (lib/metrics/catalog.ts keeps the rest of the dimensions low).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../metrics/catalog.ts';

export const createLogger = (stage: string): Logger => new Logger({ serviceName: SERVICE_NAME, persistentKeys: { stage } });

export const createMetrics = (stage: string): Metrics =>
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions: { stage } });

/**
 * Flushes the invocation's stored metrics as one EMF line, after it and after a
 * failure. Instead of Powertools' logMetrics middleware, which writes a warning
 * to the log on every invocation that stored none: a log-first trigger stores
 * none on most (its per-event metrics go out at once as single metrics), and
 * each warning would be a log line on the sign-in path and a line to ingest.
 */
const flushMetrics = (metrics: Metrics): MiddlewareObj<unknown, unknown> => {
  const flush = (): void => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { name: 'authtrail-flush-metrics', after: flush, onError: flush };
};

/** The Powertools middlewares of a deployed function, in their order: flush metrics, then Lambda context in logs. */
export const powertoolsMiddlewares = (logger: Logger, metrics: Metrics): MiddlewareObj<unknown, unknown>[] =>
  [flushMetrics(metrics), injectLambdaContext(logger)] as MiddlewareObj<unknown, unknown>[];
