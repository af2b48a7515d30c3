import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthEventSchema, type AuthEvent } from '../../lib/auth-event/schema.ts';
import { runInferCli } from '../../local/cli/infer-cli.ts';
import { createFailedSignInConsumer } from '../../lib/inference/consumer.ts';
import { createDynamoDbStateStore } from '../../lib/inference/dynamodb-store.ts';
import { createFailedSignInInference, failedIdOf } from '../../lib/inference/failed-sign-in.ts';
import { runLocalInference } from '../../local/inference/local-consumer.ts';
import { createFileStateStore, createMemoryStateStore } from '../../local/inference/state-store.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { createNdjsonFile, storePaths } from '../../local/sinks/local-store.ts';
import { golden } from '../siem/helpers.ts';
import { T0, WINDOW_SECONDS, attempt, success } from './helpers.ts';

const after = (seconds: number) => new Date(T0 + seconds * 1000);

/** The engine on a memory store, both on one clock that the test moves: observe at the clock's time, sweep at a given one. */
const inference = (start = T0) => {
  let now = start;
  const store = createMemoryStateStore(() => now);
  const engine = createFailedSignInInference(store, { windowSeconds: WINDOW_SECONDS, clock: () => new Date(now) });
  return {
    observe: async (...events: AuthEvent[]) => {
      for (const event of events) await engine.observe(event);
    },
    sweep: (date: Date) => {
      now = date.getTime();
      return engine.sweep();
    },
    /** Moves the processing clock without sweeping. */
    wait: (date: Date) => {
      now = date.getTime();
    },
  };
};

describe('Inference: failed sign-ins from attempts without a success', () => {
  it('turns an attempt with no success within the window into one signin.authenticate failed event', async () => {
    // Prepare
    const consumer = inference();
    await consumer.observe(attempt(0, 'a1'));

    // Act
    const early = await consumer.sweep(after(WINDOW_SECONDS - 1));
    const late = await consumer.sweep(after(WINDOW_SECONDS + 1));
    const again = await consumer.sweep(after(WINDOW_SECONDS + 60));

    // Assess
    expect(early).toEqual([]);
    expect(late).toHaveLength(1);
    expect(again).toEqual([]);
    const failed = late[0] as AuthEvent;
    expect(AuthEventSchema.parse(failed)).toEqual(failed);
    expect(failed).toMatchObject({
      id: failedIdOf('a1'.padEnd(32, '0')),
      category: 'signin',
      action: 'authenticate',
      outcome: 'failed',
      time: new Date(T0).toISOString(),
      reason: { code: 'NO_SUCCESS_WITHIN_WINDOW' },
      client: { id: '3n4b5urk1ft4fl3mg5e62d9ado', name: 'web-app' },
      pipeline: { inferred: { attemptId: 'a1'.padEnd(32, '0'), windowSeconds: WINDOW_SECONDS } },
    });
  });

  it('lets a success settle its attempt, even when the bus delivers the success first', async () => {
    // Prepare
    const inOrder = inference();
    const reversed = inference();

    // Act
    await inOrder.observe(attempt(0, 'a1'), success(1, '5e1'));
    await reversed.observe(success(1, '5e1'), attempt(0, 'a1'));

    // Assess
    expect(await inOrder.sweep(after(600))).toEqual([]);
    expect(await reversed.sweep(after(600))).toEqual([]);
  });

  it('keeps "wrong password, then the right one" as one failure: a success settles only the latest attempt before it', async () => {
    // Prepare
    const consumer = inference();

    // Act
    await consumer.observe(attempt(0, 'a1'), attempt(10, 'a2'), success(11, '5e2'));
    const failed = await consumer.sweep(after(600));

    // Assess
    expect(failed.map((event) => event.pipeline.inferred?.attemptId)).toEqual(['a1'.padEnd(32, '0')]);
  });

  it('counts a redelivered or retried attempt once', async () => {
    // Prepare
    const consumer = inference();

    // Act
    await consumer.observe(attempt(0, 'a1'), attempt(0, 'a1'));
    const failed = await consumer.sweep(after(600));
    await consumer.observe(attempt(0, 'a1'));
    const redelivered = await consumer.sweep(after(601));

    // Assess
    expect(failed).toHaveLength(1);
    expect(redelivered).toEqual([]);
  });

  it('does not pair users, clients or pools with each other, and ignores every other event', async () => {
    // Prepare
    const consumer = inference();
    const otherClient = { ...success(1, '5e1'), client: { id: '6m2c9c6r4m0k0s4bqlf0h0q0ja', name: 'mobile-app' } };
    const otherUser = { ...success(1, '5e2'), user: { ...success(1, '5e2').user, sub: 'someone-else' } };

    // Act
    await consumer.observe(attempt(0, 'a1'), otherClient, otherUser, golden('pre-signup/sign-up-allowed.json'));
    const failed = await consumer.sweep(after(600));

    // Assess
    expect(failed).toHaveLength(1);
  });

  it('ignores a denied attempt: the policy already said no, and the event says so', async () => {
    // Prepare
    const consumer = inference();

    // Act
    await consumer.observe(golden('pre-authentication/sign-in-denied-blocked-user.json'));

    // Assess
    expect(await consumer.sweep(after(10_000))).toEqual([]);
  });
});

