/**
 * Failed sign-in inference with several containers at once (no reserved
 * concurrency): the DynamoDB store writes a key only if nobody wrote it since it
 * was read, and the engine reads again and redoes its change when somebody did.
 *
 * DynamoDB is replaced at the SDK boundary (aws-sdk-client-mock) by a small
 * table that evaluates the store's own condition expressions the way DynamoDB
 * does, and answers a failed condition with ConditionalCheckFailedException, as
 * the service does. Two consumers with their own clients interleave their reads
 * and writes on one key.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbStateStore } from '../../lib/inference/dynamodb-store.ts';
import { MAX_STATE_ATTEMPTS, StateConflictError, createFailedSignInInference, failedIdOf } from '../../lib/inference/failed-sign-in.ts';
import { T0, WINDOW_SECONDS, attempt, success } from './helpers.ts';

const TABLE = 'authtrail-dev-sign-ins';

type Item = Record<string, AttributeValue>;

/**
 * The conditions the store uses, evaluated as DynamoDB would: `attribute_not_exists(#version)` and
 * `#version = :read`. Anything else is refused, so the test fails if the store's expressions change unnoticed.
 */
const conditionHolds = (item: Item | undefined, input: { ConditionExpression?: string; ExpressionAttributeValues?: Item }): boolean => {
  if (input.ConditionExpression === undefined) return true;
  if (input.ConditionExpression === 'attribute_not_exists(#version)') return item?.version === undefined;
  if (input.ConditionExpression === '#version = :read') return item?.version?.N !== undefined && item.version.N === input.ExpressionAttributeValues?.[':read']?.N;
  throw new Error(`condition the fake table does not know: ${input.ConditionExpression}`);
};

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** A one-table DynamoDB behind the SDK; `beforeWrite` runs before each conditional write is evaluated. */
const fakeTable = (dynamo: ReturnType<typeof mockClient>, beforeWrite: () => Promise<void> = async () => undefined) => {
  const items = new Map<string, Item>();
  let conflicts = 0;
  dynamo.on(GetItemCommand).callsFake(async (input) => ({ Item: structuredClone(items.get(input.Key.pk.S)) }));
  /** Applies a write if its condition holds on the stored item, as DynamoDB does; else ConditionalCheckFailedException. */
  const conditionalWrite = async (key: string, input: Parameters<typeof conditionHolds>[1], apply: () => void) => {
    await beforeWrite();
    if (!conditionHolds(items.get(key), input)) {
      conflicts += 1;
      throw conditionFailed();
    }
    apply();
    return {};
  };
  dynamo.on(PutItemCommand).callsFake((input) => conditionalWrite(input.Item.pk.S, input, () => items.set(input.Item.pk.S, structuredClone(input.Item))));
  dynamo.on(DeleteItemCommand).callsFake((input) => conditionalWrite(input.Key.pk.S, input, () => items.delete(input.Key.pk.S)));
  dynamo.on(QueryCommand).callsFake(async (input) => ({
    Items: [...items.values()]
      .filter((item) => item.pending?.S === '1' && Number(item.pendingSince?.N) <= Number(input.ExpressionAttributeValues[':now'].N))
      .map((item) => ({ pk: item.pk })),
  }));
  return { items, conflicts: () => conflicts };
};

/** One container: its own SDK client, store and engine, on a shared clock. */
const container = (clock: () => number) =>
  createFailedSignInInference(createDynamoDbStateStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: TABLE, clock }), {
    windowSeconds: WINDOW_SECONDS,
    clock: () => new Date(clock()),
  });

