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
 * TTL deletes lazily (within days), so an expired item is treated as absent on
 * read, as the other stores do.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { KeyState, SignInStateStore } from './failed-sign-in.ts';

export const PENDING_INDEX = 'pending';
const PENDING = '1';

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
      if (Number(Item.expiresAt?.N ?? '0') * 1000 < clock()) return undefined;
      return JSON.parse(Item.state.S) as KeyState;
    },
    put: async (key, state, expiresAt) => {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: { S: key },
            state: { S: JSON.stringify(state) },
            expiresAt: { N: String(Math.ceil(expiresAt / 1000)) },
            ...(state.dueAt === null ? {} : { pending: { S: PENDING }, pendingSince: { N: String(state.dueAt) } }),
          },
        }),
      );
    },
    delete: async (key) => {
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: key } } }));
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
