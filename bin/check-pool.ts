#!/usr/bin/env node
/**
 * npm run check-pool -- --stage <stage> --user-pool-id <id> [--events <events.ndjson>] [--unused-days 90]
 *                        [--secret-max-age-days 180] [--json]
 *
 * Reads an existing user pool's app clients (read-only Cognito calls, AWS
 * credentials and region from the usual environment; AWS_ENDPOINT_URL for an
 * emulator) and fails when one lets users write an attribute a token claim of
 * config/<stage>.json comes from; reports the pool's other hygiene. The pool id
 * may come from AUTHTRAIL_USER_POOL_ID instead. docs/deploy.md, "Checking the user pool".
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { parseCommandLine } from '../local/cli/args.ts';
import { runCheckPoolCli } from '../local/cli/check-pool-cli.ts';
import { DEFAULT_STORE_DIR } from '../local/sinks/local-store.ts';

const usage =
  'usage: npm run check-pool -- --stage <stage> --user-pool-id <id> [--events <events.ndjson>] [--unused-days <n>] [--secret-max-age-days <n>] [--json]';

const { values } = parseCommandLine(usage, {
  stage: { type: 'string', default: 'dev' },
  'user-pool-id': { type: 'string', default: process.env.AUTHTRAIL_USER_POOL_ID },
  events: { type: 'string' },
  store: { type: 'string', default: DEFAULT_STORE_DIR },
  'unused-days': { type: 'string', default: '90' },
  'secret-max-age-days': { type: 'string', default: '180' },
  json: { type: 'boolean', default: false },
}, { required: ['user-pool-id'] });

const days = (flag: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 3650) {
    process.stderr.write(`--${flag} must be a whole number of days from 1 to 3650\n${usage}\n`);
    process.exit(2);
  }
  return value;
};

process.exitCode = await runCheckPoolCli({
  stage: values.stage,
  userPoolId: values['user-pool-id'] ?? '',
  eventsFile: values.events,
  storeDir: values.store,
  unusedDays: days('unused-days', values['unused-days']),
  maxSecretAgeDays: days('secret-max-age-days', values['secret-max-age-days']),
  json: values.json,
  now: new Date(),
  cognito: new CognitoIdentityProviderClient({ maxAttempts: 3 }),
  stdout: process.stdout,
  stderr: process.stderr,
});
