/**
 * Resumable, bounded recovery: what the scheduled `recover-spilled` runs.
 *
 * A fixed window per run could not catch up after a long bus outage: a window
 * with more spill lines than one run can re-publish timed out at the same place
 * on every retry and was then dropped. Instead each log group has a checkpoint
 * (./checkpoint.ts): the log time up to which everything has been re-published.
 * A run walks each group from its checkpoint towards `until` in slices of log
 * time, and stops while it still has `reserveMs` left, with the checkpoints
 * saved; the next run continues from there, until caught up.
 *
 * Within a slice, every matching line is fetched first and sorted by log time,
 * so the checkpoint can stop between two events of a slice without relying on
 * the order FilterLogEvents pages in. Events are published in waves of parallel
 * PutEvents calls; a checkpoint never passes an event that was not published
 * (a stop re-publishes at most the events of its last wave and those sharing a
 * millisecond with the first unpublished one: consumers deduplicate on the id).
 *
 * Generic over log groups: the lines are found with `filterPattern` and turned
 * into spill records by `parse` (the spill format by default).
 */
import { ResourceNotFoundException, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { AuthEvent } from '../auth-event/schema.ts';
import { messageOf } from '../errors.ts';
import { PublishError, type EventSink } from '../sinks/sink.ts';
import { SPILL_FILTER_PATTERN, parseSpillLine, type SpillRecord } from '../publish/spill.ts';
import type { CheckpointStore } from './checkpoint.ts';
import { filterLogLines, markRecovered } from './recover.ts';

export const RECOVERY_DEFAULTS = {
  /** Log time fetched and sorted at once per log group, where spills are found. */
  sliceMs: 60_000,
  /** Empty slices double up to this: a quiet log (the usual case, or days behind) costs few FilterLogEvents calls. */
  maxSliceMs: 3_600_000,
  /** Events per publish call (the publisher sends them as PutEvents calls of 10). */
  chunkSize: 50,
  /** Publish calls in flight at once. */
  concurrency: 8,
  /** The run stops with at least this much of its time left: a slice's fetch and one wave must fit in it. */
  reserveMs: 30_000,
} as const;

export interface ResumableRecoveryOptions {
  logs: CloudWatchLogsClient;
  publisher: EventSink;
  checkpoints: CheckpointStore;
  logGroups: readonly string[];
  /** Recover what was logged before this time (epoch ms). */
  until: number;
  /** Where a log group without a checkpoint starts (epoch ms). */
  firstSince: number;
  /** Time this run may still spend (Lambda: context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Processing time, for `pipeline.recovered.at`. */
  now: () => Date;
  sliceMs?: number;
  maxSliceMs?: number;
  chunkSize?: number;
  concurrency?: number;
  reserveMs?: number;
  filterPattern?: string;
  parse?: (message: string) => SpillRecord | undefined;
}

export const StopReason = {
  CaughtUp: 'caught-up',
  Deadline: 'deadline',
  PublishFailure: 'publish-failure',
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

export interface LogGroupProgress {
  logGroup: string;
  /** Checkpoint at the start of the run (epoch ms). */
  from: number;
  /** Checkpoint at its end: everything logged before it has been re-published. */
  reached: number;
  found: number;
  published: number;
  missing: boolean;
}

export interface ResumableRecoveryReport {
  until: number;
  stoppedBy: StopReason;
  groups: LogGroupProgress[];
  found: number;
  published: number;
  /** Log time not yet recovered, over the log groups: `until` minus the oldest checkpoint, in seconds. */
  backlogSeconds: number;
  /** Why publishing stopped, when it did (no event content). */
  publishError?: string;
}

interface Timed {
  timestamp: number;
  event: AuthEvent;
}

/** A slice's events, sorted by log time, each id once (its earliest line). */
const sortedUnique = (records: { timestamp: number; record: SpillRecord }[], now: Date): Timed[] => {
  const seen = new Set<string>();
  const result: Timed[] = [];
  for (const { timestamp, record } of [...records].sort((a, b) => a.timestamp - b.timestamp)) {
    if (seen.has(record.event.id)) continue;
    seen.add(record.event.id);
    result.push({ timestamp, event: markRecovered(record, now) });
  }
  return result;
};

/** Publishes `wave` as parallel calls of `chunkSize`; the index (in `wave`) of the first event not published, or -1. */
const publishWave = async (
  publisher: EventSink,
  wave: readonly Timed[],
  chunkSize: number,
): Promise<{ firstFailed: number; error?: string }> => {
  const chunks: { start: number; events: AuthEvent[] }[] = [];
  for (let start = 0; start < wave.length; start += chunkSize) {
    chunks.push({ start, events: wave.slice(start, start + chunkSize).map((item) => item.event) });
  }
  const outcomes = await Promise.all(
    chunks.map(async ({ start, events }) => {
      try {
        await publisher.publish(events);
        return { firstFailed: -1 };
      } catch (error) {
        const undelivered = new Set(error instanceof PublishError ? error.undelivered.map((event) => event.id) : events.map((event) => event.id));
        const offset = events.findIndex((event) => undelivered.has(event.id));
        return { firstFailed: start + (offset < 0 ? 0 : offset), error: `${(error as Error).name}: ${messageOf(error)}` };
      }
    }),
  );
  const failed = outcomes.filter((outcome) => outcome.firstFailed >= 0).sort((a, b) => a.firstFailed - b.firstFailed)[0];
  return failed ?? { firstFailed: -1 };
};

export const recoverResumably = async (options: ResumableRecoveryOptions): Promise<ResumableRecoveryReport> => {
  const sliceMs = options.sliceMs ?? RECOVERY_DEFAULTS.sliceMs;
  const maxSliceMs = Math.max(sliceMs, options.maxSliceMs ?? RECOVERY_DEFAULTS.maxSliceMs);
  const chunkSize = options.chunkSize ?? RECOVERY_DEFAULTS.chunkSize;
  const waveSize = chunkSize * (options.concurrency ?? RECOVERY_DEFAULTS.concurrency);
  const reserveMs = options.reserveMs ?? RECOVERY_DEFAULTS.reserveMs;
  const filterPattern = options.filterPattern ?? SPILL_FILTER_PATTERN;
  const parse = options.parse ?? parseSpillLine;
  const outOfTime = () => options.remainingMs() < reserveMs;

  const groups: LogGroupProgress[] = [];
  for (const logGroup of options.logGroups) {
    const from = (await options.checkpoints.get(logGroup)) ?? options.firstSince;
    groups.push({ logGroup, from, reached: from, found: 0, published: 0, missing: false });
  }
  // The group furthest behind first, so no group starves behind another's backlog.
  const queue = [...groups].sort((a, b) => a.reached - b.reached);
  let stoppedBy: StopReason = StopReason.CaughtUp;
  let publishError: string | undefined;

  const advance = async (group: LogGroupProgress, to: number) => {
    if (to <= group.reached) return;
    await options.checkpoints.advance(group.logGroup, to);
    group.reached = to;
  };

  /** A slice's matching lines; undefined when the log group does not exist. */
  const fetchSlice = async (logGroup: string, since: number, sliceEnd: number) => {
    const lines: { timestamp: number; record: SpillRecord }[] = [];
    try {
      // FilterLogEvents takes both ends inclusive: the slice is [since, sliceEnd).
      for await (const page of filterLogLines(options.logs, logGroup, filterPattern, since, sliceEnd - 1)) {
        for (const line of page) {
          const record = parse(line.message);
          if (record !== undefined) lines.push({ timestamp: line.timestamp, record });
        }
      }
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    return lines;
  };

  groups: for (const group of queue) {
    // The next slice is fetched while the current one is published: reading and publishing overlap.
    let fetching: { end: number; lines: ReturnType<typeof fetchSlice> } | undefined;
    let span = sliceMs;
    while (group.reached < options.until) {
      if (outOfTime()) {
        stoppedBy = StopReason.Deadline;
        break groups;
      }
      const sliceEnd = fetching?.end ?? Math.min(group.reached + span, options.until);
      const lines = await (fetching?.lines ?? fetchSlice(group.logGroup, group.reached, sliceEnd));
      span = lines !== undefined && lines.length === 0 ? Math.min(span * 2, maxSliceMs) : sliceMs;
      const nextEnd = Math.min(sliceEnd + span, options.until);
      fetching = sliceEnd < options.until ? { end: nextEnd, lines: fetchSlice(group.logGroup, sliceEnd, nextEnd) } : undefined;
      // An unused prefetch must not surface as an unhandled rejection; a used one rethrows where it is awaited.
      fetching?.lines.catch(() => undefined);
      if (lines === undefined) {
        // No log group: the function never logged, so there is nothing before `until` to recover.
        group.missing = true;
        await advance(group, options.until);
        break;
      }
      group.found += lines.length;
      const events = sortedUnique(lines, options.now());
      for (let start = 0; start < events.length; start += waveSize) {
        if (start > 0 && outOfTime()) {
          await advance(group, events[start]!.timestamp);
          stoppedBy = StopReason.Deadline;
          break groups;
        }
        const wave = events.slice(start, start + waveSize);
        const { firstFailed, error } = await publishWave(options.publisher, wave, chunkSize);
        if (firstFailed >= 0) {
          group.published += firstFailed;
          await advance(group, wave[firstFailed]!.timestamp);
          stoppedBy = StopReason.PublishFailure;
          publishError = error;
          break groups;
        }
        group.published += wave.length;
      }
      await advance(group, sliceEnd);
    }
  }

  const oldest = Math.min(...groups.map((group) => group.reached), options.until);
  return {
    until: options.until,
    stoppedBy,
    groups,
    found: groups.reduce((sum, group) => sum + group.found, 0),
    published: groups.reduce((sum, group) => sum + group.published, 0),
    backlogSeconds: Math.max(0, Math.round((options.until - oldest) / 1000)),
    ...(publishError === undefined ? {} : { publishError }),
  };
};

/**
 * The recovery target of a scheduled run at `time`: what was logged before
 * `lagMinutes` ago (CloudWatch Logs may take minutes to make lines searchable),
 * on a whole minute, so a retried run has the same target.
 */
export const scheduledUntil = (time: Date, lagMinutes: number): number =>
  Math.floor(time.getTime() / 60_000) * 60_000 - lagMinutes * 60_000;
