/**
 * Splunk HTTP Event Collector specifics of delivery, as a Splunk admin deploys
 * HEC (https://help.splunk.com, "About HTTP Event Collector Indexer
 * Acknowledgment", "Format events for HTTP Event Collector"):
 *
 * - Channel: a token with indexer acknowledgment answers 400 (code 10, "Data
 *   channel is missing") to a request without `X-Splunk-Request-Channel`. Each
 *   forwarder (each sender: one per Lambda container or local run) sends on its
 *   own random GUID channel when `siem.splunk.channel` is `per-forwarder`, or
 *   when acknowledgment is on (acks are per channel).
 * - Acknowledgment (`siem.splunk.ack.enabled`): a 200 carries an `ackId`; the
 *   batch counts as delivered only once `POST /services/collector/ack`
 *   (`{"acks":[id]}` on the same channel) answers `{"acks":{"<id>":true}}`.
 *   Splunk answers false while indexing runs and for ids it does not know, so
 *   polling stops at `ack.timeoutMs`: the batch is then failed (retryable). A
 *   resend may index it twice: HEC does not dedupe, search by `authtrail_id`.
 * - Partial batch: a 400 with `invalid-event-number` n means events 0..n-1
 *   were accepted, event n is bad and the rest was not read: delivery
 *   dead-letters event n alone and sends the rest again.
 */
import { randomUUID } from 'node:crypto';

export const HEC_CHANNEL_HEADER = 'x-splunk-request-channel';

/** HEC status codes delivery reacts to (Splunk's "Troubleshoot HTTP Event Collector" table). */
export const HecCode = { Success: 0, DataChannelMissing: 10, InvalidDataChannel: 11, AckDisabled: 14 } as const;

export interface HecAnswer {
  code?: number;
  text?: string;
  ackId?: number;
  /** Index in the batch of the first event HEC refused. */
  invalidEventNumber?: number;
}

/** The JSON a HEC endpoint answers with; empty when the body is not HEC's. */
export const parseHecAnswer = (body: string): HecAnswer => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object') return {};
  const answer = parsed as Record<string, unknown>;
  const integer = (value: unknown) => (Number.isSafeInteger(value) ? (value as number) : undefined);
  const code = integer(answer.code);
  const ackId = integer(answer.ackId);
  const invalidEventNumber = integer(answer['invalid-event-number']);
  return {
    ...(code === undefined ? {} : { code }),
    ...(typeof answer.text === 'string' ? { text: answer.text } : {}),
    ...(ackId === undefined ? {} : { ackId }),
    ...(invalidEventNumber === undefined ? {} : { invalidEventNumber }),
  };
};

/** The acknowledgment endpoint of the HEC URL events go to (`…/services/collector[/event|/raw][/1.0]` -> `…/services/collector/ack`). */
export const hecAckUrl = (eventUrl: string): string => {
  const url = new URL(eventUrl);
  const at = url.pathname.indexOf('/services/collector');
  const prefix = at === -1 ? '' : url.pathname.slice(0, at);
  url.pathname = `${prefix}/services/collector/ack`;
  url.search = '';
  return url.toString();
};

export interface HecSettings {
  channel: 'none' | 'per-forwarder';
  ack: { enabled: boolean; pollIntervalMs: number; timeoutMs: number };
}

export const DEFAULT_HEC_SETTINGS: HecSettings = {
  channel: 'none',
  ack: { enabled: false, pollIntervalMs: 1_000, timeoutMs: 60_000 },
};

/** The channel this sender uses, if any: a fresh GUID per sender. */
export const hecChannelFor = (settings: HecSettings, newGuid: () => string = randomUUID): string | undefined =>
  settings.channel === 'per-forwarder' || settings.ack.enabled ? newGuid() : undefined;

/** Whether an ack answer confirms `ackId`. */
export const isAcknowledged = (body: string, ackId: number): boolean => {
  try {
    const acks = (JSON.parse(body) as { acks?: Record<string, unknown> }).acks;
    return acks?.[String(ackId)] === true;
  } catch {
    return false;
  }
};
