/** Replay takes every input the pipeline ingests, told apart by shape; the CLI runs as users run it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeInput, detectInput, InputKind } from '../../local/replay/inputs.ts';
import { subscriptionPayload, sampleLines } from '../cognito-logs/helpers.ts';
import { ROOT, loadEvent } from '../helpers/fixtures.ts';
import { delivery } from '../cloudtrail/helpers.ts';

const store = mkdtempSync(join(tmpdir(), 'authtrail-inputs-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

const replay = (...args: string[]) => {
  const run = spawnSync(process.execPath, ['bin/replay.ts', '--store', store, '--no-siem', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AUTHTRAIL_PII_HASH_KEY: 'inputs-test-key-0123456789' },
  });
  return { status: run.status, stderr: run.stderr, results: run.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line)) };
};

const CONTRACT_KEYS = ['file', 'ok', 'trigger', 'response', 'events', 'error'];

describe('Replay inputs: detected by shape', () => {
  it('tells the four kinds apart', () => {
    // Act / Assess
    expect(detectInput(loadEvent('pre-signup/sign-up-allowed.json'))).toBe(InputKind.Trigger);
    expect(detectInput(delivery('sign-in.ndjson', 'InitiateAuth'))).toBe(InputKind.CloudTrail);
    expect(detectInput(delivery('documented.ndjson', 'Token_POST'))).toBe(InputKind.CloudTrail);
    expect(detectInput(JSON.parse(sampleLines()[0] ?? '{}'))).toBe(InputKind.CognitoLog);
    expect(detectInput(subscriptionPayload(sampleLines()))).toBe(InputKind.Subscription);
  });

  it('sends a payload with any triggerSource to the trigger path, which names what is wrong with it', () => {
    // Act / Assess
    expect(detectInput({ triggerSource: 42 })).toBe(InputKind.Trigger);
  });

  it.each([
    ['a CloudTrail record without its EventBridge envelope', () => delivery('sign-in.ndjson', 'InitiateAuth').detail],
    ['another service on EventBridge', () => ({ ...delivery('sign-in.ndjson', 'InitiateAuth'), source: 'aws.s3' })],
    ['a CloudTrail console sign-in', () => ({ ...delivery('sign-in.ndjson', 'InitiateAuth'), 'detail-type': 'AWS Console Sign In via CloudTrail' })],
    ['an array', () => [loadEvent('pre-signup/sign-up-allowed.json')]],
    ['a string', () => 'alice@acme-corp.com'],
    ['null', () => null],
    ['an object with a prototype key only', () => JSON.parse('{"__proto__": {"triggerSource": "PreSignUp_SignUp"}}')],
  ])('does not know %s, and describes it without its content', (_what, make) => {
    // Prepare
    const value = make();

    // Act
    const kind = detectInput(value);
    const described = describeInput(value);

    // Assess
    expect(kind).toBe(InputKind.Unsupported);
    expect(described).not.toMatch(/alice|acme|InitiateAuth|PreSignUp_SignUp|198\.51/);
  });
});

describe('CLI: npm run replay -- --json with every input kind', () => {
  it('replays CloudTrail, userAuthEvents and subscription inputs with the same contract, line by line for NDJSON', () => {
    // Prepare
    const subscription = join(store, 'subscription.json');
    writeFileSync(subscription, JSON.stringify(subscriptionPayload(sampleLines().slice(0, 2))));

    // Act
    const run = replay('--json', 'events/cloudtrail/account.ndjson', 'events/cognito-logs/documented.ndjson', subscription, 'events/pre-signup/sign-up-allowed.json');

    // Assess
    expect(run.status).toBe(0);
    for (const result of run.results) expect(Object.keys(result)).toEqual(CONTRACT_KEYS);
    expect(run.results.map((result) => [result.file, result.trigger, result.events.length])).toEqual([
      ['events/cloudtrail/account.ndjson:1', 'CloudTrail_SignUp', 1],
      ['events/cloudtrail/account.ndjson:2', 'CloudTrail_ConfirmSignUp', 1],
      ['events/cloudtrail/account.ndjson:3', 'CloudTrail_ForgotPassword', 1],
      ['events/cloudtrail/account.ndjson:4', 'CloudTrail_ConfirmForgotPassword', 1],
      ['events/cloudtrail/account.ndjson:5', 'CloudTrail_AdminDisableUser', 1],
      ['events/cloudtrail/account.ndjson:6', 'CloudTrail_AdminDeleteUser', 1],
      ['events/cloudtrail/account.ndjson:7', 'CloudTrail_AdminAddUserToGroup', 1],
      ['events/cloudtrail/account.ndjson:8', 'CloudTrail_AdminSetUserPassword', 1],
      ['events/cloudtrail/account.ndjson:9', 'CloudTrail_UpdateUserPoolClient', 1],
      // A read-only call: read, nothing to say.
      ['events/cloudtrail/account.ndjson:10', 'CloudTrail_ListUsers', 0],
      ['events/cognito-logs/documented.ndjson:1', 'CognitoLog_SignUp', 1],
      [subscription, 'CognitoLog_', 2],
      ['events/pre-signup/sign-up-allowed.json', 'PreSignUp_SignUp', 1],
    ]);
    // Replayed like trigger payloads: marked, so the SOC can filter them out; PII applied.
    const disable = run.results[4].events[0];
    expect(disable.pipeline.replay).toEqual({ source: 'fixture', file: 'events/cloudtrail/account.ndjson:5' });
    expect(disable.network.ip).toBe('203.0.113.0/24');
    expect(run.stderr).toMatch(/^cloudtrail\s+10\s/m);
    // On the local bus like any event: the log store has them.
    const stored = readFileSync(join(store, 'dev', 'logs', 'events.ndjson'), 'utf8');
    expect(stored).toContain('"CloudTrail_AdminDisableUser"');
  });

  it('gives an unknown shape UNSUPPORTED_INPUT naming what it saw, and a bad NDJSON line INVALID_JSON while the good lines go through, and exits 1', () => {
    // Prepare
    const unknown = join(store, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ email: 'alice@acme-corp.com', ip: '192.0.2.44' }));
    const oldShape = join(store, 'old-shape.ndjson');
    writeFileSync(oldShape, `${JSON.stringify({ eventSource: 'USER_AUTH_EVENTS', eventTimestamp: '1795773492345', message: { eventId: 'e', eventType: 'SignIn', userPoolId: 'eu-west-1_Xq9Lk2MfA' } })}\n`);
    const broken = join(store, 'broken.ndjson');
    writeFileSync(broken, `${readFileSync(join(ROOT, 'events/cloudtrail/sign-in.ndjson'), 'utf8').split('\n')[0]}\n{"not": json\n`);

    // Act
    const run = replay('--json', unknown, oldShape, broken);

    // Assess
    expect(run.status).toBe(1);
    expect(run.results.map((result) => [result.ok, result.error?.code ?? null])).toEqual([
      [false, 'UNSUPPORTED_INPUT'],
      [false, 'INVALID_RECORD'],
      [true, null],
      [false, 'INVALID_JSON'],
    ]);
    expect(run.results[0].error.message).toMatch(/^a JSON object with 2 key\(s\): not a Cognito trigger payload/);
    expect(run.results[1].error.message).toContain('"USER_AUTH_EVENTS" is the shape of authtrail\'s old reconstructed samples');
    expect(run.results[3].error.message).toContain(`${broken}:2 is not valid JSON`);
    expect(JSON.stringify(run.results)).not.toMatch(/alice|192\.0\.2\.44/);
  });
});
