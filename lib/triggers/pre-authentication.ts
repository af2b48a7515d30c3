/**
 * Pre authentication: every sign-in attempt, before Cognito checks the password,
 * becomes a `signin.attempt` AuthEvent, `attempted` or `denied` by the stage's
 * sign-in policy. Only this trigger sees attempts that go on to fail: failed
 * sign-ins are inferred downstream from attempts without a success (lib/inference/).
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PreAuthenticationTriggerSchema, type PreAuthenticationTrigger } from '../cognito/schemas.ts';
import { TriggerName } from '../cognito/trigger-sources.ts';
import { decideSignIn } from '../policy/sign-in.ts';
import { commonEventOf, type TriggerDefinition } from './definition.ts';

export const preAuthentication: TriggerDefinition<PreAuthenticationTrigger> = {
  name: TriggerName.PreAuthentication,
  schema: PreAuthenticationTriggerSchema,
  run: (trigger, context) => {
    // On sign-in the client's metadata (InitiateAuth ClientMetadata) arrives as validationData: it is the
    // same untrusted, client-set data as clientMetadata elsewhere, so it goes through the same allow-list.
    const metadata = { ...trigger.request.validationData, ...trigger.request.clientMetadata };
    const common = commonEventOf({ ...trigger, request: { ...trigger.request, clientMetadata: metadata } }, context, []);
    const decision = decideSignIn(context.config.signIn, {
      clientId: trigger.callerContext.clientId,
      userName: trigger.userName,
      sub: trigger.request.userAttributes.sub,
      email: trigger.request.userAttributes.email,
    });
    const base = { ...common, category: Category.SignIn, action: Action.Attempt };
    if (!decision.allowed) {
      const reason = { code: decision.code, message: decision.message };
      // Cognito ignores this trigger's response; it is returned unchanged.
      return { response: {}, event: { ...base, outcome: Outcome.Denied, reason }, denial: reason };
    }
    return { response: {}, event: { ...base, outcome: Outcome.Attempted } };
  },
};
