/**
 * Cognito `userAuthEvents` log delivery (Plus feature plan) -> AuthEvents, fed by
 * a CloudWatch Logs subscription on the pool's log group. Off the sign-in path.
 * The work happens in lib/cognito-logs/; this file builds its runtime once per
 * container, with the same config, PII key and deadline-bound publisher as the
 * triggers.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createCognitoLogIngester } from '../lib/cognito-logs/ingest.ts';
import { createLambdaRuntime } from '../lib/runtime/lambda.ts';

// Cold start: a bad config or a missing setting fails here, with the setting named.
const runtime = await createLambdaRuntime();
const ingest = createCognitoLogIngester(runtime);

export const handler = middy(async (event: unknown) => {
  const summary = await ingest(event);
  runtime.logger.info('authtrail.cognito-logs', { summary });
  return summary;
})
  .use(logMetrics(runtime.lambdaMetrics))
  .use(injectLambdaContext(runtime.logger));
