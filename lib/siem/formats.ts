/**
 * The four wire formats a SIEM can ingest, as request bodies built from
 * AuthEvents. Each event is encoded on its own first (one "record"), so batching
 * can count bytes before a body exists; a body is the records joined by the
 * format's framing. Every record carries the AuthEvent id, so a SIEM can drop
 * Cognito's retries and our redeliveries.
 *
 * - `ndjson`: one AuthEvent per line (`application/x-ndjson`).
 * - `json`: one JSON array of AuthEvents (`application/json`).
 * - `splunk-hec`: Splunk HTTP Event Collector envelopes, concatenated (one per
 *   line, which HEC accepts), `Authorization: Splunk <token>` added by delivery.
 * - `ocsf`: one OCSF 1.3.0 event per line (./ocsf.ts for the mapping).
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import type { HecSettings } from './hec.ts';
import { toOcsf } from './ocsf.ts';

export const SiemFormat = { Ndjson: 'ndjson', Json: 'json', SplunkHec: 'splunk-hec', Ocsf: 'ocsf' } as const;
export type SiemFormat = (typeof SiemFormat)[keyof typeof SiemFormat];
export const SIEM_FORMATS = Object.values(SiemFormat);

export const isSiemFormat = (value: string): value is SiemFormat => (SIEM_FORMATS as string[]).includes(value);

export interface SplunkOptions {
  sourcetype: string;
  source: string;
  index?: string | undefined;
  host?: string | undefined;
  /** HEC channel and indexer acknowledgment (./hec.ts); absent: neither. */
  channel?: HecSettings['channel'] | undefined;
  ack?: HecSettings['ack'] | undefined;
}

export interface FormatOptions {
  splunk: SplunkOptions;
}

const DEFAULT_FORMAT_OPTIONS: FormatOptions = {
  splunk: { sourcetype: 'authtrail:authevent', source: 'authtrail' },
};

/** How records are joined into one body. */
interface Framing {
  open: string;
  separator: string;
  close: string;
  contentType: string;
}

const FRAMING: Readonly<Record<SiemFormat, Framing>> = {
  [SiemFormat.Ndjson]: { open: '', separator: '\n', close: '\n', contentType: 'application/x-ndjson' },
  [SiemFormat.Json]: { open: '[', separator: ',', close: ']', contentType: 'application/json' },
  [SiemFormat.SplunkHec]: { open: '', separator: '\n', close: '\n', contentType: 'application/json' },
  [SiemFormat.Ocsf]: { open: '', separator: '\n', close: '\n', contentType: 'application/x-ndjson' },
};

/**
 * The Splunk HEC envelope of one event; `fields` are indexed fields, searchable
 * without parsing `event` (e.g. `| tstats count where authtrail_outcome=denied`).
 * No indexed field has the name of a key of the event: with the sourcetype's
 * JSON extraction (splunk/default/props.conf) a field of both would turn
 * multivalue, and `action` is the CIM Authentication field (success / failure).
 */
export const toSplunkHec = (event: AuthEvent, options: SplunkOptions) => ({
  // HEC wants epoch seconds; milliseconds go in the fraction. The event time: when Cognito logged it
  // for Cognito log events (read later, in batches), else when the trigger ran; as in the OCSF records.
  time: Date.parse(event.cognitoLog?.at ?? event.time) / 1000,
  host: options.host ?? `cognito-idp.${event.userPool.region}`,
  source: options.source,
  sourcetype: options.sourcetype,
  ...(options.index === undefined ? {} : { index: options.index }),
  event,
  fields: {
    authtrail_id: event.id,
    authtrail_category: event.category,
    authtrail_action: event.action,
    authtrail_outcome: event.outcome,
    authtrail_stage: event.stage,
    user_pool_id: event.userPool.id,
  },
});

/** One event as its format's record (a JSON text without framing). */
export const encodeRecord = (format: SiemFormat, event: AuthEvent, options: FormatOptions = DEFAULT_FORMAT_OPTIONS): string => {
  switch (format) {
    case SiemFormat.Ndjson:
    case SiemFormat.Json:
      return JSON.stringify(event);
    case SiemFormat.SplunkHec:
      return JSON.stringify(toSplunkHec(event, options.splunk));
    case SiemFormat.Ocsf:
      return JSON.stringify(toOcsf(event));
  }
};

/** Bytes of a body of `count` records totalling `recordBytes`: what batching adds up as it goes. */
export const framedBytes = (format: SiemFormat, count: number, recordBytes: number): number => {
  const { open, separator, close } = FRAMING[format];
  return open.length + close.length + separator.length * Math.max(0, count - 1) + recordBytes;
};


export interface EncodedBody {
  body: string;
  contentType: string;
}

export const encodeBody = (format: SiemFormat, records: readonly string[]): EncodedBody => {
  const { open, separator, close, contentType } = FRAMING[format];
  return { body: open + records.join(separator) + close, contentType };
};

export const encodeEvents = (
  format: SiemFormat,
  events: readonly AuthEvent[],
  options: FormatOptions = DEFAULT_FORMAT_OPTIONS,
): EncodedBody => encodeBody(format, events.map((event) => encodeRecord(format, event, options)));
