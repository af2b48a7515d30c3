/**
 * Failed sign-in inference, downstream of the bus. No Cognito trigger fires on a
 * wrong password: pre authentication sees every attempt, post authentication only
 * successes. This consumer pairs them. Each successful sign-in settles the latest
 * unsettled attempt by the same user through the same client at or before it; an
 * attempt still unsettled when its window has passed becomes a `signin.authenticate`
 * event with outcome `failed`. Pairing one success with one attempt (rather than
 * letting a success clear every earlier attempt) keeps "wrong password, then the
 * right one" visible as one failure and one success.
 *
 * Events may arrive late, twice, or out of order (EventBridge delivers at least
 * once, in no particular order): attempts and successes are deduplicated on their
 * ids, a success that arrives before its attempt waits for it, and the failed
 * event's id derives from the attempt's, so re-running never makes a second one.
 *
 * The short-lived state lives behind SignInStateStore (./state-store.ts): one
 * record per user pool + user + client, kept at most a few windows. Why there and
 * not elsewhere: docs/delivery.md, "Failed sign-in inference".
 */
import { createHash } from 'node:crypto';
import { Action, Category, Outcome, type AuthEvent } from '../auth-event/schema.ts';
import { AuthtrailError } from '../errors.ts';

export const FAILED_SIGN_IN_REASON = 'NO_SUCCESS_WITHIN_WINDOW' as const;

/** Lambda containers' clocks differ a little: a success this much "before" its attempt still settles it. */
export const CLOCK_SKEW_MS = 2_000;

/** How long an unswept attempt is kept after its window: the sweeper may be down that long without losing it. */
export const PENDING_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface PendingAttempt {
  id: string;
  /** Epoch ms of the attempt: event time. */
  at: number;
  /** Epoch ms when the consumer first saw it: processing time, for the idle timeout. */
  seenAt: number;
  event: AuthEvent;
}

export interface RecordedSuccess {
  id: string;
  at: number;
  seenAt: number;
  /** The attempt this success settled, once paired. */
  settled: string | null;
}

/** What the consumer keeps per user pool + user + client. */
export interface KeyState {
  attempts: PendingAttempt[];
  successes: RecordedSuccess[];
  /** Attempts already turned into failed events or settled: a redelivered attempt is not pending again. */
  done: { id: string; at: number; seenAt: number }[];
  /** The key's watermark: the latest event time seen for it (epoch ms). */
  watermark: number;
  /** Processing time (epoch ms) from which a sweep may find a pending attempt due; null when none is pending. */
  dueAt: number | null;
  /**
   * The store's version of this state when it was read (absent: the key had none). A store writes a state back
   * only if nobody wrote the key since: concurrent invocations never overwrite each other's changes.
   */
  version?: number;
}

/** Another invocation changed the key between our read and our write: read it again and redo the change. */
export class StateConflictError extends AuthtrailError {
  readonly code = 'STATE_CONFLICT' as const;
  constructor(key: string, options?: ErrorOptions) {
    super(`sign-in state of one key changed since it was read (key length ${key.length})`, options);
    this.name = 'StateConflictError';
  }
}

/** Attempts at one key's read-change-write before the conflict is thrown (Lambda then retries the invocation). */
export const MAX_STATE_ATTEMPTS = 8;

export interface SignInStateStore {
  /** The key's state, with the `version` it was read at. */
  get(key: string): Promise<KeyState | undefined>;
  /**
   * Replaces the key's state, only if the key is still at `state.version` (absent: has no state); else throws
   * StateConflictError. `expiresAt` (epoch ms, processing time) lets the store forget it (a TTL on AWS).
   */
  put(key: string, state: KeyState, expiresAt: number): Promise<void>;
  /** Deletes the key's state, under the same condition as `put`. */
  delete(key: string, version?: number): Promise<void>;
  /** Keys whose `dueAt` is at or before `now`. */
  dueKeys(now: number): Promise<string[]>;
}

