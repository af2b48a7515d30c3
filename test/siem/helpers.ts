/** SIEM test helpers: the real AuthEvents of test/golden/, their bus envelopes, secrets, a receiver per test. */
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { StageConfigSchema } from '../../lib/config/schema.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { sinkFromConfig, type SinkSettings } from '../../lib/siem/delivery.ts';
import { startSiemReceiver, type ReceiverOptions, type SiemReceiver } from '../../local/siem/receiver.ts';
import { webhookSecretFrom } from '../../lib/siem/signing.ts';
import { FORMAT_CREDENTIALS, type FormatCredentialKey } from '../../lib/siem/formats/index.ts';
import { FAKE_AWS_CREDENTIALS, ROOT, goldenEvents } from '../helpers/fixtures.ts';
import { loadFunction } from '../helpers/lambda-env.ts';
import { join } from 'node:path';

export { golden, goldenEvents } from '../helpers/fixtures.ts';

/** The first `count` golden events under ids `salt` + their position (32 hex digits in all), so a receiver kept across tests stores them as new. */
export const goldenEventsWithIds = (count: number, salt: string): AuthEvent[] =>
  goldenEvents()
    .slice(0, count)
    .map((event, index) => ({ ...event, id: `${salt}${index.toString(16).padStart(32 - salt.length, '0')}` }));

/** The SQS message body the SIEM rule writes for an event. */
export const envelopeBody = (event: AuthEvent): string => JSON.stringify(toBusEnvelope(event, '123456789012', 'eu-west-1'));

/** The AuthEvent id an envelope body carries. */
export const idOf = (body: string): string => (JSON.parse(body) as { detail: { id: string } }).detail.id;

export const newSecret = (): string => webhookSecretFrom(randomBytes(32));

/**
 * A made-up value for every credential some registered format needs (lib/siem/formats/, `credentials`),
 * named after it, with `values` taking precedence: a test that delivers in every format needs no change for a new one.
 */
export const formatCredentials = (values: Partial<Record<FormatCredentialKey, string>> = {}): Record<FormatCredentialKey, string> => ({
  ...(Object.fromEntries(FORMAT_CREDENTIALS.map(({ key }) => [key, `test-${key}-0123456789`])) as Record<FormatCredentialKey, string>),
  ...values,
});

/** The same credentials as local runs read them: each under its variable (AUTHTRAIL_SIEM_HEC_TOKEN). */
export const formatCredentialsEnv = (values: Partial<Record<FormatCredentialKey, string>> = {}): Record<string, string> => {
  const credentials = formatCredentials(values);
  return Object.fromEntries(FORMAT_CREDENTIALS.map(({ key, env }) => [env, credentials[key]]));
};

/** The default stage SIEM settings for a URL, with changes. */
export const sinkFor = (url: string, changes: Partial<SinkSettings> = {}): SinkSettings => ({
  ...sinkFromConfig(StageConfigSchema.parse({}).siem, url),
  ...changes,
});

/** A receiver on an ephemeral loopback port (AUTHTRAIL_TEST_SIEM_PORT to pin one), recording requests. */
export const startReceiver = (options: Omit<ReceiverOptions, 'port'> & { port?: number }): Promise<SiemReceiver> =>
  startSiemReceiver({ port: Number(process.env.AUTHTRAIL_TEST_SIEM_PORT ?? 0), recordRequests: true, keepRecords: true, ...options });

/** A sleep that records its waits and does not wait. */
export const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

/** One SQS record of the SIEM queue as Lambda's event source mapping hands it over. */
export const sqsRecord = (
  body: string,
  { messageId, receiptHandle, receiveCount = 1 }: { messageId: string; receiptHandle: string; receiveCount?: number },
): SQSRecord => ({
  messageId,
  receiptHandle,
  body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '1795773600000',
    SenderId: 'AIDAEVENTBRIDGE',
    ApproximateFirstReceiveTimestamp: '1795773600000',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:authtrail-dev-siem',
  awsRegion: 'eu-west-1',
});

export const SIEM_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/authtrail-dev-siem-dlq';

/** The deployed forwarder's environment for the dev stage, delivering to `url`. */
export const forwarderEnv = (url: string): Record<string, string | undefined> => ({
  AUTHTRAIL_STAGE: 'dev',
  AUTHTRAIL_CONFIG_FILE: join(ROOT, 'config', 'dev.json'),
  AUTHTRAIL_SIEM_URL: url,
  AUTHTRAIL_SIEM_DLQ_URL: SIEM_DLQ_URL,
  AUTHTRAIL_SIEM_SECRET_ID: 'authtrail/dev/siem',
  ...FAKE_AWS_CREDENTIALS,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});

export type ForwarderHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** functions/siem-forwarder.ts loaded afresh (a cold start) under `env`; the stubs are undone by forwarderTestBed. */
export const loadForwarder = (env: Record<string, string | undefined>): Promise<ForwarderHandler> =>
  loadFunction<ForwarderHandler>('siem-forwarder', env);

/**
 * What a forwarder test file needs around it: one receiver for the file, Secrets
 * Manager (mocked) answering with its secret, the SQS mock and the receiver's
 * faults reset before each test, stubbed environment undone after. `receiver` is
 * set once the file's beforeAll has run.
 */
export const forwarderTestBed = (sqs: { reset(): unknown }) => {
  const secretsManager = mockClient(SecretsManagerClient);
  const bed = { secret: newSecret(), secretsManager, receiver: undefined as unknown as SiemReceiver };
  beforeAll(async () => {
    bed.receiver = await startReceiver({ secrets: [bed.secret] });
  });
  afterAll(async () => {
    await bed.receiver.close();
  });
  beforeEach(() => {
    clearCaches();
    sqs.reset();
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhookSecrets: [bed.secret] }) });
    bed.receiver.setFaults([]);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return bed;
};
