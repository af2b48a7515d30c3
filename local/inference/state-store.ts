/**
 * Where failed sign-in inference keeps its short-lived state (one record per
 * user pool + user + client, minutes long). One interface, SignInStateStore:
 *
 * - in memory, for tests and a single long-running local process;
 * - a JSON file under the local store (`.authtrail/<stage>/inference/sign-ins.json`),
 *   for local runs that happen as separate processes (npm start, the e2e);
 * - on AWS, a DynamoDB table with TTL (docs/delivery.md, "Failed sign-in inference").
 *
 * Expired records are dropped on read and write, as DynamoDB's TTL drops them.
 * Each store takes the consumer's clock (processing time): no store reads the
 * wall clock by itself, so a test that moves its clock moves every part together.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StateConflictError, type KeyState, type SignInStateStore } from '../../lib/inference/failed-sign-in.ts';

interface Entry {
  state: KeyState;
  expiresAt: number;
}

/** The version a state is stored at, outside the state itself. */
const versionOf = (entry: Entry | undefined): number | undefined => entry?.state.version;

const storeOver = (
  load: () => Map<string, Entry>,
  save: (entries: Map<string, Entry>) => void,
  clock: () => number,
): SignInStateStore => {
  const live = () => {
    const entries = load();
    for (const [key, entry] of entries) if (entry.expiresAt < clock()) entries.delete(key);
    return entries;
  };
  // The same condition as the DynamoDB store's conditional writes, so the engine's retry is exercised everywhere.
  const checkVersion = (entries: Map<string, Entry>, key: string, expected: number | undefined) => {
    if (versionOf(entries.get(key)) !== expected) throw new StateConflictError(key);
  };
  return {
    get: async (key) => structuredClone(live().get(key)?.state),
    put: async (key, state, expiresAt) => {
      const entries = live();
      checkVersion(entries, key, state.version);
      entries.set(key, { state: { ...structuredClone(state), version: (state.version ?? 0) + 1 }, expiresAt });
      save(entries);
    },
    delete: async (key, version) => {
      const entries = live();
      checkVersion(entries, key, version);
      entries.delete(key);
      save(entries);
    },
    dueKeys: async (now) =>
      [...live()].filter(([, entry]) => entry.state.dueAt !== null && entry.state.dueAt <= now).map(([key]) => key),
  };
};

export const createMemoryStateStore = (clock: () => number): SignInStateStore => {
  let entries = new Map<string, Entry>();
  return storeOver(
    () => entries,
    (next) => {
      entries = next;
    },
    clock,
  );
};

/** The file of a stage's local inference state. */
export const localStateFile = (storeDir: string, stage: string): string => join(storeDir, stage, 'inference', 'sign-ins.json');

/**
 * A JSON file, rewritten whole (atomically, by rename) on each change: small,
 * local, one writer at a time. Being the only writer, the store reads the file
 * once and keeps what it wrote, instead of reading and parsing it again for
 * every get and put.
 */
export const createFileStateStore = (file: string, clock: () => number): SignInStateStore => {
  let entries: Map<string, Entry> | undefined;
  return storeOver(
    () =>
      (entries ??= existsSync(file)
        ? new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>))
        : new Map()),
    (next) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, `${JSON.stringify(Object.fromEntries(next))}\n`);
      renameSync(`${file}.tmp`, file);
      entries = next;
    },
    clock,
  );
};
