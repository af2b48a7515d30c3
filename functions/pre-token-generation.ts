/** Cognito pre-token-generation trigger. The work happens in lib/triggers/pre-token-generation.ts; this file only wires it. */
import { createTriggerLambdaRuntime, triggerHandlerFor } from '../lib/runtime/trigger-lambda.ts';
import { preTokenGeneration } from '../lib/triggers/pre-token-generation.ts';

// Cold start: a bad config or a missing setting fails here, never mid sign-in.
const runtime = await createTriggerLambdaRuntime(process.env);

export const handler = triggerHandlerFor(preTokenGeneration, runtime);