describe('Inference: event time, not the wall clock', () => {
  const THREE_DAYS_S = 3 * 24 * 60 * 60;
  /** A morning of sign-ins: a1 fails, a2 then the right password, a3 fails late in the stream. */
  const morning = () => [attempt(0, 'a1'), attempt(30, 'a2'), success(32, '5e2'), attempt(400, 'a3')];

  it('gives the same failed sign-ins for attempts replayed three days later as for the same attempts live', async () => {
    // Prepare
    const live = inference(T0);
    const replay = inference(T0 + THREE_DAYS_S * 1000);

    // Act: live, each event as it happens; replayed, all of them at once three days later
    const liveFailed: AuthEvent[] = [];
    for (const event of morning()) {
      liveFailed.push(...(await live.sweep(new Date(Date.parse(event.time)))));
      await live.observe(event);
    }
    liveFailed.push(...(await live.sweep(after(400 + WINDOW_SECONDS + 1))));
    await replay.observe(...morning());
    const replayFailed = [
      ...(await replay.sweep(after(THREE_DAYS_S + 1))),
      ...(await replay.sweep(after(THREE_DAYS_S + WINDOW_SECONDS + 1))),
    ];

    // Assess
    const ids = (events: AuthEvent[]) => events.map((event) => event.id);
    expect(ids(liveFailed)).toEqual([failedIdOf('a1'.padEnd(32, '0')), failedIdOf('a3'.padEnd(32, '0'))]);
    expect(replayFailed).toEqual(liveFailed);
  });

  it('keeps a replayed attempt pending for a whole window after it arrives, so its success replayed after it settles it', async () => {
    // Prepare: the attempt arrives three days late, the sweep runs, then its success arrives
    const consumer = inference(T0 + THREE_DAYS_S * 1000);
    await consumer.observe(attempt(0, 'a1'));

    // Act
    const beforeSuccess = await consumer.sweep(after(THREE_DAYS_S + 60));
    await consumer.observe(success(3, '5e1'));
    const afterSuccess = await consumer.sweep(after(THREE_DAYS_S + 10 * WINDOW_SECONDS));

    // Assess
    expect(beforeSuccess).toEqual([]);
    expect(afterSuccess).toEqual([]);
  });

  it('lets a success that arrives late settle its attempt while the key has seen nothing past the window', async () => {
    // Prepare
    const consumer = inference(T0);
    await consumer.observe(attempt(0, 'a1'));

    // Act: a sweep while the success is in flight, then the success a minute late
    const inFlight = await consumer.sweep(after(WINDOW_SECONDS / 2));
    consumer.wait(after(WINDOW_SECONDS - 1));
    await consumer.observe(success(2, '5e1'));
    const settled = await consumer.sweep(after(WINDOW_SECONDS * 10));

    // Assess
    expect(inFlight).toEqual([]);
    expect(settled).toEqual([]);
  });

  it("judges an attempt as soon as the key's own events have moved past its window, without waiting on the clock", async () => {
    // Prepare: a replay where the same user tries again after the window
    const consumer = inference(T0 + THREE_DAYS_S * 1000);

    // Act
    await consumer.observe(attempt(0, 'a1'), attempt(WINDOW_SECONDS + 5, 'a2'));
    const failed = await consumer.sweep(after(THREE_DAYS_S));

    // Assess
    expect(failed.map((event) => event.id)).toEqual([failedIdOf('a1'.padEnd(32, '0'))]);
  });
});

