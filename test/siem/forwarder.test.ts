/**
 * The deployed forwarder module, as Lambda loads it, delivering over real
 * loopback HTTP to the local receiver. SQS and Secrets Manager are replaced at
 * the SDK transport boundary (aws-sdk-client-mock).
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { envelopeBody, forwarderEnv, forwarderTestBed, goldenEventsWithIds, idOf, loadForwarder, SIEM_DLQ_URL, sqsRecord } from './helpers.ts';

const sqs = mockClient(SQSClient);
const bed = forwarderTestBed(sqs);
const { secret, secretsManager } = bed;

const contextWith = (remainingMs: number): Context =>
  ({
    functionName: 'authtrail-dev-siem-forwarder',
    awsRequestId: 'forwarder-test',
    getRemainingTimeInMillis: () => remainingMs,
  }) as Context;

let sequence = 0;
const sqsEvent = (bodies: readonly string[]): SQSEvent => ({
  Records: bodies.map((body) => sqsRecord(body, { messageId: `m-${(sequence += 1)}`, receiptHandle: `rh-${sequence}` })),
});

/** Golden events under ids unique to this test, so the receiver stores them anew. */
let generation = 0;
const freshBodies = (count = 23) => goldenEventsWithIds(count, `f${(generation += 1).toString(16).padStart(7, '0')}`).map(envelopeBody);

/** What the function wrote to stdout and stderr (Powertools logs, EMF metrics) during `act`. */
const capturingOutput = async <T>(act: () => Promise<T>): Promise<{ result: T; written: string }> => {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
  try {
    return { result: await act(), written: chunks.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
};

beforeEach(() => {
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `dlq-${entry.Id}`, MD5OfMessageBody: '' })),
    Failed: [],
  }));
  bed.receiver.requests.length = 0;
});

