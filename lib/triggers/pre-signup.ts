/**
 * Pre sign-up: applies the stage's sign-up policy and records the attempt,
 * allowed or denied, as a `signup` AuthEvent.
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PreSignUpTriggerSchema, type PreSignUpTrigger } from '../cognito/schemas.ts';
import { TriggerName, TriggerSource } from '../cognito/trigger-sources.ts';
import { decideSignUp } from '../policy/sign-up.ts';
import { commonEventOf, emailOf, type TriggerDefinition } from './definition.ts';

const ACTION_BY_SOURCE = {
  [TriggerSource.PreSignUpSignUp]: Action.SelfSignUp,
  [TriggerSource.PreSignUpAdminCreateUser]: Action.AdminCreateUser,
  [TriggerSource.PreSignUpExternalProvider]: Action.FederatedSignUp,
} as const;

export const preSignUp: TriggerDefinition<PreSignUpTrigger> = {
  name: TriggerName.PreSignUp,
  schema: PreSignUpTriggerSchema,
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
    const base = { ...common, category: Category.SignUp, action: ACTION_BY_SOURCE[trigger.triggerSource] };
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
};
