/**
 * Log-first triggers, loaded from source as the deployed bundles run them
 * (AUTHTRAIL_DELIVERY=log, which the build defines): the answer waits for no
 * bus, each AuthEvent leaves as one line in the function's log, and the PII key
 * comes through the Parameters and Secrets extension (a loopback stand-in at its
 * HTTP boundary) within a bounded wait. Without the key, the sign-in still gets
 * its answer and the event is emitted with every hashed field dropped and marked.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { hashValue } from '../../lib/pii.ts';
import { parseEventLogLine } from '../../lib/publish/event-log.ts';
import { PII_KEY_UNAVAILABLE, cachedKey } from '../../lib/runtime/pii-key.ts';
import { closedPort } from '../helpers/fake-eventbridge.ts';
import { startFakeParametersExtension, type ExtensionBehaviour, type FakeParametersExtension } from '../helpers/fake-parameters-extension.ts';
import { loadEvent } from '../helpers/fixtures.ts';
import { LAMBDA_ENV, loadFunction } from '../helpers/lambda-env.ts';
import { captureStdout } from '../helpers/stdout.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const context = { functionName: 'authtrail-dev-post-authentication', awsRequestId: 'log-first' } as Context;
const PARAMETER = '/authtrail/dev/pii-hash-key';
const SSM_KEY = 'extension-served-key-0123456789';
const SESSION_TOKEN = 'session-token-of-the-function';
/** Cognito's hard limit for a trigger's answer. */
const COGNITO_BUDGET_MS = 5_000;
const KEY_WAIT_MS = 100;

const SIGN_IN = 'post-authentication/sign-in-web.json';

/** One invocation, with what it wrote to stdout (the function's log). */
const invoke = async (handler: Handler, payload: unknown) => {
  const started = performance.now();
  const { value: outcome, written } = await captureStdout(async (): Promise<{ returned: unknown } | { error: unknown }> => {
    try {
      return { returned: await handler(payload, context) };
    } catch (error) {
      return { error };
    }
  });
  const elapsedMs = performance.now() - started;
  const log = written.join('');
  const events = log.split('\n').flatMap((line) => {
    const parsed = parseEventLogLine(line);
    return 'event' in parsed ? [parsed.event] : [];
  });
  return { ...outcome, elapsedMs, log, events };
};

const logFirstEnv = (extensionPort: number, keyWaitMs = KEY_WAIT_MS) => ({
  ...LAMBDA_ENV,
  AUTHTRAIL_DELIVERY: 'log',
  AUTHTRAIL_PII_HASH_KEY: undefined,
  AUTHTRAIL_PII_HASH_KEY_PARAMETER: PARAMETER,
  AUTHTRAIL_PII_KEY_WAIT_MS: String(keyWaitMs),
  AWS_SESSION_TOKEN: SESSION_TOKEN,
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(extensionPort),
});

let extension: FakeParametersExtension;
const eventBridge = mockClient(EventBridgeClient);

beforeAll(async () => {
  extension = await startFakeParametersExtension({ parameters: { [PARAMETER]: SSM_KEY }, sessionToken: SESSION_TOKEN });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
  extension.requests.length = 0;
  extension.plan([]);
  eventBridge.reset();
});
afterAll(async () => {
  eventBridge.restore();
  await extension.close();
});

describe('Log-first: the answer waits for the decision only', () => {
  it('writes the sign-in as one event line, answers with the payload, and calls no bus', async () => {
    // Prepare
    const handler = await loadFunction<Handler>('post-authentication', { ...LAMBDA_ENV, AUTHTRAIL_DELIVERY: 'log' });
    const payload = loadEvent(SIGN_IN);

    // Act
    const result = await invoke(handler, structuredClone(payload));

    // Assess
    expect(result).toMatchObject({ returned: payload });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ category: 'signin', stage: 'dev', pipeline: { piiKeyId: 'dev-2026-11' } });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('logs the same AuthEvent, id included, that the bus publisher would have sent', async () => {
    // Prepare: one instant for both, so both fall in the same id bucket.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-27T10:00:00.000Z') });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const viaBus = await loadFunction<Handler>('post-authentication');
    await viaBus(loadEvent(SIGN_IN), context);
    const published = JSON.parse(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!) as AuthEvent;
    const viaLog = await loadFunction<Handler>('post-authentication', { ...LAMBDA_ENV, AUTHTRAIL_DELIVERY: 'log' });

    // Act
    const result = await invoke(viaLog, loadEvent(SIGN_IN));

    // Assess
    expect(result.events).toEqual([published]);
  });

  it('still denies a blocked sign-up, and logs the denial event', async () => {
    // Prepare
    const handler = await loadFunction<Handler>('pre-signup', { ...LAMBDA_ENV, AUTHTRAIL_DELIVERY: 'log' });

    // Act
    const result = await invoke(handler, loadEvent('pre-signup/sign-up-denied-disposable-domain.json'));

    // Assess
    expect(result).toMatchObject({ error: { name: 'TriggerDeniedError' } });
    expect(result.events).toEqual([expect.objectContaining({ outcome: 'denied' })]);
  });
});

