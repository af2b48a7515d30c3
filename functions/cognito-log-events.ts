/**
 * Cognito `userAuthEvents` log delivery (Plus feature plan) -> AuthEvents, fed by
 * a CloudWatch Logs subscription on the pool's log group. Off the sign-in path.
 * The work happens in lib/cognito-logs/; this file builds its runtime once per
 * container, with the same config, PII key and deadline-bound publisher as the
 * triggers.
 */
import middy from '@middy/core';
import { createCognitoLogIngester } from '../lib/cognito-logs/ingest.ts';
import { createLambdaRuntime } from '../lib/runtime/lambda.ts';
import { powertoolsMiddlewares } from '../lib/runtime/powertools.ts';

// Cold start: a bad config or a missing setting fails here, with the setting named.
const runtime = await createLambdaRuntime();
const ingest = createCognitoLogIngester(runtime);

export const handler = middy(async (event: unknown) => {
  const summary = await ingest(event);
  runtime.logger.info('authtrail.cognito-logs', { summary });
  return summary;
}).use(powertoolsMiddlewares(runtime.logger, runtime.lambdaMetrics));
