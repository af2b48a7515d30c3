/**
 * Every trigger's handler over one runtime, for code that runs them all in one
 * process: the local replay and the benchmarks. Deployed functions import their
 * own trigger only, so each bundle carries one.
 */
import { TriggerName } from '../../lib/cognito/trigger-sources.ts';
import { createTriggerHandler, type TriggerHandler, type TriggerRuntime } from '../../lib/runtime/handler.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { postConfirmation } from '../../lib/triggers/post-confirmation.ts';
import { preAuthentication } from '../../lib/triggers/pre-authentication.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';

export const triggerHandlersFor = (runtime: TriggerRuntime): Record<TriggerName, TriggerHandler> => ({
  [TriggerName.PreSignUp]: createTriggerHandler(preSignUp, runtime),
  [TriggerName.PostAuthentication]: createTriggerHandler(postAuthentication, runtime),
  [TriggerName.PreTokenGeneration]: createTriggerHandler(preTokenGeneration, runtime),
  [TriggerName.PreAuthentication]: createTriggerHandler(preAuthentication, runtime),
  [TriggerName.PostConfirmation]: createTriggerHandler(postConfirmation, runtime),
});
