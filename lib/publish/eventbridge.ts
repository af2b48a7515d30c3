/**
 * Publishes AuthEvents to the stage's EventBridge bus under a hard deadline.
 *
 * - Entries are fitted to the 256 KB entry limit (./fit.ts) and sent in calls of
 *   at most 10 entries and 256 KB.
 * - When EventBridge reports some entries failed (FailedEntryCount), only those
 *   are sent again, with a short backoff, while the deadline allows.
 * - The deadline is an AbortSignal handed to the SDK, whose own retries and
 *   socket timeouts are configured to fit inside it (createEventBridgeClient).
 * What is still undelivered at the end is thrown as PublishError.undelivered:
 * the caller spills it, so nothing is lost.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AuthEvent } from '../auth-event/schema.ts';
import { packBatches } from '../batches.ts';
import { messageOf } from '../errors.ts';
import { MAX_ENTRY_BYTES, fitEntry, type Fitted } from './fit.ts';
import { PublishError, type EventSink } from '../sinks/sink.ts';

/** PutEvents accepts at most 10 entries and 256 KB per call. */
const PUT_EVENTS_MAX_ENTRIES = 10;
const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/**
 * One client per container: keep-alive sockets, and SDK retries and timeouts
 * that fit inside the publish deadline (one retry, connect within 200 ms).
 */
export const createEventBridgeClient = (deadlineMs: number, endpoint?: string): EventBridgeClient =>
  new EventBridgeClient({
    maxAttempts: 2,
    ...(endpoint === undefined ? {} : { endpoint }),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(200, deadlineMs),
      requestTimeout: deadlineMs,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
    }),
  });

export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  busName: string;
  /** Hard limit for one publish call, all retries included. */
  deadlineMs: number;
  maxEntryBytes?: number;
  /** Waits between resend rounds; replaceable so tests and benchmarks do not sleep. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Splits entries into PutEvents calls within the count and byte limits. */
export const batchesOf = (items: readonly Fitted[]): Fitted[][] =>
  packBatches(items, PUT_EVENTS_MAX_ENTRIES, (_count, bytes) => bytes <= PUT_EVENTS_MAX_BYTES);

export const createEventBridgePublisher = (options: EventBridgePublisherOptions): EventSink => {
  const limit = options.maxEntryBytes ?? MAX_ENTRY_BYTES;
  const sleep = options.sleep ?? abortableSleep;
  return {
    publish: async (events: readonly AuthEvent[]) => {
      const fitted = events.map((event) => fitEntry(event, limit));
      const oversized = fitted.filter((item) => item.bytes > limit).map((item) => item.event);
      let pending = fitted.filter((item) => item.bytes <= limit);
      const signal = AbortSignal.timeout(options.deadlineMs);
      let lastError = oversized.length > 0 ? `${oversized.length} event(s) over ${limit} bytes after trimming` : '';

      for (let round = 0; pending.length > 0 && !signal.aborted; round += 1) {
        if (round > 0) await sleep(Math.min(25 * 2 ** (round - 1), 200), signal);
        if (signal.aborted) break;
        const failed: Fitted[] = [];
        for (const batch of batchesOf(pending)) {
          try {
            const output = await options.client.send(
              new PutEventsCommand({ Entries: batch.map((item) => ({ ...item.entry, EventBusName: options.busName })) }),
              { abortSignal: signal },
            );
            if ((output.FailedEntryCount ?? 0) === 0) continue;
            batch.forEach((item, index) => {
              const result = output.Entries?.[index];
              // No result for an entry counts as a failure: never assume delivery.
              if (result === undefined || result.ErrorCode !== undefined) {
                failed.push(item);
                lastError = `${result?.ErrorCode ?? 'MissingResult'}: ${result?.ErrorMessage ?? 'no result for entry'}`;
              }
            });
          } catch (error) {
            failed.push(...batch);
            if (!signal.aborted) lastError = `${(error as Error).name}: ${messageOf(error)}`;
          }
        }
        pending = failed;
      }

      const undelivered = [...oversized, ...pending.map((item) => item.event)];
      if (undelivered.length > 0) {
        if (signal.aborted && pending.length > 0) {
          lastError = `deadline of ${options.deadlineMs} ms exceeded${lastError === '' ? '' : ` (last error: ${lastError})`}`;
        }
        throw new PublishError(`${undelivered.length} of ${events.length} event(s) not published: ${lastError}`, undelivered);
      }
    },
  };
};

/**
 * The publisher a function or command builds: its own client, whose connection and
 * request timeouts follow the same deadline, on `busName` (`endpoint`: a local
 * EventBridge in offline runs, tests and benchmarks).
 */
export const createBusPublisher = (options: { busName: string; deadlineMs: number; endpoint?: string | undefined }): EventSink =>
  createEventBridgePublisher({
    client: createEventBridgeClient(options.deadlineMs, options.endpoint),
    busName: options.busName,
    deadlineMs: options.deadlineMs,
  });
