/**
 * The deployed Security Lake writer's runtime (functions/security-lake-writer.ts): its
 * settings are checked at cold start with errors naming the variable and never the
 * value; an SQS event (the shape Lambda documents for SQS event sources) becomes puts to
 * the configured bucket and a ReportBatchItemFailures response. S3 and SQS are faked at
 * the SDK transport (aws-sdk-client-mock), so the provider role is never assumed.
 */
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { ConfigError } from '../../lib/errors.ts';
import { createLakeWriterRuntime, lakeWriterSettingsFromEnv } from '../../lib/security-lake/runtime.ts';
import { envelopeBody } from '../siem/helpers.ts';
import { pipelineEvents } from '../siem/pipeline-events.ts';

const ENV = {
  AUTHTRAIL_STAGE: 'prod',
  AUTHTRAIL_SECURITY_LAKE_BUCKET: 'aws-security-data-lake-eu-west-1-example',
  AUTHTRAIL_SECURITY_LAKE_AUTH_ROLE_ARN: 'arn:aws:iam::999988887777:role/AmazonSecurityLake-Provider-authtrail_auth-eu-west-1',
  AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ROLE_ARN: 'arn:aws:iam::999988887777:role/AmazonSecurityLake-Provider-authtrail_account-eu-west-1',
  AUTHTRAIL_SECURITY_LAKE_EXTERNAL_ID: 'authtrail-prod-external-id',
  AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ID: '111122223333',
  AUTHTRAIL_SECURITY_LAKE_AUTH_SOURCE: 'authtrail_auth',
  AUTHTRAIL_SECURITY_LAKE_ACCOUNT_SOURCE: 'authtrail_account',
  AUTHTRAIL_SECURITY_LAKE_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/authtrail-prod-security-lake-dlq',
  AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES: '1',
} as const;

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
let events: AuthEvent[] = [];
beforeAll(async () => {
  events = (await pipelineEvents()).map(({ event }) => event).filter((event) => event.userPool.region === 'eu-west-1');
});
afterEach(() => {
  s3.reset();
  sqs.reset();
});

/** What the writer reads of Lambda's context: the time left before the function's timeout (120 s deployed). */
const contextWith = (remainingMs: number): Pick<Context, 'getRemainingTimeInMillis'> => ({ getRemainingTimeInMillis: () => remainingMs });

/** An SQS event source record as Lambda delivers it (AWS Lambda developer guide, "Using Lambda with Amazon SQS"). */
const sqsEvent = (batch: readonly AuthEvent[], receiveCount: number): SQSEvent => ({
  Records: batch.map(
    (event, index): SQSRecord => ({
      messageId: `059f36b4-87a3-44ab-83d2-${String(index).padStart(12, '0')}`,
      receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a${index}`,
      body: envelopeBody(event),
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: '1764460800000',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1764460800001',
      },
      messageAttributes: {},
      md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:authtrail-prod-security-lake',
      awsRegion: 'eu-west-1',
    }),
  ),
});

describe('Security Lake writer runtime: settings at cold start', () => {
  it.each([
    ['AUTHTRAIL_SECURITY_LAKE_BUCKET', 'arn:aws:s3:::bucket/*', 'an S3 bucket name'],
    ['AUTHTRAIL_SECURITY_LAKE_AUTH_ROLE_ARN', 'arn:aws:iam::999988887777:user/someone', 'an IAM role ARN'],
    ['AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ROLE_ARN', 'AmazonSecurityLake-Provider-authtrail_account', 'an IAM role ARN'],
    ['AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ID', '11112222333', 'a 12-digit AWS account id'],
    ['AUTHTRAIL_SECURITY_LAKE_AUTH_SOURCE', '../authtrail_auth', 'a custom source name'],
    ['AUTHTRAIL_SECURITY_LAKE_ACCOUNT_SOURCE', 'authtrail/account', 'a custom source name'],
    ['AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES', '0', 'a positive integer'],
  ])('refuses a bad %s, naming the variable and not echoing the value', (name, value, what) => {
    // Prepare
    const env = { ...ENV, [name]: value };

    // Act
    const settings = () => lakeWriterSettingsFromEnv(env);

    // Assess
    expect(settings).toThrow(ConfigError);
    expect(settings).toThrow(`${name} must be ${what}`);
    expect(() => settings()).not.toThrow(value);
  });

  it.each(Object.keys(ENV))('refuses a stage without %s', (name) => {
    // Prepare
    const env: Record<string, string> = { ...ENV };
    delete env[name];

    // Act
    const settings = () => lakeWriterSettingsFromEnv(env);

    // Assess
    expect(settings).toThrow(`Missing required environment variable ${name}`);
  });
});

describe('Security Lake writer runtime: SQS event -> S3 -> batch response', () => {
  it('puts every event into the configured bucket and reports no failure', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const runtime = createLakeWriterRuntime(ENV);

    // Act
    const response = await runtime.handle(sqsEvent(events, 1), contextWith(120_000));

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(puts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(puts.map((input) => input.Bucket))).toEqual(new Set([ENV.AUTHTRAIL_SECURITY_LAKE_BUCKET]));
    expect(puts.map((input) => input.Key).every((key) => /^ext\/authtrail_(auth|account)\/region=eu-west-1\/accountId=111122223333\//.test(key ?? ''))).toBe(true);
    // Each put carries the abort signal of its attempt (the deadline guard, lib/security-lake/writer.ts).
    for (const call of s3.commandCalls(PutObjectCommand)) expect(((call.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal).toBeInstanceOf(AbortSignal);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('on the last receive (= AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES) dead-letters to the configured DLQ with the reason instead of failing', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const batch = events.slice(0, 3);
    const runtime = createLakeWriterRuntime(ENV);

    // Act
    const response = await runtime.handle(sqsEvent(batch, 1), contextWith(120_000));

    // Assess
    const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(ENV.AUTHTRAIL_SECURITY_LAKE_DLQ_URL);
    expect(sent).toHaveLength(batch.length);
    for (const entry of sent) expect(entry.MessageAttributes?.['authtrail-reason']?.StringValue).toMatch(/^put to the Security Lake failed after 3 attempt\(s\): AccessDenied/);
  });

  it('before the last receive gives the messages back to SQS as batch item failures', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' }));
    const batch = events.slice(0, 2);
    const runtime = createLakeWriterRuntime({ ...ENV, AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES: '5' });
    const event = sqsEvent(batch, 1);

    // Act
    const response = await runtime.handle(event, contextWith(120_000));

    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(event.Records.map((record) => record.messageId).sort());
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('with less time left than one put attempt, starts no put and gives every message back to SQS', async () => {
    // Prepare: 5 s left; the reserve for dead letters and the response leaves less than PUT_TIMEOUT_MS.
    s3.on(PutObjectCommand).resolves({});
    const runtime = createLakeWriterRuntime({ ...ENV, AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES: '5' });
    const event = sqsEvent(events, 1);

    // Act
    const response = await runtime.handle(event, contextWith(5_000));

    // Assess
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(event.Records.map((record) => record.messageId).sort());
  });
});
