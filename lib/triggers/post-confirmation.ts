/**
 * Post confirmation: a confirmed sign-up (`account.confirm_signup`) or a password
 * reset with a forgot-password code (`account.password_reset`) becomes an
 * `account` AuthEvent. Runs after the fact: there is nothing to deny.
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PostConfirmationTriggerSchema, type PostConfirmationTrigger } from '../cognito/schemas.ts';
import { TriggerName, TriggerSource } from '../cognito/trigger-sources.ts';
import { commonEventOf, defineTrigger, PolicyErrorMode } from './definition.ts';

const ACTION_BY_SOURCE = {
  [TriggerSource.PostConfirmationConfirmSignUp]: Action.ConfirmSignUp,
  [TriggerSource.PostConfirmationConfirmForgotPassword]: Action.PasswordReset,
} as const;

const kindOf = (trigger: PostConfirmationTrigger) => ({ category: Category.Account, action: ACTION_BY_SOURCE[trigger.triggerSource] });

export const postConfirmation = defineTrigger<PostConfirmationTrigger>({
  name: TriggerName.PostConfirmation,
  schema: PostConfirmationTriggerSchema,
  // The confirmation has happened: there is nothing left to decide, only to record.
  onPolicyError: PolicyErrorMode.Allow,
  kindOf,
  run: (trigger, context) => ({
    // Cognito ignores this trigger's response; it is returned unchanged.
    response: {},
    event: {
      ...commonEventOf(trigger, context, []),
      ...kindOf(trigger),
      outcome: Outcome.Succeeded,
    },
  }),
});
