/** Cognito pre-signup trigger. The work happens in lib/triggers/pre-signup.ts; this file only wires it. */
import { createLambdaRuntime, lambdaHandlerFor } from '../lib/runtime/lambda.ts';
import { preSignUp } from '../lib/triggers/pre-signup.ts';

// Cold start: a bad config or a missing setting fails here, never mid sign-in.
const runtime = await createLambdaRuntime();

export const handler = lambdaHandlerFor(preSignUp, runtime);
