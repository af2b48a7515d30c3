/**
 * AuthEvents -> the objects of Amazon Security Lake custom sources, as AWS documents
 * them ("Collecting data from custom sources in Security Lake"): one OCSF class per
 * custom source and per object, under
 * `ext/<source>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/`, records
 * sorted by time. Pure: no I/O, no clock.
 *
 * - class: the SIEM's OCSF mapping (`toOcsf`), so the lake and the SIEM agree;
 * - region: the event's own (its user pool's region), the region of the source data;
 * - eventDay: the event's own UTC day (OCSF `time`), never the day it was written;
 * - name: a hash of the sorted event ids it holds, so the same delivery written
 *   again (a retry, an SQS redelivery) lands on the same key: S3 keeps one object.
 */
import { createHash } from 'node:crypto';
import type { AuthEvent } from '../auth-event/schema.ts';
import { OcsfClass, toOcsf, type OcsfEvent } from '../siem/ocsf.ts';

/** Where a stage's custom sources are: the names registered in Security Lake and the account of the data. */
export interface SecurityLakeTarget {
  /** Custom source name per OCSF class (`create-custom-log-source --source-name`). */
  sources: Readonly<Record<OcsfClass, string>>;
  /** The AWS account the events come from (the `accountId=` partition). */
  accountId: string;
}

/** The default custom source names; a stage may register others. */
export const DEFAULT_SOURCES: Readonly<Record<OcsfClass, string>> = {
  [OcsfClass.Authentication]: 'authtrail_auth',
  [OcsfClass.AccountChange]: 'authtrail_account',
};

export interface SecurityLakeObject {
  /** The S3 key under the lake's bucket: `ext/<source>/region=…/accountId=…/eventDay=…/<name>.parquet`. */
  key: string;
  source: string;
  classUid: OcsfClass;
  region: string;
  eventDay: string;
  /** OCSF records of one class, sorted by time (then id, so equal times keep one order). */
  records: OcsfEvent[];
}

/**
 * What a `region=` partition may hold: an AWS region code's characters (eu-west-1,
 * us-gov-east-1), and so also cognito-local's `local` (test/fixtures/quirks/); never
 * a slash, a dot or anything else that could move a key out of its prefix.
 */
const PARTITION_VALUE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const REGION_REFUSED = 'userPool.region cannot name a partition (a-z, 0-9 and - only)';

/** An event the lake cannot take, by id and why (the value is not echoed: it may be anything). */
export interface RefusedEvent {
  id: string;
  reason: string;
}

/** YYYYMMDD of an OCSF time (epoch ms), in UTC. */
export const eventDayOf = (time: number): string => new Date(time).toISOString().slice(0, 10).replaceAll('-', '');

const byTimeThenId = (a: OcsfEvent, b: OcsfEvent): number => a.time - b.time || (a.metadata.uid < b.metadata.uid ? -1 : a.metadata.uid > b.metadata.uid ? 1 : 0);

/** An object's name from what it holds: the same ids give the same name, whatever order they came in. */
const objectNameOf = (records: readonly OcsfEvent[]): string => {
  const ids = records.map((record) => record.metadata.uid).sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32);
};

/**
 * The objects to write for a batch of events: one per source, region and day. An
 * event that appears twice in the batch (an at-least-once redelivery) is written once.
 * An event whose region or time cannot name a partition (a key must never leave its
 * source's prefix) is refused, by id, not written elsewhere.
 */
export const securityLakeObjects = (
  events: readonly AuthEvent[],
  target: SecurityLakeTarget,
): { objects: SecurityLakeObject[]; refused: RefusedEvent[] } => {
  const groups = new Map<string, { classUid: OcsfClass; region: string; eventDay: string; records: Map<string, OcsfEvent> }>();
  const refused: RefusedEvent[] = [];
  for (const event of events) {
    const record = toOcsf(event);
    const region = record.cloud.region;
    if (!PARTITION_VALUE.test(region)) {
      refused.push({ id: event.id, reason: REGION_REFUSED });
      continue;
    }
    if (!Number.isFinite(record.time)) {
      refused.push({ id: event.id, reason: 'the event time is not a date' });
      continue;
    }
    const eventDay = eventDayOf(record.time);
    const group = `${record.class_uid}/${region}/${eventDay}`;
    const entry = groups.get(group) ?? { classUid: record.class_uid, region, eventDay, records: new Map() };
    entry.records.set(record.metadata.uid, record);
    groups.set(group, entry);
  }
  const objects = [...groups.values()]
    .map(({ classUid, region, eventDay, records }) => {
      const sorted = [...records.values()].sort(byTimeThenId);
      const source = target.sources[classUid];
      return {
        key: `ext/${source}/region=${region}/accountId=${target.accountId}/eventDay=${eventDay}/${objectNameOf(sorted)}.parquet`,
        source,
        classUid,
        region,
        eventDay,
        records: sorted,
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  return { objects, refused };
};
