/**
 * The deploy guard of the existing-pool attachment (deploy/pool-guard.ts),
 * driven through the osls plugin as `serverless deploy` runs it, with Cognito at
 * the SDK boundary (aws-sdk-client-mock on the CommonJS client the plugin loads).
 * DescribeUserPool answers are shaped as the Cognito API reference documents them.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { poolAttachProblems } from '../../deploy/pool-guard.ts';
import { namesFor } from '../../lib/naming.ts';
import { ROOT } from '../helpers/fixtures.ts';

const projectRequire = createRequire(join(ROOT, 'package.json'));
const Plugin = projectRequire('./deploy/serverless-plugin.cjs') as new (serverless: unknown) => { hooks: Record<string, () => Promise<void>> };
const cognitoSdk = projectRequire('@aws-sdk/client-cognito-identity-provider') as typeof import('@aws-sdk/client-cognito-identity-provider');

const POOL_ID = 'eu-west-1_AbCdEf123';
const arn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
const ours = namesFor('prod').functionName;

/** A pool as DescribeUserPool returns it: our triggers attached, both validity fields equal. */
const pool = (overrides: Record<string, unknown> = {}) => ({
  Id: POOL_ID,
  Name: 'authtrail-prod-users',
  LambdaConfig: {
    PreSignUp: arn(ours('pre-signup')),
    PreTokenGeneration: arn(ours('pre-token-generation')),
    PreTokenGenerationConfig: { LambdaArn: arn(ours('pre-token-generation')), LambdaVersion: 'V2_0' as const },
    CustomMessage: arn('mailer'),
  },
  Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 7 } },
  AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7 },
  ...overrides,
});

const deployHook = (custom: Record<string, unknown>) =>
  new Plugin({ service: { custom: { poolGuard: custom } }, getProvider: () => ({ getRegion: () => 'eu-west-1' }) }).hooks['before:deploy:deploy']!;

describe('Deploy: the existing-pool guard', () => {
  const cognito = mockClient(cognitoSdk.CognitoIdentityProviderClient);
  afterEach(() => cognito.reset());

  it('lets a deploy through when the pool holds only our triggers (or none) and the two validity fields agree', async () => {
    // Prepare
    cognito.on(cognitoSdk.DescribeUserPoolCommand).resolves({ UserPool: pool() });

    // Act
    const outcome = deployHook({ mode: 'existing', poolId: POOL_ID, stage: 'prod', allowReplacing: false })();

    // Assess
    await expect(outcome).resolves.toBeUndefined();
    expect(cognito.commandCalls(cognitoSdk.DescribeUserPoolCommand)[0]?.args[0].input).toEqual({ UserPoolId: POOL_ID });
  });

  it('refuses when a slot we take holds another function, naming the slot and the function, including the legacy pre token slot', async () => {
    // Prepare
    cognito.on(cognitoSdk.DescribeUserPoolCommand).resolves({
      UserPool: pool({ LambdaConfig: { PreTokenGeneration: arn('legacy-claims'), PostConfirmation: arn(`${ours('post-confirmation')}-old`) } }),
    });

    // Act
    const outcome = deployHook({ mode: 'existing', poolId: POOL_ID, stage: 'prod', allowReplacing: false })();

    // Assess: a longer name that starts with ours is another function, not ours
    // The plugin loads the module through Node, not through the test's module graph: compare by name and code.
    await expect(outcome).rejects.toMatchObject({ name: 'PoolGuardError', code: 'POOL_ATTACH_REFUSED' });
    await expect(outcome).rejects.toThrow(`LambdaConfig.PreTokenGeneration holds ${arn('legacy-claims')}`);
    await expect(outcome).rejects.toThrow(`LambdaConfig.PostConfirmation holds ${arn(`${ours('post-confirmation')}-old`)}`);
  });

  it('accepts replacing them when the stage says so, but never a validity change', async () => {
    // Prepare
    cognito.on(cognitoSdk.DescribeUserPoolCommand).resolves({ UserPool: pool({ LambdaConfig: { PreSignUp: arn('other') } }) });

    // Act / Assess
    await expect(deployHook({ mode: 'existing', poolId: POOL_ID, stage: 'prod', allowReplacing: 'true' })()).resolves.toBeUndefined();
  });

  it('refuses when osls would change TemporaryPasswordValidityDays: different values, or the deprecated field absent', async () => {
    // Prepare
    const differing = pool({ AdminCreateUserConfig: { UnusedAccountValidityDays: 7 }, Policies: { PasswordPolicy: { TemporaryPasswordValidityDays: 3 } } });
    const absent = pool({ AdminCreateUserConfig: { AllowAdminCreateUserOnly: false }, Policies: { PasswordPolicy: { TemporaryPasswordValidityDays: 3 } } });

    // Act
    const problems = [differing, absent].map((candidate) => poolAttachProblems(candidate, { functionName: ours, allowReplacing: true }));

    // Assess
    expect(problems[0]).toEqual([expect.objectContaining({ code: 'TEMPORARY_PASSWORD_VALIDITY_CHANGES', message: expect.stringContaining('the pool would get 7') })]);
    expect(problems[1]).toEqual([expect.objectContaining({ code: 'TEMPORARY_PASSWORD_VALIDITY_CHANGES', message: expect.stringContaining("Cognito's default (7)") })]);
  });

  it('does nothing for a stage that creates its pool, and passes a Cognito error on', async () => {
    // Prepare
    cognito.on(cognitoSdk.DescribeUserPoolCommand).rejects(new Error('AccessDeniedException'));

    // Act / Assess
    await expect(deployHook({ mode: 'create', poolId: '', stage: 'dev', allowReplacing: false })()).resolves.toBeUndefined();
    expect(cognito.commandCalls(cognitoSdk.DescribeUserPoolCommand)).toHaveLength(0);
    await expect(deployHook({ mode: 'existing', poolId: POOL_ID, stage: 'prod', allowReplacing: false })()).rejects.toThrow('AccessDeniedException');
  });
});
