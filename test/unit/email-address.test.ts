/**
 * Email and domain decisions on the whole, normalized value, tried as an
 * attacker spells an address: case, a trailing root dot, the Unicode full stops
 * (U+3002, U+FF0E, U+FF61), full-width letters, subdomains, IDNs in Unicode or
 * punycode, and addresses longer than what the event stores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDisposableDomain } from '../../lib/policy/disposable-domains.ts';
import { normalizeDomain, parseEmail } from '../../lib/policy/email-address.ts';
import { decideSignIn, userIdentifierForm } from '../../lib/policy/sign-in.ts';
import { DenialCode, decideSignUp, type SignUpFacts } from '../../lib/policy/sign-up.ts';
import { processTrigger } from '../../lib/runtime/process.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { configWith, devConfig, loadEvent, processContext, ROOT } from '../helpers/fixtures.ts';

const FULL_STOPS = ['.', '\u3002', '\uff0e', '\uff61'] as const;

/** The full-width form of an ASCII letter or digit (U+FF01..U+FF5E mirror U+0021..U+007E). */
const fullWidth = (character: string): string => String.fromCodePoint(character.codePointAt(0)! + 0xfee0);

/**
 * Every way of writing one domain that mail and DNS read as the same, chosen per
 * character by fast-check; with `subdomains`, also any subdomain of it (which
 * domain rules cover, but which is another mailbox).
 */
const spellingOf = (domain: string, subdomains = true) =>
  fc
    .record({
      characters: fc.array(fc.constantFrom('lower', 'upper', 'full-width'), { minLength: domain.length, maxLength: domain.length }),
      stops: fc.array(fc.constantFrom(...FULL_STOPS), { minLength: domain.length, maxLength: domain.length }),
      trailingDot: fc.boolean(),
      subdomain: subdomains ? fc.option(fc.stringMatching(/^[a-z0-9]{1,10}$/), { nil: undefined }) : fc.constant(undefined),
    })
    .map(({ characters, stops, trailingDot, subdomain }) => {
      const body = [...domain]
        .map((character, index) => {
          if (character === '.') return stops[index];
          if (!/[a-z0-9]/.test(character)) return character;
          const form = characters[index];
          return form === 'upper' ? character.toUpperCase() : form === 'full-width' ? fullWidth(character) : character;
        })
        .join('');
      return `${subdomain === undefined ? '' : `${subdomain}.`}${body}${trailingDot ? '.' : ''}`;
    });

const facts = (email: string): SignUpFacts => ({
  source: 'PreSignUp_SignUp',
  email,
  hasPhone: false,
  provider: { type: 'cognito', name: 'Cognito', providerType: 'Cognito' },
});

