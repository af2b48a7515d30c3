/**
 * The source readers (docs/extending.md, "Adding a source"): functions that turn
 * another Cognito source into AuthEvents off the sign-in path and publish them
 * straight to the bus, with the triggers' config, PII key and deadline-bound
 * publisher (./lambda.ts). One factory for all of them: a source is its env
 * schema (PUBLISHER_ENV, or more), an ingester, and the log line of its summary.
 */
import middy from '@middy/core';
import { createCloudTrailIngester } from '../cloudtrail/ingest.ts';
import { createCognitoLogIngester } from '../cognito-logs/ingest.ts';
import { extendEnv, parseEnv, required, type Env, type EnvSettings } from './env.ts';
import { PUBLISHER_ENV, lambdaRuntimeFrom, type LambdaRuntime } from './lambda.ts';
import { powertoolsMiddlewares } from './powertools.ts';

export interface SourceKind<S extends typeof PUBLISHER_ENV> {
  /** PUBLISHER_ENV, or a schema extending it with the source's own settings. */
  env: S;
  /** The source's summary goes to the log under this message. */
  logMessage: string;
  ingester: (runtime: LambdaRuntime, settings: EnvSettings<S>) => (event: unknown) => Promise<unknown>;
}

/** A source's handler, built once per container (cold start): a bad setting fails here, naming the variable. */
export const createSourceHandler = async <S extends typeof PUBLISHER_ENV>(kind: SourceKind<S>, env: Env) => {
  const settings = parseEnv(kind.env, env);
  const runtime = await lambdaRuntimeFrom(settings);
  const ingest = kind.ingester(runtime, settings);
  return middy(async (event: unknown) => {
    const summary = await ingest(event);
    runtime.logger.info(kind.logMessage, { summary });
    return summary;
  }).use(powertoolsMiddlewares(runtime.logger, runtime.lambdaMetrics));
};

/** Cognito `userAuthEvents` log delivery, through a log subscription (functions/cognito-log-events.ts). */
export const COGNITO_LOG_EVENTS = {
  env: PUBLISHER_ENV,
  logMessage: 'authtrail.cognito-logs',
  ingester: (runtime) => createCognitoLogIngester(runtime),
} as const satisfies SourceKind<typeof PUBLISHER_ENV>;

const CLOUDTRAIL_ENV = extendEnv(PUBLISHER_ENV, {
  /** The stage's pool: records of any other pool on the account's default bus are ignored. */
  AUTHTRAIL_USER_POOL_ID: required(),
});

/** CloudTrail records of the stage's pool, from a rule on the default bus (functions/cloudtrail-events.ts). */
export const CLOUDTRAIL_EVENTS = {
  env: CLOUDTRAIL_ENV,
  logMessage: 'authtrail.cloudtrail',
  ingester: (runtime, settings) => createCloudTrailIngester({ ...runtime, userPoolId: settings.AUTHTRAIL_USER_POOL_ID }),
} as const satisfies SourceKind<typeof CLOUDTRAIL_ENV>;
