/**
 * What every deployed function that emits AuthEvents builds the same way at
 * cold start, whatever it delivers through: stage, config, clock, pipeline
 * stamp, Powertools logger and metrics, the spill. Free of the AWS SDK: the
 * log-first triggers (./trigger-lambda.ts) load it too.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { requiredEnv, stageConfigFromEnv } from '../config/load.ts';
import { powertoolsRecorder } from '../metrics/emf.ts';
import { isDisposableDomain } from '../policy/disposable-domains.ts';
import { spillToStdout } from '../publish/spill.ts';
import { PIPELINE_VERSION } from '../version.ts';
import type { Env } from './env.ts';
import type { TriggerRuntime } from './handler.ts';
import { createLogger, createMetrics } from './powertools.ts';

export interface LambdaRuntimeBase extends Omit<TriggerRuntime, 'sink' | 'piiKey'> {
  logger: Logger;
  lambdaMetrics: Metrics;
}

export const lambdaRuntimeBase = (env: Env): LambdaRuntimeBase => {
  const stage = requiredEnv(env, 'AUTHTRAIL_STAGE');
  const config = stageConfigFromEnv(env, stage);
  const logger = createLogger(stage);
  const metrics = createMetrics(stage);
  return {
    stage,
    config,
    clock: () => new Date(),
    pipeline: { version: PIPELINE_VERSION, piiKeyId: config.pii.keyId },
    isDisposableDomain,
    logger,
    lambdaMetrics: metrics,
    metrics: powertoolsRecorder(metrics),
    spill: spillToStdout,
  };
};