/** Same pool, same user (sub, else the username as the PII policy left it: hashes are stable), same client. */
export const correlationKeyOf = (event: AuthEvent): string =>
  JSON.stringify([event.userPool.id, event.user.sub ?? event.user.username ?? null, event.client.id]);

const isAttempt = (event: AuthEvent) =>
  event.category === Category.SignIn && event.action === Action.Attempt && event.outcome === Outcome.Attempted;

const isSuccess = (event: AuthEvent) =>
  event.category === Category.SignIn && event.action === Action.Authenticate && event.outcome === Outcome.Succeeded;

/** Deterministic: the same attempt always gives the same failed-event id. */
export const failedIdOf = (attemptId: string): string =>
  createHash('sha256').update(`authtrail.failed-sign-in:${attemptId}`).digest('hex').slice(0, 32);

export const failedSignInOf = (attempt: AuthEvent, windowSeconds: number): AuthEvent => {
  const { device: _device, reason: _reason, ...rest } = attempt;
  return {
    ...rest,
    id: failedIdOf(attempt.id),
    // The attempt's time: when the user tried, which is what a timeline of failures needs.
    category: Category.SignIn,
    action: Action.Authenticate,
    outcome: Outcome.Failed,
    reason: {
      code: FAILED_SIGN_IN_REASON,
      message: `No successful sign-in by this user through this client within ${windowSeconds} s of the attempt.`,
    },
    pipeline: { ...attempt.pipeline, inferred: { attemptId: attempt.id, windowSeconds } },
  };
};

/** Pairs each unpaired success with the latest unsettled attempt at or before it (event time). Mutates `state`. */
const reconcile = (state: KeyState, windowMs: number): void => {
  for (const success of [...state.successes].sort((a, b) => a.at - b.at)) {
    if (success.settled !== null) continue;
    const candidates = state.attempts
      .filter((attempt) => attempt.at <= success.at + CLOCK_SKEW_MS && success.at - attempt.at <= windowMs)
      .sort((a, b) => b.at - a.at || a.id.localeCompare(b.id));
    const attempt = candidates[0];
    if (attempt === undefined) continue;
    success.settled = attempt.id;
    state.attempts = state.attempts.filter((pending) => pending.id !== attempt.id);
    state.done.push({ id: attempt.id, at: attempt.at, seenAt: attempt.seenAt });
  }
};

export interface FailedSignInInference {
  /** Takes one event from the bus; anything but sign-in attempts and successes is ignored. */
  observe(event: AuthEvent): Promise<void>;
  /**
   * The failed sign-ins that are due now (see `isDue`), each once. `emit` gets
   * each key's failures before the key's state records them as reported: if it
   * throws, the next sweep reports them again (same ids), so none is lost.
   * `completeUntil` (event time) says every event up to then has been observed,
   * as a batch over a finished log can (the local consumer); the stream on AWS
   * never says so.
   */
  sweep(options?: { emit?: (failed: readonly AuthEvent[]) => Promise<void>; completeUntil?: Date }): Promise<AuthEvent[]>;
}

/**
 * When an attempt is judged. Event time decides, never the age of the event on
 * the wall clock, so a replay, a recovered spill or a late delivery gives the same
 * failures as live traffic (issue: events judged against the wall clock were
 * dropped as expired the moment they arrived). As stream processors do, each key
 * has a watermark, the latest event time seen for it, and an attempt is due once
 * the watermark has passed the end of its window; a key that goes quiet advances
 * by the time it has waited (an idle timeout), so an attempt that has waited a
 * whole window since it arrived is due too: any success sent with it has arrived.
 */
const isDue = (attempt: PendingAttempt, state: KeyState, windowMs: number, now: number, completeUntil: number): boolean => {
  const windowEnd = attempt.at + windowMs;
  return windowEnd < state.watermark || windowEnd < completeUntil || attempt.seenAt + windowMs < now;
};

