/**
 * The stack on real local components. `serverless offline` (./offline-stack.ts)
 * runs the trigger functions' esbuild bundles behind serverless-offline's Lambda
 * API; they publish to serverless-offline-aws-eventbridge's bus, whose rules, with
 * the patterns of lib/routing/rules.json, deliver to the offline rule target
 * (functions/offline-rule-target.ts), which appends to the local store.
 *
 * Every Cognito answer and every delivered AuthEvent is compared with what the
 * in-process handlers produce for the same payload at the same time, so the
 * bundles, their environment, the bus and the routing are all checked end to end.
 * Then `npm run replay -- --target aws`, as a child process, replays every
 * fixture against the same Lambda API. CloudTrail records put on the offline bus
 * as the default bus would carry them reach cloudtrail-events through its
 * offline subscription (serverless.yml, custom.offline), and its AuthEvents the
 * rule targets.
 */
import { runToEnd } from '../helpers/process-group.ts';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { triggerNameFor, type TriggerName } from '../../lib/cognito/trigger-sources.ts';
import { isDisposableDomain } from '../../lib/policy/disposable-domains.ts';
import { parseSpillLine } from '../../lib/publish/spill.ts';
import { collectFixtureFiles } from '../../local/replay/fixture-file.ts';
import { createLocalInvoker } from '../../local/replay/local-invoker.ts';
import { createReplayer, type ReplayResult } from '../../local/replay/replay.ts';
import { matchesEventPattern } from '../../lib/routing/event-pattern.ts';
import { RuleTarget, loadRules } from '../../lib/routing/rules.ts';
import { ROOT, TEST_PII_KEY, devConfig, loadEvent } from '../helpers/fixtures.ts';
import { FAKE_AWS_ENV, PROBE_CATEGORY, REGION, startOffline, type OfflineStack, type StoredEnvelope } from './offline-stack.ts';
import { SILENT_LOGGER } from '../../lib/runtime/handler.ts';
import { namesFor } from '../../lib/naming.ts';

const STAGE = 'dev';
/** Cognito's hard limit for a trigger, cold start included. */
const COGNITO_BUDGET_MS = 5_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const REPLAY_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------- what the in-process handlers make of a payload

let now = new Date();
const localInvoker = createLocalInvoker({
  stage: STAGE,
  config: devConfig(),
  piiKey: TEST_PII_KEY,
  sink: { publish: async () => undefined },
  spill: () => {
    throw new Error('the in-process reference never spills');
  },
  logger: SILENT_LOGGER,
  isDisposableDomain,
  clock: () => now,
});
const localReplayer = createReplayer(localInvoker);

const triggerOf = (payload: Record<string, any>): TriggerName => {
  const trigger = triggerNameFor(payload.triggerSource as string);
  if (trigger === undefined) throw new Error(`no trigger for ${String(payload.triggerSource)}`);
  return trigger;
};

/** The in-process result for a payload as Cognito sends it (no replay marker), at `at`. */
const expectedFor = async (file: string, payload: Record<string, any>, at: Date): Promise<ReplayResult> => {
  now = at;
  return localInvoker({ file, trigger: triggerOf(payload), source: payload.triggerSource as string, payload: structuredClone(payload) });
};

/** The in-process replay of a fixture file (replay marker included), at `at`. */
const expectedReplayOf = async (file: string, at: Date): Promise<ReplayResult> => {
  now = at;
  return localReplayer.replayFile(file);
};

const RULES = loadRules();
/** The targets whose rule matches the envelope, by lib/routing's matcher: the local bus's and AWS's answer. */
const targetsFor = (envelope: StoredEnvelope): RuleTarget[] =>
  [...new Set(RULES.filter((rule) => matchesEventPattern(rule.pattern, envelope)).map((rule) => rule.target))].sort();

// ---------------------------------------------------------------- the offline stack

let offline: OfflineStack;
let lambda: LambdaClient;
const suiteStarted = performance.now();
const invokeMs: Record<string, number[]> = {};
const deliveryMs: number[] = [];
let replayMs = 0;
/** AuthEvents the tests caused: each must be in the log target exactly once. */
let caused = 0;

