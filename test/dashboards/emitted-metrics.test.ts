/**
 * Every metric a dashboard widget or an alarm reads is one the code emits.
 *
 * Every payload under events/ is replayed through the deployed trigger modules
 * (functions/*.ts, loaded as Lambda loads them) publishing over loopback HTTP to
 * a fake EventBridge, once healthy and once failing (publish failures, spills),
 * and SQS batches go through the deployed SIEM forwarder to the local SIEM
 * receiver (first delivery, redelivery, refusal); the failed sign-in consumer
 * sweeps an attempt that never succeeded. The EMF documents the functions write
 * to stdout are the metrics CloudWatch would get.
 */
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { spillLine } from '../../lib/publish/spill.ts';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stageAlarms } from '../../dashboards/alarms.ts';
import { DASHBOARDS } from '../../dashboards/cloudformation.ts';
import type { RenderContext } from '../../dashboards/context.ts';
import { triggerNameFor } from '../../lib/cognito/trigger-sources.ts';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createFailedSignInConsumer } from '../../lib/inference/consumer.ts';
import { createMemoryStateStore } from '../../local/inference/state-store.ts';
import { BASE_DIMENSIONS, METRICS, METRICS_NAMESPACE, SERVICE_NAME, type MetricName } from '../../lib/metrics/catalog.ts';
import { powertoolsRecorder } from '../../lib/metrics/emf.ts';
import { startFakeEventBridge, type FakeEventBridge } from '../helpers/fake-eventbridge.ts';
import { collectFixtureFiles } from '../../local/replay/fixture-file.ts';
import { FAKE_AWS_CREDENTIALS, loadEvent, ROOT } from '../helpers/fixtures.ts';
import { loadFunction } from '../helpers/lambda-env.ts';
import { envelopeBody, golden, goldenEvents, newSecret, startReceiver } from '../siem/helpers.ts';
import type { SiemReceiver } from '../../local/siem/receiver.ts';
import { alarmMetricReferences, referenceKey, widgetMetricReferences } from './references.ts';
import { DEV_POOL, FIXTURE_FILES as CLOUDTRAIL_FIXTURES, deliveries } from '../cloudtrail/helpers.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

