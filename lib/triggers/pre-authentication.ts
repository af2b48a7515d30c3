/**
 * Pre authentication: every sign-in attempt, before Cognito checks the password,
 * becomes a `signin.attempt` AuthEvent, `attempted` or `denied` by the stage's
 * sign-in policy. Only this trigger sees attempts that go on to fail: failed
 * sign-ins are inferred downstream from attempts without a success (lib/inference/).
 */
import { Action, Category, Outcome } from '../auth-event/schema.ts';
import { PreAuthenticationTriggerSchema, type PreAuthenticationTrigger } from '../cognito/schemas.ts';
import { TriggerName } from '../cognito/trigger-sources.ts';
import { commonEventOf, defineTrigger, PolicyErrorMode, signInDecisionOf } from './definition.ts';

const KIND = { category: Category.SignIn, action: Action.Attempt } as const;

export const preAuthentication = defineTrigger<PreAuthenticationTrigger>({
  name: TriggerName.PreAuthentication,
  schema: PreAuthenticationTriggerSchema,
  // Fail closed: a blocked user must not get in because the check broke. The user can try again.
  onPolicyError: PolicyErrorMode.Deny,
  kindOf: () => KIND,
  run: (trigger, context) => {
    // On sign-in the client's metadata (InitiateAuth ClientMetadata) arrives as validationData: it is the
    // same untrusted, client-set data as clientMetadata elsewhere, so it goes through the same allow-list.
    const metadata = { ...trigger.request.validationData, ...trigger.request.clientMetadata };
    const common = commonEventOf({ ...trigger, request: { ...trigger.request, clientMetadata: metadata } }, context, []);
    const decision = signInDecisionOf({ ...trigger, userName: trigger.userName }, common, context);
    const base = { ...common, ...KIND };
    if (!decision.allowed) {
      const reason = { code: decision.code, message: decision.message };
      // Cognito ignores this trigger's response; it is returned unchanged.
      return { response: {}, event: { ...base, outcome: Outcome.Denied, reason }, denial: reason };
    }
    return { response: {}, event: { ...base, outcome: Outcome.Attempted } };
  },
});
