/**
 * A policy error never silently allows what the policy would deny: every trigger
 * turns an exception in its step into an event with outcome `error`, and the
 * three that decide (pre sign-up, pre authentication, pre token generation) deny.
 * Faults come in as a hostile payload would bring them (a request member whose
 * keys cannot be read) or through the context's injected lookup failing.
 */
import { describe, expect, it } from 'vitest';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { processTrigger } from '../../lib/runtime/process.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { postConfirmation } from '../../lib/triggers/post-confirmation.ts';
import { preAuthentication } from '../../lib/triggers/pre-authentication.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';
import type { TriggerDefinition } from '../../lib/triggers/definition.ts';
import { loadEvent, processContext } from '../helpers/fixtures.ts';

/** A value whose keys cannot be listed: what a bug anywhere in a step looks like from outside. */
const unreadable = () =>
  new Proxy(
    {},
    {
      ownKeys: () => {
        throw new TypeError('secret-looking text from the payload');
      },
    },
  );

/** `{a: {a: ... {a: leaf}}}`, `depth` levels, built without recursion. */
const nested = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
};

const cases: { definition: TriggerDefinition<any>; file: string; denies: boolean; category: string; action: string }[] = [
  { definition: preSignUp, file: 'pre-signup/sign-up-allowed.json', denies: true, category: 'signup', action: 'self_signup' },
  { definition: preAuthentication, file: 'pre-authentication/sign-in-attempt-web.json', denies: true, category: 'signin', action: 'attempt' },
  { definition: preTokenGeneration, file: 'pre-token-generation/v2/refresh-tokens.json', denies: true, category: 'token', action: 'refresh' },
  { definition: postAuthentication, file: 'post-authentication/sign-in-web.json', denies: false, category: 'signin', action: 'authenticate' },
  { definition: postConfirmation, file: 'post-confirmation/confirm-sign-up-web.json', denies: false, category: 'account', action: 'confirm_signup' },
];

describe('Triggers: policy errors', () => {
  it.each(cases)('$definition.name: an exception in the step emits an error event and denies=$denies', ({ definition, file, denies, category, action }) => {
    // Prepare
    const payload = loadEvent(file);
    payload.request.unreadable = unreadable();

    // Act
    const result = processTrigger(definition, payload, processContext());

    // Assess
    const [event] = result.events;
    expect(AuthEventSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ category, action, outcome: 'error', reason: { code: 'POLICY_ERROR' } });
    expect(event?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(event?.reason?.message).toContain(`the action was ${denies ? 'denied' : 'allowed'}`);
    expect(JSON.stringify(event)).not.toContain('secret-looking');
    if (denies) expect(result.denial).toEqual({ code: 'POLICY_ERROR', message: 'This request cannot be completed right now. Please try again later.' });
    else expect(result.denial).toBeUndefined();
  });

  it('denies a sign-up when the disposable-domain list cannot be read, instead of letting a blocked domain through', () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-denied-disposable-domain.json');
    const context = processContext({
      isDisposableDomain: () => {
        throw new Error('disposable-email-domains/index.json is no longer one quoted domain per line (at offset 12)');
      },
    });

    // Act
    const result = processTrigger(preSignUp, payload, context);

    // Assess
    expect(result.denial?.code).toBe('POLICY_ERROR');
    expect(result.events[0]).toMatchObject({ outcome: 'error', user: { emailDomain: 'mailinator.com' } });
  });

  it.each([
    ['pre-signup/sign-up-denied-blocked-domain.json', preSignUp, 'EMAIL_DOMAIN_BLOCKED'],
    ['pre-authentication/sign-in-denied-blocked-user.json', preAuthentication, 'USER_BLOCKED'],
  ] as const)('decides %s on its merits under a request nested 20,000 levels deep (it used to overflow the id hash and fail open)', (file, definition, code) => {
    // Prepare
    const payload = loadEvent(file);
    payload.request.deep = nested(20_000, 'x');

    // Act
    const result = processTrigger(definition as TriggerDefinition<any>, payload, processContext());

    // Assess
    expect(result.denial?.code).toBe(code);
    expect(result.events[0]).toMatchObject({ outcome: 'denied', reason: { code } });
    expect(result.events[0]?.id).toMatch(/^[0-9a-f]{32}$/);
  });
});
