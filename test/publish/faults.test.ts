/**
 * The fault matrix: the deployed post-authentication function, loaded as Lambda
 * loads it, publishing over real HTTP to a loopback EventBridge endpoint that
 * throttles, fails entries, stalls, answers slowly, resets or refuses. For every
 * fault: the sign-in gets its normal answer within Cognito's limit, and the event
 * is delivered or spilled: none lost.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSpillLine } from '../../lib/publish/spill.ts';
import { closedPort, startFakeEventBridge, type Behaviour, type FakeEventBridge } from '../helpers/fake-eventbridge.ts';
import { FAKE_AWS_CREDENTIALS, loadEvent } from '../helpers/fixtures.ts';
import { LAMBDA_ENV, loadFunction } from '../helpers/lambda-env.ts';
import { captureStdout } from '../helpers/stdout.ts';

const DEADLINE_MS = 300;
/** Cognito's hard limit is 5 s; the handler must stay far inside it even when the bus misbehaves. */
const COGNITO_BUDGET_MS = 5_000;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const context = { functionName: 'authtrail-dev-post-authentication', awsRequestId: 'fault-test' } as Context;

const loadHandler = (endpoint: string): Promise<Handler> =>
  loadFunction<Handler>('post-authentication', {
    ...LAMBDA_ENV,
    AUTHTRAIL_PII_HASH_KEY: 'fault-test-key-0123456789',
    AUTHTRAIL_EVENTBRIDGE_ENDPOINT: endpoint,
    AUTHTRAIL_PUBLISH_DEADLINE_MS: String(DEADLINE_MS),
    ...FAKE_AWS_CREDENTIALS,
  });

/** Runs one invocation, capturing what the function wrote to stdout (its log: spill lines, EMF). */
const invoke = async (handler: Handler, payload: unknown) => {
  const started = performance.now();
  const { value: returned, written } = await captureStdout(() => handler(payload, context));
  return { returned, elapsedMs: performance.now() - started, written };
};

const worst: Record<string, number> = {};
let bus: FakeEventBridge;
let handler: Handler;

beforeAll(async () => {
  bus = await startFakeEventBridge();
  handler = await loadHandler(bus.endpoint);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await bus.close();
  console.info(`worst sign-in latency per fault (deadline ${DEADLINE_MS} ms): ${JSON.stringify(worst)}`);
});

type Expected = 'delivered' | 'spilled' | 'delivered or spilled';

const cases: [string, Expected, Behaviour[], Behaviour][] = [
  ['healthy bus', 'delivered', [], { kind: 'accept' }],
  // The SDK waits up to 1 s (random) before retrying a throttle: inside or past the deadline.
  ['throttled once (SDK retry)', 'delivered or spilled', [{ kind: 'throttle' }], { kind: 'accept' }],
  ['throttled throughout', 'spilled', [], { kind: 'throttle' }],
  ['500 once (SDK retry)', 'delivered', [{ kind: 'server-error' }], { kind: 'accept' }],
  ['500 throughout', 'spilled', [], { kind: 'server-error' }],
  ['entry failed once (FailedEntryCount, resent)', 'delivered', [{ kind: 'fail-entries', indexes: [0] }], { kind: 'accept' }],
  ['entry failed throughout', 'spilled', [], { kind: 'fail-entries', indexes: [0] }],
  ['slow answer inside the deadline', 'delivered', [{ kind: 'slow', ms: 50 }], { kind: 'accept' }],
  ['slow answer past the deadline', 'spilled', [], { kind: 'slow', ms: 2_000 }],
  ['stalled: accepts, never answers', 'spilled', [], { kind: 'stall' }],
  ['connection reset throughout', 'spilled', [], { kind: 'reset' }],
];

describe('Faults: publishing from the sign-in path', () => {
  it.each(cases)('%s: normal answer in time, event %s, none lost', async (name, expected, first, then) => {
    // Prepare
    bus.plan(first, then);
    const acceptedBefore = bus.accepted.length;
    const payload = loadEvent('post-authentication/sign-in-web.json');

    // Act
    const { returned, elapsedMs, written } = await invoke(handler, structuredClone(payload));

    // Assess
    worst[name] = Math.round(elapsedMs);
    expect(returned).toEqual(payload);
    expect(elapsedMs).toBeLessThan(COGNITO_BUDGET_MS);
    const delivered = bus.accepted.slice(acceptedBefore).map((entry) => JSON.parse(entry.Detail).id as string);
    const spilled = written.flatMap((line) => line.split('\n')).map(parseSpillLine).flatMap((record) => (record ? [record.event.id] : []));
    expect(delivered.length + spilled.length).toBeGreaterThanOrEqual(1);
    expect(new Set([...delivered, ...spilled]).size).toBe(1);
    if (expected === 'delivered') expect(delivered.length).toBeGreaterThanOrEqual(1);
    if (expected === 'spilled') expect(spilled).toHaveLength(1);
  });

  it('connection refused: normal answer in time, event spilled with the reason', async () => {
    // Prepare
    const refusing = await loadHandler(`http://127.0.0.1:${await closedPort()}`);
    const payload = loadEvent('post-authentication/sign-in-new-device-mobile.json');

    // Act
    const { returned, elapsedMs, written } = await invoke(refusing, structuredClone(payload));

    // Assess
    worst['connection refused'] = Math.round(elapsedMs);
    expect(returned).toEqual(payload);
    expect(elapsedMs).toBeLessThan(COGNITO_BUDGET_MS);
    const records = written.flatMap((line) => line.split('\n')).map(parseSpillLine).filter((record) => record !== undefined);
    expect(records).toHaveLength(1);
    expect(records[0]?.reason).toMatch(/ECONNREFUSED|deadline/);
    expect(records[0]?.event).toMatchObject({ category: 'signin', device: { newDeviceUsed: true } });
  });

  it('counts spills in an EMF metric', async () => {
    // Prepare
    bus.plan([], { kind: 'throttle' });

    // Act
    const { written } = await invoke(handler, loadEvent('post-authentication/sign-in-web.json'));

    // Assess
    const emf = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // One document counts the spill; the others are the invocation's auth-activity and latency points.
    const spills = emf.filter((document) => 'SpilledEvents' in document);
    expect(spills).toHaveLength(1);
    expect(spills[0]).toMatchObject({ SpilledEvents: 1, PublishFailures: 1, stage: 'dev' });
    expect(emf.some((document) => document.PublishLatency !== undefined && document.trigger === 'post-authentication')).toBe(true);
  });
});
