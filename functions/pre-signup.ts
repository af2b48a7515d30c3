/** Cognito pre-signup trigger. The work happens in lib/triggers/pre-signup.ts; this file only wires it. */
import { createTriggerLambdaRuntime, triggerHandlerFor } from '../lib/runtime/trigger-lambda.ts';
import { preSignUp } from '../lib/triggers/pre-signup.ts';

// Cold start: a bad config or a missing setting fails here, never mid sign-in.
const runtime = await createTriggerLambdaRuntime(process.env);

export const handler = triggerHandlerFor(preSignUp, runtime);
