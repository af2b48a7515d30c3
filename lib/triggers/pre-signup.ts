/**
 * Pre sign-up: applies the stage's sign-up policy and records the attempt,
 * allowed or denied, as a `signup` AuthEvent.
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PreSignUpTriggerSchema, type PreSignUpTrigger } from '../cognito/schemas.ts';
import { TriggerName, TriggerSource } from '../cognito/trigger-sources.ts';
import { decideSignUp } from '../policy/sign-up.ts';
import { commonEventOf, defineTrigger, emailOf, PolicyErrorMode } from './definition.ts';

const ACTION_BY_SOURCE = {
  [TriggerSource.PreSignUpSignUp]: Action.SelfSignUp,
  [TriggerSource.PreSignUpAdminCreateUser]: Action.AdminCreateUser,
  [TriggerSource.PreSignUpExternalProvider]: Action.FederatedSignUp,
} as const;

const kindOf = (trigger: PreSignUpTrigger) => ({ category: Category.SignUp, action: ACTION_BY_SOURCE[trigger.triggerSource] });

export const preSignUp = defineTrigger<PreSignUpTrigger>({
  name: TriggerName.PreSignUp,
  schema: PreSignUpTriggerSchema,
  // Fail closed: a sign-up the policy could not check might be a blocked domain auto-confirmed. The user can retry.
  onPolicyError: PolicyErrorMode.Deny,
  kindOf,
  run: (trigger, context) => {
    const common = commonEventOf(trigger, context, []);
    const decision = decideSignUp(
      context.config.signUp,
      {
        source: trigger.triggerSource,
        email: emailOf(trigger.request.userAttributes) ?? null,
        hasPhone: common.user.phone !== undefined,
        provider: common.identityProvider,
      },
      context.isDisposableDomain,
    );
    const base = { ...common, ...kindOf(trigger) };
    if (!decision.allowed) {
      const reason = { code: decision.code, message: decision.message };
      return {
        response: {},
        event: { ...base, outcome: Outcome.Denied, reason },
        denial: reason,
      };
    }
    return { response: { ...decision.response }, event: { ...base, outcome: Outcome.Allowed } };
  },
});
