/** The environment a deployed function module reads at cold start, for tests that load one as Lambda does. */
import { join } from 'node:path';
import { ROOT } from './fixtures.ts';

export const LAMBDA_ENV = {
  AUTHTRAIL_STAGE: 'dev',
  AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
  AUTHTRAIL_CONFIG_FILE: join(ROOT, 'config', 'dev.json'),
  AUTHTRAIL_PII_HASH_KEY: 'lambda-test-key-0123456789',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
