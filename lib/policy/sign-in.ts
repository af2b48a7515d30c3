/**
 * The sign-in policy: blocked users, the email domain rules applied again to the
 * user's current email, blocked app clients, and an allow-list that locks down
 * app clients a stage does not use. Pure. Pre authentication applies it to every
 * sign-in attempt and pre token generation to every token issue, refreshes
 * included, so a user blocked today loses their refresh tokens' use too.
 * Matching is on what Cognito sends, before the PII policy hashes it.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-authentication.html
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
 */
import type { StageConfig } from '../config/schema.ts';
import { canonicalEmail, parseEmail } from './email-address.ts';
import { emailDomainDenial, type DenialCode } from './sign-up.ts';

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
  /** The user's current email attribute, whole. */
  email: string | undefined;
  /** A federated user, whose email the domain rules skip when `signUp.federated.applyEmailDomainRules` is off. */
  federated: boolean;
}

export type SignInDecision = { allowed: true } | { allowed: false; code: SignInDenialCode | DenialCode; message: string };

/**
 * Messages Cognito shows the user ("PreAuthentication failed with error <message>."):
 * they say no without telling an attacker which rule matched for a user.
 */
const ACCOUNT_MESSAGE = 'Sign-in is not allowed for this account.';
const CLIENT_MESSAGE = 'Sign-in through this application is not allowed.';

/**
 * The form a user identifier is compared in, in the config (lib/config/schema.ts)
 * and in the payload alike: an email address parsed and normalized
 * (lib/policy/email-address.ts), anything else (a sub, a username) trimmed and
 * lower-cased, as Cognito compares usernames.
 */
export const userIdentifierForm = (value: string): string => {
  const address = value.includes('@') ? parseEmail(value) : undefined;
  return address === undefined ? value.trim().toLowerCase() : canonicalEmail(address);
};

/** Whether any of the user's identifiers (username, sub, email) is blocked; the config list is already in identifier form. */
export const isBlockedUser = (policy: StageConfig['signIn'], facts: Pick<SignInFacts, 'userName' | 'sub' | 'email'>): boolean => {
  if (policy.blockedUsers.length === 0) return false;
  return [facts.userName, facts.sub, facts.email]
    .filter((value): value is string => value !== undefined && value !== '')
    .some((value) => policy.blockedUsers.includes(userIdentifierForm(value)));
};

/** Only the client rules: for client-credentials tokens, which have no user. */
export const decideClient = (policy: StageConfig['signIn'], clientId: string | null): SignInDecision => {
  if (clientId !== null && policy.blockedClients.includes(clientId)) {
    return { allowed: false, code: SignInDenialCode.ClientBlocked, message: CLIENT_MESSAGE };
  }
  // A sign-in without a client id (admin API, emulators) cannot be on the allow-list: with an allow-list it is
  // denied too, because "only these clients" leaves no room for an unnamed one.
  if (policy.allowedClients.length > 0 && (clientId === null || !policy.allowedClients.includes(clientId))) {
    return { allowed: false, code: SignInDenialCode.ClientNotAllowed, message: CLIENT_MESSAGE };
  }
  return { allowed: true };
};

export const decideSignIn = (
  config: Pick<StageConfig, 'signIn' | 'signUp'>,
  facts: SignInFacts,
  isDisposable: (domain: string) => boolean,
): SignInDecision => {
  if (isBlockedUser(config.signIn, facts)) return { allowed: false, code: SignInDenialCode.UserBlocked, message: ACCOUNT_MESSAGE };
  // An email changed after sign-up (UpdateUserAttributes) was never seen by pre sign-up: the domain rules
  // apply to the current one here, with the same codes, and the same message for every account rule.
  if (facts.email !== undefined && facts.email.trim() !== '' && (!facts.federated || config.signUp.federated.applyEmailDomainRules)) {
    const denial = emailDomainDenial(config.signUp, facts.email, isDisposable);
    if (denial !== undefined) return { allowed: false, code: denial.code, message: ACCOUNT_MESSAGE };
  }
  return decideClient(config.signIn, facts.clientId);
};
