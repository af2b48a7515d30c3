/** The environment a deployed function module reads at cold start, and loading one as Lambda does, for tests. */
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import { ROOT } from './fixtures.ts';

export const LAMBDA_ENV = {
  AUTHTRAIL_STAGE: 'dev',
  AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
  AUTHTRAIL_CONFIG_FILE: join(ROOT, 'config', 'dev.json'),
  AUTHTRAIL_PII_HASH_KEY: 'lambda-test-key-0123456789',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

/** `functions/<name>.ts` loaded afresh under `env` (its cold start runs again); `vi.unstubAllEnvs()` undoes the environment. */
export const loadFunction = async <H = LambdaHandler>(name: string, env: Record<string, string | undefined> = LAMBDA_ENV): Promise<H> => {
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  vi.resetModules();
  return ((await import(`../../functions/${name}.ts`)) as { handler: H }).handler;
};

/**
 * The variables that carry the test run's clock into a child process started
 * with a minimal environment: libfaketime's preload and settings, when CI runs
 * the suite with the clock moved ahead. Without them the child would sign and
 * stamp on the real clock while the test checks on the moved one.
 */
export const clockEnv = (env: NodeJS.ProcessEnv = process.env): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && (entry[0] === 'LD_PRELOAD' || entry[0].startsWith('FAKETIME'))),
  );
