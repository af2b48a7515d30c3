/**
 * The runtime of a deployed Cognito trigger: only what the decision needs loads
 * before the first answer (docs/delivery.md, "Log-first").
 *
 * Deployed bundles are built log-first: serverless.yml's `custom.esbuild.define`
 * sets `process.env.AUTHTRAIL_DELIVERY` to "log" at build time, so the bus branch
 * below is dead code esbuild leaves out, and with it the AWS SDK, the SSM client
 * and their credential chain. Events go to the function's log as one line each
 * (lib/publish/event-log.ts); the PII key comes through the Parameters and
 * Secrets extension over localhost (./pii-key.ts).
 *
 * Run from source (tests, `serverless offline`, which has no log subscription),
 * `AUTHTRAIL_DELIVERY` is read at run time and anything but "log" publishes to
 * the bus straight from the trigger, as before (./lambda.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError, ProblemCode, messageOf } from '../errors.ts';
import { createEventLogSink } from '../publish/event-log.ts';
import type { TriggerDefinition } from '../triggers/definition.ts';
import { createTriggerHandler, type TriggerHandler, type TriggerRuntime } from './handler.ts';
import { EXTENSION_DEFAULT_PORT, MIN_PII_KEY_LENGTH, PII_KEY_ONE_OF, PII_KEY_WAIT_MS, cachedKey, fixedKey, readKeyFromExtension, type PiiKeySource } from './pii-key.ts';
import { STAGE_ENV, lambdaRuntimeBase, type LambdaRuntimeBase } from './lambda-base.ts';
import { powertoolsMiddlewares } from './powertools.ts';
import { extendEnv, optional, parseEnv, wholeNumber, type Env, type EnvSettings } from './env.ts';

export type TriggerLambdaRuntime = TriggerRuntime & LambdaRuntimeBase;

/** Any TCP port: the extension's, when PARAMETERS_SECRETS_EXTENSION_HTTP_PORT moves it off AWS's default. */
const EXTENSION_PORT = { default: EXTENSION_DEFAULT_PORT, min: 1, max: 65_535 } as const;

/**
 * What a deployed (log-first) trigger reads. `AUTHTRAIL_DELIVERY` is not here: it
 * is a build-time constant (see above), not a setting. Run from source, a trigger
 * publishes to the bus and reads ./lambda.ts's PUBLISHER_ENV instead.
 */
export const TRIGGER_ENV = extendEnv(
  STAGE_ENV,
  {
    /** Offline runs and tests: the key itself, which wins over the parameter. */
    AUTHTRAIL_PII_HASH_KEY: optional(),
    AUTHTRAIL_PII_HASH_KEY_PARAMETER: optional(),
    /** AWS's variable for moving the extension off its default port: the extension reads it too. */
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: wholeNumber(EXTENSION_PORT),
    AUTHTRAIL_PII_KEY_WAIT_MS: wholeNumber(PII_KEY_WAIT_MS),
    /** Set by Lambda: the extension refuses requests without the function's session token. */
    AWS_SESSION_TOKEN: optional(),
  },
  [PII_KEY_ONE_OF],
);
export type TriggerSettings = EnvSettings<typeof TRIGGER_ENV>;

/**
 * AUTHTRAIL_PII_HASH_KEY wins when set (offline runs, tests); otherwise the SSM
 * parameter named by AUTHTRAIL_PII_HASH_KEY_PARAMETER, through the extension.
 */
const piiKeySourceFrom = (settings: TriggerSettings, logger: Pick<Logger, 'error'>): PiiKeySource => {
  const key = settings.AUTHTRAIL_PII_HASH_KEY;
  if (key !== undefined) {
    if (key.length < MIN_PII_KEY_LENGTH) throw new ConfigError(`AUTHTRAIL_PII_HASH_KEY must have at least ${MIN_PII_KEY_LENGTH} characters`);
    return fixedKey(key);
  }
  // TRIGGER_ENV's oneOf makes sure one of the two is set.
  const parameter = settings.AUTHTRAIL_PII_HASH_KEY_PARAMETER ?? '';
  return cachedKey({
    read: () => readKeyFromExtension({ parameter, sessionToken: settings.AWS_SESSION_TOKEN ?? '', port: settings.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT }),
    waitMs: settings.AUTHTRAIL_PII_KEY_WAIT_MS,
    onFailure: (error) =>
      logger.error('authtrail.problem', { problem: { code: ProblemCode.PiiKeyUnavailable, message: messageOf(error) } }),
  });
};

/** The log-first runtime: config, logger, metrics and the key source; nothing here touches the network. */
export const createLogFirstRuntime = (env: Env): TriggerLambdaRuntime => {
  const settings = parseEnv(TRIGGER_ENV, env);
  const base = lambdaRuntimeBase(settings);
  return {
    ...base,
    // Replaced per invocation by piiKeyNow's answer.
    piiKey: '',
    piiKeyNow: piiKeySourceFrom(settings, base.logger).keyFor,
    sink: createEventLogSink((line) => process.stdout.write(`${line}\n`)),
    sinkIsLog: true,
  };
};

/** Once per container (cold start): a bad config or a missing setting fails here, never mid sign-in. */
export const createTriggerLambdaRuntime = async (env: Env): Promise<TriggerLambdaRuntime> => {
  // Written out as `process.env.AUTHTRAIL_DELIVERY` for the build-time define to find it, and as one
  // conditional expression: esbuild drops the import of a dead branch, not code after an early return.
  return process.env.AUTHTRAIL_DELIVERY === 'log'
    ? createLogFirstRuntime(env)
    : (await import('./lambda.ts')).createLambdaRuntime(env);
};

/** The exported handler of a trigger function: the shared stack plus Powertools' Lambda context in logs. */
export const triggerHandlerFor = <T>(definition: TriggerDefinition<T>, runtime: TriggerLambdaRuntime): TriggerHandler =>
  createTriggerHandler(definition, runtime, powertoolsMiddlewares(runtime.logger, runtime.lambdaMetrics));
