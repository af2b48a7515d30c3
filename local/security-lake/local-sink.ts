/**
 * The local Security Lake: the objects a stage's custom sources would receive,
 * written under `.authtrail/<stage>/security-lake/` with the bucket's key layout
 * (`ext/<source>/region=…/accountId=…/eventDay=…/<name>.parquet`), so `npm start`
 * shows what would land in the lake. The events are those the SIEM rule selects
 * (lib/routing/rules.json), as in AWS, where the lake writer reads the SIEM queue.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { matchesEventPattern } from '../../lib/routing/event-pattern.ts';
import { loadRules, RuleTarget } from '../../lib/routing/rules.ts';
import { DEFAULT_SOURCES, securityLakeObjects, type RefusedEvent, type SecurityLakeTarget } from '../../lib/security-lake/objects.ts';
import { encodeParquet } from '../../lib/security-lake/parquet.ts';

/** The account of local runs: the placeholder serverless.yml uses where no account is known. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export const securityLakeDir = (storeDir: string, stage: string): string => join(storeDir, stage, 'security-lake');

export interface LocalLakeReport {
  /** Events written (each once, however often it was delivered). */
  events: number;
  objects: number;
  location: string;
  /** Events the lake cannot take (./objects.ts), by id and reason. */
  refused: RefusedEvent[];
}

/**
 * Writes the objects for `events`. An object whose key exists already holds the
 * same events (the key is their hash) and is left as it is; a new one is written
 * to a temporary name and renamed, so a reader never sees half an object.
 */
export const writeLocalSecurityLake = (
  events: readonly AuthEvent[],
  options: { storeDir: string; stage: string; target?: SecurityLakeTarget },
): LocalLakeReport => {
  const target = options.target ?? { sources: DEFAULT_SOURCES, accountId: LOCAL_ACCOUNT_ID };
  const siemRules = loadRules().filter((rule) => rule.target === RuleTarget.SiemQueue);
  const selected = events.filter((event) => {
    const envelope = toBusEnvelope(event, target.accountId, event.userPool.region);
    return siemRules.some((rule) => matchesEventPattern(rule.pattern, envelope));
  });
  const root = securityLakeDir(options.storeDir, options.stage);
  const { objects, refused } = securityLakeObjects(selected, target);
  for (const object of objects) {
    const file = join(root, ...object.key.split('/'));
    if (existsSync(file)) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, encodeParquet(object.classUid, object.records));
    renameSync(`${file}.tmp`, file);
  }
  return { events: objects.reduce((sum, object) => sum + object.records.length, 0), objects: objects.length, location: root, refused };
};
