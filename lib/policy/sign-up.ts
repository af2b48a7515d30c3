/**
 * The sign-up policy: decides, from the stage config and what the pre sign-up
 * trigger tells us, whether a sign-up may proceed and how Cognito should treat it
 * (auto-confirm, auto-verify). Pure: the disposable-domain lookup is passed in.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import type { StageConfig } from '../config/schema.ts';
import { TriggerSource } from '../cognito/trigger-sources.ts';
import { inDomains, parseEmail } from './email-address.ts';

export const DenialCode = {
  EmailRequired: 'EMAIL_REQUIRED',
  InvalidEmail: 'INVALID_EMAIL',
  EmailDomainBlocked: 'EMAIL_DOMAIN_BLOCKED',
  DisposableEmailDomain: 'DISPOSABLE_EMAIL_DOMAIN',
  EmailDomainNotAllowed: 'EMAIL_DOMAIN_NOT_ALLOWED',
  ProviderNotAllowed: 'PROVIDER_NOT_ALLOWED',
} as const;
export type DenialCode = (typeof DenialCode)[keyof typeof DenialCode];

export interface SignUpFacts {
  source: string;
  /** The email attribute whole, as Cognito sent it: decisions parse and normalize it, never a cut copy. */
  email: string | null;
  hasPhone: boolean;
  provider: AuthEvent['identityProvider'];
}

export interface PreSignUpResponse {
  autoConfirmUser: boolean;
  autoVerifyEmail: boolean;
  autoVerifyPhone: boolean;
}

export type SignUpDecision =
  | { allowed: true; response: PreSignUpResponse }
  | { allowed: false; code: DenialCode; message: string };

const deny = (code: DenialCode, message: string): SignUpDecision => ({ allowed: false, code, message });

/**
 * The email domain rules (blocked, disposable, allow-list) over the whole,
 * normalized address. Pre sign-up applies them to a new user; pre authentication
 * and pre token generation apply them again to the current email, which a user
 * can change after sign-up (UpdateUserAttributes).
 */
export const emailDomainDenial = (
  policy: StageConfig['signUp'],
  email: string,
  isDisposable: (domain: string) => boolean,
): { code: DenialCode; message: string } | undefined => {
  const address = parseEmail(email);
  if (address === undefined) return { code: DenialCode.InvalidEmail, message: 'The email address is not valid.' };
  const { domain } = address;
  if (inDomains(domain, policy.blockedEmailDomains)) {
    return { code: DenialCode.EmailDomainBlocked, message: `Sign-up with email domain ${domain} is not allowed.` };
  }
  if (policy.blockDisposableEmailDomains && isDisposable(domain)) {
    return {
      code: DenialCode.DisposableEmailDomain,
      message: `Sign-up with disposable email domain ${domain} is not allowed. Please use a permanent email address.`,
    };
  }
  if (policy.allowedEmailDomains.length > 0 && !inDomains(domain, policy.allowedEmailDomains)) {
    return { code: DenialCode.EmailDomainNotAllowed, message: `Sign-up with email domain ${domain} is not allowed.` };
  }
  return undefined;
};

const emailDenial = (
  policy: StageConfig['signUp'],
  facts: SignUpFacts,
  isDisposable: (domain: string) => boolean,
): SignUpDecision | undefined => {
  if (facts.email === null) {
    return policy.requireEmail ? deny(DenialCode.EmailRequired, 'An email address is required to sign up.') : undefined;
  }
  const denial = emailDomainDenial(policy, facts.email, isDisposable);
  return denial === undefined ? undefined : deny(denial.code, denial.message);
};

export const decideSignUp = (
  policy: StageConfig['signUp'],
  facts: SignUpFacts,
  isDisposable: (domain: string) => boolean,
): SignUpDecision => {
  const federated = facts.source === TriggerSource.PreSignUpExternalProvider;
  if (
    federated &&
    policy.federated.allowedProviders.length > 0 &&
    !policy.federated.allowedProviders.includes(facts.provider.name)
  ) {
    return deny(DenialCode.ProviderNotAllowed, `Sign-up through ${facts.provider.name} is not allowed.`);
  }
  if (!federated || policy.federated.applyEmailDomainRules) {
    const denial = emailDenial(policy, facts, isDisposable);
    if (denial !== undefined) return denial;
  }

  const domain = facts.email === null ? undefined : parseEmail(facts.email)?.domain;
  const autoConfirmUser =
    (policy.autoConfirm.triggerSources as readonly string[]).includes(facts.source) ||
    (domain !== undefined && inDomains(domain, policy.autoConfirm.emailDomains));
  const hasEmail = facts.email !== null;
  return {
    allowed: true,
    response: {
      autoConfirmUser,
      autoVerifyEmail:
        hasEmail && ((autoConfirmUser && policy.autoConfirm.verifyEmail) || (federated && policy.federated.autoVerifyEmail)),
      autoVerifyPhone: facts.hasPhone && autoConfirmUser && policy.autoConfirm.verifyPhone,
    },
  };
};
