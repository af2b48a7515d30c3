/** Post authentication: a successful sign-in becomes a `signin` AuthEvent. */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PostAuthenticationTriggerSchema, type PostAuthenticationTrigger } from '../cognito/schemas.ts';
import { TriggerName } from '../cognito/trigger-sources.ts';
import { commonEventOf, type TriggerDefinition } from './definition.ts';

export const postAuthentication: TriggerDefinition<PostAuthenticationTrigger> = {
  name: TriggerName.PostAuthentication,
  schema: PostAuthenticationTriggerSchema,
  run: (trigger, context) => ({
    // Cognito ignores this trigger's response; it is returned unchanged.
    response: {},
    event: {
      ...commonEventOf(trigger, context, []),
      category: Category.SignIn,
      action: Action.Authenticate,
      outcome: Outcome.Succeeded,
      device: { newDeviceUsed: trigger.request.newDeviceUsed },
    },
  }),
};
