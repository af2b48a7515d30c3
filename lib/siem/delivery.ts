/**
 * Delivery of AuthEvents to one SIEM sink: filter by category, encode in the
 * sink's format, cut into batches capped by count and bytes, sign (Standard
 * Webhooks), POST, and retry what may succeed later. The Lambda forwarder, the
 * local forwarder and replay all deliver through `createSiemSender`.
 *
 * Per batch:
 * - 2xx: delivered.
 * - 429 / 503 with `Retry-After` (seconds or HTTP date): wait that long, if it is
 *   within `retry.maxRetryAfterMs` and the deadline; else give the batch back.
 * - 408, 425, 429, 5xx, timeouts and network errors: retried with exponential
 *   backoff and full jitter (delay = random() x min(maxDelay, base x 2^(n-1))).
 * - 413 for a batch of several: split in two and sent again (no attempt used).
 * - Any other status (4xx, 3xx): the SIEM refuses this content and will refuse
 *   it again: rejected with the reason, for the caller's DLQ.
 * Splunk HEC adds a channel, indexer acknowledgment and partial-batch 400s
 * (`invalid-event-number`: only that event is rejected, the rest resent): ./hec.ts.
 * A batch out of attempts or deadline is `failed` (retryable later: SQS
 * redelivers it, the local forwarder keeps it in its DLQ), and the batches after
 * it are not tried in this run: the SIEM is not taking anything right now.
 *
 * All I/O (HTTP, clock, sleep, randomness) comes in through DeliveryIo.
 */
import type { AuthEvent, Category } from '../auth-event/schema.ts';
import type { StageConfig } from '../config/schema.ts';
import { packBatches } from '../batches.ts';
import { ConfigError, messageOf } from '../errors.ts';
import { PIPELINE_VERSION } from '../version.ts';
import {
  framedBytes,
  encodeBody,
  encodeRecord,
  requireCredentials,
  siemFormat,
  type FormatCredentialKey,
  type SiemFormat,
  type SplunkOptions,
} from './formats/index.ts';
import type { HttpResponse, HttpSend } from './http.ts';
import { DEFAULT_HEC_SETTINGS, HEC_CHANNEL_HEADER, hecAckUrl, hecChannelFor, isAcknowledged, parseHecAnswer } from './hec.ts';
import { messageIdFor, secretKey, signatureHeaders } from './signing.ts';

export interface SinkSettings {
  url: string;
  format: SiemFormat;
  categories: readonly Category[];
  batch: { maxEvents: number; maxBytes: number };
  timeoutMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
  splunk: SplunkOptions;
}

/** The stage's SIEM settings with a URL (and optionally another format, e.g. `--siem-format`). */
export const sinkFromConfig = (
  siem: StageConfig['siem'],
  url: string,
  overrides: { format?: SiemFormat | undefined } = {},
): SinkSettings => ({
  url,
  format: overrides.format ?? siem.format,
  categories: siem.categories,
  batch: { ...siem.batch },
  timeoutMs: siem.timeoutMs,
  retry: { ...siem.retry },
  splunk: { ...siem.splunk },
});

/**
 * What authenticates us to the SIEM. Never logged. Beyond these two, one optional
 * field per credential a registered format needs (`hecToken` for `splunk-hec`:
 * lib/siem/formats/<name>.ts, `credentials`).
 */
export interface SiemCredentials extends Partial<Record<FormatCredentialKey, string | undefined>> {
  /** Active `whsec_…` secrets: every request carries one signature per secret. */
  webhookSecrets: readonly string[];
  /** A static header some SIEMs want (e.g. `Authorization: Bearer …`). */
  authHeader?: { name: string; value: string } | undefined;
}

export interface DeliveryIo {
  send: HttpSend;
  /** Epoch milliseconds. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): the jitter. */
  random: () => number;
}

export const systemDeliveryIo = (send: HttpSend): DeliveryIo => ({
  send,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});

export const EventStatus = { Delivered: 'delivered', Skipped: 'skipped', Rejected: 'rejected', Failed: 'failed' } as const;
export type EventStatus = (typeof EventStatus)[keyof typeof EventStatus];

export type EventResult =
  | { status: typeof EventStatus.Delivered }
  | { status: typeof EventStatus.Skipped }
  /** The SIEM refused it and would again: send it to the DLQ with the reason. */
  | { status: typeof EventStatus.Rejected; reason: string }
  /** Not delivered now, may be later: leave it to the queue's redelivery. */
  | { status: typeof EventStatus.Failed; reason: string };

export interface DeliveryReport {
  /** One per input event, same order. */
  results: EventResult[];
  delivered: number;
  skipped: number;
  rejected: number;
  failed: number;
  /** HTTP requests made, retries included. */
  requests: number;
}

