/**
 * What every deployed function that emits AuthEvents builds the same way at
 * cold start, whatever it delivers through: stage, config, clock, pipeline
 * stamp, Powertools logger and metrics, the spill. Free of the AWS SDK: the
 * log-first triggers (./trigger-lambda.ts) load it too.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { stageConfigFromEnv } from '../config/load.ts';
import type { StageConfig } from '../config/schema.ts';
import { powertoolsRecorder } from '../metrics/emf.ts';
import { isDisposableDomain } from '../policy/disposable-domains.ts';
import { spillToStdout } from '../publish/spill.ts';
import { PIPELINE_VERSION } from '../version.ts';
import { envSchema, optional, required, type EnvSettings } from './env.ts';
import type { TriggerRuntime } from './handler.ts';
import { createLogger, createMetrics } from './powertools.ts';

/** What a function that reads the stage config reads from its environment. */
export const STAGE_ENV = envSchema({
  AUTHTRAIL_STAGE: required(),
  /** serverless.yml sets it (config/<stage>.json in the zip); unset, config/<stage>.json under LAMBDA_TASK_ROOT. */
  AUTHTRAIL_CONFIG_FILE: optional(),
  /** Set by Lambda itself (/var/task); unset in tests and offline, where the working directory stands in. */
  LAMBDA_TASK_ROOT: optional(),
});
export type StageSettings = EnvSettings<typeof STAGE_ENV>;

/** The stage config of a deployed function (lib/config/load.ts), from its parsed settings. */
export const stageConfigFrom = (settings: StageSettings): StageConfig => stageConfigFromEnv(settings, settings.AUTHTRAIL_STAGE);

export interface LambdaRuntimeBase extends Omit<TriggerRuntime, 'sink' | 'piiKey'> {
  logger: Logger;
  lambdaMetrics: Metrics;
}

export const lambdaRuntimeBase = (settings: StageSettings): LambdaRuntimeBase => {
  const stage = settings.AUTHTRAIL_STAGE;
  const config = stageConfigFrom(settings);
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
