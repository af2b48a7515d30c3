/** Cognito pre-authentication trigger. The work happens in lib/triggers/pre-authentication.ts; this file only wires it. */
import { createTriggerLambdaRuntime, triggerHandlerFor } from '../lib/runtime/trigger-lambda.ts';
import { preAuthentication } from '../lib/triggers/pre-authentication.ts';

// Cold start: a bad config or a missing setting fails here, never mid sign-in.
const runtime = await createTriggerLambdaRuntime(process.env);

export const handler = triggerHandlerFor(preAuthentication, runtime);
