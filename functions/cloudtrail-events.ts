/**
 * CloudTrail records of the stage's user pool -> AuthEvents, fed by a rule on
 * the account's default bus (source aws.cognito-idp, both CloudTrail detail
 * types). Off the sign-in path. The work happens in lib/cloudtrail/; this file
 * builds its runtime once per container, with the same config, PII key and
 * deadline-bound publisher as the triggers, and the stage's pool id.
 */
import middy from '@middy/core';
import { createCloudTrailIngester } from '../lib/cloudtrail/ingest.ts';
import { requiredEnv } from '../lib/config/load.ts';
import { createLambdaRuntime } from '../lib/runtime/lambda.ts';
import { powertoolsMiddlewares } from '../lib/runtime/powertools.ts';

// Cold start: a bad config or a missing setting fails here, with the setting named.
const runtime = await createLambdaRuntime();
const ingest = createCloudTrailIngester({ ...runtime, userPoolId: requiredEnv(process.env, 'AUTHTRAIL_USER_POOL_ID') });

export const handler = middy(async (event: unknown) => {
  const summary = await ingest(event);
  runtime.logger.info('authtrail.cloudtrail', { summary });
  return summary;
}).use(powertoolsMiddlewares(runtime.logger, runtime.lambdaMetrics));