/** One HTTP attempt, for logs, metrics and tests. */
export interface Attempt {
  batchId: string;
  attempt: number;
  events: number;
  bytes: number;
  status?: number;
  error?: string;
  /** Wait before the next attempt, when there is one. */
  retryInMs?: number;
}

export interface DeliverOptions {
  /** Epoch ms by which deliver() must have returned (Lambda: from getRemainingTimeInMillis). */
  deadlineAt?: number;
}

export interface SiemSender {
  readonly sink: SinkSettings;
  deliver(events: readonly AuthEvent[], options?: DeliverOptions): Promise<DeliveryReport>;
}

/** Below this much time left, a request is not started: it could not finish. */
const MIN_REQUEST_MS = 100;

interface Encoded {
  index: number;
  id: string;
  record: string;
  bytes: number;
}

export interface BatchPlan<T> {
  batches: T[][];
  /** Items that alone exceed the byte cap. */
  oversized: T[];
}

/** The SQS message attribute a dead-lettered message carries its reason in (forwarder writes, redrive reads). */
export const REASON_ATTRIBUTE = 'authtrail-reason';

/** Cuts records into batches of at most `maxEvents` and `maxBytes` (whole body, framing included). */
const planBatches = <T extends { bytes: number }>(
  format: SiemFormat,
  items: readonly T[],
  limits: { maxEvents: number; maxBytes: number },
): BatchPlan<T> => {
  const fits = (count: number, bytes: number) => framedBytes(format, count, bytes) <= limits.maxBytes;
  const sendable: T[] = [];
  const oversized: T[] = [];
  for (const item of items) (fits(1, item.bytes) ? sendable : oversized).push(item);
  return { batches: packBatches(sendable, limits.maxEvents, fits), oversized };
};

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | string[] | undefined, nowMs: number): number | undefined => {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
};

/** Full-jitter exponential backoff before attempt `attempt + 1`. */
const backoffMs = (attempt: number, retry: SinkSettings['retry'], random: () => number): number =>
  Math.floor(random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));

type Verdict =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number | undefined }
  | { kind: 'split'; reason: string }
  | { kind: 'reject'; reason: string };

/** Status and body size only: a SIEM's answer may echo our headers (an API key) or the events, and reasons reach logs and DLQ attributes. */
/**
 * Why a SIEM refused: the status and the body's size, never the body (a SIEM may echo headers or keys). The one
 * exception is Splunk's numeric HEC status code (10 "Data channel is missing", 6 "Invalid data format", …): a
 * number from Splunk's documented table that tells an operator what to fix, and cannot carry our data back.
 */
const reasonOf = (response: HttpResponse): string => {
  const bytes = response.bodyBytes ?? Buffer.byteLength(response.body);
  const hecCode = parseHecAnswer(response.body).code;
  return `HTTP ${response.status}${bytes === 0 ? '' : ` (${bytes}-byte body)`}${hecCode === undefined ? '' : `, HEC code ${hecCode}`}`;
};

const judge = (response: HttpResponse, batchSize: number, nowMs: number): Verdict => {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 429 || status === 503) {
    return { kind: 'retry', reason: reasonOf(response), retryAfterMs: parseRetryAfter(response.headers['retry-after'], nowMs) };
  }
  if (status === 408 || status === 425 || status >= 500) return { kind: 'retry', reason: reasonOf(response) };
  if (status === 413 && batchSize > 1) return { kind: 'split', reason: reasonOf(response) };
  return { kind: 'reject', reason: reasonOf(response) };
};