describe('Log-first: the PII key through the Parameters and Secrets extension', () => {
  it('reads the key once, decrypted, with the session token, and hashes with it', async () => {
    // Prepare: the longest wait allowed, so a loaded machine cannot make the healthy read late.
    const handler = await loadFunction<Handler>('post-authentication', logFirstEnv(extension.port, 2_000));
    const payload = loadEvent<{ request: { userAttributes: { email: string } } }>(SIGN_IN);

    // Act
    const first = await invoke(handler, structuredClone(payload));
    const second = await invoke(handler, structuredClone(payload));

    // Assess
    expect(extension.requests).toEqual([{ name: PARAMETER, withDecryption: 'true', tokenOk: true }]);
    for (const result of [first, second]) {
      expect(result.events[0]?.user.email).toBe(hashValue(SSM_KEY, 'user.email', payload.request.userAttributes.email));
      expect(result.events[0]?.pipeline.piiKeyId).toBe('dev-2026-11');
    }
  });

  const faults: [string, ExtensionBehaviour | 'refused'][] = [
    ['SSM throttles the extension', { kind: 'throttle' }],
    ['the extension fails', { kind: 'server-error' }],
    ['the extension answers what is not JSON', { kind: 'not-json' }],
    ['the extension never answers', { kind: 'hang' }],
    ['no extension listens', 'refused'],
  ];

  it.each(faults)('%s: the sign-in is answered, the event emitted with every hashed field dropped and marked', async (_name, fault) => {
    // Prepare
    const port = fault === 'refused' ? await closedPort() : extension.port;
    if (fault !== 'refused') extension.plan([], fault);
    const handler = await loadFunction<Handler>('post-authentication', logFirstEnv(port));
    const payload = loadEvent<{ request: { userAttributes: { email: string } } }>(SIGN_IN);

    // Act
    const cold = await invoke(handler, structuredClone(payload));
    const warm = await invoke(handler, structuredClone(payload));

    // Assess
    for (const result of [cold, warm]) {
      expect(result).toMatchObject({ returned: payload });
      expect(result.elapsedMs).toBeLessThan(COGNITO_BUDGET_MS);
      expect(result.events).toHaveLength(1);
      const [event] = result.events;
      expect(event?.pipeline.piiKeyId).toBe(PII_KEY_UNAVAILABLE);
      // dev hashes user.username and user.email: both dropped, never in clear.
      expect(event?.user.email).toBeUndefined();
      expect(event?.user.username).toBeUndefined();
      expect(event?.user.emailDomain).toBe('acme-corp.com');
      expect(result.log).not.toContain(payload.request.userAttributes.email);
      // Nothing hashed with a key that is not there.
      expect(result.log).not.toContain('hmac-sha256:');
    }
  });

  it('hashes again as soon as a slow read has brought the key, without asking twice', async () => {
    // Prepare
    extension.plan([{ kind: 'slow', ms: KEY_WAIT_MS * 4 }]);
    const handler = await loadFunction<Handler>('post-authentication', logFirstEnv(extension.port));

    // Act
    const early = await invoke(handler, loadEvent(SIGN_IN));
    // Well past the slow answer, with room for a loaded machine.
    await new Promise((resolve) => setTimeout(resolve, KEY_WAIT_MS * 15));
    const later = await invoke(handler, loadEvent(SIGN_IN));

    // Assess
    expect(early.events[0]?.pipeline.piiKeyId).toBe(PII_KEY_UNAVAILABLE);
    expect(later.events[0]?.pipeline.piiKeyId).toBe('dev-2026-11');
    expect(later.events[0]?.user.email).toMatch(/^hmac-sha256:/);
    expect(extension.requests).toHaveLength(1);
  });

  it('fails the cold start on a bad deploy: no key and no parameter named', async () => {
    // Act
    const loading = loadFunction('post-authentication', { ...logFirstEnv(extension.port), AUTHTRAIL_PII_HASH_KEY_PARAMETER: undefined });

    // Assess
    await expect(loading).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining('AUTHTRAIL_PII_HASH_KEY_PARAMETER') });
  });
});

describe('Log-first: the key cache', () => {
  it('after a failed read, asks again only once the retry interval has passed', async () => {
    // Prepare
    let clock = 0;
    const answers = [Promise.reject(new Error('throttled')), Promise.resolve('key-after-retry-0123456789')];
    answers[0]!.catch(() => undefined);
    let reads = 0;
    const failures: unknown[] = [];
    const source = cachedKey({ read: () => answers[reads++]!, waitMs: 50, retryAfterMs: 1_000, onFailure: (error) => failures.push(error), now: () => clock });

    // Act
    const first = await source.keyFor();
    clock = 999;
    const tooSoon = await source.keyFor();
    clock = 1_000;
    const retried = await source.keyFor();
    const cached = await source.keyFor();

    // Assess
    expect([first, tooSoon, retried, cached]).toEqual([undefined, undefined, 'key-after-retry-0123456789', 'key-after-retry-0123456789']);
    expect(reads).toBe(2);
    expect(failures).toHaveLength(1);
  });
});