describe('Forwarder: SQS batches to the SIEM', () => {
  it('delivers a batch of envelopes in one signed request, reports no failures, reads the secret once per container', async () => {
    // Prepare
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const first = freshBodies();
    const second = freshBodies(5);

    // Act
    const responses = [
      await handler(sqsEvent(first), contextWith(30_000)),
      await handler(sqsEvent(second), contextWith(30_000)),
    ];

    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(bed.receiver.requests.map((request) => request.status)).toEqual([200, 200]);
    expect([...first, ...second].every((body) => bed.receiver.has(idOf(body)))).toBe(true);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: 'authtrail/dev/siem' });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('SIEM unavailable: every message reported as a batch item failure for SQS to redeliver, none dead-lettered', async () => {
    // Prepare
    bed.receiver.setFaults([], { kind: 'status', status: 503, retryAfter: '0' });
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const event = sqsEvent(freshBodies(4));

    // Act
    const response = await handler(event, contextWith(30_000));

    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(event.Records.map((record) => record.messageId));
    expect(bed.receiver.requests).toHaveLength(4); // siem.retry.maxAttempts of config/dev.json
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('SIEM refuses the content (400): messages go to the DLQ with the reason as attribute, and succeed', async () => {
    // Prepare
    bed.receiver.setFaults([{ kind: 'status', status: 400, body: 'unknown sourcetype' }]);
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const bodies = freshBodies(3);
    const event = sqsEvent(bodies);

    // Act
    const response = await handler(event, contextWith(30_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const sent = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe(SIEM_DLQ_URL);
    expect(sent[0]?.Entries?.map((entry) => entry.MessageBody)).toEqual(bodies);
    expect(sent[0]?.Entries?.[0]?.MessageAttributes).toMatchObject({
      'authtrail-reason': { DataType: 'String', StringValue: 'HTTP 400 (30-byte body) (not retried)' },
      'authtrail-source-message-id': { DataType: 'String', StringValue: event.Records[0]?.messageId },
    });
  });

  it('a message that is not an AuthEvent envelope goes to the DLQ at once; the others are delivered', async () => {
    // Prepare
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const good = freshBodies(2);
    const event = sqsEvent([good[0] as string, '{"detail":{"id":"nope"}}', 'not json', good[1] as string]);

    // Act
    const response = await handler(event, contextWith(30_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(good.every((body) => bed.receiver.has(idOf(body)))).toBe(true);
    const entries = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((entry) => entry.MessageBody)).toEqual(['{"detail":{"id":"nope"}}', 'not json']);
    expect(entries[0]?.MessageAttributes?.['authtrail-reason']?.StringValue).toMatch(/^invalid message: /);
    expect(entries[1]?.MessageAttributes?.['authtrail-reason']?.StringValue).toBe(
      'invalid message: the message is not valid JSON: unexpected character at position 1 (line 1, column 2)',
    );
  });

  it('when the DLQ cannot take a rejected message, it is reported as a failure instead: never dropped', async () => {
    // Prepare
    bed.receiver.setFaults([{ kind: 'status', status: 422 }]);
    sqs.on(SendMessageBatchCommand).rejects(new Error('AccessDenied'));
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const event = sqsEvent(freshBodies(2));

    // Act
    const response = await handler(event, contextWith(30_000));

    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(event.Records.map((record) => record.messageId));
  });

  it('a slow SIEM: answers before the function times out, all messages left for redelivery', async () => {
    // Prepare
    bed.receiver.setFaults([], { kind: 'delay', ms: 5_000 });
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const event = sqsEvent(freshBodies(5));
    const functionTimeoutMs = 1_500;
    const started = Date.now();

    // Act
    const response = await handler(event, contextWith(functionTimeoutMs));

    // Assess
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(functionTimeoutMs);
    expect(response.batchItemFailures).toHaveLength(5);
  });

  it('never logs the secret, and counts deliveries in EMF metrics', async () => {
    // Prepare
    const handler = await loadForwarder({ ...forwarderEnv(bed.receiver.url), POWERTOOLS_LOG_LEVEL: 'DEBUG' });

    // Act
    const { written } = await capturingOutput(() => handler(sqsEvent(freshBodies(3)), contextWith(30_000)));

    // Assess
    expect(written).not.toContain(secret.slice(6));
    expect(written).toContain('authtrail.siem.forward');
    const emf = written.split('\n').filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf[0]).toMatchObject({ SiemDelivered: 3, SiemRejected: 0, SiemFailed: 0, stage: 'dev' });
  });

  it('an unreadable secret: messages come back later, and the log names the secret, not its value', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"webhookSecrets": ["whsec_c2hvcnQ="]}' });
    const handler = await loadForwarder({ ...forwarderEnv(bed.receiver.url), POWERTOOLS_LOG_LEVEL: 'ERROR' });
    const event = sqsEvent(freshBodies(2));

    // Act
    const { result, written } = await capturingOutput(() => handler(event, contextWith(30_000)));

    // Assess
    expect(result.batchItemFailures).toHaveLength(2);
    expect(written).toContain('secret authtrail/dev/siem: webhookSecrets[0]: a webhook secret must hold at least 24 bytes');
    expect(written).not.toContain('c2hvcnQ');
  });

  it.each([
    [{ AUTHTRAIL_SIEM_URL: undefined }, 'Missing required environment variable AUTHTRAIL_SIEM_URL'],
    [{ AUTHTRAIL_SIEM_URL: 'http://siem.example.com/in' }, 'AUTHTRAIL_SIEM_URL must be https:// (http:// only for a loopback receiver)'],
    [{ AUTHTRAIL_SIEM_DLQ_URL: undefined }, 'Missing required environment variable AUTHTRAIL_SIEM_DLQ_URL'],
    [{ AUTHTRAIL_SIEM_SECRET_ID: undefined }, 'Set AUTHTRAIL_SIEM_SECRET_ID (Secrets Manager) or AUTHTRAIL_SIEM_SECRET_PARAMETER (SSM SecureString)'],
  ])('fails the cold start on a bad deploy: %o', async (override, message) => {
    // Act
    const loading = loadForwarder({ ...forwarderEnv(bed.receiver.url), ...override });

    // Assess
    await expect(loading).rejects.toThrow(message);
    await expect(loading).rejects.toMatchObject({ name: 'ConfigError' });
  });
});

describe('Forwarder: a slow 200 (issue 16, item 10)', () => {
  it('a SIEM answering 200 after 3.5 s (past the old 3 s client timeout): delivered once, nothing dead-lettered or redelivered', async () => {
    // Prepare
    bed.receiver.setFaults([{ kind: 'delay', ms: 3_500 }]);
    const handler = await loadForwarder(forwarderEnv(bed.receiver.url));
    const bodies = freshBodies(4);
    const requestsBefore = bed.receiver.stats.requests;

    // Act
    const response = await handler(sqsEvent(bodies), contextWith(30_000));

    // Assess: one request, answered (a timeout would have sent it again)
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(bed.receiver.stats.requests - requestsBefore).toBe(1);
    expect(bed.receiver.requests.map((request) => request.status)).toEqual([200]);
    expect(bodies.every((body) => bed.receiver.has(idOf(body)))).toBe(true);
  });
});