beforeAll(async () => {
  offline = await startOffline({ stage: STAGE, piiKey: TEST_PII_KEY });
  lambda = new LambdaClient({
    endpoint: offline.lambdaEndpoint,
    region: REGION,
    credentials: { accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  });
}, 75_000);

afterAll(async () => {
  lambda?.destroy();
  await offline?.stop();
  if (offline === undefined) return;
  const worst = Object.fromEntries(
    Object.entries(invokeMs).map(([trigger, times]) => [
      trigger,
      { cold: Math.round(times[0] ?? 0), worstWarm: times.length > 1 ? Math.round(Math.max(...times.slice(1))) : null },
    ]),
  );
  console.info(
    [
      `serverless offline: Lambda API listening after ${(offline.startup.listeningMs / 1000).toFixed(1)} s, bus delivering after ${(offline.startup.deliveringMs / 1000).toFixed(1)} s`,
      `Invoke latency per trigger (ms): ${JSON.stringify(worst)}`,
      `worst delivery, invoke to rule target: ${Math.round(Math.max(0, ...deliveryMs))} ms; replay of events/ by npm run replay: ${(replayMs / 1000).toFixed(1)} s`,
      `suite: ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`,
    ].join('\n'),
  );
}, 30_000);

/** Invokes a function through the offline Lambda API, timed. */
const invoke = async (trigger: TriggerName, payload: unknown): Promise<{ output: InvokeCommandOutput; returned: any }> => {
  const started = performance.now();
  const output = await lambda.send(
    new InvokeCommand({ FunctionName: namesFor(STAGE).functionName(trigger), InvocationType: 'RequestResponse', Payload: JSON.stringify(payload) }),
  );
  const elapsed = performance.now() - started;
  (invokeMs[trigger] ??= []).push(elapsed);
  caused += 1;
  expect(elapsed).toBeLessThan(COGNITO_BUDGET_MS);
  const text = Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8');
  return { output, returned: text === '' ? null : JSON.parse(text) };
};

const authEventsIn = (target: RuleTarget) => offline.read(target).filter((envelope) => envelope.detail.category !== PROBE_CATEGORY);

/**
 * One delivery: the AuthEvent id, and the replayed file if any. A fixture invoked directly and then replayed
 * inside the same id window has the same id both times (retries collapse by id); the replay tag tells them apart.
 */
const deliveryKey = (event: AuthEvent): string => `${event.id} ${event.pipeline.replay?.file ?? '-'}`;

/**
 * Waits until a target holds an AuthEvent envelope the predicate accepts, and returns it. With `since`, the
 * time from then to the delivery counts as a delivery latency.
 */
const delivered = async (target: RuleTarget, accept: (event: AuthEvent) => boolean, since?: number): Promise<StoredEnvelope> => {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const found = authEventsIn(target).find((envelope) => accept(envelope.detail as AuthEvent));
    if (found !== undefined) {
      if (since !== undefined) deliveryMs.push(performance.now() - since);
      return found;
    }
    if (Date.now() > deadline) {
      throw new Error(`no matching AuthEvent reached ${target} in ${DELIVERY_TIMEOUT_MS / 1000} s\n--- offline output ---\n${offline.output()}`);
    }
    await new Promise((done) => setTimeout(done, 25));
  }
};

/** Checks the envelope the bus made and that every rule matching it, and no other, delivered it. */
const assessRouting = async (envelope: StoredEnvelope, since?: number): Promise<void> => {
  const event = envelope.detail as AuthEvent;
  expect(envelope).toMatchObject({
    'source': 'authtrail.cognito',
    'detail-type': `AuthEvent ${event.category}.${event.action}`,
    'region': REGION,
    'account': '000000000000',
  });
  const expectedTargets = targetsFor(envelope);
  expect(expectedTargets).toContain(RuleTarget.EventsLog);
  const key = deliveryKey(event);
  for (const target of expectedTargets) await delivered(target, (candidate) => deliveryKey(candidate) === key, since);
  const reached = Object.values(RuleTarget).filter((target) =>
    authEventsIn(target).some((candidate) => deliveryKey(candidate.detail as AuthEvent) === key),
  );
  expect(reached.sort()).toEqual(expectedTargets);
};

// ---------------------------------------------------------------- A: each trigger through the Lambda API

const ALLOWED: [string, string][] = [
  ['pre-signup allows a sign-up', 'pre-signup/sign-up-allowed.json'],
  ['pre-signup allows a federated first sign-in', 'pre-signup/federated-google-first-sign-in.json'],
  ['post-authentication records a sign-in', 'post-authentication/sign-in-web.json'],
  ['post-authentication records a sign-in on a new device', 'post-authentication/sign-in-new-device-mobile.json'],
  ['pre-token-generation V1_0 adds claims', 'pre-token-generation/v1/authentication.json'],
  ['pre-token-generation V2_0 customizes ID and access tokens', 'pre-token-generation/v2/authentication-admin.json'],
  ['pre-token-generation V3_0 handles client credentials', 'pre-token-generation/v3/client-credentials.json'],
];

