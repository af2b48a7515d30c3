/**
 * A stage's embedded sinks, as the local replay uses them: the in-process bus
 * routing by lib/routing/rules.json into the local store's log and SIEM-queue
 * files, and the spill file for what the bus refuses. One place, so the replay
 * command and the replay benchmark measure the same thing.
 */
import type { Spill } from '../../lib/sinks/sink.ts';
import { spillRecord } from '../../lib/publish/spill.ts';
import { RuleTarget, loadRules } from '../../lib/routing/rules.ts';
import { createLocalBus, type LocalBus } from './local-bus.ts';
import { createNdjsonFile, storePaths, StoreWriteError, type StoreFs } from './local-store.ts';

export interface LocalStageSinks {
  bus: LocalBus;
  spill: Spill;
  /** Where each rule target writes. */
  files: Readonly<Record<RuleTarget, string>>;
  /** Writes out the buffered lines and syncs; says what could not be stored (a full disk), per file. */
  close: () => StoreShortfall[];
}

/** A store file that did not take every line it was given. */
export interface StoreShortfall {
  file: string;
  notStored: number;
  error: StoreWriteError;
}

export const createLocalStageSinks = (storeDir: string, stage: string, options: { fs?: StoreFs } = {}): LocalStageSinks => {
  const paths = storePaths(storeDir, stage);
  // An envelope both rules match goes to both files: serialized once (it was a tenth of replay time twice).
  const serialized = new WeakMap<object, string>();
  const serialize = (envelope: unknown): string => {
    const key = envelope as object;
    let text = serialized.get(key);
    if (text === undefined) {
      text = JSON.stringify(envelope);
      serialized.set(key, text);
    }
    return text;
  };
  // Bulk writers: buffered, flushed by close().
  const log = createNdjsonFile(paths[RuleTarget.EventsLog], { buffered: true, serialize, ...options });
  const queue = createNdjsonFile(paths[RuleTarget.SiemQueue], { buffered: true, serialize, ...options });
  const spillFile = createNdjsonFile(paths.spill, options);
  const bus = createLocalBus({
    rules: loadRules(),
    targets: {
      [RuleTarget.EventsLog]: { deliver: (envelopes) => log.append(envelopes) },
      [RuleTarget.SiemQueue]: { deliver: (envelopes) => queue.append(envelopes) },
    },
  });
  return {
    bus,
    spill: (events, reason) => {
      const at = new Date();
      try {
        spillFile.append(events.map((event) => spillRecord(event, reason, at)));
      } catch (error) {
        // Counted in the file's shortfall, which close() reports: the run fails at its end, loudly.
        if (!(error instanceof StoreWriteError)) throw error;
      }
    },
    files: { [RuleTarget.EventsLog]: log.file, [RuleTarget.SiemQueue]: queue.file },
    close: () => {
      const files = [log, queue, spillFile];
      for (const file of files) file.close();
      return files.flatMap((file) => (file.error === undefined ? [] : [{ file: file.file, notStored: file.notStored, error: file.error }]));
    },
  };
};
