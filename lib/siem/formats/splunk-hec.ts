/**
 * `splunk-hec`: Splunk HTTP Event Collector envelopes, concatenated (one per
 * line, which HEC accepts), `application/json`, authenticated by
 * `Authorization: Splunk <token>`. Its protocol beyond the body (channel,
 * indexer acknowledgment, partial batches) is lib/siem/hec.ts.
 */
import { occurredAt } from '../../auth-event/occurred-at.ts';
import type { AuthEvent } from '../../auth-event/schema.ts';
import type { HecSettings } from '../hec.ts';
import { DecodeError, authEventIdOf, defineSiemFormat, isJsonObject } from './format.ts';

export interface SplunkOptions {
  sourcetype: string;
  source: string;
  index?: string | undefined;
  host?: string | undefined;
  /** HEC channel and indexer acknowledgment (lib/siem/hec.ts); absent: neither. */
  channel?: HecSettings['channel'] | undefined;
  ack?: HecSettings['ack'] | undefined;
}

/**
 * The Splunk HEC envelope of one event; `fields` are indexed fields, searchable
 * without parsing `event` (e.g. `| tstats count where authtrail_outcome=denied`).
 * No indexed field has the name of a key of the event: with the sourcetype's
 * JSON extraction (splunk/default/props.conf) a field of both would turn
 * multivalue, and `action` is the CIM Authentication field (success / failure).
 */
export const toSplunkHec = (event: AuthEvent, options: SplunkOptions) => ({
  // HEC wants epoch seconds; milliseconds go in the fraction. When it happened (occurredAt), as the OCSF records:
  // Cognito log and CloudTrail events are read minutes later, a replay or a recovery days later.
  time: Date.parse(occurredAt(event)) / 1000,
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

export const splunkHec = defineSiemFormat({
  name: 'splunk-hec',
  contentType: 'application/json',
  framing: { open: '', separator: '\n', close: '\n' },
  encodeRecord: (event, options) => JSON.stringify(toSplunkHec(event, options.splunk)),
  credentials: [{ key: 'hecToken', env: 'AUTHTRAIL_SIEM_HEC_TOKEN', description: 'a HEC token' }],
  headers: ({ hecToken }) => ({ authorization: `Splunk ${hecToken}` }),
  readRecord: (record) => {
    if (!isJsonObject(record.event) || !('sourcetype' in record)) return undefined;
    const id = authEventIdOf(record.event.id);
    if (id === undefined) throw new DecodeError('HEC envelope without event.id');
    return id;
  },
  recordKind: 'a HEC envelope',
  hecProtocol: true,
});
