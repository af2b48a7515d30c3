/**
 * One CloudTrail record of a user pool, as the account's default bus delivers
 * it, end to end: check the envelope, keep only the stage's pool, turn the
 * record into an AuthEvent, apply the PII policy, publish through the same sink
 * as the triggers, and spill what the bus did not take.
 *
 * Off the sign-in path, so nothing is thrown for a bad record (a Lambda retry
 * would not make it readable). What is not ours (another pool, an app client
 * the stage does not name) and what has no mapping (a read-only call) is
 * counted as ignored; what cannot be read is reported, never with its content.
 */
import { formatIssues } from '../config/load.ts';
import type { StageConfig } from '../config/schema.ts';
import { ProblemCode, messageOf } from '../errors.ts';
import { cloudTrailFailureMetrics } from '../metrics/catalog.ts';
import { publishOrSpill, type TriggerRuntime } from '../runtime/handler.ts';
import { finalizeEvent } from '../runtime/process.ts';
import { own } from '../own.ts';
import { authEventOfCloudTrail, UnmappedCloudTrailEventError } from './normalize.ts';
import { CloudTrailEnvelopeSchema, recordClientId, recordUserPoolId, type CloudTrailRecord } from './record.ts';

export const CloudTrailProblemCode = {
  InvalidRecord: 'INVALID_RECORD',
  /** A bug: our own output failed the AuthEvent schema. */
  NormalizeFailed: 'NORMALIZE_FAILED',
  PublishFailed: ProblemCode.PublishFailed,
} as const;
export type CloudTrailProblemCode = (typeof CloudTrailProblemCode)[keyof typeof CloudTrailProblemCode];

export interface CloudTrailProblem {
  source: 'cloudtrail';
  code: CloudTrailProblemCode;
  message: string;
  /** CloudTrail's eventID when it could be read: enough to find the record, without copying it. */
  eventId?: string;
}

/** Why a readable record produced no event. Counted, not reported: most are expected. */
export const CloudTrailIgnored = {
  /** The record names another user pool. */
  OtherPool: 'OTHER_POOL',
  /** The record names no pool, and its app client is not in the stage config's `clients`. */
  UnknownClient: 'UNKNOWN_CLIENT',
  /** The record names neither pool nor client, and the stage config says `cloudTrail.recordsWithoutPoolOrClient: ignore`. */
  Unattributed: 'UNATTRIBUTED',
  /** Its event name has no AuthEvent mapping (lib/cloudtrail/kinds.ts). */
  Unmapped: 'UNMAPPED_EVENT_NAME',
} as const;
export type CloudTrailIgnored = (typeof CloudTrailIgnored)[keyof typeof CloudTrailIgnored];

export interface CloudTrailSummary {
  received: number;
  published: number;
  ignored: number;
  /** Unreadable records and normalizer bugs (reported). */
  skipped: number;
  spilled: number;
  ignoredBecause?: CloudTrailIgnored;
}

export type CloudTrailRuntime = Omit<TriggerRuntime, 'onProblem'> & {
  /** The stage's user pool id; unset (local replays of any pool) turns the pool filter off. */
  userPoolId?: string;
};

/**
 * Whether the record is the stage's: the pool it names must be the stage's;
 * a record that names no pool (InitiateAuth, SignUp... name only the app
 * client) must come through an app client the stage config names.
 */
export const ignoredBecause = (
  record: CloudTrailRecord,
  stage: { userPoolId?: string; config: Pick<StageConfig, 'clients' | 'cloudTrail'> },
): CloudTrailIgnored | undefined => {
  if (stage.userPoolId === undefined) return undefined;
  const pool = recordUserPoolId(record);
  if (pool !== undefined) return pool === stage.userPoolId ? undefined : CloudTrailIgnored.OtherPool;
  const client = recordClientId(record);
  if (client === undefined) {
    return stage.config.cloudTrail.recordsWithoutPoolOrClient === 'accept' ? undefined : CloudTrailIgnored.Unattributed;
  }
  return own(stage.config.clients, client) === undefined ? CloudTrailIgnored.UnknownClient : undefined;
};

export const createCloudTrailIngester = (runtime: CloudTrailRuntime, onProblem?: (problem: CloudTrailProblem) => void) => {
  const report = (problem: CloudTrailProblem): void => {
    // Never the record: it carries IPs, user agents and user ids.
    runtime.logger.error('authtrail.problem', { problem });
    onProblem?.(problem);
  };
  const empty = (): CloudTrailSummary => ({ received: 1, published: 0, ignored: 0, skipped: 0, spilled: 0 });

  return async (payload: unknown): Promise<CloudTrailSummary> => {
    const summary = empty();
    const envelope = CloudTrailEnvelopeSchema.safeParse(payload);
    if (!envelope.success) {
      report({ source: 'cloudtrail', code: CloudTrailProblemCode.InvalidRecord, message: formatIssues(envelope.error.issues) });
      return { ...summary, skipped: 1 };
    }
    const record = envelope.data.detail;
    const notOurs = ignoredBecause(record, runtime);
    if (notOurs !== undefined) return { ...summary, ignored: 1, ignoredBecause: notOurs };

    let event;
    try {
      event = finalizeEvent(authEventOfCloudTrail(record, { ...runtime, now: runtime.clock() }), runtime);
    } catch (error) {
      if (error instanceof UnmappedCloudTrailEventError) return { ...summary, ignored: 1, ignoredBecause: CloudTrailIgnored.Unmapped };
      report({
        source: 'cloudtrail',
        code: CloudTrailProblemCode.NormalizeFailed,
        message: `${(error as Error).name ?? 'Error'}: ${messageOf(error)}`,
        eventId: record.eventID,
      });
      return { ...summary, skipped: 1 };
    }

    // Counted whether or not it reaches the bus: the lockout alarm must not wait for a healthy bus.
    runtime.metrics?.record?.(cloudTrailFailureMetrics(event));
    const { undelivered, error } = await publishOrSpill(runtime, [event]);
    summary.spilled = undelivered.length;
    summary.published = 1 - undelivered.length;
    if (error !== undefined) report({ source: 'cloudtrail', code: CloudTrailProblemCode.PublishFailed, message: error, eventId: record.eventID });
    return summary;
  };
};
