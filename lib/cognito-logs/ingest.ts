/**
 * One CloudWatch Logs subscription delivery of Cognito `userAuthEvents`, end to
 * end: decode the payload, turn each log record into an AuthEvent, apply the PII
 * policy, publish through the same sink as the triggers (EventBridge with its
 * deadline on AWS), and spill what the bus did not take.
 *
 * Fail-open per record: a record that is not JSON, not a Cognito auth event, or
 * of an event type with no mapping is reported (never with its content: it
 * carries personal data) and skipped; the others still go through. The function
 * is off the sign-in path, so nothing is thrown back for a bad record: a Lambda
 * retry would not make it readable, and it would re-send the good ones.
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import { formatIssues } from '../config/load.ts';
import { ProblemCode, messageOf } from '../errors.ts';
import { JsonSyntaxError, parseJson } from '../json-parse.ts';
import { publishOrSpill, type TriggerRuntime } from '../runtime/handler.ts';
import { finalizeEvent } from '../runtime/process.ts';
import { authEventOfCognitoLog, UnsupportedCognitoLogEventError } from './normalize.ts';
import { CognitoLogRecordSchema } from './record.ts';
import { decodeSubscriptionEvent, SubscriptionPayloadError } from './subscription.ts';

export const CognitoLogProblemCode = {
  /** The whole delivery could not be read. */
  UnreadablePayload: ProblemCode.UnreadablePayload,
  InvalidJson: 'INVALID_JSON',
  InvalidRecord: 'INVALID_RECORD',
  UnsupportedEventType: 'UNSUPPORTED_EVENT_TYPE',
  /** A bug: our own output failed the AuthEvent schema. */
  NormalizeFailed: 'NORMALIZE_FAILED',
  PublishFailed: ProblemCode.PublishFailed,
} as const;
export type CognitoLogProblemCode = (typeof CognitoLogProblemCode)[keyof typeof CognitoLogProblemCode];

export interface CognitoLogProblem {
  source: 'cognito-log';
  code: CognitoLogProblemCode;
  message: string;
  /** The CloudWatch Logs event id: enough to find the record, without copying it. */
  logEventId?: string;
}

export interface CognitoLogSummary {
  received: number;
  published: number;
  skipped: number;
  spilled: number;
}

/** The triggers' runtime, whose `onProblem` speaks of triggers: ours is passed apart. */
export type CognitoLogRuntime = Omit<TriggerRuntime, 'onProblem'>;

export const createCognitoLogIngester = (runtime: CognitoLogRuntime, onProblem?: (problem: CognitoLogProblem) => void) => {
  const report = (problem: CognitoLogProblem): void => {
    // Never the record: it carries personal data.
    runtime.logger.error('authtrail.problem', { problem });
    onProblem?.(problem);
  };

  const eventOf = (logEventId: string, message: string, now: Date): AuthEvent | undefined => {
    let json: unknown;
    try {
      json = parseJson(message, 'the log message');
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      report({ source: 'cognito-log', code: CognitoLogProblemCode.InvalidJson, message: error.message, logEventId });
      return undefined;
    }
    const record = CognitoLogRecordSchema.safeParse(json);
    if (!record.success) {
      report({ source: 'cognito-log', code: CognitoLogProblemCode.InvalidRecord, message: formatIssues(record.error.issues), logEventId });
      return undefined;
    }
    try {
      return finalizeEvent(authEventOfCognitoLog(record.data, { ...runtime, now }), runtime);
    } catch (error) {
      const unsupported = error instanceof UnsupportedCognitoLogEventError;
      report({
        source: 'cognito-log',
        code: unsupported ? CognitoLogProblemCode.UnsupportedEventType : CognitoLogProblemCode.NormalizeFailed,
        message: unsupported ? error.message : `${(error as Error).name ?? 'Error'}: ${messageOf(error)}`,
        logEventId,
      });
      return undefined;
    }
  };

  return async (payload: unknown): Promise<CognitoLogSummary> => {
    let data;
    try {
      data = decodeSubscriptionEvent(payload);
    } catch (error) {
      if (!(error instanceof SubscriptionPayloadError)) throw error;
      report({ source: 'cognito-log', code: CognitoLogProblemCode.UnreadablePayload, message: error.message });
      return { received: 0, published: 0, skipped: 0, spilled: 0 };
    }
    if (data.messageType !== 'DATA_MESSAGE') return { received: 0, published: 0, skipped: 0, spilled: 0 };

    const now = runtime.clock();
    const events = data.logEvents.flatMap((logEvent) => eventOf(logEvent.id, logEvent.message, now) ?? []);
    const summary = { received: data.logEvents.length, published: 0, skipped: data.logEvents.length - events.length, spilled: 0 };
    if (events.length === 0) return summary;

    const { undelivered, error } = await publishOrSpill(runtime, events);
    summary.spilled = undelivered.length;
    summary.published = events.length - undelivered.length;
    if (error !== undefined) report({ source: 'cognito-log', code: CognitoLogProblemCode.PublishFailed, message: error });
    return summary;
  };
};
