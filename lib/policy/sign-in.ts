/**
 * The sign-in policy of the pre-authentication trigger: blocked users, blocked
 * app clients, and an allow-list that locks down app clients a stage does not
 * use. Pure. Matching is on what Cognito sends, before the PII policy hashes it.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-authentication.html
 */
import type { StageConfig } from '../config/schema.ts';

export const SignInDenialCode = {
  UserBlocked: 'USER_BLOCKED',
  ClientBlocked: 'CLIENT_BLOCKED',
  ClientNotAllowed: 'CLIENT_NOT_ALLOWED',
} as const;
export type SignInDenialCode = (typeof SignInDenialCode)[keyof typeof SignInDenialCode];

export interface SignInFacts {
  /** null for admin API calls and some emulators (cognito-local). */
  clientId: string | null;
  userName: string;
  sub: string | undefined;
  email: string | undefined;
}

export type SignInDecision = { allowed: true } | { allowed: false; code: SignInDenialCode; message: string };

/**
 * Messages Cognito shows the user ("PreAuthentication failed with error <message>."):
 * they say no without telling an attacker which rule matched for a user.
 */
const MESSAGE: Readonly<Record<SignInDenialCode, string>> = {
  [SignInDenialCode.UserBlocked]: 'Sign-in is not allowed for this account.',
  [SignInDenialCode.ClientBlocked]: 'Sign-in through this application is not allowed.',
  [SignInDenialCode.ClientNotAllowed]: 'Sign-in through this application is not allowed.',
};

const deny = (code: SignInDenialCode): SignInDecision => ({ allowed: false, code, message: MESSAGE[code] });

export const decideSignIn = (policy: StageConfig['signIn'], facts: SignInFacts): SignInDecision => {
  const identifiers = [facts.userName, facts.sub, facts.email]
    .filter((value): value is string => value !== undefined && value !== '')
    .map((value) => value.trim().toLowerCase());
  if (policy.blockedUsers.some((blocked) => identifiers.includes(blocked.trim().toLowerCase()))) {
    return deny(SignInDenialCode.UserBlocked);
  }
  if (facts.clientId !== null && policy.blockedClients.includes(facts.clientId)) return deny(SignInDenialCode.ClientBlocked);
  // A sign-in without a client id (admin API, emulators) cannot be on the allow-list: with an allow-list it is
  // denied too, because "only these clients" leaves no room for an unnamed one.
  if (policy.allowedClients.length > 0 && (facts.clientId === null || !policy.allowedClients.includes(facts.clientId))) {
    return deny(SignInDenialCode.ClientNotAllowed);
  }
  return { allowed: true };
};
