/**
 * Publishes AuthEvents to the stage's EventBridge bus with PutEvents: at most 10
 * entries per call, and only the entries EventBridge reports as failed are sent
 * again.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AuthEvent } from '../auth-event/schema.ts';
import { toBusEntry } from '../routing/bus-entry.ts';
import type { EventSink } from './sink.ts';

/** PutEvents accepts at most this many entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

export class PublishError extends Error {
  readonly failed: number;
  constructor(message: string, failed: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
    this.failed = failed;
  }
}

export interface EventBridgeSinkOptions {
  client: EventBridgeClient;
  busName: string;
  /** Rounds of resending partially failed entries. */
  resendAttempts?: number;
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
};

export const createEventBridgeSink = ({ client, busName, resendAttempts = 2 }: EventBridgeSinkOptions): EventSink => ({
  publish: async (events: readonly AuthEvent[]) => {
    let pending: PutEventsRequestEntry[] = events.map((event) => ({ ...toBusEntry(event), EventBusName: busName }));
    for (let attempt = 0; attempt <= resendAttempts && pending.length > 0; attempt += 1) {
      const failed: PutEventsRequestEntry[] = [];
      for (const batch of chunks(pending, PUT_EVENTS_MAX_ENTRIES)) {
        const output = await client.send(new PutEventsCommand({ Entries: batch }));
        if ((output.FailedEntryCount ?? 0) === 0) continue;
        output.Entries?.forEach((result, index) => {
          const entry = batch[index];
          if (result.ErrorCode !== undefined && entry !== undefined) failed.push(entry);
        });
      }
      pending = failed;
    }
    if (pending.length > 0) {
      throw new PublishError(`PutEvents left ${pending.length} of ${events.length} entries unpublished`, pending.length);
    }
  },
});
