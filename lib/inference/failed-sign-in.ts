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

export const FAILED_SIGN_IN_REASON = 'NO_SUCCESS_WITHIN_WINDOW' as const;

/** Lambda containers' clocks differ a little: a success this much "before" its attempt still settles it. */
export const CLOCK_SKEW_MS = 2_000;

/** How long an unswept attempt is kept after its window: the sweeper may be down that long without losing it. */
export const PENDING_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface PendingAttempt {
  id: string;
  /** Epoch ms of the attempt. */
  at: number;
  event: AuthEvent;
}

export interface RecordedSuccess {
  id: string;
  at: number;
  /** The attempt this success settled, once paired. */
  settled: string | null;
}

/** What the consumer keeps per user pool + user + client. */
export interface KeyState {
  attempts: PendingAttempt[];
  successes: RecordedSuccess[];
  /** Attempts already turned into failed events or settled: a redelivered attempt is not pending again. */
  done: { id: string; at: number }[];
}

export interface SignInStateStore {
  get(key: string): Promise<KeyState | undefined>;
  /** Replaces the key's state; `expiresAt` (epoch ms) lets the store forget it (a TTL on AWS). */
  put(key: string, state: KeyState, expiresAt: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys that may hold an attempt whose window ended before `now`. */
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

/** Pairs each unpaired success with the latest unsettled attempt at or before it. Mutates `state`. */
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
    state.done.push({ id: attempt.id, at: attempt.at });
  }
};

export interface FailedSignInInference {
  /** Takes one event from the bus; anything but sign-in attempts and successes is ignored. */
  observe(event: AuthEvent): Promise<void>;
  /**
   * The failed sign-ins whose window ended before `now`, each once. `emit` gets
   * each key's failures before the key's state records them as reported: if it
   * throws, the next sweep reports them again (same ids), so none is lost.
   */
  sweep(now: Date, emit?: (failed: readonly AuthEvent[]) => Promise<void>): Promise<AuthEvent[]>;
}

export const createFailedSignInInference = (
  store: SignInStateStore,
  { windowSeconds }: { windowSeconds: number },
): FailedSignInInference => {
  const windowMs = windowSeconds * 1000;
  // Successes: long enough to pair late attempts. Attempts, pending or decided: a day past their window, so a
  // sweeper that stopped for a while still reports them, and a redelivery (EventBridge retries up to 24 h) is known.
  const keepUntil = (state: KeyState): number =>
    Math.max(
      0,
      ...[...state.attempts, ...state.done].map((a) => a.at + windowMs + PENDING_RETENTION_MS),
      ...state.successes.map((s) => s.at + 3 * windowMs),
    );

  return {
    observe: async (event) => {
      const attempt = isAttempt(event);
      if (!attempt && !isSuccess(event)) return;
      const key = correlationKeyOf(event);
      const state = (await store.get(key)) ?? { attempts: [], successes: [], done: [] };
      const at = Date.parse(event.time);
      if (attempt) {
        if (state.done.some((done) => done.id === event.id) || state.attempts.some((pending) => pending.id === event.id)) return;
        state.attempts.push({ id: event.id, at, event });
      } else {
        if (state.successes.some((success) => success.id === event.id)) return;
        state.successes.push({ id: event.id, at, settled: null });
      }
      reconcile(state, windowMs);
      await store.put(key, state, keepUntil(state));
    },

    sweep: async (now, emit) => {
      const failed: AuthEvent[] = [];
      for (const key of await store.dueKeys(now.getTime())) {
        const state = await store.get(key);
        if (state === undefined) continue;
        const expired = state.attempts.filter((attempt) => attempt.at + windowMs < now.getTime());
        const inferred = expired.map((attempt) => failedSignInOf(attempt.event, windowSeconds));
        if (inferred.length > 0) await emit?.(inferred);
        failed.push(...inferred);
        state.attempts = state.attempts.filter((attempt) => !expired.includes(attempt));
        state.done.push(...expired.map((attempt) => ({ id: attempt.id, at: attempt.at })));
        state.done = state.done.filter((done) => done.at + windowMs + PENDING_RETENTION_MS >= now.getTime());
        // Successes that settled nothing within the window have nothing left to pair with.
        state.successes = state.successes.filter((success) => success.settled === null && success.at + windowMs >= now.getTime());
        const expiresAt = keepUntil(state);
        if (expiresAt < now.getTime()) await store.delete(key);
        else await store.put(key, state, expiresAt);
      }
      return failed.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
    },
  };
};
