/**
 * The deploy-time guard of the existing-pool attachment (docs/deploy.md). Before
 * `serverless deploy` of a stage that attaches to an existing pool, it reads the
 * pool (DescribeUserPool, with the deployer's credentials) and refuses the
 * deploy, naming what it found, when osls's attachment would change more than
 * the triggers:
 *
 * - a trigger slot we take holds another function: the attachment replaces it
 *   (the slot and that function are named; `allowReplacing` accepts it);
 * - `TemporaryPasswordValidityDays` differs from `UnusedAccountValidityDays`:
 *   osls's update copies the second into the first
 *   (lib/plugins/aws/custom-resources/resources/cognito-user-pool/lib/user-pool.js,
 *   getUpdateConfigFromCurrentSetup), so the pool's setting would change, or,
 *   when DescribeUserPool leaves the deprecated field out, fall back to
 *   Cognito's default of 7 days on every deploy.
 *
 * Packaging never runs it (no AWS call, no credentials needed).
 */
import type { DescribeUserPoolCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { AuthtrailError } from '../lib/errors.ts';

type UserPool = NonNullable<DescribeUserPoolCommandOutput['UserPool']>;

/** The LambdaConfig slots the attachment writes, for each of our functions. */
export const ATTACHED_SLOTS = {
  PreSignUp: 'pre-signup',
  PostAuthentication: 'post-authentication',
  PreAuthentication: 'pre-authentication',
  PostConfirmation: 'post-confirmation',
  PreTokenGeneration: 'pre-token-generation',
  'PreTokenGenerationConfig.LambdaArn': 'pre-token-generation',
} as const;

export interface PoolProblem {
  code: 'SLOT_TAKEN' | 'TEMPORARY_PASSWORD_VALIDITY_CHANGES' | 'POOL_NOT_FOUND';
  message: string;
}

const slotValue = (pool: UserPool, slot: keyof typeof ATTACHED_SLOTS): string | undefined =>
  slot === 'PreTokenGenerationConfig.LambdaArn'
    ? pool.LambdaConfig?.PreTokenGenerationConfig?.LambdaArn
    : (pool.LambdaConfig as Record<string, string | undefined> | undefined)?.[slot];

/** What osls's attachment would change besides our triggers; [] when nothing. */
export const poolAttachProblems = (
  pool: UserPool,
  options: { functionName: (name: string) => string; allowReplacing: boolean },
): PoolProblem[] => {
  const problems: PoolProblem[] = [];
  if (!options.allowReplacing) {
    for (const [slot, name] of Object.entries(ATTACHED_SLOTS) as [keyof typeof ATTACHED_SLOTS, string][]) {
      const current = slotValue(pool, slot);
      const ours = options.functionName(name);
      const escaped = ours.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // An ARN ends in `function:<name>` (optionally `:<qualifier>`): compare the whole name, never a prefix of it.
      if (current !== undefined && current !== '' && !new RegExp(`:function:${escaped}(:[^:]+)?$`).test(current)) {
        problems.push({
          code: 'SLOT_TAKEN',
          message: `LambdaConfig.${slot} holds ${current}; the attachment would replace it with ${ours} (set param allowTriggerReplacement to true to accept)`,
        });
      }
    }
  }
  const temporary = pool.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays;
  const unused = pool.AdminCreateUserConfig?.UnusedAccountValidityDays;
  if (temporary !== unused) {
    problems.push({
      code: 'TEMPORARY_PASSWORD_VALIDITY_CHANGES',
      message:
        `Policies.PasswordPolicy.TemporaryPasswordValidityDays is ${temporary ?? 'unset'} but AdminCreateUserConfig.UnusedAccountValidityDays is ${unused ?? 'absent'}: ` +
        `osls's attachment copies the second into the first, so the pool would get ${unused ?? "Cognito's default (7)"}. Make the two equal first (docs/deploy.md)`,
    });
  }
  return problems;
};

export class PoolGuardError extends AuthtrailError {
  readonly code = 'POOL_ATTACH_REFUSED' as const;
  constructor(poolId: string, problems: readonly PoolProblem[]) {
    super(`Refusing to attach to user pool ${poolId}:\n${problems.map((problem) => `  - ${problem.message}`).join('\n')}`);
    this.name = 'PoolGuardError';
  }
}

/** Reads the pool and throws PoolGuardError when the attachment would change more than our triggers. */
export const guardPoolAttach = async (options: {
  describe: (poolId: string) => Promise<UserPool | undefined>;
  poolId: string;
  functionName: (name: string) => string;
  allowReplacing: boolean;
}): Promise<void> => {
  const pool = await options.describe(options.poolId);
  if (pool === undefined) throw new PoolGuardError(options.poolId, [{ code: 'POOL_NOT_FOUND', message: 'DescribeUserPool returned no pool' }]);
  const problems = poolAttachProblems(pool, options);
  if (problems.length > 0) throw new PoolGuardError(options.poolId, problems);
};