const BASE_ENV = {
  AUTHTRAIL_STAGE: 'dev',
  AUTHTRAIL_CONFIG_FILE: join(ROOT, 'config', 'dev.json'),
  ...FAKE_AWS_CREDENTIALS,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const documents: EmfDocument[] = [];
const captureStdout = async (act: () => Promise<unknown>): Promise<void> => {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await act().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  for (const line of chunks.join('').split('\n')) {
    if (line.includes('"_aws"')) documents.push(JSON.parse(line) as EmfDocument);
  }
};

const context = (name: string): Context =>
  ({ functionName: `authtrail-dev-${name}`, awsRequestId: 'emf-replay', getRemainingTimeInMillis: () => 30_000 }) as Context;

let bus: FakeEventBridge;
let receiver: SiemReceiver;
const replayed: string[] = [];

beforeAll(async () => {
  // Prepare
  bus = await startFakeEventBridge();
  const files = collectFixtureFiles([join(ROOT, 'events')]);
  const byTrigger = new Map<string, string[]>();
  for (const file of files) {
    const source = (loadEvent<{ triggerSource?: string }>(relative(join(ROOT, 'events'), file))).triggerSource ?? '';
    const trigger = triggerNameFor(source);
    if (trigger === undefined || !existsSync(join(ROOT, 'functions', `${trigger}.ts`))) continue;
    byTrigger.set(trigger, [...(byTrigger.get(trigger) ?? []), file]);
  }

  // Act: every payload on a healthy bus, then the first of each trigger on a throttling one.
  for (const [trigger, triggerFiles] of byTrigger) {
    const handler = await loadFunction<Handler>(trigger, {
      ...BASE_ENV,
      AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
      AUTHTRAIL_PII_HASH_KEY: 'emf-test-key-0123456789',
      AUTHTRAIL_EVENTBRIDGE_ENDPOINT: bus.endpoint,
      AUTHTRAIL_PUBLISH_DEADLINE_MS: '300',
    });
    bus.plan([], { kind: 'accept' });
    for (const file of triggerFiles) {
      await captureStdout(() => handler(loadEvent(relative(join(ROOT, 'events'), file)), context(trigger)));
      replayed.push(relative(ROOT, file));
    }
    bus.plan([], { kind: 'throttle' });
    await captureStdout(() => handler(loadEvent(relative(join(ROOT, 'events'), triggerFiles[0]!)), context(trigger)));
    // A policy step that throws (PolicyErrors): a request member whose keys cannot be read, as a bug would throw.
    bus.plan([], { kind: 'accept' });
    const hostile = loadEvent<{ request: Record<string, unknown> }>(relative(join(ROOT, 'events'), triggerFiles[0]!));
    hostile.request.unreadable = new Proxy({}, { ownKeys: () => { throw new TypeError('keys withheld'); } });
    await captureStdout(() => handler(hostile, context(trigger)));
  }

  // Act: the CloudTrail reader, every record of events/cloudtrail/ (wrong passwords, lockouts, wrong codes among them).
  const cloudTrail = await loadFunction<Handler>('cloudtrail-events', {
    ...BASE_ENV,
    AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
    AUTHTRAIL_PII_HASH_KEY: 'emf-test-key-0123456789',
    AUTHTRAIL_EVENTBRIDGE_ENDPOINT: bus.endpoint,
    AUTHTRAIL_USER_POOL_ID: DEV_POOL,
  });
  bus.plan([], { kind: 'accept' });
  for (const file of CLOUDTRAIL_FIXTURES) {
    for (const delivery of deliveries(file)) await captureStdout(() => cloudTrail(delivery, context('cloudtrail-events')));
    replayed.push(`events/cloudtrail/${file}`);
  }

  // Act: the SIEM forwarder, a first delivery, a redelivery and a refusal.
  const secret = newSecret();
  receiver = await startReceiver({ secrets: [secret] });
  const secretsManager = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  clearCaches();
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhookSecrets: [secret] }) });
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `dlq-${entry.Id}`, MD5OfMessageBody: '' })),
    Failed: [],
  }));
  const forward = await loadFunction<(event: SQSEvent, context: Context) => Promise<unknown>>('siem-forwarder', {
    ...BASE_ENV,
    AUTHTRAIL_SIEM_URL: receiver.url,
    AUTHTRAIL_SIEM_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/authtrail-dev-siem-dlq',
    AUTHTRAIL_SIEM_SECRET_ID: 'authtrail/dev/siem',
  });
  const events = goldenEvents().slice(0, 3);
  const sqsEvent = (receiveCount: string, bodies: string[]): SQSEvent =>
    ({
      Records: bodies.map((body, index) => ({
        messageId: `m-${receiveCount}-${index}`,
        receiptHandle: `rh-${index}`,
        body,
        attributes: { ApproximateReceiveCount: receiveCount, SentTimestamp: '1795773600000', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '1795773600000' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:authtrail-dev-siem',
        awsRegion: 'eu-west-1',
      })),
    }) as SQSEvent;
  await captureStdout(() => forward(sqsEvent('1', events.map(envelopeBody)), context('siem-forwarder')));
  await captureStdout(() => forward(sqsEvent('2', [envelopeBody({ ...events[0]!, id: 'e'.repeat(32) })]), context('siem-forwarder')));
  await captureStdout(() => forward(sqsEvent('1', ['not an envelope']), context('siem-forwarder')));
  secretsManager.restore();
  sqs.restore();

  // The failed sign-in consumer: an attempt with no success, swept after its window.
  const attempt = golden('pre-authentication/sign-in-attempt-web.json');
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions: { stage: 'dev' } });
  let now = Date.parse(attempt.time);
  const consume = createFailedSignInConsumer({
    store: createMemoryStateStore(() => now),
    sink: { publish: async () => undefined },
    windowSeconds: 60,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: powertoolsRecorder(metrics),
    clock: () => new Date(now),
  });
  await consume({ 'detail-type': 'AuthEvent signin.attempt', source: 'authtrail.cognito', detail: attempt });
  now += 10 * 60_000;
  await captureStdout(() => consume({ source: 'aws.events', 'detail-type': 'Scheduled Event' }));

  // The spill recovery function: one scheduled run finds a spilled event and re-publishes it (RecoveredEvents, RecoveryBacklog).
  const logs = mockClient(CloudWatchLogsClient);
  const dynamo = mockClient(DynamoDBClient);
  const scheduled = Date.parse('2026-11-27T10:15:00.000Z');
  logs.on(FilterLogEventsCommand).callsFake((input: { startTime: number; endTime: number }) => {
    const at = scheduled - 10 * 60_000;
    const hit = input.startTime <= at && at <= input.endTime;
    return { events: hit ? [{ timestamp: at, message: spillLine(attempt, 'ThrottlingException: Rate exceeded', new Date(at)) }] : [] };
  });
  dynamo.on(GetItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  bus.plan([], { kind: 'accept' });
  const recover = await loadFunction<Handler>('recover-spilled', {
    ...BASE_ENV,
    AUTHTRAIL_EVENT_BUS_NAME: 'authtrail-dev',
    AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: 'authtrail-dev-recovery',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
  });
  await captureStdout(() =>
    recover({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(scheduled).toISOString() }, context('recover-spilled')),
  );
  logs.restore();
  dynamo.restore();
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await bus?.close();
  await receiver?.close();
});

