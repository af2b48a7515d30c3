import { describe, expect, it } from 'vitest';
import { ProviderType } from '../../lib/auth-event/schema.ts';
import { DenialCode, decideSignUp, type SignUpFacts } from '../../lib/policy/sign-up.ts';
import { configWith, devConfig } from '../helpers/fixtures.ts';

const COGNITO = { type: 'cognito', name: 'Cognito', providerType: ProviderType.Cognito } as const;
const GOOGLE = { type: 'federated', name: 'Google', providerType: ProviderType.Google } as const;
const never = () => false;

const facts = (overrides: Partial<SignUpFacts> = {}): SignUpFacts => ({
  source: 'PreSignUp_SignUp',
  email: 'carol@gmail.com',
  hasPhone: false,
  provider: COGNITO,
  ...overrides,
});

describe('Policy: sign-up', () => {
  it('allows an ordinary sign-up without confirming it', () => {
    // Prepare
    const policy = devConfig().signUp;

    // Act
    const decision = decideSignUp(policy, facts(), never);

    // Assess
    expect(decision).toEqual({
      allowed: true,
      response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
    });
  });

  it('denies a blocked domain and its subdomains with a message naming the domain', () => {
    // Prepare
    const policy = configWith({ signUp: { blockedEmailDomains: ['blocked.example'] } }).signUp;

    // Act
    const exact = decideSignUp(policy, facts({ email: 'm@blocked.example' }), never);
    const sub = decideSignUp(policy, facts({ email: 'm@eu.blocked.example' }), never);

    // Assess
    expect(exact).toEqual({
      allowed: false,
      code: DenialCode.EmailDomainBlocked,
      message: 'Sign-up with email domain blocked.example is not allowed.',
    });
    expect(sub).toMatchObject({ allowed: false, code: DenialCode.EmailDomainBlocked });
  });

  it('denies disposable domains only when the policy says so', () => {
    // Prepare
    const disposable = facts({ email: 'temp@mailinator.com' });
    const isDisposable = (domain: string) => domain === 'mailinator.com';

    // Act
    const blocking = decideSignUp(configWith({}).signUp, disposable, isDisposable);
    const lenient = decideSignUp(configWith({ signUp: { blockDisposableEmailDomains: false } }).signUp, disposable, isDisposable);

    // Assess
    expect(blocking).toMatchObject({ allowed: false, code: DenialCode.DisposableEmailDomain });
    expect(lenient).toMatchObject({ allowed: true });
  });

  it('denies domains outside a non-empty allow-list', () => {
    // Prepare
    const policy = configWith({ signUp: { allowedEmailDomains: ['acme-corp.com'] } }).signUp;

    // Act
    const outside = decideSignUp(policy, facts(), never);
    const inside = decideSignUp(policy, facts({ email: 'bob@acme-corp.com' }), never);

    // Assess
    expect(outside).toMatchObject({ allowed: false, code: DenialCode.EmailDomainNotAllowed });
    expect(inside).toMatchObject({ allowed: true });
  });

  it('requires an email when configured, and rejects a malformed one', () => {
    // Prepare
    const policy = configWith({ signUp: { requireEmail: true } }).signUp;

    // Act
    const missing = decideSignUp(policy, facts({ email: null }), never);
    const malformed = decideSignUp(policy, facts({ email: 'not-an-email' }), never);

    // Assess
    expect(missing).toEqual({ allowed: false, code: DenialCode.EmailRequired, message: 'An email address is required to sign up.' });
    expect(malformed).toMatchObject({ allowed: false, code: DenialCode.InvalidEmail });
  });

  it('auto-confirms and verifies the email of listed domains and trigger sources', () => {
    // Prepare
    const policy = configWith({
      signUp: { autoConfirm: { emailDomains: ['acme-corp.com'], triggerSources: ['PreSignUp_AdminCreateUser'], verifyPhone: true } },
    }).signUp;

    // Act
    const corporate = decideSignUp(policy, facts({ email: 'a@acme-corp.com', hasPhone: true }), never);
    const admin = decideSignUp(policy, facts({ source: 'PreSignUp_AdminCreateUser' }), never);

    // Assess
    expect(corporate).toEqual({
      allowed: true,
      response: { autoConfirmUser: true, autoVerifyEmail: true, autoVerifyPhone: true },
    });
    expect(admin).toEqual({
      allowed: true,
      response: { autoConfirmUser: true, autoVerifyEmail: true, autoVerifyPhone: false },
    });
  });

  it('denies federated sign-ups through providers that are not allowed', () => {
    // Prepare
    const policy = configWith({ signUp: { federated: { allowedProviders: ['Okta'] } } }).signUp;

    // Act
    const decision = decideSignUp(policy, facts({ source: 'PreSignUp_ExternalProvider', provider: GOOGLE }), never);

    // Assess
    expect(decision).toEqual({
      allowed: false,
      code: DenialCode.ProviderNotAllowed,
      message: 'Sign-up through Google is not allowed.',
    });
  });

  it('verifies a federated email without applying domain rules when told not to', () => {
    // Prepare
    const policy = configWith({
      signUp: { blockedEmailDomains: ['gmail.com'], federated: { applyEmailDomainRules: false } },
    }).signUp;

    // Act
    const decision = decideSignUp(policy, facts({ source: 'PreSignUp_ExternalProvider', provider: GOOGLE }), never);

    // Assess
    expect(decision).toEqual({
      allowed: true,
      response: { autoConfirmUser: false, autoVerifyEmail: true, autoVerifyPhone: false },
    });
  });
});
