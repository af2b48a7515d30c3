/**
 * Builds the runtime of a function that publishes straight to the bus, once per container (cold
 * start): environment, stage config, PII key and the EventBridge client. Any
 * problem here is a bad deploy and fails the cold start with the setting named.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { requiredEnv, stageConfigFromEnv } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { isDisposableDomain } from '../policy/disposable-domains.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../publish/eventbridge.ts';
import { spillToStdout } from '../publish/spill.ts';
import { PIPELINE_VERSION } from '../version.ts';
import { powertoolsRecorder } from '../metrics/emf.ts';
import type { TriggerRuntime } from './handler.ts';
import { createLogger, createMetrics } from './powertools.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The PII hash key: from an SSM SecureString parameter (deployed functions, whose
 * template names only the parameter), or from AUTHTRAIL_PII_HASH_KEY in the
 * environment, which wins when set: offline runs (serverless-offline, tests)
 * have no SSM to ask.
 */
const piiKeyFrom = async (env: Env): Promise<string> => {
  const parameter = env.AUTHTRAIL_PII_HASH_KEY ? undefined : env.AUTHTRAIL_PII_HASH_KEY_PARAMETER;
  const key = parameter ? await getParameter(parameter, { decrypt: true }) : env.AUTHTRAIL_PII_HASH_KEY;
  if (typeof key !== 'string' || key.length < 16) {
    throw new ConfigError(
      parameter
        ? `PII hash key parameter ${parameter} is missing or shorter than 16 characters`
        : 'Set AUTHTRAIL_PII_HASH_KEY_PARAMETER (an SSM SecureString name) or AUTHTRAIL_PII_HASH_KEY (at least 16 characters)',
    );
  }
  return key;
};

/** Default and bounds of the publish deadline: well inside Cognito's 5 s, with room for the rest of the handler. */
export const PUBLISH_DEADLINE_MS = { default: 800, min: 50, max: 4000 } as const;

const publishDeadlineFrom = (env: Env): number => {
  const raw = env.AUTHTRAIL_PUBLISH_DEADLINE_MS;
  if (raw === undefined || raw === '') return PUBLISH_DEADLINE_MS.default;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < PUBLISH_DEADLINE_MS.min || value > PUBLISH_DEADLINE_MS.max) {
    throw new ConfigError(
      `AUTHTRAIL_PUBLISH_DEADLINE_MS must be a whole number of milliseconds from ${PUBLISH_DEADLINE_MS.min} to ${PUBLISH_DEADLINE_MS.max}, got "${raw}"`,
    );
  }
  return value;
};

export interface LambdaRuntime extends TriggerRuntime {
  logger: Logger;
  lambdaMetrics: Metrics;
}

export const createLambdaRuntime = async (env: Env = process.env): Promise<LambdaRuntime> => {
  const stage = requiredEnv(env, 'AUTHTRAIL_STAGE');
  const config = stageConfigFromEnv(env, stage);
  const busName = requiredEnv(env, 'AUTHTRAIL_EVENT_BUS_NAME');
  const logger = createLogger(stage);
  const metrics = createMetrics(stage);
  const deadlineMs = publishDeadlineFrom(env);
  const client = createEventBridgeClient(deadlineMs, env.AUTHTRAIL_EVENTBRIDGE_ENDPOINT || undefined);
  return {
    stage,
    config,
    piiKey: await piiKeyFrom(env),
    clock: () => new Date(),
    pipeline: { version: PIPELINE_VERSION, piiKeyId: config.pii.keyId },
    isDisposableDomain,
    logger,
    lambdaMetrics: metrics,
    metrics: powertoolsRecorder(metrics),
    spill: spillToStdout,
    sink: createEventBridgePublisher({ client, busName, deadlineMs }),
  };
};
