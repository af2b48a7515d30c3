/**
 * The deployed function modules, as Lambda loads them: environment read at cold
 * start, events published to EventBridge through the AWS SDK. AWS is replaced
 * only at the SDK's transport boundary (aws-sdk-client-mock).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { loadEvent, ROOT } from '../helpers/fixtures.ts';
import { LAMBDA_ENV, loadFunction } from '../helpers/lambda-env.ts';

const eventBridge = mockClient(EventBridgeClient);
const ssm = mockClient(SSMClient);
const context = { functionName: 'authtrail-dev-post-authentication', awsRequestId: 'req-1' } as Context;

const ENV = LAMBDA_ENV;

beforeEach(() => {
  eventBridge.reset();
  ssm.reset();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Lambda: function modules', () => {
  it('publishes a sign-in to the stage bus and answers Cognito with its event', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const handler = await loadFunction('post-authentication');
    const payload = loadEvent('post-authentication/sign-in-web.json');

    // Act
    const returned = await handler(structuredClone(payload), context);

    // Assess
    expect(returned).toEqual(payload);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entry = calls[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'authtrail-dev',
      Source: 'authtrail.cognito',
      DetailType: 'AuthEvent signin.authenticate',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ category: 'signin', stage: 'dev', client: { name: 'web-app' } });
  });

  it('resends only the entries EventBridge reports as failed', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '2' }] });
    const handler = await loadFunction('pre-token-generation');

    // Act
    const returned = (await handler(loadEvent('pre-token-generation/v2/authentication-admin.json'), context)) as {
      response: object;
    };

    // Assess
    expect(returned.response).toHaveProperty('claimsAndScopeOverrideDetails');
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries).toEqual(calls[0]?.args[0].input.Entries);
  });

  it('reads the PII key from an SSM SecureString parameter, decrypted', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ssm-key-0123456789abcdef' } });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });

    // Act
    const handler = await loadFunction('post-authentication', {
      ...ENV,
      AUTHTRAIL_PII_HASH_KEY: undefined,
      AUTHTRAIL_PII_HASH_KEY_PARAMETER: '/authtrail/dev/pii-hash-key',
    });
    await handler(loadEvent('post-authentication/sign-in-web.json'), context);

    // Assess
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/authtrail/dev/pii-hash-key',
      WithDecryption: true,
    });
  });

  it.each([
    [{ AUTHTRAIL_EVENT_BUS_NAME: undefined }, 'Missing required environment variable AUTHTRAIL_EVENT_BUS_NAME'],
    [{ AUTHTRAIL_PII_HASH_KEY: 'short' }, 'Set AUTHTRAIL_PII_HASH_KEY_PARAMETER (an SSM SecureString name) or AUTHTRAIL_PII_HASH_KEY (at least 16 characters)'],
    [{ AUTHTRAIL_CONFIG_FILE: join(ROOT, 'test', 'fixtures', 'quirks', 'not-json.json') }, /^Config file .*not-json.json is not valid JSON/],
  ])('fails the cold start on a bad deploy: %o', async (override, message) => {
    // Act
    const loading = loadFunction('pre-signup', { ...ENV, ...override });

    // Assess
    await expect(loading).rejects.toThrow(message);
    await expect(loading).rejects.toMatchObject({ name: 'ConfigError' });
  });
});

describe('Lambda: recover-spilled reads its schedule rate as a whole number', () => {
  it.each(['15m', 'fifteen', '0', '1.5'])('fails the cold start, naming the variable, on AUTHTRAIL_RECOVER_RATE_MINUTES=%s (was NaN or 0, silently)', async (rate) => {
    // Act
    const loading = loadFunction('recover-spilled', { ...ENV, AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: 'authtrail-dev-recovery', AUTHTRAIL_RECOVER_RATE_MINUTES: rate });

    // Assess
    await expect(loading).rejects.toThrow(/^AUTHTRAIL_RECOVER_RATE_MINUTES must be a whole number from 1 to 1440/);
    await expect(loading).rejects.toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
  });
});
