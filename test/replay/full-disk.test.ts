/**
 * Issue 16, item 8: a replay whose store cannot take its events fails loudly:
 * exit 1, the count of events not stored per file, and a summary that does not
 * claim them. The full disk is real: the SIEM queue file is /dev/full, where the
 * kernel answers every write with ENOSPC. A cursor edited past a line boundary
 * stops the SIEM leg with an error instead of skipping events.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReplayCli } from '../../local/cli/replay-cli.ts';
import { siemStorePaths, storePaths } from '../../local/sinks/local-store.ts';
import { ROOT } from '../helpers/fixtures.ts';

const FIXTURES = join(ROOT, 'events', 'post-authentication');
let store: string;
beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), 'authtrail-full-disk-'));
});
afterEach(() => rmSync(store, { recursive: true, force: true }));

const replay = async (extra: { noSiem?: boolean } = {}) => {
  let stdout = '';
  let stderr = '';
  const code = await runReplayCli({
    paths: [FIXTURES],
    stage: 'dev',
    target: 'local',
    noSiem: extra.noSiem ?? true,
    json: false,
    fresh: false,
    storeDir: store,
    verbose: false,
    env: { AUTHTRAIL_PII_HASH_KEY: 'full-disk-test-key-0123456789' },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
};

describe('Replay: a full disk', () => {
  it('exits 1 and counts the events not stored when the SIEM queue file is on a full device', async () => {
    // Prepare: the queue file is /dev/full
    const queue = storePaths(store, 'dev')['siem-queue'];
    mkdirSync(join(queue, '..'), { recursive: true });
    symlinkSync('/dev/full', queue);

    // Act
    const run = await replay();

    // Assess: the log took every event; the queue none, and the run says how many
    const logged = readFileSync(storePaths(store, 'dev')['events-log'], 'utf8').trim().split('\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${logged.length} event(s) not stored in ${queue} (ENOSPC)`);
    expect(run.stdout).toMatch(new RegExp(`siem-queue\\s+0\\s+${queue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(run.stdout).toMatch(new RegExp(`events-log\\s+${logged.length}\\s`));
  });

  it('exits 0 on the same run with room on the disk', async () => {
    // Act
    const run = await replay();

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('not stored');
  });
});

describe('Replay: an edited SIEM cursor', () => {
  it('stops the SIEM leg with an error (exit 1) when the cursor points inside a line', async () => {
    // Prepare: a first run fills the queue; the cursor is then moved into the middle of its first line
    await replay();
    const paths = siemStorePaths(store, 'dev');
    writeFileSync(paths.cursor, JSON.stringify({ offset: 17 }));

    // Act
    const run = await replay({ noSiem: false });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: cursor at byte 17 of .*siem\.ndjson is inside a line, not after one/);
  });
});
