import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFileFor, loadStageConfigFile, parseStageConfig } from '../../lib/config/load.ts';
import { ConfigError } from '../../lib/errors.ts';
import { parseEnv } from '../../lib/runtime/env.ts';
import { STAGE_ENV } from '../../lib/runtime/lambda-base.ts';
import { ROOT } from '../helpers/fixtures.ts';

const errorOf = (action: () => unknown): ConfigError => {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('Config: stage files', () => {
  it.each(readdirSync(join(ROOT, 'config')).filter((file) => file.endsWith('.json')))('%s is valid', (file) => {
    // Act
    const config = loadStageConfigFile(join(ROOT, 'config', file));

    // Assess
    expect(config.tokens.lambdaVersion).toMatch(/^V[123]_0$/);
  });

  it('fills defaults for an empty config', () => {
    // Act
    const config = parseStageConfig({}, 'in test');

    // Assess
    expect(config.signUp.blockDisposableEmailDomains).toBe(true);
    expect(config.pii.fields).toEqual({
      'user.sub': 'keep',
      'user.username': 'hash',
      'user.email': 'hash',
      'user.emailDomain': 'keep',
      'user.phone': 'hash',
      'network.ip': 'mask',
      'network.userAgent': 'keep',
      'actor.arn': 'keep',
    });
    expect(config.cloudTrail).toEqual({ recordsWithoutPoolOrClient: 'ignore' });
    expect(config.eventIdWindowSeconds).toBe(60);
  });
});

describe('Config: mistakes fail loudly with the field named', () => {
  it('rejects a misspelled key', () => {
    // Act
    const error = errorOf(() => parseStageConfig({ signUp: { blockedEmailDomain: ['x.example'] } }, 'in config/dev.json'));

    // Assess
    expect(error.message).toBe('Invalid config in config/dev.json: signUp: Unrecognized key: "blockedEmailDomain"');
  });

  it('rejects a domain that is not a domain name', () => {
    // Act
    const error = errorOf(() => parseStageConfig({ signUp: { blockedEmailDomains: ['ok.example', '@Bad.com'] } }, 'x'));

    // Assess
    expect(error.message).toBe(
      'Invalid config x: signUp.blockedEmailDomains.1: must be a domain name such as "example.com"',
    );
  });

  it('rejects claims Cognito reserves', () => {
    // Act
    const error = errorOf(() =>
      parseStageConfig({ tokens: { claims: [{ claim: 'sub', from: 'static', value: 'x' }] } }, 'x'),
    );

    // Assess
    expect(error.message).toBe('Invalid config x: tokens.claims.0.claim: is a claim Cognito reserves and will not let a trigger set');
  });

  it('rejects an unknown PII action and an unknown PII field', () => {
    // Act
    const action = errorOf(() => parseStageConfig({ pii: { fields: { 'user.email': 'encrypt' } } }, 'x'));
    const field = errorOf(() => parseStageConfig({ pii: { fields: { 'user.name': 'hash' } } }, 'x'));

    // Assess
    expect(action.message).toBe(
      'Invalid config x: pii.fields.user.email: Invalid option: expected one of "keep"|"mask"|"hash"|"drop"',
    );
    expect(field.message).toBe('Invalid config x: pii.fields: Unrecognized key: "user.name"');
  });

  it('names a file that is missing or not JSON', () => {
    // Act
    const missing = errorOf(() => loadStageConfigFile('/nonexistent/authtrail.json'));
    const stage = errorOf(() => configFileFor('Prod!', 'config'));

    // Assess
    expect(missing.message).toMatch(/^Cannot read config file \/nonexistent\/authtrail.json: ENOENT/);
    expect(stage.message).toBe('Invalid stage "Prod!": use lower-case letters, digits and dashes, starting with a letter');
  });

  it('names a missing environment variable (a required one of the stage env schema)', () => {
    // Act
    const error = errorOf(() => parseEnv(STAGE_ENV, { AUTHTRAIL_STAGE: ' ' }));

    // Assess
    expect(error.message).toBe('Missing required environment variable AUTHTRAIL_STAGE');
  });
});

describe('Config: lists and claims in the form policies decide on', () => {
  it('normalizes domain lists as addresses are normalized (case, trailing dot, Unicode full stops, IDN)', () => {
    // Act
    const config = parseStageConfig(
      { signUp: { blockedEmailDomains: ['Blocked.Example.', 'eu\u3002blocked.example', '5801000.рф'], autoConfirm: { emailDomains: ['ACME-corp.com'] } } },
      'x',
    );

    // Assess
    expect(config.signUp.blockedEmailDomains).toEqual(['blocked.example', 'eu.blocked.example', '5801000.xn--p1ai']);
    expect(config.signUp.autoConfirm.emailDomains).toEqual(['acme-corp.com']);
  });

  it('refuses a claim from an attribute not declared admin-only, naming the rule', () => {
    // Act
    const error = errorOf(() =>
      parseStageConfig(
        {
          tokens: {
            adminOnlyAttributes: ['custom:plan'],
            claims: [
              { claim: 'plan', from: 'attribute', attribute: 'custom:plan' },
              { claim: 'tenant', from: 'attribute', attribute: 'custom:tenant_id' },
            ],
          },
        },
        'x',
      ),
    );

    // Assess
    expect(error.message).toBe(
      'Invalid config x: tokens.claims.1.attribute: "custom:tenant_id" is not in tokens.adminOnlyAttributes: users could write the claim "tenant" themselves',
    );
  });

  it('accepts claims from groups, static values and admin-only attributes', () => {
    // Act
    const config = parseStageConfig(
      {
        tokens: {
          adminOnlyAttributes: ['custom:tenant_id'],
          claims: [
            { claim: 'roles', from: 'groups' },
            { claim: 'tier', from: 'static', value: 'gold' },
            { claim: 'tenant', from: 'attribute', attribute: 'custom:tenant_id' },
          ],
        },
      },
      'x',
    );

    // Assess
    expect(config.tokens.claims.map((rule) => rule.claim)).toEqual(['roles', 'tier', 'tenant']);
  });
});
