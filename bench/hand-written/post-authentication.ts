/**
 * The yardstick of the sign-in path benchmark (bench/sign-in-path.ts): a
 * post-authentication trigger as a team would write it by hand, with the same
 * AWS SDK as authtrail: one awaited PutEvents of the payload, nothing else, and
 * bundled as a user would (bench/sign-in-path.ts builds it with esbuild's plain
 * settings, no exclusions). Never deployed.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PostAuthenticationTriggerEvent } from 'aws-lambda';

const client = new EventBridgeClient({});

export const handler = async (event: PostAuthenticationTriggerEvent): Promise<PostAuthenticationTriggerEvent> => {
  await client.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: process.env.EVENT_BUS_NAME, Source: 'app.cognito', DetailType: event.triggerSource, Detail: JSON.stringify(event) }],
    }),
  );
  return event;
};
