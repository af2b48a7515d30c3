/**
 * The runtime of a function that publishes straight to the bus, built once per
 * container (cold start): environment, stage config, PII key and the EventBridge
 * client. Used by the Cognito log reader, and by the triggers when run from
 * source (tests, `serverless offline`); deployed triggers are log-first
 * (./trigger-lambda.ts). Any problem here is a bad deploy and fails the cold
 * start with the setting named.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { ConfigError } from '../errors.ts';
import { createBusPublisher } from '../publish/eventbridge.ts';
import { extendEnv, optional, parseEnv, required, wholeNumber, type Env, type EnvSettings } from './env.ts';
import type { TriggerRuntime } from './handler.ts';
import { STAGE_ENV, lambdaRuntimeBase, type LambdaRuntimeBase } from './lambda-base.ts';
import { MIN_PII_KEY_LENGTH, PII_KEY_ONE_OF } from './pii-key.ts';

/** Default and bounds of the publish deadline: well inside Cognito's 5 s, with room for the rest of the handler. */
export const PUBLISH_DEADLINE_MS = { default: 800, min: 50, max: 4000 } as const;

/** What a function that publishes AuthEvents straight to the bus reads (the source readers, the triggers run from source). */
export const PUBLISHER_ENV = extendEnv(
  STAGE_ENV,
  {
    AUTHTRAIL_EVENT_BUS_NAME: required(),
    AUTHTRAIL_PUBLISH_DEADLINE_MS: wholeNumber({ ...PUBLISH_DEADLINE_MS, what: `a whole number of milliseconds from ${PUBLISH_DEADLINE_MS.min} to ${PUBLISH_DEADLINE_MS.max}` }),
    /** Offline runs and tests: a local EventBridge. */
    AUTHTRAIL_EVENTBRIDGE_ENDPOINT: optional(),
    AUTHTRAIL_PII_HASH_KEY_PARAMETER: optional(),
    AUTHTRAIL_PII_HASH_KEY: optional(),
  },
  [PII_KEY_ONE_OF],
);
export type PublisherSettings = EnvSettings<typeof PUBLISHER_ENV>;

/**
 * The PII hash key: from an SSM SecureString parameter (deployed functions, whose
 * template names only the parameter), or from AUTHTRAIL_PII_HASH_KEY in the
 * environment, which wins when set: offline runs (serverless-offline, tests)
 * have no SSM to ask.
 */
const piiKeyFrom = async (settings: PublisherSettings): Promise<string> => {
  const parameter = settings.AUTHTRAIL_PII_HASH_KEY ? undefined : settings.AUTHTRAIL_PII_HASH_KEY_PARAMETER;
  const key = parameter ? await getParameter(parameter, { decrypt: true }) : settings.AUTHTRAIL_PII_HASH_KEY;
  if (typeof key !== 'string' || key.length < MIN_PII_KEY_LENGTH) {
    throw new ConfigError(
      parameter
        ? `PII hash key parameter ${parameter} is missing or shorter than ${MIN_PII_KEY_LENGTH} characters`
        : PII_KEY_ONE_OF.message,
    );
  }
  return key;
};

export type LambdaRuntime = TriggerRuntime & LambdaRuntimeBase;

/** The bus-publishing runtime from settings parsed by PUBLISHER_ENV (or a schema extending it). */
export const lambdaRuntimeFrom = async (settings: PublisherSettings): Promise<LambdaRuntime> => {
  const base = lambdaRuntimeBase(settings);
  return {
    ...base,
    piiKey: await piiKeyFrom(settings),
    sink: createBusPublisher({
      busName: settings.AUTHTRAIL_EVENT_BUS_NAME,
      deadlineMs: settings.AUTHTRAIL_PUBLISH_DEADLINE_MS,
      endpoint: settings.AUTHTRAIL_EVENTBRIDGE_ENDPOINT,
    }),
  };
};

export const createLambdaRuntime = async (env: Env): Promise<LambdaRuntime> =>
  lambdaRuntimeFrom(parseEnv(PUBLISHER_ENV, env));
