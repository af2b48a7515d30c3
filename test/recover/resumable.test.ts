/**
 * Resumable, bounded recovery (lib/recover/resumable.ts): runs that stop in
 * time, keep a checkpoint per log group and continue from it until caught up;
 * nothing is skipped, whatever stops a run. CloudWatch Logs and EventBridge are
 * the loopback fakes the SDK talks to over HTTP; the checkpoint table is
 * DynamoDB behind aws-sdk-client-mock.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../../lib/publish/eventbridge.ts';
import { spillLine } from '../../lib/publish/spill.ts';
import { createDynamoDbCheckpointStore, createMemoryCheckpointStore } from '../../lib/recover/checkpoint.ts';
import { spillLogGroups } from '../../lib/recover/recover.ts';
import { StopReason, recoverResumably, scheduledUntil, type ResumableRecoveryOptions } from '../../lib/recover/resumable.ts';
import { startFakeCloudWatchLogs, type FakeCloudWatchLogs, type LogLine } from '../helpers/fake-cloudwatch-logs.ts';
import { startFakeEventBridge, type FakeEventBridge } from '../helpers/fake-eventbridge.ts';
import { FAKE_AWS_CREDENTIALS, golden } from '../helpers/fixtures.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const [PRE_SIGNUP, POST_AUTH] = spillLogGroups('dev') as [string, string];

let logs: FakeCloudWatchLogs;
let bus: FakeEventBridge;
let logsClient: CloudWatchLogsClient;

beforeAll(async () => {
  // The SDK clients only ever talk to the loopback fakes.
  for (const [name, value] of Object.entries(FAKE_AWS_CREDENTIALS)) vi.stubEnv(name, value);
  logs = await startFakeCloudWatchLogs(0, { pageSize: 25 });
  bus = await startFakeEventBridge();
  logsClient = new CloudWatchLogsClient({ endpoint: logs.endpoint });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await logs.close();
  await bus.close();
});
beforeEach(() => {
  logs.groups.clear();
  bus.accepted.length = 0;
  bus.calls.length = 0;
  bus.plan([], { kind: 'accept' });
});

/** `count` spilled sign-ins, one every `everyMs` from `start`, each with its own id (the golden event). */
const spills = (count: number, start: number, everyMs: number, prefix: string): LogLine[] => {
  const signIn = golden('post-authentication/sign-in-web.json');
  return Array.from({ length: count }, (_, index) => {
    const event: AuthEvent = { ...signIn, id: `${prefix}${index.toString(16).padStart(32 - prefix.length, '0')}` };
    return { timestamp: start + index * everyMs, message: spillLine(event, 'ThrottlingException: Rate exceeded', new Date(start + index * everyMs)) };
  });
};

const publisher = () =>
  createEventBridgePublisher({ client: createEventBridgeClient(500, bus.endpoint), busName: 'authtrail-dev', deadlineMs: 500, sleep: async () => undefined });

/** A run whose remaining time is counted in PutEvents calls: `budgetCalls` calls, then it is out of time. */
const run = (overrides: Partial<ResumableRecoveryOptions> & Pick<ResumableRecoveryOptions, 'checkpoints'>, budgetCalls = Number.POSITIVE_INFINITY) => {
  const callsAtStart = bus.calls.length;
  return recoverResumably({
    logs: logsClient,
    publisher: publisher(),
    logGroups: [PRE_SIGNUP, POST_AUTH],
    until: T0 + 10 * 60_000,
    firstSince: T0,
    remainingMs: () => (bus.calls.length - callsAtStart >= budgetCalls ? 0 : 60_000),
    now: () => new Date(T0 + 20 * 60_000),
    reserveMs: 1_000,
    chunkSize: 10,
    concurrency: 2,
    ...overrides,
  });
};

const publishedIds = () => new Set(bus.accepted.map((entry) => (JSON.parse(entry.Detail) as AuthEvent).id));