/** namespace|metric|sorted dimension names, for every metric of every EMF document. */
const emitted = (): Set<string> =>
  new Set(
    documents.flatMap((document) =>
      document._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.flatMap((metric) =>
          directive.Dimensions.map((dimensions) => referenceKey({ namespace: directive.Namespace, name: metric.Name, dimensions })),
        ),
      ),
    ),
  );

const CONTEXTS: RenderContext[] = ['dev', 'prod'].map((stage) => ({
  stage,
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_TEST',
  clients: { client1: 'web-app' },
  alarmTopicArn: '',
}));

describe('Metrics: what the dashboards and alarms read is what the code emits', () => {
  it('replays every payload of events/ and the SIEM forwarder into EMF documents', () => {
    // Assess
    expect(replayed.length).toBeGreaterThanOrEqual(20);
    expect(documents.length).toBeGreaterThan(replayed.length);
    for (const document of documents) expect(document._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
  });

  it('emits every catalog metric under exactly its catalog dimension sets', () => {
    // Prepare
    const keys = emitted();

    // Act
    const expected = (Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]).flatMap(([name, definition]) =>
      definition.dimensionSets.map((set) => referenceKey({ namespace: METRICS_NAMESPACE, name, dimensions: [...BASE_DIMENSIONS, ...set] })),
    );

    // Assess
    expect([...keys].filter((key) => !expected.includes(key))).toEqual([]);
    expect(expected.filter((key) => !keys.has(key))).toEqual([]);
  });

  it.each(CONTEXTS)('backs every authtrail metric of the $stage dashboards and alarms with an emitted one', (ctx) => {
    // Prepare
    const keys = emitted();

    // Act
    const references = [
      ...Object.entries(DASHBOARDS).flatMap(([title, render]) => widgetMetricReferences(render(ctx), title)),
      ...alarmMetricReferences(stageAlarms(ctx)),
    ].filter((reference) => reference.namespace === METRICS_NAMESPACE);

    // Assess
    expect(references.length).toBeGreaterThan(20);
    const missing = references.filter((reference) => !keys.has(referenceKey(reference)));
    expect(missing).toEqual([]);
  });

  it('keeps dimensions low-cardinality: no user id, username, email or client id in any dimension value', () => {
    // Prepare
    const forbidden = goldenEvents().flatMap((event) =>
      [event.user.sub, event.user.username, event.user.email, event.client.id].filter((value): value is string => typeof value === 'string'),
    );

    // Act
    const values = documents.flatMap((document) =>
      document._aws.CloudWatchMetrics.flatMap((directive) => directive.Dimensions.flat().map((name) => String(document[name]))),
    );

    // Assess
    expect(values.length).toBeGreaterThan(0);
    for (const value of new Set(values)) {
      expect(forbidden).not.toContain(value);
      expect(value).not.toMatch(/@|hmac-sha256:/);
      expect(value.length).toBeLessThanOrEqual(64);
    }
  });
});
