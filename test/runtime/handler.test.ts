import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { TriggerDeniedError } from '../../lib/errors.ts';
import { createTriggerHandler, type Problem, type TriggerRuntime } from '../../lib/runtime/handler.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { loadEvent, processContext } from '../helpers/fixtures.ts';

const context = {} as Context;

/** A runtime whose logger and problems are recorded, and whose sink does what the test says. */
const recordingRuntime = (publish: (events: readonly AuthEvent[]) => Promise<void>, overrides: Partial<TriggerRuntime> = {}) => {
  const logs: string[] = [];
  const problems: Problem[] = [];
  const spilled: { events: readonly AuthEvent[]; reason: string }[] = [];
  const log = (level: string) => (message: string, ...extra: Record<string, unknown>[]) =>
    void logs.push(JSON.stringify({ level, message, extra }));
  const runtime: TriggerRuntime = {
    ...processContext(),
    logger: { info: log('INFO'), warn: log('WARN'), error: log('ERROR') },
    onProblem: (problem) => problems.push(problem),
    spill: (events, reason) => void spilled.push({ events, reason }),
    sink: { publish },
    ...overrides,
  };
  return { runtime, logs, problems, spilled };
};

describe('Handler: the shared middy stack', () => {
  it('still answers Cognito when the sink fails, spills the event and reports the failure', async () => {
    // Prepare
    const payload = loadEvent('post-authentication/sign-in-web.json');
    const { runtime, problems, spilled } = recordingRuntime(async () => {
      throw new Error('ThrottlingException: Rate exceeded');
    });

    // Act
    const returned = await createTriggerHandler(postAuthentication, runtime)(structuredClone(payload), context);

    // Assess
    expect(returned).toEqual(payload);
    expect(problems).toEqual([
      { trigger: 'post-authentication', code: 'PUBLISH_FAILED', message: 'ThrottlingException: Rate exceeded' },
    ]);
    expect(spilled).toHaveLength(1);
    expect(spilled[0]?.reason).toBe('ThrottlingException: Rate exceeded');
    expect(spilled[0]?.events.map((event) => event.category)).toEqual(['signin']);
  });

  it('denies a sign-up by throwing the policy message Cognito shows the user, after publishing the event', async () => {
    // Prepare
    const published: AuthEvent[] = [];
    const { runtime } = recordingRuntime(async (events) => void published.push(...events));
    const handler = createTriggerHandler(preSignUp, runtime);

    // Act
    const denial = handler(loadEvent('pre-signup/sign-up-denied-blocked-domain.json'), context);

    // Assess
    await expect(denial).rejects.toThrow(new TriggerDeniedError('EMAIL_DOMAIN_BLOCKED', 'Sign-up with email domain blocked.example is not allowed.'));
    expect(published.map((event) => event.outcome)).toEqual(['denied']);
  });

  it('returns a payload meant for another trigger unchanged, and reports it', async () => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v2/refresh-tokens.json');
    const { runtime, problems } = recordingRuntime(async () => undefined);

    // Act
    const returned = await createTriggerHandler(postAuthentication, runtime)(structuredClone(payload), context);

    // Assess
    expect(returned).toEqual(payload);
    expect(problems[0]?.code).toBe('UNSUPPORTED_TRIGGER');
  });

  it('fails open on a bug inside a step, naming the error but not the payload', async () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-allowed.json');
    const { runtime, problems, logs } = recordingRuntime(async () => undefined, {
      isDisposableDomain: () => {
        throw new TypeError('domain list unavailable');
      },
    });

    // Act
    const returned = await createTriggerHandler(preSignUp, runtime)(structuredClone(payload), context);

    // Assess
    expect(returned).toEqual(payload);
    expect(problems).toEqual([
      { trigger: 'pre-signup', code: 'HANDLER_FAILED', message: 'TypeError: domain list unavailable' },
    ]);
    expect(logs.join('\n')).not.toContain(payload.request.userAttributes.email);
  });

  it('logs nothing personal on any path', async () => {
    // Prepare
    const { runtime, logs } = recordingRuntime(async () => {
      throw new Error('down');
    });
    const files = ['pre-signup/sign-up-denied-disposable-domain.json', 'pre-signup/sign-up-with-client-metadata.json'];

    // Act
    for (const file of files) {
      await createTriggerHandler(preSignUp, runtime)(loadEvent(file), context).catch(() => undefined);
    }

    // Assess
    const text = logs.join('\n');
    for (const file of files) {
      const payload = loadEvent(file);
      for (const value of Object.values(payload.request.userAttributes as Record<string, string>)) {
        if (value.length > 3) expect(text).not.toContain(value);
      }
    }
  });
});
