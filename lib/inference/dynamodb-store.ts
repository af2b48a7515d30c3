/**
 * SignInStateStore on DynamoDB: the consumer's short-lived state on AWS
 * (docs/delivery.md, "Failed sign-in inference"). One item per correlation key:
 *
 * - `pk` (S): the correlation key (user pool, `sub` or hashed username, client id:
 *   AuthEvent values after the PII policy, nothing more personal than the log has);
 * - `state` (S): the KeyState as JSON;
 * - `expiresAt` (N, epoch seconds): the table's TTL attribute;
 * - `pending` (S, "1") and `pendingSince` (N, the state's `dueAt`: epoch ms from
 *   which a sweep may find a pending attempt due), set only while attempts are
 *   pending: the keys of the sparse index `pending` that the sweep queries, so it
 *   never scans the table. (The name is older than its meaning: renaming an
 *   index key would make CloudFormation replace the index.)
 *
 * - `version` (N): incremented by every write. A write or delete is conditional on
 *   the version read (or on no item, for a new key): two invocations changing the
 *   same key at once (an attempt and its success arrive together, the sweep runs
 *   beside them) cannot lose each other's change; the loser gets
 *   ConditionalCheckFailedException, thrown as StateConflictError, and the engine
 *   reads the key again and redoes its change. So the function needs no reserved
 *   concurrency (a new account's quota may not allow any).
 *
 * TTL deletes lazily (within days), so an expired item is treated as absent on
 * read, as the other stores do; the condition is on the version, not on
 * expiry, so an expired item still present is replaced like any other.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { StateConflictError, type KeyState, type SignInStateStore } from './failed-sign-in.ts';

export const PENDING_INDEX = 'pending';
const PENDING = '1';

/** The write condition: the item is still at the version read, or, for a key read as absent, has no version. */
const unchangedSince = (version: number | undefined) =>
  version === undefined
    ? { ConditionExpression: 'attribute_not_exists(#version)', ExpressionAttributeNames: { '#version': 'version' } }
    : {
        ConditionExpression: '#version = :read',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':read': { N: String(version) } },
      };

/** Runs a conditional write; a failed condition becomes StateConflictError. */
const conditional = async (key: string, write: () => Promise<unknown>): Promise<void> => {
  try {
    await write();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new StateConflictError(key, { cause: error });
    throw error;
  }
};

export const createDynamoDbStateStore = (options: {
  client: DynamoDBClient;
  tableName: string;
  clock: () => number;
}): SignInStateStore => {
  const { client, tableName, clock } = options;
  return {
    get: async (key) => {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ConsistentRead: true }));
      if (Item?.state?.S === undefined) return undefined;
      const version = Item.version?.N === undefined ? undefined : Number(Item.version.N);
      // Expired but not yet deleted: no state, but a write must still know the version it replaces.
      if (Number(Item.expiresAt?.N ?? '0') * 1000 < clock()) {
        return version === undefined ? undefined : { attempts: [], successes: [], done: [], watermark: 0, dueAt: null, version };
      }
      return { ...(JSON.parse(Item.state.S) as KeyState), ...(version === undefined ? {} : { version }) };
    },
    put: async (key, { version, ...state }, expiresAt) => {
      await conditional(key, () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: key },
              state: { S: JSON.stringify(state) },
              expiresAt: { N: String(Math.ceil(expiresAt / 1000)) },
              version: { N: String((version ?? 0) + 1) },
              ...(state.dueAt === null ? {} : { pending: { S: PENDING }, pendingSince: { N: String(state.dueAt) } }),
            },
            ...unchangedSince(version),
          }),
        ),
      );
    },
    delete: async (key, version) => {
      await conditional(key, () => client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ...unchangedSince(version) })));
    },
    dueKeys: async (now) => {
      const keys: string[] = [];
      let start: Record<string, any> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: PENDING_INDEX,
            KeyConditionExpression: '#pending = :pending AND #since <= :now',
            ExpressionAttributeNames: { '#pending': 'pending', '#since': 'pendingSince' },
            ExpressionAttributeValues: { ':pending': { S: PENDING }, ':now': { N: String(now) } },
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
        for (const item of page.Items ?? []) if (item.pk?.S !== undefined) keys.push(item.pk.S);
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return keys;
    },
  };
};
