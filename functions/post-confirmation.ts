/** Cognito post-confirmation trigger. The work happens in lib/triggers/post-confirmation.ts; this file only wires it. */
import { createTriggerLambdaRuntime, triggerHandlerFor } from '../lib/runtime/trigger-lambda.ts';
import { postConfirmation } from '../lib/triggers/post-confirmation.ts';

// Cold start: a bad config or a missing setting fails here, never mid sign-in.
const runtime = await createTriggerLambdaRuntime(process.env);

export const handler = triggerHandlerFor(postConfirmation, runtime);
