/**
 * The AWS path end to end, with SQS replaced at the SDK transport boundary by a
 * small in-memory model of the two queues (visibility, receive count, the SIEM
 * queue's redrive policy): the deployed forwarder delivers over loopback HTTP to
 * the receiver; the SIEM goes down, messages reach the DLQ after
 * maxReceiveCount, `npm run redrive` moves them back, and every AuthEvent id is
 * stored exactly once, none lost at any step.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { runRedriveCli } from '../../local/siem/redrive-cli.ts';
import { redriveSqs } from '../../local/siem/redrive.ts';
import { envelopeBody, forwarderEnv, forwarderTestBed, goldenEvents, idOf, loadForwarder, SIEM_DLQ_URL as DLQ, sqsRecord } from './helpers.ts';

const sqs = mockClient(SQSClient);
const ACCOUNT_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012';
const QUEUE = `${ACCOUNT_URL}/authtrail-dev-siem`;
/** As serverless.yml sets the SIEM queue's redrive policy. */
const MAX_RECEIVE_COUNT = 5;

interface Stored {
  id: string;
  body: string;
  receiveCount: number;
  receipt?: string | undefined;
  visible: boolean;
}

/** Just enough SQS for these tests: FIFO-ish order, visibility until deleted or released, receive counts. */
const createSqsModel = (sqs: AwsClientStub<SQSClient>) => {
  const queues = new Map<string, Stored[]>([
    [QUEUE, []],
    [DLQ, []],
  ]);
  let next = 0;
  const queue = (url: string | undefined) => {
    const found = queues.get(url ?? '');
    if (found === undefined) throw new Error(`no queue ${url}`);
    return found;
  };
  const receive = (url: string, max: number): Stored[] => {
    const taken = queue(url).filter((message) => message.visible).slice(0, max);
    for (const message of taken) {
      message.visible = false;
      message.receiveCount += 1;
      message.receipt = `r-${(next += 1)}`;
    }
    return taken;
  };
  sqs.on(GetQueueUrlCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `${ACCOUNT_URL}/${input.QueueName}` }));
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
    Attributes: { ApproximateNumberOfMessages: String(queue(input.QueueUrl).filter((message) => message.visible).length) },
  }));
  sqs.on(SendMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: { Id: string; MessageBody: string }[] }) => {
    for (const entry of input.Entries) {
      queue(input.QueueUrl).push({ id: `sqs-${(next += 1)}`, body: entry.MessageBody, receiveCount: 0, visible: true });
    }
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: 'x', MD5OfMessageBody: '' })), Failed: [] };
  });
  sqs.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string; MaxNumberOfMessages?: number }) => ({
    Messages: receive(input.QueueUrl, input.MaxNumberOfMessages ?? 1).map(
      (message): Message => ({ MessageId: message.id, ReceiptHandle: message.receipt, Body: message.body }),
    ),
  }));
  sqs.on(DeleteMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: { Id: string; ReceiptHandle: string }[] }) => {
    const handles = new Set(input.Entries.map((entry) => entry.ReceiptHandle));
    const list = queue(input.QueueUrl);
    queues.set(input.QueueUrl, list.filter((message) => !handles.has(message.receipt ?? '')));
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
  });

  /**
   * The Lambda event source mapping: one poll of up to `batchSize` messages into
   * the handler; reported failures are released for redelivery, or moved to the
   * DLQ once received maxReceiveCount times; the rest deleted.
   */
  const poll = async (handler: (event: SQSEvent) => Promise<SQSBatchResponse>, batchSize = 10): Promise<number> => {
    const taken = receive(QUEUE, batchSize);
    if (taken.length === 0) return 0;
    const response = await handler({
      Records: taken.map((message) =>
        sqsRecord(message.body, { messageId: message.id, receiptHandle: message.receipt ?? '', receiveCount: message.receiveCount }),
      ),
    });
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const kept: Stored[] = [];
    for (const message of queue(QUEUE)) {
      if (!taken.includes(message)) kept.push(message);
      else if (!failed.has(message.id)) continue;
      else if (message.receiveCount >= MAX_RECEIVE_COUNT) queue(DLQ).push({ ...message, visible: true, receiveCount: 0 });
      else kept.push({ ...message, visible: true });
    }
    queues.set(QUEUE, kept);
    return taken.length;
  };

  /** Polls until the queue is empty or `rounds` polls found nothing new to do. */
  const drain = async (handler: (event: SQSEvent) => Promise<SQSBatchResponse>, rounds = 100) => {
    for (let round = 0; round < rounds && queue(QUEUE).length > 0; round += 1) await poll(handler);
  };

  return {
    bodies: (url: string) => queue(url).map((message) => message.body),
    enqueue: (url: string, bodies: readonly string[]) =>
      queue(url).push(...bodies.map((body) => ({ id: `sqs-${(next += 1)}`, body, receiveCount: 0, visible: true }))),
    drain,
  };
};

