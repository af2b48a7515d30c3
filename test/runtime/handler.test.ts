import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import type { MetricPoint } from '../../lib/metrics/catalog.ts';
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

  it('fails closed on a bug inside a policy step: an error event, a PolicyErrors point, a denial naming neither the error nor the payload', async () => {
    // Prepare
    const payload = loadEvent('pre-signup/sign-up-allowed.json');
    const published: AuthEvent[] = [];
    const points: MetricPoint[] = [];
    const { runtime, problems, logs } = recordingRuntime(async (events) => void published.push(...events), {
      isDisposableDomain: () => {
        throw new TypeError('domain list unavailable');
      },
      metrics: { count: () => undefined, record: (recorded) => void points.push(...recorded) },
    });

    // Act
    const denial = createTriggerHandler(preSignUp, runtime)(structuredClone(payload), context);

    // Assess
    await expect(denial).rejects.toThrow(new TriggerDeniedError('POLICY_ERROR', 'This request cannot be completed right now. Please try again later.'));
    expect(problems).toEqual([]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ category: 'signup', outcome: 'error', reason: { code: 'POLICY_ERROR' } });
    expect(published[0]?.reason?.message).toMatch(/^The pre-signup policy failed \(TypeError at [^)]+\); the action was denied\.$/);
    expect(points).toContainEqual({ name: 'PolicyErrors', value: 1, dimensions: { trigger: 'pre-signup' } });
    const text = JSON.stringify(published) + logs.join('\n');
    expect(text).not.toContain('domain list unavailable');
    expect(text).not.toContain(payload.request.userAttributes.email);
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