export const createSiemSender = (options: {
  sink: SinkSettings;
  credentials: SiemCredentials;
  io: DeliveryIo;
  onAttempt?: (attempt: Attempt) => void;
}): SiemSender => {
  const { sink, credentials, io } = options;
  if (credentials.webhookSecrets.length === 0) {
    throw new ConfigError('SIEM delivery needs at least one webhook secret (whsec_…) to sign with');
  }
  const keys = credentials.webhookSecrets.map((secret) => secretKey(secret));
  const format = siemFormat(sink.format);
  const formatHeaders = format.headers(requireCredentials(format, credentials));
  const staticHeaders: Record<string, string> = { 'user-agent': `authtrail/${PIPELINE_VERSION}` };
  if (credentials.authHeader !== undefined) staticHeaders[credentials.authHeader.name.toLowerCase()] = credentials.authHeader.value;
  // A format's own authentication (HEC's Authorization scheme) wins over a static header of the same name.
  Object.assign(staticHeaders, formatHeaders);
  const onAttempt = options.onAttempt ?? (() => undefined);
  const formatOptions = { splunk: sink.splunk };
  // Splunk HEC channel and indexer acknowledgment (./hec.ts), for formats that speak HEC: one GUID channel for this sender's life.
  const isHec = format.hecProtocol === true;
  const hecAck = { ...DEFAULT_HEC_SETTINGS.ack, ...sink.splunk.ack };
  const hecChannel = isHec ? hecChannelFor({ channel: sink.splunk.channel ?? 'none', ack: hecAck }) : undefined;
  if (hecChannel !== undefined) staticHeaders[HEC_CHANNEL_HEADER] = hecChannel;

  /**
   * Polls /services/collector/ack until Splunk confirms `ackId`, the ack timeout
   * or the deadline; undefined when confirmed, else why not.
   */
  const awaitHecAck = async (ackId: number, deadlineAt: number): Promise<string | undefined> => {
    const ackUrl = hecAckUrl(sink.url);
    const body = JSON.stringify({ acks: [ackId] });
    const ackGiveUpAt = io.now() + hecAck.timeoutMs;
    const giveUpAt = Math.min(ackGiveUpAt, deadlineAt - MIN_REQUEST_MS);
    let last = 'not acknowledged yet';
    for (;;) {
      if (io.now() + hecAck.pollIntervalMs > giveUpAt) {
        const limit = giveUpAt === ackGiveUpAt ? `within ${hecAck.timeoutMs} ms` : 'before the deadline';
        return `indexer acknowledgment ${ackId} not confirmed ${limit} (${last})`;
      }
      await io.sleep(hecAck.pollIntervalMs);
      // Each poll gets the usual request timeout, within the deadline (not within the ack timeout, which only stops new polls).
      const pollTimeoutMs = Math.min(sink.timeoutMs, deadlineAt - io.now());
      if (pollTimeoutMs < MIN_REQUEST_MS) return `deadline reached waiting for indexer acknowledgment ${ackId} (${last})`;
      try {
        const response = await io.send({
          url: ackUrl,
          headers: { ...staticHeaders, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(pollTimeoutMs),
        });
        if (response.status === 200 && isAcknowledged(response.body, ackId)) return undefined;
        last = response.status === 200 ? 'not acknowledged yet' : `ack endpoint HTTP ${response.status}`;
      } catch (error) {
        last = `ack endpoint ${(error as Error).name}`;
      }
    }
  };

  return {
    sink,
    deliver: async (events, deliverOptions = {}) => {
      const deadlineAt = deliverOptions.deadlineAt ?? Number.POSITIVE_INFINITY;
      const results: EventResult[] = events.map(() => ({ status: EventStatus.Skipped }));
      const settle = (items: readonly Encoded[], result: EventResult) => {
        for (const item of items) results[item.index] = result;
      };
      let requests = 0;

      const wanted: Encoded[] = [];
      events.forEach((event, index) => {
        if (!sink.categories.includes(event.category)) return;
        const record = encodeRecord(sink.format, event, formatOptions);
        wanted.push({ index, id: event.id, record, bytes: Buffer.byteLength(record) });
      });
      const plan = planBatches(sink.format, wanted, sink.batch);
      for (const item of plan.oversized) {
        results[item.index] = {
          status: EventStatus.Rejected,
          reason: `event of ${item.bytes} bytes exceeds siem.batch.maxBytes (${sink.batch.maxBytes})`,
        };
      }

      /** Sends one batch with retries; returns the verdict for its events. */
      const sendBatch = async (
        batch: readonly Encoded[],
      ): Promise<{ result: EventResult; split?: Encoded[][]; partial?: { accepted: Encoded[]; refused: Encoded; rest: Encoded[] } }> => {
        const { body, contentType } = encodeBody(sink.format, batch.map((item) => item.record));
        const bytes = Buffer.byteLength(body);
        const batchId = messageIdFor([sink.format, ...batch.map((item) => item.id)]);
        let lastReason = 'not attempted';
        for (let attempt = 1; attempt <= sink.retry.maxAttempts; attempt += 1) {
          const left = deadlineAt - io.now();
          if (left < MIN_REQUEST_MS) {
            return { result: { status: EventStatus.Failed, reason: `deadline reached (last error: ${lastReason})` } };
          }
          const timeoutMs = Math.min(sink.timeoutMs, left);
          const timestamp = Math.floor(io.now() / 1000);
          const headers = {
            ...staticHeaders,
            'content-type': contentType,
            ...signatureHeaders(keys, batchId, timestamp, body),
          };
          requests += 1;
          let verdict: Verdict;
          let status: number | undefined;
          let answerBody = '';
          try {
            const response = await io.send({ url: sink.url, headers, body, signal: AbortSignal.timeout(timeoutMs) });
            status = response.status;
            answerBody = response.body;
            verdict = judge(response, batch.length, io.now());
          } catch (error) {
            const name = (error as Error).name;
            const reason =
              name === 'TimeoutError' || name === 'AbortError'
                ? `no answer within ${timeoutMs} ms`
                : `${name}: ${messageOf(error)}`;
            verdict = { kind: 'retry', reason };
          }
          const logged: Attempt = { batchId, attempt, events: batch.length, bytes, ...(status === undefined ? {} : { status }) };
          if (verdict.kind === 'ok') {
            onAttempt(logged);
            const ackId = isHec && hecAck.enabled ? parseHecAnswer(answerBody).ackId : undefined;
            if (ackId !== undefined) {
              const unconfirmed = await awaitHecAck(ackId, deadlineAt);
              if (unconfirmed !== undefined) return { result: { status: EventStatus.Failed, reason: unconfirmed } };
            }
            return { result: { status: EventStatus.Delivered } };
          }
          if (verdict.kind === 'reject') {
            onAttempt({ ...logged, error: verdict.reason });
            // HEC refused one event of the batch: the ones before it are in, the ones after it were not read.
            const invalid = isHec && status === 400 ? parseHecAnswer(answerBody).invalidEventNumber : undefined;
            if (invalid !== undefined && invalid >= 0 && invalid < batch.length && batch.length > 1) {
              const refused = batch[invalid] as Encoded;
              return {
                result: { status: EventStatus.Rejected, reason: `${verdict.reason} (event ${invalid} of the batch, not retried)` },
                partial: { accepted: batch.slice(0, invalid), refused, rest: batch.slice(invalid + 1) },
              };
            }
            return { result: { status: EventStatus.Rejected, reason: `${verdict.reason} (not retried)` } };
          }
          if (verdict.kind === 'split') {
            onAttempt({ ...logged, error: verdict.reason });
            const half = Math.ceil(batch.length / 2);
            return { result: { status: EventStatus.Failed, reason: verdict.reason }, split: [batch.slice(0, half), batch.slice(half)] };
          }
          lastReason = verdict.reason;
          if (attempt === sink.retry.maxAttempts) {
            onAttempt({ ...logged, error: verdict.reason });
            break;
          }
          let waitMs: number;
          if (verdict.retryAfterMs !== undefined) {
            if (verdict.retryAfterMs > sink.retry.maxRetryAfterMs) {
              onAttempt({ ...logged, error: verdict.reason });
              return {
                result: {
                  status: EventStatus.Failed,
                  reason: `${verdict.reason}; Retry-After ${Math.ceil(verdict.retryAfterMs / 1000)} s is longer than siem.retry.maxRetryAfterMs`,
                },
              };
            }
            waitMs = verdict.retryAfterMs;
          } else {
            waitMs = backoffMs(attempt, sink.retry, io.random);
          }
          if (io.now() + waitMs + MIN_REQUEST_MS > deadlineAt) {
            onAttempt({ ...logged, error: verdict.reason });
            return { result: { status: EventStatus.Failed, reason: `deadline reached (last error: ${verdict.reason})` } };
          }
          onAttempt({ ...logged, error: verdict.reason, retryInMs: waitMs });
          await io.sleep(waitMs);
        }
        return {
          result: { status: EventStatus.Failed, reason: `gave up after ${sink.retry.maxAttempts} attempt(s): ${lastReason}` },
        };
      };

      const pending = [...plan.batches];
      while (pending.length > 0) {
        const batch = pending.shift() as Encoded[];
        const { result, split, partial } = await sendBatch(batch);
        if (split !== undefined) {
          pending.unshift(...split);
          continue;
        }
        if (partial !== undefined) {
          settle(partial.accepted, { status: EventStatus.Delivered });
          settle([partial.refused], result);
          if (partial.rest.length > 0) pending.unshift(partial.rest);
          continue;
        }
        settle(batch, result);
        if (result.status === EventStatus.Failed) {
          // The SIEM is not taking batches now: leave the rest for the queue's redelivery.
          for (const rest of pending) settle(rest, { status: EventStatus.Failed, reason: `not attempted: ${result.reason}` });
          break;
        }
      }

      const count = (status: EventStatus) => results.filter((result) => result.status === status).length;
      return {
        results,
        delivered: count(EventStatus.Delivered),
        skipped: count(EventStatus.Skipped),
        rejected: count(EventStatus.Rejected),
        failed: count(EventStatus.Failed),
        requests,
      };
    },
  };
};
