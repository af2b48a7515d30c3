/**
 * Cognito `userAuthEvents` log delivery (Plus feature plan) -> AuthEvents, fed by
 * a CloudWatch Logs subscription on the pool's log group. Off the sign-in path.
 * The work happens in lib/cognito-logs/; its runtime (the triggers' config, PII
 * key and deadline-bound publisher) in lib/runtime/source-lambda.ts.
 */
import { COGNITO_LOG_EVENTS, createSourceHandler } from '../lib/runtime/source-lambda.ts';

// Cold start: a bad config or a missing setting fails here, with the setting named.
export const handler = await createSourceHandler(COGNITO_LOG_EVENTS, process.env);
