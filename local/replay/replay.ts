/**
 * Replay: saved trigger payloads go to the trigger functions, one result per
 * file in the `npm run replay -- --json` contract. Reading, checking and routing
 * a file happen here; an invoker runs the function: in-process through the very
 * handler a function exports (./local-invoker.ts), or a deployed function through
 * the Lambda API (./lambda-invoker.ts).
 */
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { REPLAY_MARKER, TriggerEnvelopeSchema } from '../../lib/cognito/schemas.ts';
import { TriggerName, sourcesOf, triggerNameFor } from '../../lib/cognito/trigger-sources.ts';
import { formatIssues } from '../../lib/config/load.ts';
import { FixtureError, ProblemCode } from '../../lib/errors.ts';
import { readFixture } from './fixture-file.ts';

export interface ReplayResult {
  file: string;
  ok: boolean;
  trigger: string | null;
  response: unknown;
  events: AuthEvent[];
  error: { code: string; message: string } | null;
}

export interface Invocation {
  file: string;
  trigger: TriggerName;
  source: string;
  /** The payload, tagged with the replay marker so its events carry `pipeline.replay`. */
  payload: Record<string, unknown>;
}

export type Invoker = (invocation: Invocation) => Promise<ReplayResult>;

const SUPPORTED = Object.values(TriggerName).flatMap((name) => sourcesOf(name));

export const failure = (file: string, trigger: string | null, code: string, message: string): ReplayResult => ({
  file,
  ok: false,
  trigger,
  response: null,
  events: [],
  error: { code, message },
});

/**
 * A replay that went through: the `response` block of what the handler returned
 * (null when it returned none, or denied), and the events it published.
 */
export const success = (file: string, trigger: string, returned: unknown, events: AuthEvent[]): ReplayResult => ({
  file,
  ok: true,
  trigger,
  response: typeof returned === 'object' && returned !== null && 'response' in returned ? returned.response : null,
  events,
  error: null,
});

export const createReplayer = (invoke: Invoker) => {
  /** Replays one payload; `file` names it in the result and in `pipeline.replay`. */
  const replayPayload = async (file: string, payload: unknown): Promise<ReplayResult> => {
    const envelope = TriggerEnvelopeSchema.safeParse(payload);
    if (!envelope.success) {
      return failure(file, null, ProblemCode.InvalidEvent, formatIssues(envelope.error.issues));
    }
    const source = envelope.data.triggerSource;
    const trigger = triggerNameFor(source);
    if (trigger === undefined) {
      return failure(
        file,
        source,
        ProblemCode.UnsupportedTrigger,
        `triggerSource "${source.slice(0, 100)}" is not supported (supported: ${SUPPORTED.join(', ')})`,
      );
    }
    return invoke({
      file,
      trigger,
      source,
      payload: { ...(payload as Record<string, unknown>), [REPLAY_MARKER]: { source: 'fixture', file } },
    });
  };

  const replayFile = async (file: string): Promise<ReplayResult> => {
    let payload: unknown;
    try {
      payload = readFixture(file);
    } catch (error) {
      if (error instanceof FixtureError) return failure(file, null, error.code, error.message);
      throw error;
    }
    return replayPayload(file, payload);
  };

  return { replayFile, replayPayload };
};
