/**
 * Named errors. Each sets `name` and carries a stable `code`, and wraps what it
 * was caused by in `cause`, so a log line or a replay result says what went wrong
 * without anyone re-reading a stack trace.
 */

export const ProblemCode = {
  UnreadableFile: 'UNREADABLE_FILE',
  InvalidJson: 'INVALID_JSON',
  InvalidEvent: 'INVALID_EVENT',
  UnsupportedTrigger: 'UNSUPPORTED_TRIGGER',
  HandlerFailed: 'HANDLER_FAILED',
  PublishFailed: 'PUBLISH_FAILED',
  /** A log subscription delivery (gzip, base64, JSON) that could not be read at all. */
  UnreadablePayload: 'UNREADABLE_PAYLOAD',
  InvokeFailed: 'INVOKE_FAILED',
  /** The PII hash key could not be read in time: the events drop what they would hash. */
  PiiKeyUnavailable: 'PII_KEY_UNAVAILABLE',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

/**
 * The base of every named error in lib/ and local/: a subclass must declare its
 * stable `code` (the compiler refuses one without), sets `name`, and passes
 * `{ cause }` on. Callers branch on `code`, never on a message.
 */
export abstract class AuthtrailError extends Error {
  abstract readonly code: string;
}

/** A trigger payload we cannot turn into an AuthEvent. */
export class TriggerEventError extends AuthtrailError {
  readonly code: ProblemCode;
  constructor(code: ProblemCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TriggerEventError';
    this.code = code;
  }
}

/** Stage configuration or environment that must not be deployed. Thrown at cold start. */
export class ConfigError extends AuthtrailError {
  readonly code = 'CONFIG_INVALID' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/**
 * A policy said no: the sign-up policy (pre sign-up) or the sign-in policy (pre
 * authentication). This is the one error a trigger throws on purpose: Cognito
 * fails the user's action and shows the message to the client
 * ("PreSignUp failed with error <message>.", "PreAuthentication failed with error
 * <message>."), so the message is written for people.
 *
 * It was SignUpDeniedError while pre sign-up was the only trigger that denied;
 * local/replay/lambda-invoker.ts still recognises that name from functions deployed
 * before the rename.
 */
export class TriggerDeniedError extends AuthtrailError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TriggerDeniedError';
    this.code = code;
  }
}

/** A fixture file that could not be read or parsed. */
export class FixtureError extends AuthtrailError {
  readonly code: ProblemCode;
  constructor(code: ProblemCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FixtureError';
    this.code = code;
  }
}

/** Message of anything thrown, without assuming it is an Error. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