describe('Inference: concurrent containers on the DynamoDB table', () => {
  const dynamo = mockClient(DynamoDBClient);
  afterEach(() => dynamo.reset());

  it('loses neither change when an attempt and its success are observed at once: the success settles the attempt', async () => {
    // Prepare: both containers read the key before either writes (the writes wait for both reads)
    let now = T0 + 1_000;
    let reads = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const table = fakeTable(dynamo, async () => {
      if (reads < 2) await bothRead;
    });
    dynamo.on(GetItemCommand).callsFake(async (input) => {
      reads += 1;
      if (reads === 2) release();
      return { Item: structuredClone(table.items.get(input.Key.pk.S)) };
    });
    const first = container(() => now);
    const second = container(() => now);

    // Act
    await Promise.all([first.observe(attempt(0, 'a1')), second.observe(success(1, 's1'))]);
    now = T0 + (WINDOW_SECONDS + 5) * 1000;
    const failed = await first.sweep();

    // Assess: one write lost the race, was refused, read again and re-applied; nothing is reported as failed
    expect(table.conflicts()).toBe(1);
    expect(failed).toEqual([]);
    const [item] = [...table.items.values()];
    const state = JSON.parse(item?.state?.S ?? '{}') as { attempts: unknown[]; successes: { settled: string | null }[] };
    expect(state.attempts).toEqual([]);
    expect(state.successes[0]?.settled).toBe('a1'.padEnd(32, '0'));
  });

  it('refuses the attempt\'s write when the success was written after the attempt was read; the attempt, re-applied, is settled', async () => {
    // Prepare: the success's write lands between the attempt's read and its write
    let now = T0 + 1_000;
    let successWritten: () => void = () => undefined;
    const afterSuccess = new Promise<void>((resolve) => (successWritten = resolve));
    const table = fakeTable(dynamo);
    const attemptContainer = container(() => now);
    const successContainer = container(() => now);
    let firstRead = true;
    dynamo.on(GetItemCommand).callsFake(async (input) => {
      const item = structuredClone(table.items.get(input.Key.pk.S));
      if (firstRead) {
        firstRead = false;
        await afterSuccess; // the attempt's container read the key as empty, and now waits
      }
      return { Item: item };
    });

    // Act
    const attemptDone = attemptContainer.observe(attempt(0, 'a1'));
    await successContainer.observe(success(1, 's1'));
    successWritten();
    await attemptDone;
    now = T0 + (WINDOW_SECONDS + 5) * 1000;
    const failed = await successContainer.sweep();

    // Assess
    expect(table.conflicts()).toBe(1);
    expect(failed).toEqual([]);
  });

  it('reports each failure once when two sweeps run at once', async () => {
    // Prepare
    let now = T0 + 1_000;
    const table = fakeTable(dynamo);
    const first = container(() => now);
    const second = container(() => now);
    await first.observe(attempt(0, 'a1'));
    now = T0 + (WINDOW_SECONDS + 5) * 1000;

    // Act
    const [fromFirst, fromSecond] = await Promise.all([first.sweep(), second.sweep()]);

    // Assess: the loser re-read the key, found the attempt decided and reported nothing
    expect([...fromFirst, ...fromSecond].map((event) => event.id)).toEqual([failedIdOf('a1'.padEnd(32, '0'))]);
    expect(table.conflicts()).toBe(1);
  });

  it(`gives up after ${MAX_STATE_ATTEMPTS} conflicts in a row with a StateConflictError, so Lambda retries the invocation`, async () => {
    // Prepare: every write is refused, as if others kept writing the key
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).rejects(conditionFailed());
    const engine = container(() => T0);

    // Act
    const outcome = engine.observe(attempt(0, 'a1'));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(StateConflictError);
    await expect(outcome).rejects.toMatchObject({ code: 'STATE_CONFLICT', cause: expect.any(ConditionalCheckFailedException) });
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(MAX_STATE_ATTEMPTS);
  });

  it('writes back a version it read, and replaces an expired item that DynamoDB has not deleted yet', async () => {
    // Prepare: an item past its TTL, at version 4
    const expired = { pk: { S: 'k' }, state: { S: JSON.stringify({ attempts: [], successes: [], done: [], watermark: 0, dueAt: null }) }, expiresAt: { N: String(T0 / 1000 - 60) }, version: { N: '4' } };
    dynamo.on(GetItemCommand).resolves({ Item: expired });
    dynamo.on(PutItemCommand).resolves({});
    const engine = container(() => T0);

    // Act
    await engine.observe(attempt(0, 'a1'));

    // Assess
    const put = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ ConditionExpression: '#version = :read', ExpressionAttributeValues: { ':read': { N: '4' } } });
    expect(put?.Item?.version).toEqual({ N: '5' });
    expect(JSON.parse(put?.Item?.state?.S ?? '{}')).not.toHaveProperty('version');
  });

  it('passes any other DynamoDB error through unchanged: no retry, Lambda retries the invocation', async () => {
    // Prepare
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const engine = container(() => T0);

    // Act
    const outcome = engine.observe(attempt(0, 'a1'));

    // Assess
    await expect(outcome).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
  });
});
