/**
 * Recovery checkpoints: per log group, the log event time up to which every
 * spill line has been re-published (epoch ms, exclusive). A scheduled run starts
 * each log group at its checkpoint and moves it forward as it goes, so a backlog
 * larger than one run is recovered over several, each continuing where the last
 * stopped (./resumable.ts).
 *
 * On AWS, the DynamoDB table `authtrail-<stage>-recovery` (one item per log
 * group: `logGroup` S, `doneUntil` N). A checkpoint only moves forward: the write
 * is conditional on the stored value being lower, so a late retry of an old run,
 * or a run that overlaps another, never moves a log group back (which would only
 * cost re-publishing what was already published).
 */
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface CheckpointStore {
  /** Everything logged before this time (epoch ms) in the group has been re-published; undefined: never recovered. */
  get(logGroup: string): Promise<number | undefined>;
  /** Moves the group's checkpoint to `doneUntil`; never backwards (a lower value is ignored). */
  advance(logGroup: string, doneUntil: number): Promise<void>;
}

export const createMemoryCheckpointStore = (initial: Record<string, number> = {}): CheckpointStore & { all(): Record<string, number> } => {
  const checkpoints = new Map(Object.entries(initial));
  return {
    get: async (logGroup) => checkpoints.get(logGroup),
    advance: async (logGroup, doneUntil) => {
      if ((checkpoints.get(logGroup) ?? Number.NEGATIVE_INFINITY) < doneUntil) checkpoints.set(logGroup, doneUntil);
    },
    all: () => Object.fromEntries(checkpoints),
  };
};

export const createDynamoDbCheckpointStore = (options: { client: DynamoDBClient; tableName: string }): CheckpointStore => {
  const { client, tableName } = options;
  return {
    get: async (logGroup) => {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { logGroup: { S: logGroup } }, ConsistentRead: true }),
      );
      const value = Item?.doneUntil?.N;
      return value === undefined ? undefined : Number(value);
    },
    advance: async (logGroup, doneUntil) => {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { logGroup: { S: logGroup } },
            UpdateExpression: 'SET #doneUntil = :doneUntil',
            ConditionExpression: 'attribute_not_exists(#doneUntil) OR #doneUntil < :doneUntil',
            ExpressionAttributeNames: { '#doneUntil': 'doneUntil' },
            ExpressionAttributeValues: { ':doneUntil': { N: String(doneUntil) } },
          }),
        );
      } catch (error) {
        // Already at or past this point (another run got further): nothing to do.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
};
