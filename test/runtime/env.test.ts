/**
 * The environment schemas (lib/runtime/env.ts): parsed once at cold start into
 * frozen settings, and a bad deploy refused with a ConfigError that names every
 * bad or missing variable and what it must be, never the value.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.ts';
import { envSchema, matching, optional, parseEnv, required, wholeNumber, type Env } from '../../lib/runtime/env.ts';
import { PUBLISHER_ENV } from '../../lib/runtime/lambda.ts';
import { RECOVER_SPILLED_ENV } from '../../lib/runtime/recover-spilled.ts';
import { SIEM_FORWARDER_ENV } from '../../lib/runtime/siem-forwarder.ts';
import { TRIGGER_ENV } from '../../lib/runtime/trigger-lambda.ts';

/** A recover-spilled environment a deploy renders. */
const RECOVER_ENV = {
  AUTHTRAIL_STAGE: 'dev',
  AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
  AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: 'authtrail-dev-recovery',
  AUTHTRAIL_RECOVER_RATE_MINUTES: '15',
} as const;

const errorOf = (act: () => unknown): ConfigError => {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new ConfigError('expected a ConfigError, nothing was thrown');
};

describe('Env: settings parsed once, typed and frozen', () => {
  it('parses a deploy\'s environment into settings, with the defaults of what it leaves out', () => {
    // Prepare
    const env: Env = { ...RECOVER_ENV, AUTHTRAIL_RECOVER_RATE_MINUTES: undefined, UNRELATED: 'ignored' };

    // Act
    const settings = parseEnv(RECOVER_SPILLED_ENV, env);

    // Assess
    expect(settings).toEqual({
      AUTHTRAIL_STAGE: 'dev',
      AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
      AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: 'authtrail-dev-recovery',
      AUTHTRAIL_RECOVER_RATE_MINUTES: 15,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('takes an empty value for unset: a template renders one for a setting a stage leaves out', () => {
    // Act
    const settings = parseEnv(PUBLISHER_ENV, {
      AUTHTRAIL_STAGE: 'dev',
      AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
      AUTHTRAIL_PII_HASH_KEY_PARAMETER: '/authtrail/dev/pii-hash-key',
      AUTHTRAIL_PUBLISH_DEADLINE_MS: '',
      AUTHTRAIL_EVENTBRIDGE_ENDPOINT: '',
    });

    // Assess
    expect(settings.AUTHTRAIL_PUBLISH_DEADLINE_MS).toBe(800);
    expect(settings.AUTHTRAIL_EVENTBRIDGE_ENDPOINT).toBeUndefined();
  });
});

describe('Env: a bad deploy fails at cold start, naming the variable, never the value', () => {
  it.each([
    ['missing', { AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: undefined }, 'Missing required environment variable AUTHTRAIL_RECOVER_CHECKPOINT_TABLE'],
    ['blank', { AUTHTRAIL_STAGE: '  ' }, 'Missing required environment variable AUTHTRAIL_STAGE'],
    ['not a number', { AUTHTRAIL_RECOVER_RATE_MINUTES: 'fifteen-minutes' }, 'AUTHTRAIL_RECOVER_RATE_MINUTES must be a whole number from 1 to 1440'],
    ['not whole', { AUTHTRAIL_RECOVER_RATE_MINUTES: '7.25' }, 'AUTHTRAIL_RECOVER_RATE_MINUTES must be a whole number from 1 to 1440'],
    ['below its bounds', { AUTHTRAIL_RECOVER_RATE_MINUTES: '-30' }, 'AUTHTRAIL_RECOVER_RATE_MINUTES must be a whole number from 1 to 1440'],
    ['above its bounds', { AUTHTRAIL_RECOVER_RATE_MINUTES: '99999' }, 'AUTHTRAIL_RECOVER_RATE_MINUTES must be a whole number from 1 to 1440'],
  ])('%s', (_case, override, message) => {
    // Prepare
    const env: Env = { ...RECOVER_ENV, ...override };

    // Act
    const error = errorOf(() => parseEnv(RECOVER_SPILLED_ENV, env));

    // Assess
    expect(error.message).toBe(message);
    expect(error).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
    for (const value of Object.values(override)) if (value !== undefined && value.trim() !== '') expect(error.message).not.toContain(value);
  });

  it('names every bad and missing variable at once, so one failed deploy tells the whole story', () => {
    // Prepare
    const env: Env = { AUTHTRAIL_STAGE: 'dev', AUTHTRAIL_RECOVER_RATE_MINUTES: '15m' };

    // Act
    const error = errorOf(() => parseEnv(RECOVER_SPILLED_ENV, env));

    // Assess
    expect(error.message).toBe(
      'Missing required environment variable AUTHTRAIL_EVENT_BUS_NAME; ' +
        'Missing required environment variable AUTHTRAIL_RECOVER_CHECKPOINT_TABLE; ' +
        'AUTHTRAIL_RECOVER_RATE_MINUTES must be a whole number from 1 to 1440',
    );
    expect(error.message).not.toContain('15m');
  });

  it('refuses a value that does not have its form, saying what it must be and not what it was', () => {
    // Prepare
    const schema = envSchema({ ROLE: required(matching(/^arn:aws:iam::\d{12}:role\/\w+$/, 'an IAM role ARN')), NOTE: optional() });
    const value = 'sk-live-0123456789abcdef';

    // Act
    const error = errorOf(() => parseEnv(schema, { ROLE: value }));

    // Assess
    expect(error.message).toBe('ROLE must be an IAM role ARN');
    expect(error.message).not.toContain(value);
  });

  it('asks for one of two variables that stand in for each other, naming both', () => {
    // Prepare
    const env: Env = { AUTHTRAIL_STAGE: 'dev' };

    // Act
    const trigger = errorOf(() => parseEnv(TRIGGER_ENV, env));
    const forwarder = errorOf(() => parseEnv(SIEM_FORWARDER_ENV, { ...env, AUTHTRAIL_SIEM_URL: 'https://siem.example.com/in', AUTHTRAIL_SIEM_DLQ_URL: 'https://sqs.example.com/dlq' }));

    // Assess
    expect(trigger.message).toBe('Set AUTHTRAIL_PII_HASH_KEY_PARAMETER (an SSM SecureString name) or AUTHTRAIL_PII_HASH_KEY (at least 16 characters)');
    expect(forwarder.message).toBe('Set AUTHTRAIL_SIEM_SECRET_ID (Secrets Manager) or AUTHTRAIL_SIEM_SECRET_PARAMETER (SSM SecureString)');
  });

  it('refuses a typo in the SIEM secret cache age instead of caching for NaN seconds', () => {
    // Prepare
    const env: Env = {
      AUTHTRAIL_STAGE: 'dev',
      AUTHTRAIL_SIEM_URL: 'https://siem.example.com/in',
      AUTHTRAIL_SIEM_DLQ_URL: 'https://sqs.example.com/dlq',
      AUTHTRAIL_SIEM_SECRET_ID: 'authtrail/dev/siem',
      AUTHTRAIL_SIEM_SECRET_MAX_AGE_SECONDS: '5min',
    };

    // Act
    const error = errorOf(() => parseEnv(SIEM_FORWARDER_ENV, env));

    // Assess
    expect(error.message).toBe('AUTHTRAIL_SIEM_SECRET_MAX_AGE_SECONDS must be a whole number of seconds');
  });

  it('makes a whole number without a default required', () => {
    // Prepare
    const schema = envSchema({ RECEIVES: wholeNumber({ min: 1, max: 10 }) });

    // Act
    const missing = errorOf(() => parseEnv(schema, {}));

    // Assess
    expect(missing.message).toBe('Missing required environment variable RECEIVES');
    expect(schema.variables.RECEIVES.required).toBe(true);
  });
});
