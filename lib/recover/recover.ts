/**
 * Recovery of spilled events: find the spill lines the triggers wrote to their
 * log groups (FilterLogEvents over a time window) and publish the events again.
 *
 * Idempotent by AuthEvent id: a recovered event keeps its original id (and only
 * gains `pipeline.recovered`), duplicates inside a run are published once, and
 * consumers deduplicate on the id, so recovering the same window twice changes
 * nothing downstream. The scheduled function walks contiguous, non-overlapping
 * windows; the CLI takes any window.
 */
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AuthEvent } from '../auth-event/schema.ts';
import { TriggerName } from '../cognito/trigger-sources.ts';
import { AuthtrailError, messageOf } from '../errors.ts';
import { PublishError, type EventSink } from '../sinks/sink.ts';
import { SPILL_FILTER_PATTERN, parseSpillLine, type SpillRecord } from '../publish/spill.ts';
import { namesFor } from '../naming.ts';

export interface RecoverWindow {
  since: Date;
  until: Date;
}

/** Functions that publish to the bus and spill when they cannot: the triggers (run from source), the Cognito log and CloudTrail ingestion, and the log-first forwarder. */
const SPILLING_FUNCTIONS = [...Object.values(TriggerName), 'cognito-log-events', 'cloudtrail-events', 'event-log-forwarder'] as const;

/** The log groups of a stage that may hold spill lines (Serverless Framework naming). */
export const spillLogGroups = (stage: string): string[] =>
  SPILLING_FUNCTIONS.map(namesFor(stage).functionLogGroup);

export interface FoundSpills {
  records: SpillRecord[];
  /** Log groups that do not exist (a function that never ran): not an error. */
  missingLogGroups: string[];
}

/** One log line that matched, with its log event time (epoch ms). */
export interface LogLine {
  timestamp: number;
  message: string;
}

/**
 * Every line of a log group matching `filterPattern` from `since` to `until`
 * (both inclusive, as FilterLogEvents takes them), page by page.
 */
export async function* filterLogLines(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  filterPattern: string,
  since: number,
  until: number,
): AsyncGenerator<LogLine[]> {
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({ logGroupName, filterPattern, startTime: since, endTime: until, nextToken }),
    );
    yield (page.events ?? []).flatMap((event) =>
      event.message === undefined ? [] : [{ timestamp: event.timestamp ?? since, message: event.message }],
    );
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
}

export const findSpills = async (
  logs: CloudWatchLogsClient,
  logGroups: readonly string[],
  window: RecoverWindow,
): Promise<FoundSpills> => {
  const records: SpillRecord[] = [];
  const missingLogGroups: string[] = [];
  for (const logGroupName of logGroups) {
    try {
      for await (const lines of filterLogLines(logs, logGroupName, SPILL_FILTER_PATTERN, window.since.getTime(), window.until.getTime())) {
        for (const line of lines) {
          const record = parseSpillLine(line.message);
          if (record !== undefined) records.push(record);
        }
      }
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      missingLogGroups.push(logGroupName);
    }
  }
  return { records, missingLogGroups };
};

export interface RecoverReport {
  found: number;
  duplicates: number;
  published: number;
  failed: number;
  failedIds: string[];
  missingLogGroups: string[];
}

/** The spilled event as it is published again: same id, with `pipeline.recovered`. */
export const markRecovered = (record: SpillRecord, now: Date): AuthEvent => ({
  ...record.event,
  pipeline: { ...record.event.pipeline, recovered: { at: now.toISOString(), reason: record.reason.slice(0, 256) } },
});

/** Marks and re-publishes spilled events, once per id, in chunks so progress survives a partial failure. */
export const republish = async (
  found: FoundSpills,
  publisher: EventSink,
  now: Date,
  onProgress: (done: number, total: number) => void = () => undefined,
  chunkSize = 100,
): Promise<RecoverReport> => {
  const unique = new Map<string, AuthEvent>();
  for (const record of found.records) {
    if (!unique.has(record.event.id)) unique.set(record.event.id, markRecovered(record, now));
  }
  const events = [...unique.values()];
  const failedIds: string[] = [];
  for (let start = 0; start < events.length; start += chunkSize) {
    const chunk = events.slice(start, start + chunkSize);
    try {
      await publisher.publish(chunk);
    } catch (error) {
      const undelivered = error instanceof PublishError ? error.undelivered : chunk;
      failedIds.push(...undelivered.map((event) => event.id));
      if (!(error instanceof PublishError)) throw new RepublishError(messageOf(error), { cause: error });
    }
    onProgress(Math.min(start + chunkSize, events.length), events.length);
  }
  return {
    found: found.records.length,
    duplicates: found.records.length - events.length,
    published: events.length - failedIds.length,
    failed: failedIds.length,
    failedIds,
    missingLogGroups: found.missingLogGroups,
  };
};

/** The sink failed in a way that is not a PublishError (no undelivered list): the recovery stops, the spills stay where they are. */
export class RepublishError extends AuthtrailError {
  readonly code = 'REPUBLISH_FAILED' as const;
  constructor(reason: string, options: ErrorOptions) {
    super(`re-publish failed: ${reason}`, options);
    this.name = 'RepublishError';
  }
}

/** A --since / --until value that is neither a time nor a duration. */
export class TimeArgumentError extends AuthtrailError {
  readonly code = 'INVALID_TIME_ARGUMENT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'TimeArgumentError';
  }
}

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2026-11-27T10:00:00Z", or a duration back from now: "30m", "2h", "7d". */
export const parseTimeArg = (value: string, now: Date, name: string): Date => {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * (UNITS[relative[2] as string] ?? 0));
  const absolute = new Date(value);
  if (Number.isNaN(absolute.getTime())) {
    throw new TimeArgumentError(`--${name} "${value}" is neither an ISO 8601 time nor a duration like 30m, 2h or 7d`);
  }
  return absolute;
};

/**
 * The window a scheduled run at `time` covers: the `rateMinutes` ending
 * `lagMinutes` before it (CloudWatch Logs may take minutes to make lines
 * searchable). Consecutive runs tile time without overlap, and a retried run
 * (same scheduled time) covers the same window again.
 */
export const scheduledWindow = (time: Date, rateMinutes: number, lagMinutes: number): RecoverWindow => {
  const rate = rateMinutes * 60_000;
  const end = Math.floor(time.getTime() / rate) * rate - lagMinutes * 60_000;
  return { since: new Date(end - rate), until: new Date(end) };
};
