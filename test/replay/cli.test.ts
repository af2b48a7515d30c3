/** The replay command as users run it: a real process, real files, the documented --json contract. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectFixtureFiles } from '../../local/replay/fixture-file.ts';
import { ROOT } from '../helpers/fixtures.ts';

const store = mkdtempSync(join(tmpdir(), 'authtrail-cli-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

const replay = (...args: string[]) => {
  const run = spawnSync(process.execPath, ['bin/replay.ts', '--store', store, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AUTHTRAIL_PII_HASH_KEY: 'cli-test-key-0123456789' },
  });
  const lines = run.stdout.split('\n').filter((line) => line.length > 0);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, lines };
};

const CONTRACT_KEYS = ['file', 'ok', 'trigger', 'response', 'events', 'error'];

describe('CLI: npm run replay -- --json', () => {
  it('prints one valid line per fixture, all ok, and exits 0', () => {
    // Prepare
    const fixtures = collectFixtureFiles([join(ROOT, 'events')]);

    // Act
    const run = replay('--json', '--fresh', 'events/');

    // Assess
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(fixtures.length);
    for (const line of run.lines) {
      const result = JSON.parse(line);
      expect(Object.keys(result)).toEqual(CONTRACT_KEYS);
      expect(result).toMatchObject({ ok: true, error: null });
      expect(result.events.length).toBeGreaterThan(0);
    }
    expect(run.stderr).toContain('authtrail replay · stage dev');
  });

  it('writes every event to the local log store and the SIEM queue, as envelopes the rules matched', () => {
    // Act
    const run = replay('--json', '--fresh', 'events/post-authentication');

    // Assess
    expect(run.status).toBe(0);
    const logged = readFileSync(join(store, 'dev', 'logs', 'events.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const queued = readFileSync(join(store, 'dev', 'queues', 'siem.ndjson'), 'utf8').trim().split('\n');
    expect(logged).toHaveLength(4);
    expect(queued).toHaveLength(4);
    expect(logged[0]).toMatchObject({ source: 'authtrail.cognito', 'detail-type': 'AuthEvent signin.authenticate', detail: { category: 'signin' } });
  });

  it('reports a pre-signup denial as ok, with the denial in its event', () => {
    // Act
    const run = replay('--json', 'events/pre-signup/sign-up-denied-blocked-domain.json');

    // Assess
    const result = JSON.parse(run.lines[0] ?? '{}');
    expect(run.status).toBe(0);
    expect(result).toMatchObject({
      ok: true,
      trigger: 'PreSignUp_SignUp',
      response: null,
      events: [{ outcome: 'denied', reason: { code: 'EMAIL_DOMAIN_BLOCKED' } }],
    });
  });

  it('processes every file, gives each bad one a stable code and message, and exits 1', () => {
    // Prepare
    const quirks = 'test/fixtures/quirks';

    // Act
    const run = replay(
      '--json',
      `${quirks}/not-json.json`,
      `${quirks}/unknown-trigger.json`,
      `${quirks}/missing-user-pool-id.json`,
      `${quirks}/wrong-types.json`,
      'no/such/file.json',
      'events/post-authentication/sign-in-web.json',
    );

    // Assess
    expect(run.status).toBe(1);
    const results = run.lines.map((line) => JSON.parse(line));
    expect(results.map((result) => [result.ok, result.error?.code ?? null])).toEqual([
      [false, 'INVALID_JSON'],
      [false, 'UNSUPPORTED_TRIGGER'],
      [false, 'INVALID_EVENT'],
      [false, 'INVALID_EVENT'],
      [false, 'UNREADABLE_FILE'],
      [true, null],
    ]);
    expect(results[1].error.message).toMatch(/^triggerSource "CustomMessage_SignUp" is not supported \(supported: PreSignUp_SignUp, /);
    expect(results[2].error.message).toBe('userPoolId: Invalid input: expected string, received undefined');
    expect(results[3].error.message).toBe(
      'userName: Invalid input: expected string, received number; request: Invalid input: expected object, received string',
    );
    expect(results[4].error.message).toMatch(/^cannot read no\/such\/file.json: ENOENT/);
    for (const result of results.filter((result) => !result.ok)) expect(result).toMatchObject({ response: null, events: [] });
  });

  it('accepts payloads as other tools save them: YAML, a BOM with CRLF, an {"event": ...} wrapper, huge values', () => {
    // Act
    const run = replay(
      '--json',
      'test/fixtures/quirks/pre-signup.yaml',
      'test/fixtures/quirks/with-bom-and-crlf.json',
      'test/fixtures/quirks/event-wrapped-in-event-key.json',
      'test/fixtures/quirks/huge-values.json',
    );

    // Assess
    expect(run.status).toBe(0);
    expect(run.lines.map((line) => JSON.parse(line).ok)).toEqual([true, true, true, true]);
    expect(Math.max(...run.lines.map((line) => line.length))).toBeLessThan(10_000);
  });

  it('refuses an unknown flag and a bad config with a message naming them, exit 2', () => {
    // Prepare
    const badConfig = join(store, 'bad.json');
    writeFileSync(badConfig, JSON.stringify({ tokens: { lambdaVersion: 'V4_0' } }));

    // Act
    const flag = replay('--jsn', 'events/');
    const config = replay('--config', badConfig, 'events/');

    // Assess
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--jsn'");
    expect(config.status).toBe(2);
    expect(config.stderr).toContain(`Invalid config in ${badConfig}: tokens.lambdaVersion: Invalid option: expected one of "V1_0"|"V2_0"|"V3_0"`);
  });

  it('prints the readable summary on stdout without --json', () => {
    // Act
    const run = replay('--fresh', 'events/');

    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/pre-signup\s+7\s+5\s+2\s+0\s+0\s+0/);
    expect(run.stdout).toMatch(/events-log\s+\d+\s+/);
    // npm start shows the events arriving in a SIEM: the built-in local receiver
    expect(run.stdout).toMatch(/siem-receiver\s+31\s+.*siem\/received\.ndjson/);
  });
});