/** Processing time from which the key's earliest pending attempt is due, assuming nothing else arrives. */
const dueAtOf = (state: KeyState, windowMs: number, now: number): number | null =>
  state.attempts.length === 0
    ? null
    : Math.min(
        ...state.attempts.map((attempt) =>
          attempt.at + windowMs < state.watermark ? now : attempt.seenAt + windowMs + 1,
        ),
      );

export const createFailedSignInInference = (
  store: SignInStateStore,
  { windowSeconds, clock }: { windowSeconds: number; clock: () => Date },
): FailedSignInInference => {
  const windowMs = windowSeconds * 1000;
  // All in processing time (when the consumer saw each event), so a replayed event is kept as long as a live one.
  // Successes: long enough to pair late attempts. Attempts, pending or decided: a day past their window, so a
  // sweeper that stopped for a while still reports them, and a redelivery (EventBridge retries up to 24 h) is known.
  const keepUntil = (state: KeyState): number =>
    Math.max(
      0,
      ...[...state.attempts, ...state.done].map((a) => a.seenAt + windowMs + PENDING_RETENTION_MS),
      ...state.successes.map((s) => s.seenAt + 3 * windowMs),
    );
  const save = async (key: string, state: KeyState, now: number) => {
    state.dueAt = dueAtOf(state, windowMs, now);
    const expiresAt = keepUntil(state);
    if (expiresAt < now) await store.delete(key, state.version);
    else await store.put(key, state, expiresAt);
  };
  /** Read, change, write one key; when another invocation wrote it in between, again from a fresh read. */
  const withKey = async <T>(key: string, change: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await change();
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= MAX_STATE_ATTEMPTS) throw error;
      }
    }
  };

  return {
    observe: async (event) => {
      const attempt = isAttempt(event);
      if (!attempt && !isSuccess(event)) return;
      const now = clock().getTime();
      const key = correlationKeyOf(event);
      await withKey(key, async () => {
        const state = (await store.get(key)) ?? { attempts: [], successes: [], done: [], watermark: 0, dueAt: null };
        const at = Date.parse(event.time);
        if (attempt) {
          if (state.done.some((done) => done.id === event.id) || state.attempts.some((pending) => pending.id === event.id)) return;
          state.attempts.push({ id: event.id, at, seenAt: now, event });
        } else {
          if (state.successes.some((success) => success.id === event.id)) return;
          state.successes.push({ id: event.id, at, seenAt: now, settled: null });
        }
        state.watermark = Math.max(state.watermark, at);
        reconcile(state, windowMs);
        await save(key, state, now);
      });
    },

    sweep: async (options = {}) => {
      const now = clock().getTime();
      const completeUntil = options.completeUntil?.getTime() ?? Number.NEGATIVE_INFINITY;
      const failed: AuthEvent[] = [];
      // With a complete log every key with a pending attempt may be due, whatever its idle timeout says.
      const duePoint = Number.isFinite(completeUntil) ? Number.MAX_SAFE_INTEGER : now;
      for (const key of await store.dueKeys(duePoint)) {
        // A conflict after `emit` re-reads the key and may emit the same failures again: same ids, deduplicated downstream.
        const inferred = await withKey(key, async () => {
          const state = await store.get(key);
          if (state === undefined) return [];
          const expired = state.attempts.filter((attempt) => isDue(attempt, state, windowMs, now, completeUntil));
          const found = expired.map((attempt) => failedSignInOf(attempt.event, windowSeconds));
          if (found.length > 0) await options.emit?.(found);
          state.attempts = state.attempts.filter((attempt) => !expired.includes(attempt));
          state.done.push(...expired.map(({ id, at, seenAt }) => ({ id, at, seenAt })));
          state.done = state.done.filter((done) => done.seenAt + windowMs + PENDING_RETENTION_MS >= now);
          // Successes that settled nothing and have waited a window have nothing left to pair with.
          state.successes = state.successes.filter((success) => success.settled === null && success.seenAt + windowMs >= now);
          await save(key, state, now);
          return found;
        });
        failed.push(...inferred);
      }
      return failed.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
    },
  };
};
