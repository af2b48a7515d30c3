/**
 * The env guard (./env-guard.ts) on hand-made templates, so that its silence on
 * the packaged ones (deploy-checks.ts) means something: it names a missing
 * required variable, a setting no kind reads, a literal its variable refuses, a
 * oneOf pair left out, and a function without a schema.
 */
import { describe, expect, it } from 'vitest';
import { envProblems } from './env-guard.ts';
import type { CfnTemplate } from './package-stack.ts';

const PROVIDER = { AUTHTRAIL_STAGE: 'dev', AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev', NODE_OPTIONS: '--enable-source-maps' };

const templateWith = (functions: Record<string, Record<string, unknown>>): CfnTemplate => ({
  Outputs: {},
  Resources: Object.fromEntries(
    Object.entries(functions).map(([name, variables]) => [
      `${name}LambdaFunction`,
      { Type: 'AWS::Lambda::Function', Properties: { Handler: `functions/${name}.handler`, Environment: { Variables: { ...PROVIDER, ...variables } } } },
    ]),
  ),
});

const RECOVER = { AUTHTRAIL_RECOVER_RATE_MINUTES: '15', AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: { Ref: 'RecoveryCheckpointTable' } };
const TRIGGER = { AUTHTRAIL_CONFIG_FILE: 'config/dev.json', AUTHTRAIL_PII_HASH_KEY_PARAMETER: '/authtrail/dev/pii-hash-key' };

describe('Env guard: the stack against the env schemas', () => {
  it('finds nothing wrong with a stack that gives each function what its kind reads', () => {
    // Act
    const problems = envProblems(templateWith({ 'recover-spilled': RECOVER, 'pre-signup': TRIGGER }));

    // Assess
    expect(problems).toEqual([]);
  });

  it('names what is wrong, function by function', () => {
    // Prepare
    const template = templateWith({
      'recover-spilled': { AUTHTRAIL_RECOVER_RATE_MINUTES: 'fifteen', AUTHTRAIL_RECOVER_TABLE: 'renamed on one side' },
      'pre-signup': { AUTHTRAIL_CONFIG_FILE: 'config/dev.json' },
      'new-function': {},
    });

    // Act
    const problems = envProblems(template);

    // Assess
    expect(problems.sort()).toEqual([
      'new-function: no env schema (test/stack/env-guard.ts ENV_OF_FUNCTION)',
      'pre-signup: none of AUTHTRAIL_PII_HASH_KEY_PARAMETER, AUTHTRAIL_PII_HASH_KEY is set',
      'recover-spilled: AUTHTRAIL_RECOVER_CHECKPOINT_TABLE is required and not set',
      'recover-spilled: AUTHTRAIL_RECOVER_TABLE is set but its kind does not read it',
      'recover-spilled: the value of AUTHTRAIL_RECOVER_RATE_MINUTES does not satisfy its schema',
    ]);
  });

  it('refuses a provider-level variable no function reads', () => {
    // Prepare
    const template = templateWith({ 'recover-spilled': { ...RECOVER, AUTHTRAIL_LEFTOVER: 'x' }, 'pre-signup': { ...TRIGGER, AUTHTRAIL_LEFTOVER: 'x' } });

    // Act
    const problems = envProblems(template);

    // Assess
    expect(problems).toEqual(['provider.environment sets AUTHTRAIL_LEFTOVER, which no function reads']);
  });
});
