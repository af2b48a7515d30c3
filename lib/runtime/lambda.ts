/**
 * Builds the runtime of a deployed trigger function, once per container (cold
 * start): environment, stage config, PII key and the EventBridge client. Any
 * problem here is a bad deploy and fails the cold start with the setting named.
 */
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import type { MiddlewareObj } from '@middy/core';
import { configFileFor, loadStageConfigFile, requiredEnv } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { isDisposableDomain } from '../policy/disposable-domains.ts';
import { createEventBridgeSink } from '../sinks/eventbridge.ts';
import type { TriggerDefinition } from '../triggers/definition.ts';
import { PIPELINE_VERSION } from '../version.ts';
import { createTriggerHandler, type TriggerHandler, type TriggerRuntime } from './handler.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The PII hash key: from an SSM SecureString parameter (deployed), or the environment (offline runs). */
const piiKeyFrom = async (env: Env): Promise<string> => {
  const parameter = env.AUTHTRAIL_PII_HASH_KEY_PARAMETER;
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

export const createLambdaRuntime = async (env: Env = process.env): Promise<TriggerRuntime> => {
  const stage = requiredEnv(env, 'AUTHTRAIL_STAGE');
  const configFile = env.AUTHTRAIL_CONFIG_FILE ?? configFileFor(stage, join(env.LAMBDA_TASK_ROOT ?? process.cwd(), 'config'));
  const config = loadStageConfigFile(configFile);
  const busName = requiredEnv(env, 'AUTHTRAIL_EVENT_BUS_NAME');
  const logger = new Logger({ serviceName: 'authtrail', persistentKeys: { stage } });
  return {
    stage,
    config,
    piiKey: await piiKeyFrom(env),
    clock: () => new Date(),
    pipeline: { version: PIPELINE_VERSION, piiKeyId: config.pii.keyId },
    isDisposableDomain,
    logger,
    sink: createEventBridgeSink({ client: new EventBridgeClient({}), busName }),
  };
};

/** The exported handler of a trigger function: the shared stack plus Powertools' Lambda context in logs. */
export const lambdaHandlerFor = <T>(definition: TriggerDefinition<T>, runtime: TriggerRuntime): TriggerHandler => {
  const middlewares: MiddlewareObj<unknown, unknown>[] =
    runtime.logger instanceof Logger ? [injectLambdaContext(runtime.logger) as MiddlewareObj<unknown, unknown>] : [];
  return createTriggerHandler(definition, runtime, middlewares);
};