describe('serverless offline: the trigger functions through the Lambda API', () => {
  it.each(ALLOWED)('%s: answers Cognito as the handler does in-process, and its AuthEvent reaches the rule targets', async (_name, fixture) => {
    // Prepare
    const payload = loadEvent(fixture);
    const trigger = triggerOf(payload);
    const before = new Set(authEventsIn(RuleTarget.EventsLog).map((envelope) => envelope.detail.id as string));
    const since = performance.now();

    // Act
    const { output, returned } = await invoke(trigger, payload);
    const envelope = await delivered(
      RuleTarget.EventsLog,
      (event) => !before.has(event.id) && event.trigger.source === payload.triggerSource,
      since,
    );

    // Assess
    expect(output.FunctionError).toBeUndefined();
    const expected = await expectedFor(fixture, payload, new Date((envelope.detail as AuthEvent).time));
    expect(expected.ok).toBe(true);
    expect(returned).toEqual({ ...payload, response: expected.response });
    expect(envelope.detail).toEqual(expected.events[0]);
    expect(envelope.detail.pipeline.replay).toBeUndefined();
    await assessRouting(envelope, since);
  });

  it('pre-signup denies a disposable email domain: a Lambda error naming TriggerDeniedError with the message for the user, and the denial reaches the rule targets', async () => {
    // Prepare
    const fixture = 'pre-signup/sign-up-denied-disposable-domain.json';
    const payload = loadEvent(fixture);
    const before = new Set(authEventsIn(RuleTarget.EventsLog).map((envelope) => envelope.detail.id as string));
    const since = performance.now();

    // Act
    const { output, returned } = await invoke(triggerOf(payload), payload);
    const envelope = await delivered(
      RuleTarget.EventsLog,
      (event) => !before.has(event.id) && event.trigger.source === payload.triggerSource,
      since,
    );

    // Assess
    const expected = await expectedFor(fixture, payload, new Date((envelope.detail as AuthEvent).time));
    const denial = expected.events[0]?.reason;
    expect(denial).toMatchObject({ code: 'DISPOSABLE_EMAIL_DOMAIN' });
    expect(output.FunctionError).toBe('Unhandled');
    // AWS Lambda reports errorType TriggerDeniedError (the error's name). serverless-offline 14 reports every
    // handler error as "Error" (dherault/serverless-offline#1631) and keeps the name only in the trace.
    expect(returned).toMatchObject({ errorType: 'Error', errorMessage: denial?.message });
    expect((returned as { trace: string[] }).trace[0]).toBe(`TriggerDeniedError: ${denial?.message}`);
    expect(envelope.detail).toEqual(expected.events[0]);
    expect(envelope.detail).toMatchObject({ category: 'signup', outcome: 'denied' });
    await assessRouting(envelope, since);
  });

  it('routes by the rules’ patterns: an event outside the SIEM categories reaches the log target only', () => {
    // Prepare
    const probes = (target: RuleTarget) => offline.read(target).filter((envelope) => envelope.detail.category === PROBE_CATEGORY);

    // Act
    const inLog = probes(RuleTarget.EventsLog);
    const inSiem = probes(RuleTarget.SiemQueue);

    // Assess: start-up put probes on the bus (./offline-stack.ts), category offline-probe.
    expect(inLog.length).toBeGreaterThanOrEqual(1);
    expect(targetsFor(inLog[0]!)).toEqual([RuleTarget.EventsLog]);
    expect(inSiem).toEqual([]);
  });
});

// ---------------------------------------------------------------- B: npm run replay -- --target aws

/** The replay's environment: the caller's minus anything AWS or authtrail; the Lambda API of the offline stack. */
const replayEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(AWS_|AUTHTRAIL_)/.test(name)) env[name] = value;
  }
  return { ...env, ...offline.loopbackAwsEnv, AWS_ENDPOINT_URL_LAMBDA: offline.lambdaEndpoint };
};

