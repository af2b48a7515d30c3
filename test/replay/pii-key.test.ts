/**
 * Issue 16, item 7: a replay hashing with the public built-in key never stamps
 * the stage's key id on its events, and never sends them to a SIEM off this
 * machine. The replay command runs in-process (runReplayCli) on a real fixture,
 * delivering to the local receiver on loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PII_KEY_ID, runReplayCli, type ReplayCliOptions } from '../../local/cli/replay-cli.ts';
import type { SiemReceiver } from '../../local/siem/receiver.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { newSecret, startReceiver } from '../siem/helpers.ts';

const FIXTURE = join(ROOT, 'events', 'post-authentication', 'sign-in-web.json');
const secret = newSecret();
const store = mkdtempSync(join(tmpdir(), 'authtrail-pii-key-'));
let receiver: SiemReceiver;

beforeAll(async () => {
  receiver = await startReceiver({ secrets: [secret] });
});
afterAll(async () => {
  await receiver.close();
  rmSync(store, { recursive: true, force: true });
});

const run = async (env: Record<string, string>, siemUrl: string | undefined) => {
  let stdout = '';
  let stderr = '';
  const options: ReplayCliOptions = {
    paths: [FIXTURE],
    stage: 'dev',
    target: 'local',
    siemUrl,
    json: true,
    fresh: true,
    storeDir: store,
    configFile: join(ROOT, 'config', 'dev.json'),
    verbose: false,
    env: { AUTHTRAIL_SIEM_SECRET: secret, ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const code = await runReplayCli(options);
  const events = stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => (JSON.parse(line) as { events: { pipeline: { piiKeyId: string } }[] }).events);
  return { code, stderr, events };
};

describe('Replay: the built-in PII key is never passed off as a stage key', () => {
  it('stamps piiKeyId "local" on events hashed with the built-in key, also in what the SIEM stores', async () => {
    // Prepare
    receiver.stored.length = 0;

    // Act
    const replay = await run({}, receiver.url);

    // Assess
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.events.length).toBeGreaterThan(0);
    expect(replay.events.map((event) => event.pipeline.piiKeyId)).toEqual(replay.events.map(() => LOCAL_PII_KEY_ID));
    expect(receiver.stored.map((item) => (item.record.pipeline as { piiKeyId: string }).piiKeyId)).toContain(LOCAL_PII_KEY_ID);
    expect(replay.stderr).toContain(`piiKeyId "${LOCAL_PII_KEY_ID}"`);
  });

  it('stamps the stage key id when AUTHTRAIL_PII_HASH_KEY is the user\'s own', async () => {
    // Act
    const replay = await run({ AUTHTRAIL_PII_HASH_KEY: 'pii-key-test-0123456789abcdef' }, undefined);

    // Assess
    expect(replay.code, replay.stderr).toBe(0);
    expect(new Set(replay.events.map((event) => event.pipeline.piiKeyId))).toEqual(new Set(['dev-2026-11']));
  });

  it.each(['https://siem.example.com/authtrail', 'http://10.0.0.7:8088/', 'https://127.0.0.1.nip.io/'])(
    'refuses --siem-url %s without AUTHTRAIL_PII_HASH_KEY (exit 2), before touching the store',
    async (url) => {
      // Prepare: a store with a previous run's queue in it
      await run({}, undefined);
      const queue = join(store, 'dev', 'queues', 'siem.ndjson');
      const before = readFileSync(queue, 'utf8');

      // Act
      const replay = await run({}, url);

      // Assess
      expect(replay.code).toBe(2);
      expect(replay.stderr).toContain('needs AUTHTRAIL_PII_HASH_KEY');
      expect(replay.events).toEqual([]);
      expect(readFileSync(queue, 'utf8')).toBe(before);
    },
  );
});
