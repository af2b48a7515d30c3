/**
 * Nothing lost, end to end: events spilled by a trigger while the bus was down
 * are found in the function's log and re-published by `npm run recover`, under
 * their original ids, once each, however often recovery runs.
 */
import { runToEnd } from '../helpers/process-group.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { spillLine } from '../../lib/publish/spill.ts';
import { parseTimeArg, scheduledWindow, spillLogGroups } from '../../lib/recover/recover.ts';
import { startFakeCloudWatchLogs, type FakeCloudWatchLogs } from '../helpers/fake-cloudwatch-logs.ts';
import { startFakeEventBridge, type FakeEventBridge } from '../helpers/fake-eventbridge.ts';
import { FAKE_AWS_CREDENTIALS, ROOT, golden } from '../helpers/fixtures.ts';


const NOW = Date.parse('2026-11-27T12:00:00.000Z');

let logs: FakeCloudWatchLogs;
let bus: FakeEventBridge;

beforeAll(async () => {
  logs = await startFakeCloudWatchLogs();
  bus = await startFakeEventBridge();
});
afterAll(async () => {
  await logs.close();
  await bus.close();
});

const recover = async (...args: string[]) => {
  const env = { ...process.env, ...FAKE_AWS_CREDENTIALS, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint };
  const { code, stdout, stderr } = await runToEnd(process.execPath, ['bin/recover.ts', ...args], { cwd: ROOT, env });
  return { status: code, stdout, stderr };
};

describe('Recover: npm run recover', () => {
  it('re-publishes every spilled event once, with its original id, marked as recovered', async () => {
    // Prepare: three spilled events (one spilled twice, by a Cognito retry), amid ordinary log lines
    const signIn = golden('post-authentication/sign-in-web.json');
    const token = golden('pre-token-generation/v2/authentication-admin.json');
    const signUp = golden('pre-signup/sign-up-denied-blocked-domain.json');
    const [preSignUpGroup, postAuthGroup, preTokenGroup, preAuthGroup, postConfirmationGroup] = spillLogGroups('dev');
    const at = (minutesAgo: number) => NOW - minutesAgo * 60_000;
    logs.groups.set(postAuthGroup as string, [
      { timestamp: at(50), message: 'START RequestId: 1 Version: $LATEST' },
      { timestamp: at(50), message: spillLine(signIn, 'ThrottlingException: Rate exceeded', new Date(at(50))) },
      { timestamp: at(49), message: `2026-11-27T11:11:00.000Z\treq-2\tINFO\t${spillLine(signIn, 'deadline of 800 ms exceeded', new Date(at(49)))}` },
      { timestamp: at(48), message: '{"_aws":{"Timestamp":1},"SpilledEvents":1}' },
    ]);
    logs.groups.set(preTokenGroup as string, [
      { timestamp: at(30), message: spillLine(token, 'connect ECONNREFUSED', new Date(at(30))) },
      { timestamp: at(300), message: spillLine(signUp, 'outside the window', new Date(at(300))) },
    ]);
    logs.groups.set(preSignUpGroup as string, [{ timestamp: at(10), message: spillLine(signUp, 'InternalException', new Date(at(10))) }]);
    // The new triggers ran but spilled nothing: searched, nothing found.
    logs.groups.set(preAuthGroup as string, [{ timestamp: at(20), message: 'START RequestId: 3 Version: $LATEST' }]);
    logs.groups.set(postConfirmationGroup as string, []);

    // Act
    const first = await recover('--stage', 'dev', '--since', '2026-11-27T11:00:00Z', '--until', '2026-11-27T12:00:00Z');
    const second = await recover('--stage', 'dev', '--since', '2026-11-27T11:00:00Z', '--until', '2026-11-27T12:00:00Z');

    // Assess
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      found: 4,
      duplicates: 1,
      published: 3,
      failed: 0,
      failedIds: [],
      // The pool has no Plus-plan log delivery: cognito-log-events never ran, its log group does not exist.
      missingLogGroups: ['/aws/lambda/authtrail-dev-cognito-log-events', '/aws/lambda/authtrail-dev-cloudtrail-events', '/aws/lambda/authtrail-dev-event-log-forwarder'],
    });
    const delivered = bus.accepted.map((entry) => JSON.parse(entry.Detail) as AuthEvent);
    expect(new Set(delivered.map((event) => event.id))).toEqual(new Set([signIn.id, token.id, signUp.id]));
    expect(delivered.length).toBe(6); // two runs, three events each: consumers drop the repeats by id
    expect(delivered[0]?.pipeline.recovered).toMatchObject({ reason: expect.any(String) });
    expect(delivered.find((event) => event.id === signIn.id)).toMatchObject({ ...signIn, pipeline: { ...signIn.pipeline } });
    expect(bus.accepted[0]?.EventBusName).toBe('authtrail-dev');
    expect(logs.requests[0]).toMatchObject({ filterPattern: '{ $.authtrail = "authtrail.spill" }' });
    expect(second.status).toBe(0);
  });

  it('refuses a window it cannot read, naming the flag', async () => {
    // Act
    const run = await recover('--stage', 'dev', '--since', 'yesterday-ish');

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--since "yesterday-ish" is neither an ISO 8601 time nor a duration like 30m, 2h or 7d');
  });
});

describe('Recover: time windows', () => {
  it('reads durations back from now and ISO times', () => {
    // Prepare
    const now = new Date(NOW);

    // Act / Assess
    expect(parseTimeArg('2h', now, 'since').toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(parseTimeArg('2026-11-27T11:30:00Z', now, 'since').toISOString()).toBe('2026-11-27T11:30:00.000Z');
  });

  it('tiles time for scheduled runs: consecutive runs neither overlap nor leave gaps, a retry repeats its window', () => {
    // Act
    const run = scheduledWindow(new Date('2026-11-27T12:00:07Z'), 15, 5);
    const next = scheduledWindow(new Date('2026-11-27T12:15:03Z'), 15, 5);
    const retry = scheduledWindow(new Date('2026-11-27T12:00:59Z'), 15, 5);

    // Assess
    expect(run).toEqual({ since: new Date('2026-11-27T11:40:00Z'), until: new Date('2026-11-27T11:55:00Z') });
    expect(next.since).toEqual(run.until);
    expect(retry).toEqual(run);
  });
});
