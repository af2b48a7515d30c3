/**
 * Post confirmation: a confirmed sign-up (`account.confirm_signup`) or a password
 * reset with a forgot-password code (`account.password_reset`) becomes an
 * `account` AuthEvent. Runs after the fact: there is nothing to deny.
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PostConfirmationTriggerSchema, type PostConfirmationTrigger } from '../cognito/schemas.ts';
import { TriggerName, TriggerSource } from '../cognito/trigger-sources.ts';
import { commonEventOf, type TriggerDefinition } from './definition.ts';

const ACTION_BY_SOURCE = {
  [TriggerSource.PostConfirmationConfirmSignUp]: Action.ConfirmSignUp,
  [TriggerSource.PostConfirmationConfirmForgotPassword]: Action.PasswordReset,
} as const;

export const postConfirmation: TriggerDefinition<PostConfirmationTrigger> = {
  name: TriggerName.PostConfirmation,
  schema: PostConfirmationTriggerSchema,
  run: (trigger, context) => ({
    // Cognito ignores this trigger's response; it is returned unchanged.
    response: {},
    event: {
      ...commonEventOf(trigger, context, []),
      category: Category.Account,
      action: ACTION_BY_SOURCE[trigger.triggerSource],
      outcome: Outcome.Succeeded,
    },
  }),
};
