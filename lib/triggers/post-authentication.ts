/** Post authentication: a successful sign-in becomes a `signin` AuthEvent. */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PostAuthenticationTriggerSchema, type PostAuthenticationTrigger } from '../cognito/schemas.ts';
import { TriggerName } from '../cognito/trigger-sources.ts';
import { commonEventOf, defineTrigger, PolicyErrorMode } from './definition.ts';

const KIND = { category: Category.SignIn, action: Action.Authenticate } as const;

export const postAuthentication = defineTrigger<PostAuthenticationTrigger>({
  name: TriggerName.PostAuthentication,
  schema: PostAuthenticationTriggerSchema,
  // Cognito has already checked the password: there is nothing left to decide, only to record.
  onPolicyError: PolicyErrorMode.Allow,
  kindOf: () => KIND,
  run: (trigger, context) => ({
    // Cognito ignores this trigger's response; it is returned unchanged.
    response: {},
    event: {
      ...commonEventOf(trigger, context, []),
      ...KIND,
      outcome: Outcome.Succeeded,
      device: { newDeviceUsed: trigger.request.newDeviceUsed },
    },
  }),
});