describe('Inference: the local consumer on the local store', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the events log from its cursor, keeps pending attempts across runs in a file, and publishes failures once', async () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'authtrail-inference-'));
    const log = createNdjsonFile(storePaths(dir, 'dev')['events-log']);
    const published: AuthEvent[] = [];
    const sink = { publish: async (events: readonly AuthEvent[]) => void published.push(...events) };
    const run = (seconds: number) => runLocalInference({ storeDir: dir as string, stage: 'dev', windowSeconds: WINDOW_SECONDS, now: after(seconds), sink });
    log.append([toBusEnvelope(attempt(0, 'a1'), '000000000000', 'eu-west-1'), { detail: { category: 'offline-probe' } }]);

    // Act
    const first = await run(5);
    log.append([toBusEnvelope(attempt(20, 'a2'), '000000000000', 'eu-west-1'), toBusEnvelope(success(21, '5e2'), '000000000000', 'eu-west-1')]);
    const second = await run(WINDOW_SECONDS + 30);
    const third = await run(WINDOW_SECONDS + 60);
    log.close();

    // Assess
    expect(first).toEqual({ read: 1, failed: [] });
    expect(second.read).toBe(2);
    expect(second.failed.map((event) => event.id)).toEqual([failedIdOf('a1'.padEnd(32, '0'))]);
    expect(third).toEqual({ read: 0, failed: [] });
    expect(published).toEqual(second.failed);
  });

  it('forgets state after a few windows, as a TTL would', async () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'authtrail-inference-'));
    let now = T0;
    const store = createFileStateStore(join(dir, 'state.json'), () => now);
    await store.put('k', { attempts: [], successes: [], done: [{ id: 'x', at: T0, seenAt: T0 }], watermark: T0, dueAt: null }, T0 + 1_000);

    // Act
    const before = await store.get('k');
    now = T0 + 2_000;
    const afterwards = await store.get('k');

    // Assess
    expect(before).toEqual({ attempts: [], successes: [], done: [{ id: 'x', at: T0, seenAt: T0 }], watermark: T0, dueAt: null, version: 1 });
    expect(afterwards).toBeUndefined();
  });
});

describe('Inference: npm run infer on the local store', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('puts the failed sign-ins of a replay on the local bus, which routes them to the log and the SIEM queue', async () => {
    // Prepare: what npm start stores for the sign-in fixtures (attempts and successes, golden ids and times)
    dir = mkdtempSync(join(tmpdir(), 'authtrail-infer-'));
    const log = createNdjsonFile(storePaths(dir, 'dev')['events-log']);
    const files = ['pre-authentication/sign-in-attempt-web.json', 'post-authentication/sign-in-web.json', 'pre-authentication/sign-in-attempt-unknown-user.json'];
    log.append(files.map((file) => toBusEnvelope(golden(file), '000000000000', 'local')));
    log.close();
    const out: string[] = [];
    const io = { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => out.push(text) } };

    // Act
    const exit = await runInferCli({ stage: 'dev', storeDir: dir, at: new Date(T0 + 121_000).toISOString(), ...io });

    // Assess
    expect(exit).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ read: 3, failed: 1, windowSeconds: 120 });
    const queued = readFileSync(storePaths(dir, 'dev')['siem-queue'], 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      'detail-type': 'AuthEvent signin.authenticate',
      detail: { outcome: 'failed', pipeline: { inferred: { attemptId: golden('pre-authentication/sign-in-attempt-unknown-user.json').id } } },
    });
  });
});

