/**
 * CloudTrail records of the stage's user pool -> AuthEvents, fed by a rule on
 * the account's default bus (source aws.cognito-idp, both CloudTrail detail
 * types). Off the sign-in path. The work happens in lib/cloudtrail/; its runtime
 * (the triggers' config, PII key and deadline-bound publisher, and the stage's
 * pool id) in lib/runtime/source-lambda.ts.
 */
import { CLOUDTRAIL_EVENTS, createSourceHandler } from '../lib/runtime/source-lambda.ts';

// Cold start: a bad config or a missing setting fails here, with the setting named.
export const handler = await createSourceHandler(CLOUDTRAIL_EVENTS, process.env);
