/**
 * The reason of a failed call, from CloudTrail's `errorCode` (the API's
 * exception name) and, for NotAuthorizedException, from the few fixed messages
 * Cognito uses for it. The error message itself never reaches an event: some
 * Cognito messages echo what the caller sent (an InvalidParameterException
 * quotes the value that failed validation).
 */
import { textOf } from './record.ts';

export interface Reason {
  code: string;
  message: string;
}

export const CloudTrailReason = {
  IncorrectCredentials: 'INCORRECT_CREDENTIALS',
  PasswordAttemptsExceeded: 'PASSWORD_ATTEMPTS_EXCEEDED',
  UserDisabled: 'USER_DISABLED',
  NotAuthorized: 'NOT_AUTHORIZED',
  UserNotFound: 'USER_NOT_FOUND',
  CodeMismatch: 'CODE_MISMATCH',
  CodeExpired: 'CODE_EXPIRED',
  UserNotConfirmed: 'USER_NOT_CONFIRMED',
  PasswordResetRequired: 'PASSWORD_RESET_REQUIRED',
  PasswordPolicy: 'PASSWORD_POLICY',
  UsernameExists: 'USERNAME_EXISTS',
  TriggerDenied: 'TRIGGER_DENIED',
  RateLimited: 'RATE_LIMITED',
  WafBlocked: 'WAF_BLOCKED',
  CognitoError: 'COGNITO_ERROR',
  HttpStatus: 'HTTP_STATUS',
} as const;

const C = CloudTrailReason;

/** errorCode -> [code, message for people]. */
const BY_ERROR_CODE: Readonly<Record<string, readonly [string, string]>> = {
  UserNotFoundException: [C.UserNotFound, 'No such user (the app client reveals it: PreventUserExistenceErrors is LEGACY)'],
  CodeMismatchException: [C.CodeMismatch, 'Wrong code (MFA, confirmation or reset code)'],
  ExpiredCodeException: [C.CodeExpired, 'The code had expired'],
  UserNotConfirmedException: [C.UserNotConfirmed, 'The user has not confirmed the sign-up'],
  PasswordResetRequiredException: [C.PasswordResetRequired, 'The user must reset the password first'],
  InvalidPasswordException: [C.PasswordPolicy, 'The password does not meet the pool policy'],
  PasswordHistoryPolicyViolationException: [C.PasswordPolicy, 'The password was used before'],
  UsernameExistsException: [C.UsernameExists, 'The username is taken'],
  AliasExistsException: [C.UsernameExists, 'The email or phone number belongs to another user'],
  UserLambdaValidationException: [C.TriggerDenied, 'A Cognito trigger denied the request'],
  TooManyRequestsException: [C.RateLimited, 'Cognito throttled the request'],
  TooManyFailedAttemptsException: [C.RateLimited, 'Too many failed attempts'],
  LimitExceededException: [C.RateLimited, 'A Cognito limit was exceeded'],
  ForbiddenException: [C.WafBlocked, 'AWS WAF blocked the request'],
};

/** NotAuthorizedException messages Cognito uses, lower-cased -> code. Matched exactly, never copied. */
const NOT_AUTHORIZED: readonly (readonly [string, string, string])[] = [
  ['incorrect username or password.', C.IncorrectCredentials, 'Incorrect username or password'],
  ['password attempts exceeded', C.PasswordAttemptsExceeded, 'Password attempts exceeded: Cognito locked the user out for a while'],
  ['user is disabled.', C.UserDisabled, 'The user is disabled'],
];

/** An exception name we may show: letters only, as AWS names them. */
const safeErrorCode = (code: string): string => (/^[A-Za-z]{1,64}$/.test(code) ? code : 'an unnamed error');

/** The reason of a failed call; undefined when the call did not fail (`errorCode` missing or empty). */
export const reasonOfError = (errorCode: unknown, errorMessage: unknown): Reason | undefined => {
  const code = textOf(errorCode);
  if (code === undefined) return undefined;
  if (code === 'NotAuthorizedException') {
    const text = textOf(errorMessage)?.toLowerCase();
    const known = NOT_AUTHORIZED.find(([message]) => text === message);
    return known === undefined
      ? { code: C.NotAuthorized, message: 'Cognito refused the request (NotAuthorizedException)' }
      : { code: known[1], message: known[2] };
  }
  const known = Object.hasOwn(BY_ERROR_CODE, code) ? BY_ERROR_CODE[code] : undefined;
  if (known !== undefined) return { code: known[0], message: known[1] };
  return { code: C.CognitoError, message: `Cognito returned ${safeErrorCode(code)}` };
};

/** The reason of an endpoint request answered with an error status. */
export const reasonOfStatus = (status: number): Reason => ({ code: C.HttpStatus, message: `The endpoint answered HTTP ${status}` });