describe('Inference: the consumer function on AWS', () => {
  const scheduled = (seconds: number) => ({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: after(seconds).toISOString(), detail: {} });
  const delivered = (event: AuthEvent) => toBusEnvelope(event, '123456789012', 'eu-west-1');
  const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

  it('observes sign-ins from the bus rule, and a scheduled sweep puts the failures on the bus', async () => {
    // Prepare
    let now = T0;
    const published: AuthEvent[] = [];
    const consume = createFailedSignInConsumer({
      store: createMemoryStateStore(() => now),
      sink: { publish: async (events) => void published.push(...events) },
      windowSeconds: WINDOW_SECONDS,
      logger: silentLogger,
      clock: () => new Date(now),
    });

    // Act
    const observed = [await consume(delivered(attempt(0, 'a1'))), await consume(delivered(attempt(5, 'a2'))), await consume(delivered(success(6, '5e2')))];
    now = after(WINDOW_SECONDS + 60).getTime();
    const swept = await consume(scheduled(WINDOW_SECONDS + 60));

    // Assess
    expect(observed).toEqual([1, 1, 1].map(() => ({ observed: 1, failed: 0 })));
    expect(swept).toEqual({ observed: 0, failed: 1 });
    expect(published.map((event) => event.pipeline.inferred?.attemptId)).toEqual(['a1'.padEnd(32, '0')]);
  });

  it('skips what is not an AuthEvent without throwing, so Lambda does not retry it', async () => {
    // Prepare
    const warned: string[] = [];
    const consume = createFailedSignInConsumer({
      store: createMemoryStateStore(() => T0),
      sink: { publish: async () => undefined },
      windowSeconds: WINDOW_SECONDS,
      logger: { ...silentLogger, warn: (message: string) => void warned.push(message) },
      clock: () => new Date(T0),
    });

    // Act
    const result = await consume({ source: 'authtrail.cognito', 'detail-type': 'AuthEvent offline-probe', detail: { category: 'offline-probe' } });

    // Assess
    expect(result).toEqual({ observed: 0, failed: 0 });
    expect(warned).toEqual(['authtrail.not_an_auth_event']);
  });

  it('keeps a failure pending when the bus refuses it, and reports it on the next sweep with the same id', async () => {
    // Prepare
    let now = T0;
    let refuse = true;
    const published: AuthEvent[] = [];
    const consume = createFailedSignInConsumer({
      store: createMemoryStateStore(() => now),
      sink: {
        publish: async (events) => {
          if (refuse) throw new Error('ThrottlingException');
          published.push(...events);
        },
      },
      windowSeconds: WINDOW_SECONDS,
      logger: silentLogger,
      clock: () => new Date(now),
    });
    await consume(delivered(attempt(0, 'a1')));
    now = after(WINDOW_SECONDS + 1).getTime();

    // Act
    const first = consume(scheduled(WINDOW_SECONDS + 1));
    await expect(first).rejects.toThrow('ThrottlingException');
    refuse = false;
    now = after(WINDOW_SECONDS + 61).getTime();
    const second = await consume(scheduled(WINDOW_SECONDS + 61));

    // Assess
    expect(second.failed).toBe(1);
    expect(published.map((event) => event.id)).toEqual([failedIdOf('a1'.padEnd(32, '0'))]);
  });
});

describe('Inference: the DynamoDB state store', () => {
  const dynamo = mockClient(DynamoDBClient);
  afterEach(() => dynamo.reset());
  const store = (now = T0) => createDynamoDbStateStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'authtrail-dev-sign-ins', clock: () => now });
  const pending = {
    attempts: [{ id: 'a1'.padEnd(32, '0'), at: T0 + 5_000, seenAt: T0 + 6_000, event: attempt(5, 'a1') }],
    successes: [],
    done: [],
    watermark: T0 + 5_000,
    dueAt: T0 + 6_000 + WINDOW_SECONDS * 1000 + 1,
  };

  it('writes one item per key with the TTL in seconds, and the sparse pending index keys (when the key falls due) only while attempts are pending', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});

    // Act
    await store().put('k1', pending, T0 + 1_500);
    await store().put('k2', { attempts: [], successes: [], done: [], watermark: T0, dueAt: null }, T0 + 1_500);

    // Assess
    const items = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item);
    expect(items[0]).toEqual({
      pk: { S: 'k1' },
      state: { S: JSON.stringify(pending) },
      expiresAt: { N: String(Math.ceil((T0 + 1_500) / 1000)) },
      version: { N: '1' },
      pending: { S: '1' },
      pendingSince: { N: String(pending.dueAt) },
    });
    // A key read as absent is created only if it still is.
    expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#version)',
      ExpressionAttributeNames: { '#version': 'version' },
    });
    expect(items[1]).not.toHaveProperty('pending');
    expect(items[1]).not.toHaveProperty('pendingSince');
  });

  it('reads consistently, and treats an item past its TTL as gone (DynamoDB deletes lazily)', async () => {
    // Prepare
    const item = { pk: { S: 'k1' }, state: { S: JSON.stringify(pending) }, expiresAt: { N: String((T0 + 60_000) / 1000) } };
    dynamo.on(GetItemCommand).resolves({ Item: item });

    // Act
    const live = await store(T0).get('k1');
    const expired = await store(T0 + 61_000).get('k1');

    // Assess
    expect(live).toEqual(pending);
    expect(expired).toBeUndefined();
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true, Key: { pk: { S: 'k1' } } });
  });

  it('finds due keys through the pending index, page by page, never by a scan', async () => {
    // Prepare
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: { S: 'k1' } }], LastEvaluatedKey: { pk: { S: 'k1' } } })
      .resolvesOnce({ Items: [{ pk: { S: 'k2' } }] });

    // Act
    const keys = await store().dueKeys(T0);

    // Assess
    expect(keys).toEqual(['k1', 'k2']);
    const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries[0]).toMatchObject({ IndexName: 'pending', ExpressionAttributeValues: { ':pending': { S: '1' }, ':now': { N: String(T0) } } });
    expect(queries[1]?.ExclusiveStartKey).toEqual({ pk: { S: 'k1' } });
  });
});
