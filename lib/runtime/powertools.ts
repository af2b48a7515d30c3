/**
 * The Powertools logger and metrics of every deployed function: one service
 * name and namespace, the stage on every log line and as every metric's
 * dimension (lib/metrics/catalog.ts keeps the rest of the dimensions low).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../metrics/catalog.ts';

export const createLogger = (stage: string): Logger => new Logger({ serviceName: SERVICE_NAME, persistentKeys: { stage } });

export const createMetrics = (stage: string): Metrics =>
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions: { stage } });

/** The Powertools middlewares of a deployed function, in their order: flush metrics, then Lambda context in logs. */
export const powertoolsMiddlewares = (logger: Logger, metrics: Metrics): MiddlewareObj<unknown, unknown>[] =>
  [logMetrics(metrics), injectLambdaContext(logger)] as MiddlewareObj<unknown, unknown>[];