describe('Recover: resumable runs', () => {
  it('stops when its time is up, and the next runs continue from the checkpoints until every event is published', async () => {
    // Prepare: 10 minutes of spills in two log groups, 300 events, more than one run may publish
    logs.groups.set(PRE_SIGNUP, spills(100, T0, 6_000, 'a'));
    logs.groups.set(POST_AUTH, spills(200, T0 + 500, 3_000, 'b'));
    const checkpoints = createMemoryCheckpointStore();

    // Act: runs of at most 8 PutEvents calls each (80 events), until one reports it caught up
    const reports = [];
    for (let runs = 0; runs < 20; runs += 1) {
      const report = await run({ checkpoints }, 8);
      reports.push(report);
      if (report.stoppedBy === StopReason.CaughtUp) break;
    }

    // Assess
    expect(reports.length).toBeGreaterThan(3);
    expect(reports.slice(0, -1).every((report) => report.stoppedBy === StopReason.Deadline && report.backlogSeconds > 0)).toBe(true);
    expect(reports.at(-1)).toMatchObject({ stoppedBy: StopReason.CaughtUp, backlogSeconds: 0 });
    expect(publishedIds().size).toBe(300);
    // A stop re-publishes at most its last wave: the repeats stay far below one run's worth per run.
    expect(bus.accepted.length - 300).toBeLessThanOrEqual(reports.length * 20);
    expect(checkpoints.all()).toEqual({ [PRE_SIGNUP]: T0 + 10 * 60_000, [POST_AUTH]: T0 + 10 * 60_000 });
    // Every run made progress: the backlog shrank run after run.
    const backlogs = reports.map((report) => report.backlogSeconds);
    expect([...backlogs].sort((a, b) => b - a)).toEqual(backlogs);
  });

  it('keeps the checkpoint before the first event the bus refused, and publishes from there once the bus is back', async () => {
    // Prepare: the bus accepts two calls, then throttles everything
    logs.groups.set(POST_AUTH, spills(60, T0, 5_000, 'c'));
    logs.groups.set(PRE_SIGNUP, []);
    const checkpoints = createMemoryCheckpointStore();
    bus.plan([{ kind: 'accept' }, { kind: 'accept' }], { kind: 'throttle' });

    // Act
    const refused = await run({ checkpoints, concurrency: 1 });
    bus.plan([], { kind: 'accept' });
    const resumed = await run({ checkpoints });

    // Assess
    // The throttling, or the publish deadline it ran into on a busy machine: either way the error, never the content.
    expect(refused).toMatchObject({ stoppedBy: StopReason.PublishFailure, publishError: expect.stringMatching(/^PublishError: 10 of 10 event\(s\) not published: /) });
    expect(refused.publishError).not.toContain('sign-in'); // names the error, never the content
    // The first slice (events 0..11, one minute) went through in the two accepted calls; the second slice's first call was refused.
    const firstRefused = T0 + 12 * 5_000;
    expect(refused.groups.find((group) => group.logGroup === POST_AUTH)?.reached).toBe(firstRefused);
    expect(resumed).toMatchObject({ stoppedBy: StopReason.CaughtUp, backlogSeconds: 0 });
    expect(publishedIds().size).toBe(60);
    // The resumed run started at the refused event: the accepted ones were not sent again.
    expect(bus.accepted.length).toBe(60);
  });

  it('starts a log group it never saw at firstSince, and treats a missing log group as caught up', async () => {
    // Prepare: only the post-authentication group exists; an old spill before firstSince is out of scope
    logs.groups.set(POST_AUTH, [...spills(1, T0 - 60_000, 1, 'd'), ...spills(3, T0 + 1_000, 1_000, 'e')]);
    const checkpoints = createMemoryCheckpointStore();

    // Act
    const report = await run({ checkpoints });

    // Assess
    expect(report.stoppedBy).toBe(StopReason.CaughtUp);
    expect(report.groups.find((group) => group.logGroup === PRE_SIGNUP)).toMatchObject({ missing: true, reached: T0 + 10 * 60_000 });
    expect([...publishedIds()].every((id) => id.startsWith('e'))).toBe(true);
    expect(publishedIds().size).toBe(3);
  });

  it('searches each slice with both FilterLogEvents ends inside it, so no line is read by two slices or by none', async () => {
    // Prepare: lines exactly on slice boundaries
    logs.groups.set(POST_AUTH, spills(11, T0, 60_000, 'f'));
    logs.groups.set(PRE_SIGNUP, []);
    logs.requests.length = 0;

    // Act
    await run({ checkpoints: createMemoryCheckpointStore(), sliceMs: 60_000 });

    // Assess: ten slices of [start, start + 60 s - 1 ms]; the line at `until` belongs to the next run
    const ranges = logs.requests.filter((request) => request.logGroupName === POST_AUTH).map((request) => [request.startTime, request.endTime]);
    expect(ranges).toEqual(Array.from({ length: 10 }, (_, index) => [T0 + index * 60_000, T0 + (index + 1) * 60_000 - 1]));
    expect(bus.accepted.length).toBe(10);
  });

  it('crosses a quiet stretch of log in few requests, slices doubling while empty, and still finds what follows it', async () => {
    // Prepare: ten hours without a spill, then three
    const tenHours = 10 * 3_600_000;
    logs.groups.set(POST_AUTH, spills(3, T0 + tenHours, 1_000, '9'));
    logs.groups.set(PRE_SIGNUP, []);
    logs.requests.length = 0;

    // Act
    const report = await run({ checkpoints: createMemoryCheckpointStore(), until: T0 + tenHours + 60_000 });

    // Assess: 60 one-minute requests' worth of log per group would be 601; doubling up to an hour takes a few dozen
    const requests = logs.requests.filter((request) => request.logGroupName === POST_AUTH);
    expect(report).toMatchObject({ stoppedBy: StopReason.CaughtUp, backlogSeconds: 0 });
    expect(publishedIds().size).toBe(3);
    expect(requests.length).toBeLessThan(25);
    // Consecutive ranges, no gap and no overlap, from the start to the target.
    requests.forEach((request, index) => expect(request.startTime).toBe(index === 0 ? T0 : (requests[index - 1]!.endTime as number) + 1));
    expect(requests.at(-1)?.endTime).toBe(T0 + tenHours + 60_000 - 1);
  });

  it('targets what was logged before the lag, on a whole minute, so a retried run has the same target', () => {
    // Act / Assess
    expect(scheduledUntil(new Date('2026-11-27T12:00:07Z'), 5)).toBe(Date.parse('2026-11-27T11:55:00Z'));
    expect(scheduledUntil(new Date('2026-11-27T12:00:59Z'), 5)).toBe(Date.parse('2026-11-27T11:55:00Z'));
  });
});

