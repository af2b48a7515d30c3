/**
 * The step of the `security-lake-writer` function (functions/security-lake-writer.ts,
 * docs/security-lake.md): queue messages (EventBridge envelopes, as
 * the SIEM rule queues them) in, Parquet objects put to the custom sources'
 * bucket, one verdict per message out.
 *
 * - A message that is no envelope of a valid AuthEvent, or whose event cannot name
 *   a partition, is dead-lettered at once with the reason: no retry makes it valid.
 * - A put that fails is tried again (up to `maxAttempts`, with backoff). When it
 *   still fails, the object's messages go back to the queue; on their last receive
 *   they are dead-lettered with the reason instead, so the DLQ says why.
 * - Nothing is written twice for one delivery: an object's key is a hash of the
 *   ids it holds (./objects.ts), so writing the same messages again overwrites the
 *   same key with the same content.
 * - No put is started that could outlast the invocation (`deadlineAt`, from
 *   Lambda's remaining time): each attempt is aborted after `putTimeoutMs`, and an
 *   attempt (or a backoff before one) that cannot end before the deadline is not
 *   begun; its messages go back to SQS. A timed-out invocation would make SQS
 *   redeliver the whole batch, objects already put included, and a redelivery
 *   grouped with other messages makes other keys: the same rows twice in the lake.
 *   What is left of that window (a put aborted after S3 took it; a crash): the
 *   dedupe query in docs/security-lake.md.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuthEvent } from '../auth-event/schema.ts';
import { messageOf } from '../errors.ts';
import type { DeadLetterSink } from '../siem/forwarder.ts';
import { parseEnvelope } from '../siem/forward.ts';
import { securityLakeObjects, type SecurityLakeTarget } from './objects.ts';
import { encodeParquet } from './parquet.ts';

export interface LakeMessage {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}

/** Puts one object under its key; rejects when the store did not take it or `signal` aborted the request. */
export type PutObject = (key: string, body: Uint8Array, signal?: AbortSignal) => Promise<void>;

/**
 * PutObject into the lake's bucket (the custom source's location from
 * `create-custom-log-source`), with a client holding the provider role's credentials.
 */
export const s3PutObject =
  (s3: S3Client, bucket: string): PutObject =>
  async (key, body, signal) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/vnd.apache.parquet' }), { abortSignal: signal });
  };

export interface LakeWriterDeps {
  put: PutObject;
  target: SecurityLakeTarget;
  deadLetters: DeadLetterSink;
  /** Attempts per object within one invocation. */
  maxAttempts: number;
  /** The queue's maxReceiveCount: a message received this often is dead-lettered, not retried. */
  maxReceives: number;
  baseDelayMs: number;
  /** The longest one put attempt may take: it is aborted then. */
  putTimeoutMs: number;
  /** Epoch ms by which the step must have returned; no attempt is begun that could end later. */
  deadlineAt: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LakeWriteResult {
  /** Message ids for SQS to deliver again (ReportBatchItemFailures). */
  retry: string[];
  objects: number;
  events: number;
  deadLettered: number;
  /** The first reasons, for the log (no payloads). */
  reasons: string[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Puts with retries, each attempt bounded by `putTimeoutMs`, none begun that could
 * end after the deadline; the reason when none took.
 */
const putWithRetries = async (key: string, body: Uint8Array, deps: LakeWriterDeps): Promise<string | undefined> => {
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const fits = (waitMs: number) => now() + waitMs + deps.putTimeoutMs <= deps.deadlineAt;
  let lastError: unknown;
  let attempts = 0;
  for (let attempt = 1; attempt <= deps.maxAttempts; attempt += 1) {
    const delayMs = attempt === 1 ? 0 : deps.baseDelayMs * 2 ** (attempt - 2);
    if (!fits(delayMs)) break;
    if (delayMs > 0) await sleep(delayMs);
    attempts = attempt;
    try {
      await deps.put(key, body, AbortSignal.timeout(deps.putTimeoutMs));
      return undefined;
    } catch (error) {
      lastError = error;
    }
  }
  if (attempts === 0) return DEADLINE_REASON;
  const name = lastError instanceof Error ? lastError.name : 'Error';
  const within = attempts < deps.maxAttempts ? ' before the invocation\'s deadline' : '';
  return `put to the Security Lake failed after ${attempts} attempt(s)${within}: ${name}: ${messageOf(lastError).slice(0, 200)}`;
};

/** Why an object was not put at all: the invocation had no time left for one attempt. */
export const DEADLINE_REASON = "put to the Security Lake not attempted: the invocation's deadline left no time for it";

export const writeLakeMessages = async (messages: readonly LakeMessage[], deps: LakeWriterDeps): Promise<LakeWriteResult> => {
  const letters: { messageId: string; body: string; reason: string }[] = [];
  const retry = new Set<string>();
  const events: AuthEvent[] = [];
  const messagesOf = new Map<string, LakeMessage[]>();
  for (const message of messages) {
    const parsed = parseEnvelope(message.body);
    if (!parsed.ok) {
      letters.push({ messageId: message.messageId, body: message.body, reason: parsed.reason });
      continue;
    }
    events.push(parsed.event);
    messagesOf.set(parsed.event.id, [...(messagesOf.get(parsed.event.id) ?? []), message]);
  }
  const { objects, refused } = securityLakeObjects(events, deps.target);
  for (const { id, reason } of refused) {
    for (const message of messagesOf.get(id) ?? []) letters.push({ messageId: message.messageId, body: message.body, reason });
  }
  let written = 0;
  let writtenEvents = 0;
  for (const object of objects) {
    const failure = await putWithRetries(object.key, encodeParquet(object.classUid, object.records), deps);
    if (failure === undefined) {
      written += 1;
      writtenEvents += object.records.length;
      continue;
    }
    for (const record of object.records) {
      for (const message of messagesOf.get(record.metadata.uid) ?? []) {
        if (message.receiveCount >= deps.maxReceives) letters.push({ messageId: message.messageId, body: message.body, reason: failure });
        else retry.add(message.messageId);
      }
    }
  }
  // A dead letter the DLQ did not take goes back to the queue: nothing accepted is lost.
  const unsent = await deps.deadLetters(letters);
  for (const messageId of unsent) retry.add(messageId);
  return {
    retry: [...retry],
    objects: written,
    events: writtenEvents,
    deadLettered: letters.length - unsent.length,
    reasons: [...new Set(letters.map((letter) => letter.reason))].slice(0, 5),
  };
};