describe('npm run replay -- --target aws, against the offline Lambda API', () => {
  it(
    'replays every fixture: each line ok with the in-process answer, and each event, tagged pipeline.replay, reaches the rule targets',
    async () => {
      // Prepare
      const files = collectFixtureFiles([`${ROOT}/events`]).map((file) => relative(ROOT, file));
      const since = performance.now();

      // Act
      const { code, stdout, stderr } = await runToEnd(
        'npm',
        ['run', 'replay', '--', '--stage', STAGE, '--target', 'aws', '--json', 'events'],
        { cwd: ROOT, env: replayEnv(), timeoutMs: REPLAY_TIMEOUT_MS },
      );
      replayMs = performance.now() - since;
      caused += files.length;

      // Assess
      expect(code, stderr).toBe(0);
      // npm's own header ("> authtrail@0.1.0 replay", the command) comes first; the rest is the replay's JSON lines.
      const lines = stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('> '));
      const results = lines.map((line) => JSON.parse(line) as ReplayResult);
      expect(results.map((result) => result.file)).toEqual(files);
      for (const result of results) {
        const envelope = await delivered(RuleTarget.EventsLog, (event) => event.pipeline.replay?.file === result.file);
        const expected = await expectedReplayOf(result.file, new Date((envelope.detail as AuthEvent).time));
        expect(result, result.file).toEqual({ ...expected, events: [] });
        expect(envelope.detail, result.file).toEqual(expected.events[0]);
        expect(envelope.detail.pipeline.replay).toEqual({ source: 'fixture', file: result.file });
        await assessRouting(envelope);
      }
      expect(results.filter((result) => result.response === null).map((result) => result.file)).toEqual(
        files.filter((file) => file.includes('sign-up-denied') || file.includes('sign-in-denied')),
      );
    },
    REPLAY_TIMEOUT_MS + DELIVERY_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------- CloudTrail records from the default bus

describe('serverless offline: CloudTrail records through the offline EventBridge', () => {
  it.each([
    ['a wrong password (InitiateAuth)', 'sign-in.ndjson', 0, { category: 'signin', action: 'authenticate', outcome: 'failed', reason: { code: 'INCORRECT_CREDENTIALS' } }],
    ['a wrong TOTP code at managed login (mfa_totp_POST)', 'managed-login.ndjson', 1, { category: 'signin', action: 'mfa', outcome: 'failed' }],
    ['an administrator disabling a user (AdminDisableUser)', 'account.ndjson', 4, { category: 'account', action: 'user_disable', actor: { type: 'AssumedRole' } }],
  ])('%s put on the bus as CloudTrail would reaches cloudtrail-events, and its AuthEvent the rule targets', async (_name, file, line, expected) => {
    // Prepare
    const envelope = JSON.parse(readFileSync(join(ROOT, 'events', 'cloudtrail', file), 'utf8').split('\n')[line] ?? '{}');
    const eventId = envelope.detail.eventID as string;
    const bus = new EventBridgeClient({ endpoint: offline.eventBridgeEndpoint, region: REGION, credentials: { accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY }, maxAttempts: 1 });
    const since = performance.now();

    // Act
    await bus.send(new PutEventsCommand({ Entries: [{ Source: envelope.source, DetailType: envelope['detail-type'], Detail: JSON.stringify(envelope.detail) }] }));
    caused += 1;
    const stored = await delivered(RuleTarget.EventsLog, (event) => event.cloudTrail?.eventId === eventId, since);

    // Assess
    expect(stored.detail).toMatchObject({ ...expected, trigger: { source: `CloudTrail_${envelope.detail.eventName}` }, cloudTrail: { eventId } });
    // The PII policy ran in the bundle: the IP is a network.
    expect((stored.detail as AuthEvent).network?.ip).toMatch(/\.0\/24$/);
    await assessRouting(stored, since);
  });
});

// ---------------------------------------------------------------- nothing lost, nothing twice

describe('serverless offline: delivery overall', () => {
  it('spilled nothing and delivered each AuthEvent once per matching rule', () => {
    // Prepare
    const spills = offline
      .output()
      .split('\n')
      .map(parseSpillLine)
      .filter((record) => record !== undefined);

    // Act
    const keys = (target: RuleTarget) => authEventsIn(target).map((envelope) => deliveryKey(envelope.detail as AuthEvent));

    // Assess
    expect(spills).toEqual([]);
    for (const target of Object.values(RuleTarget)) expect(new Set(keys(target)).size).toBe(keys(target).length);
    expect(keys(RuleTarget.EventsLog).length).toBe(caused);
  });
});
