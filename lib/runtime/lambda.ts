/**
 * The runtime of a function that publishes straight to the bus, built once per
 * container (cold start): environment, stage config, PII key and the EventBridge
 * client. Used by the Cognito log reader, and by the triggers when run from
 * source (tests, `serverless offline`); deployed triggers are log-first
 * (./trigger-lambda.ts). Any problem here is a bad deploy and fails the cold
 * start with the setting named.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { requiredEnv } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../publish/eventbridge.ts';
import type { Env } from './env.ts';
import type { TriggerRuntime } from './handler.ts';
import { lambdaRuntimeBase, type LambdaRuntimeBase } from './lambda-base.ts';
import { MIN_PII_KEY_LENGTH } from './pii-key.ts';

/**
 * The PII hash key: from an SSM SecureString parameter (deployed functions, whose
 * template names only the parameter), or from AUTHTRAIL_PII_HASH_KEY in the
 * environment, which wins when set: offline runs (serverless-offline, tests)
 * have no SSM to ask.
 */
const piiKeyFrom = async (env: Env): Promise<string> => {
  const parameter = env.AUTHTRAIL_PII_HASH_KEY ? undefined : env.AUTHTRAIL_PII_HASH_KEY_PARAMETER;
  const key = parameter ? await getParameter(parameter, { decrypt: true }) : env.AUTHTRAIL_PII_HASH_KEY;
  if (typeof key !== 'string' || key.length < MIN_PII_KEY_LENGTH) {
    throw new ConfigError(
      parameter
        ? `PII hash key parameter ${parameter} is missing or shorter than ${MIN_PII_KEY_LENGTH} characters`
        : `Set AUTHTRAIL_PII_HASH_KEY_PARAMETER (an SSM SecureString name) or AUTHTRAIL_PII_HASH_KEY (at least ${MIN_PII_KEY_LENGTH} characters)`,
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

export type LambdaRuntime = TriggerRuntime & LambdaRuntimeBase;

export const createLambdaRuntime = async (env: Env = process.env): Promise<LambdaRuntime> => {
  const base = lambdaRuntimeBase(env);
  const busName = requiredEnv(env, 'AUTHTRAIL_EVENT_BUS_NAME');
  const deadlineMs = publishDeadlineFrom(env);
  const client = createEventBridgeClient(deadlineMs, env.AUTHTRAIL_EVENTBRIDGE_ENDPOINT || undefined);
  return {
    ...base,
    piiKey: await piiKeyFrom(env),
    sink: createEventBridgePublisher({ client, busName, deadlineMs }),
  };
};
