/** The sample log records, and a CloudWatch Logs subscription payload built from them the way CloudWatch Logs does. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSubscriptionEvent } from '../../lib/cognito-logs/subscription.ts';
import { ROOT } from '../helpers/fixtures.ts';

const SAMPLE_FILE = join(ROOT, 'events', 'cognito-logs', 'user-auth-events.ndjson');

/** The sample records as the log group holds them: one JSON text per line. */
export const sampleLines = (): string[] => readFileSync(SAMPLE_FILE, 'utf8').split('\n').filter((line) => line !== '');

export const sampleRecord = (index: number): Record<string, any> => JSON.parse(sampleLines()[index] ?? 'null');

/** `{ awslogs: { data } }`: base64 of gzip of the logs document, as a subscription filter delivers it. */
export const subscriptionPayload = (messages: readonly string[], messageType = 'DATA_MESSAGE') =>
  encodeSubscriptionEvent({
    messageType,
    owner: '123456789012',
    logGroup: '/aws/vendedlogs/cognito/authtrail-dev',
    logStream: 'eu-west-1_Xq9Lk2MfA',
    subscriptionFilters: ['authtrail-dev-cognito-log-events'],
    logEvents: messages.map((message, index) => ({
      id: `3795773492345000000000000000000000000000000000000${index}`,
      timestamp: 1795773492345 + index,
      message,
    })),
  });
