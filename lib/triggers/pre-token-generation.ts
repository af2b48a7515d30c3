/**
 * Pre token generation (V1_0, V2_0, V3_0): customises the tokens by config and
 * records what changed, by name, as a `token` AuthEvent.
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PreTokenGenerationTriggerSchema, type PreTokenGenerationTrigger } from '../cognito/schemas.ts';
import { TokenLambdaVersion, TriggerName, TriggerSource } from '../cognito/trigger-sources.ts';
import { TriggerEventError, ProblemCode } from '../errors.ts';
import { decideClient } from '../policy/sign-in.ts';
import { planTokenChanges } from '../policy/token-claims.ts';
import { commonEventOf, defineTrigger, PolicyErrorMode, signInDecisionOf } from './definition.ts';
import { own } from '../own.ts';

const VERSION_FIELD: Readonly<Record<string, TokenLambdaVersion>> = {
  '1': TokenLambdaVersion.V1,
  '2': TokenLambdaVersion.V2,
  '3': TokenLambdaVersion.V3,
};

/**
 * Which event version this is. On AWS the pool's LambdaVersion (the stage config,
 * which also deploys it) is the truth; payloads saved by other tools disagree
 * with their own `version` field ("0", "$LATEST", V2 shapes marked "1"). So the
 * shape decides the family first: a V1 response block means V1_0; a V2 response
 * block or a `scopes` list means V2_0 or V3_0, with `version` or the config
 * choosing which. Without either, `version`, then the config.
 */
export const tokenVersionOf = (
  trigger: PreTokenGenerationTrigger,
  configured: TokenLambdaVersion,
): TokenLambdaVersion => {
  if (trigger.triggerSource === TriggerSource.TokenClientCredentials) return TokenLambdaVersion.V3;
  const declared = trigger.version === null ? undefined : own(VERSION_FIELD, trigger.version);
  const response = typeof trigger.response === 'object' && trigger.response !== null ? trigger.response : {};
  if ('claimsOverrideDetails' in response) return TokenLambdaVersion.V1;
  if ('claimsAndScopeOverrideDetails' in response || trigger.request.scopes !== null) {
    if (declared === TokenLambdaVersion.V2 || declared === TokenLambdaVersion.V3) return declared;
    return configured === TokenLambdaVersion.V1 ? TokenLambdaVersion.V2 : configured;
  }
  return declared ?? configured;
};

const actionOf = (source: string) => {
  if (source === TriggerSource.TokenClientCredentials) return Action.ClientCredentials;
  if (source === TriggerSource.TokenRefreshTokens) return Action.Refresh;
  return Action.Issue;
};

const kindOf = (trigger: PreTokenGenerationTrigger) => ({ category: Category.Token, action: actionOf(trigger.triggerSource) });

export const preTokenGeneration = defineTrigger<PreTokenGenerationTrigger>({
  name: TriggerName.PreTokenGeneration,
  schema: PreTokenGenerationTriggerSchema,
  // Fail closed: tokens must not go to a blocked user, nor carry claims the mapping could not compute.
  onPolicyError: PolicyErrorMode.Deny,
  kindOf,
  run: (trigger, context) => {
    const machineToMachine = trigger.triggerSource === TriggerSource.TokenClientCredentials;
    if (!machineToMachine && trigger.userName === null) {
      throw new TriggerEventError(ProblemCode.InvalidEvent, `userName: required for ${trigger.triggerSource}`);
    }
    const version = tokenVersionOf(trigger, context.config.tokens.lambdaVersion);
    const groups = trigger.request.groupConfiguration.groupsToOverride;
    const common = commonEventOf(trigger, context, groups);
    const base = { ...common, ...kindOf(trigger) };
    const source = trigger.triggerSource.replace(/^TokenGeneration_/, '');
    // The sign-in policy again at every token issue: a refresh (TokenGeneration_RefreshTokens) never passes
    // pre authentication, so a user blocked after signing in would otherwise keep getting tokens.
    const decision =
      machineToMachine || trigger.userName === null
        ? decideClient(context.config.signIn, trigger.callerContext.clientId)
        : signInDecisionOf({ ...trigger, userName: trigger.userName }, common, context);
    if (!decision.allowed) {
      const reason = { code: decision.code, message: decision.message };
      const token = { version, source, claimsAdded: [], claimsSuppressed: [], scopesAdded: [], scopesSuppressed: [], tokens: [] };
      return { response: {}, event: { ...base, outcome: Outcome.Denied, reason, token }, denial: reason };
    }
    const plan = planTokenChanges(context.config.tokens, {
      version,
      machineToMachine,
      clientId: trigger.callerContext.clientId,
      groups,
      attributes: trigger.request.userAttributes,
      scopes: trigger.request.scopes,
    });
    return {
      response: plan.response,
      event: { ...base, outcome: Outcome.Issued, token: { version, source, ...plan.summary } },
    };
  },
});
