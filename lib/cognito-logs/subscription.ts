/**
 * The payload a CloudWatch Logs subscription filter hands a Lambda function:
 * `{ awslogs: { data } }`, where `data` is base64 of gzip of a JSON document with
 * the log group, the stream and `logEvents[]` (`id`, `timestamp`, `message`).
 * Subscriptions also send a CONTROL_MESSAGE when they start, to check the
 * destination is reachable: it carries no log events of ours.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { formatIssues } from '../config/load.ts';
import { AuthtrailError, messageOf } from '../errors.ts';
import { parseJson } from '../json-parse.ts';

export const SubscriptionEventSchema = z.object({ awslogs: z.object({ data: z.string().min(1) }) });

export const LogsDataSchema = z.object({
  messageType: z.string(),
  owner: z.string().optional(),
  logGroup: z.string(),
  logStream: z.string(),
  subscriptionFilters: z.array(z.string()).optional(),
  logEvents: z.array(z.object({ id: z.string(), timestamp: z.number(), message: z.string() })),
});
export type LogsData = z.infer<typeof LogsDataSchema>;

/** A subscription payload that cannot be read at all: nothing in it can be used. */
export class SubscriptionPayloadError extends AuthtrailError {
  readonly code = 'INVALID_SUBSCRIPTION_PAYLOAD' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SubscriptionPayloadError';
  }
}

export const decodeSubscriptionEvent = (event: unknown): LogsData => {
  const envelope = SubscriptionEventSchema.safeParse(event);
  if (!envelope.success) {
    throw new SubscriptionPayloadError(`not a CloudWatch Logs subscription event: ${formatIssues(envelope.error.issues)}`, {
      cause: envelope.error,
    });
  }
  let text: string;
  try {
    text = gunzipSync(Buffer.from(envelope.data.awslogs.data, 'base64')).toString('utf8');
  } catch (error) {
    // zlib's messages ("incorrect header check") carry no data.
    throw new SubscriptionPayloadError(`awslogs.data is not base64 gzip: ${messageOf(error)}`, { cause: error });
  }
  let json: unknown;
  try {
    json = parseJson(text, 'awslogs.data');
  } catch (error) {
    throw new SubscriptionPayloadError(messageOf(error), { cause: error });
  }
  const data = LogsDataSchema.safeParse(json);
  if (!data.success) {
    throw new SubscriptionPayloadError(`awslogs.data: ${formatIssues(data.error.issues)}`, { cause: data.error });
  }
  return data.data;
};

/** The inverse, for tests and local replays: what CloudWatch Logs would send. */
export const encodeSubscriptionEvent = (data: LogsData): { awslogs: { data: string } } => {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(data), 'utf8')).toString('base64') } };
};