describe('Recover: checkpoints in DynamoDB', () => {
  const dynamo = mockClient(DynamoDBClient);
  afterEach(() => dynamo.reset());
  const store = () => createDynamoDbCheckpointStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'authtrail-dev-recovery' });

  it('reads a checkpoint consistently, and moves it only forward with a conditional update', async () => {
    // Prepare
    dynamo.on(GetItemCommand).resolves({ Item: { logGroup: { S: POST_AUTH }, doneUntil: { N: String(T0) } } });
    dynamo.on(UpdateItemCommand).resolves({});

    // Act
    const read = await store().get(POST_AUTH);
    await store().advance(POST_AUTH, T0 + 60_000);

    // Assess
    expect(read).toBe(T0);
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true, Key: { logGroup: { S: POST_AUTH } } });
    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'authtrail-dev-recovery',
      ConditionExpression: 'attribute_not_exists(#doneUntil) OR #doneUntil < :doneUntil',
      ExpressionAttributeValues: { ':doneUntil': { N: String(T0 + 60_000) } },
    });
  });

  it('leaves a checkpoint another run moved further alone (ConditionalCheckFailedException), and passes other errors on', async () => {
    // Prepare
    dynamo
      .on(UpdateItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .rejectsOnce(new Error('ResourceNotFoundException: Requested resource not found'));

    // Act
    const behind = store().advance(POST_AUTH, T0);
    const broken = store().advance(POST_AUTH, T0);

    // Assess
    await expect(behind).resolves.toBeUndefined();
    await expect(broken).rejects.toThrow('Requested resource not found');
  });

  it('has no checkpoint for a log group never recovered', async () => {
    // Prepare
    dynamo.on(GetItemCommand).resolves({});

    // Act / Assess
    await expect(store().get(PRE_SIGNUP)).resolves.toBeUndefined();
  });
});
