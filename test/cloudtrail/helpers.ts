/** The CloudTrail fixtures of events/cloudtrail/: EventBridge events, one per line, as the default bus delivers them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/fixtures.ts';

export const FIXTURE_FILES = ['documented.ndjson', 'sign-in.ndjson', 'account.ndjson', 'managed-login.ndjson'] as const;
export type FixtureFile = (typeof FIXTURE_FILES)[number];

const cache = new Map<string, Record<string, any>[]>();

/** Every event of one fixture file, as fresh copies to change per case. */
export const deliveries = (file: FixtureFile): Record<string, any>[] => {
  if (!cache.has(file)) {
    const lines = readFileSync(join(ROOT, 'events', 'cloudtrail', file), 'utf8').split('\n').filter((line) => line !== '');
    cache.set(file, lines.map((line) => JSON.parse(line)));
  }
  return structuredClone(cache.get(file) ?? []);
};

/** The `index`-th delivery of `file` whose record has this eventName. */
export const delivery = (file: FixtureFile, eventName: string, index = 0): Record<string, any> => {
  const found = deliveries(file).filter((event) => event.detail.eventName === eventName)[index];
  if (found === undefined) throw new Error(`no ${eventName} #${index} in events/cloudtrail/${file}`);
  return found;
};

/** The stage pool of the constructed fixtures (the dev pool of events/README.md). */
export const DEV_POOL = 'eu-west-1_Xq9Lk2MfA';