const bed = forwarderTestBed(sqs);

/** The deployed forwarder as the event source mapping calls it, delivering to the receiver. */
const loadForwardTo = async (url: string) => {
  const handler = await loadForwarder(forwarderEnv(url));
  return (event: SQSEvent) => handler(event, { getRemainingTimeInMillis: () => 30_000, awsRequestId: 'r' } as Context);
};

const silent = { write: () => true };

describe('Redrive on AWS: SIEM down -> DLQ -> redrive -> stored exactly once', () => {
  it('no event lost, none stored twice, across an outage, refusals and the redrive', async () => {
    // Prepare: all golden events on the SIEM queue, the SIEM down (503), one batch refused (400)
    const model = createSqsModel(sqs);
    const emitted = goldenEvents().map(envelopeBody);
    model.enqueue(QUEUE, emitted);
    const forward = await loadForwardTo(bed.receiver.url);
    bed.receiver.setFaults([{ kind: 'status', status: 400, body: 'rejected on purpose' }], { kind: 'status', status: 503, retryAfter: '0' });

    // Act: the outage; SQS redelivers up to maxReceiveCount, then dead-letters
    await model.drain(forward);
    const inDlqDuringOutage = model.bodies(DLQ).length;
    const storedDuringOutage = bed.receiver.stats.stored;
    // Act: the SIEM is back; redrive, and the queue drains
    bed.receiver.setFaults([]);
    const progress: string[] = [];
    const exit = await runRedriveCli({
      stage: 'dev',
      local: false,
      storeDir: '.authtrail',
      sqs: new SQSClient({ region: 'eu-west-1' }),
      stdout: { write: (text: string) => progress.push(`out:${text}`) },
      stderr: { write: (text: string) => progress.push(text) },
    });
    const requeued = model.bodies(QUEUE).length;
    await model.drain(forward);

    // Assess
    expect(storedDuringOutage).toBe(0);
    expect(inDlqDuringOutage).toBe(emitted.length);
    expect(exit).toBe(0);
    expect(progress.at(-1)).toBe('out:{"moved":31,"failed":0,"errors":[]}\n');
    expect(progress).toContain('moved 10 of ~31\n');
    expect(requeued).toBe(emitted.length);
    expect(model.bodies(DLQ)).toEqual([]);
    expect(model.bodies(QUEUE)).toEqual([]);
    const stored = bed.receiver.stored.map((record) => record.id);
    expect(stored.sort()).toEqual(emitted.map(idOf).sort());
    expect(new Set(stored).size).toBe(stored.length);
  });

  it('a message whose send to the SIEM queue fails stays on the DLQ (deleted only after a successful send)', async () => {
    // Prepare
    const model = createSqsModel(sqs);
    model.enqueue(DLQ, goldenEvents().slice(0, 3).map(envelopeBody));
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }, { Id: '2', MessageId: 'b', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'KMS.AccessDenied', Message: 'no key', SenderFault: true }],
    });

    // Act
    const report = await redriveSqs({ sqs: new SQSClient({ region: 'eu-west-1' }), fromUrl: DLQ, toUrl: QUEUE, emptyReceives: 1 });

    // Assess
    expect(report).toEqual({ moved: 2, failed: 1, errors: ['KMS.AccessDenied: no key'] });
    expect(model.bodies(DLQ)).toEqual([envelopeBody(goldenEvents()[1] as never)]);
  });

  it('stops after --max messages', async () => {
    // Prepare
    const model = createSqsModel(sqs);
    model.enqueue(DLQ, goldenEvents().map(envelopeBody));

    // Act
    const exit = await runRedriveCli({
      stage: 'dev',
      local: false,
      storeDir: '.authtrail',
      max: '12',
      sqs: new SQSClient({ region: 'eu-west-1' }),
      stdout: silent,
      stderr: silent,
    });

    // Assess
    expect(exit).toBe(0);
    expect(model.bodies(QUEUE)).toHaveLength(12);
    expect(model.bodies(DLQ)).toHaveLength(19);
  });
});
