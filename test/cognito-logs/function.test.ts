/**
 * The deployed function module, as Lambda loads it: runtime built at cold start,
 * events published to EventBridge through the AWS SDK (replaced only at the
 * SDK's transport boundary).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadFunction } from '../helpers/lambda-env.ts';
import { sampleLines, subscriptionPayload } from './helpers.ts';

const eventBridge = mockClient(EventBridgeClient);
const context = { functionName: 'authtrail-dev-cognito-log-events', awsRequestId: 'req-1' } as Context;

beforeEach(() => {
  eventBridge.reset();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Lambda: cognito-log-events', () => {
  it('publishes the log events of a subscription delivery to the stage bus', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_, index) => ({ EventId: String(index) })),
    }));
    const handler = await loadFunction('cognito-log-events');

    // Act
    const summary = await handler(subscriptionPayload(sampleLines()), context);

    // Assess
    expect(summary).toEqual({ received: 7, published: 6, skipped: 1, spilled: 0 });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries.map((entry) => entry.DetailType)).toEqual([
      'AuthEvent signin.authenticate',
      'AuthEvent signin.authenticate',
      'AuthEvent signin.authenticate',
      'AuthEvent signup.self_signup',
      'AuthEvent account.password_reset',
      'AuthEvent account.password_change',
    ]);
    expect(entries.every((entry) => entry.EventBusName === 'authtrail-dev' && entry.Source === 'authtrail.cognito')).toBe(true);
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({
      trigger: { source: 'CognitoLog_SignIn' },
      network: { ip: '192.0.2.0/24' },
    });
  });
});