describe('Email addresses: one normalized form', () => {
  it.each([
    ['m@Blocked.Example', 'blocked.example'],
    ['m@blocked.example.', 'blocked.example'],
    ['m@blocked\u3002example', 'blocked.example'],
    ['m@blocked\uff0eexample', 'blocked.example'],
    ['m@blocked\uff61example', 'blocked.example'],
    ['m@\uff42locked.example', 'blocked.example'],
    ['x@5801000.рф', '5801000.xn--p1ai'],
    ['"a@b"@example.com', 'example.com'],
  ])('reads %s as a mailbox at %s', (address, domain) => {
    // Act
    const parsed = parseEmail(address);

    // Assess
    expect(parsed?.domain).toBe(domain);
  });

  it.each([
    ['a local part over 64 octets', `${'x'.repeat(65)}@example.com`],
    ['an address over 254 octets', `x@${['a', 'b', 'c', 'd'].map((letter) => letter.repeat(61)).join('.')}.example`],
    ['two trailing dots', 'm@blocked.example..'],
    ['an empty label', 'm@blocked..example'],
    ['an address literal', 'm@[203.0.113.7]'],
    ['a single label', 'm@localhost'],
    ['no local part', '@example.com'],
    ['a space in the domain', 'm@exa mple.com'],
    ['an unquoted @ in the local part', 'a@b@example.com'],
  ])('refuses %s', (_, address) => {
    // Act
    const parsed = parseEmail(address);

    // Assess
    expect(parsed).toBeUndefined();
  });

  it('blocks every equivalent spelling of a blocked domain (property)', () => {
    // Prepare
    const policy = configWith({ signUp: { blockedEmailDomains: ['blocked.example', 'corp.test'] } }).signUp;

    fc.assert(
      fc.property(fc.constantFrom('blocked.example', 'corp.test').chain(spellingOf), fc.stringMatching(/^[a-z0-9._-]{1,20}$/), (domain, local) => {
        // Act
        const decision = decideSignUp(policy, facts(`${local.replace(/^\.|\.$|\.\./g, 'x')}@${domain}`), () => false);

        // Assess
        expect(decision).toMatchObject({ allowed: false, code: expect.stringMatching(/^(EMAIL_DOMAIN_BLOCKED|INVALID_EMAIL)$/) });
        if (/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(local)) expect(decision).toMatchObject({ code: DenialCode.EmailDomainBlocked });
      }),
      { numRuns: 400 },
    );
  });

  it('finds every spelling of listed disposable domains, the 872 IDNs in Unicode form included (property)', () => {
    // Prepare
    const listed = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'disposable-email-domains', 'index.json'), 'utf8')) as string[];
    const idns = listed.filter((domain) => domain.includes('xn--'));
    const unicode = idns.map((domain) => domainToUnicode(domain));

    // Act
    const missedIdns = unicode.filter((domain) => !isDisposableDomain(domain));

    // Assess
    expect(idns.length).toBeGreaterThanOrEqual(872);
    expect(missedIdns).toEqual([]);
    expect(isDisposableDomain('5801000.рф')).toBe(true);
    fc.assert(
      fc.property(fc.constantFrom('mailinator.com', 'guerrillamail.com', '10minutemail.com').chain(spellingOf), (domain) => {
        expect(isDisposableDomain(domain)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('compares blocked users in the same form: any spelling of a blocked email matches', () => {
    // Prepare
    const config = configWith({ signIn: { blockedUsers: ['Frank@ACME-corp.com.'] } });

    fc.assert(
      fc.property(spellingOf('acme-corp.com', false), fc.constantFrom('frank', 'FRANK', 'Frank'), (domain, local) => {
        // Act
        const decision = decideSignIn(config, { clientId: null, userName: 'u-1', sub: undefined, email: `${local}@${domain}`, federated: false }, () => false);

        // Assess
        expect(decision).toMatchObject({ allowed: false, code: 'USER_BLOCKED' });
      }),
      { numRuns: 200 },
    );
    expect(config.signIn.blockedUsers).toEqual([userIdentifierForm('frank@acme-corp.com')]);
  });

  it('normalizes a domain once: the normal form is a fixed point', () => {
    fc.assert(
      fc.property(spellingOf('bücher.example'), (domain) => {
        // Act
        const once = normalizeDomain(domain);

        // Assess
        expect(once).toMatch(/^([a-z0-9]+\.)?xn--bcher-kva\.example$/);
        expect(normalizeDomain(once!)).toBe(once);
      }),
      { numRuns: 100 },
    );
  });
});

describe('Pre sign-up: the bypasses of issue 16', () => {
  it.each([
    ['a long local part before a lookalike of the auto-confirmed domain', `${'x'.repeat(498)}@acme-corp.com.attacker.test`],
    ['a blocked domain pushed past the stored length', `${'a'.repeat(500)}@blocked.example`],
    ['a trailing dot', 'm@blocked.example.'],
    ['an ideographic full stop', 'm@blocked\u3002example'],
    ['a full-width full stop', 'm@blocked\uff0eexample'],
    ['a half-width ideographic full stop', 'm@blocked\uff61example'],
    ['a disposable IDN in Unicode form', 'x@5801000.рф'],
  ])('denies %s and auto-confirms nothing', (_, email) => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-allowed.json');
    payload.request.userAttributes.email = email;

    // Act
    const result = processTrigger(preSignUp, payload, processContext());

    // Assess
    expect(result.denial).toBeDefined();
    expect(result.events[0]).toMatchObject({ outcome: 'denied' });
    expect(result.response.response).not.toMatchObject({ autoConfirmUser: true });
  });

  it('stores a cut copy of a long email but decides and records the domain from the whole address', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-allowed.json');
    const email = `${'x'.repeat(498)}@acme-corp.com.attacker.test`;
    payload.request.userAttributes.email = email;
    const config = devConfig();
    config.pii.fields['user.email'] = 'keep';

    // Act
    const event = processTrigger(preSignUp, payload, processContext({ config })).events[0];

    // Assess
    expect(event?.user.email).toBe(email.slice(0, 512));
    expect(event?.user.emailDomain).toBeUndefined();
    expect(event?.reason?.code).toBe(DenialCode.InvalidEmail);
  });
});
