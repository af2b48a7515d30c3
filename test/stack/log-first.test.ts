/**
 * Log-first delivery, on the packaged zips (docs/delivery.md): `serverless
 * package` for dev, offline, then each trigger started from its zip in a fresh
 * process, as Lambda would, with its template environment, and the Parameters
 * and Secrets extension stood in for on loopback at its HTTP interface. The
 * extension serves, is throttled by SSM, fails, hangs, or is not there; each
 * process answers a cold and two warm invocations. Then the packaged forwarder
 * takes every line the triggers logged, as a CloudWatch Logs subscription
 * delivers them, to a loopback EventBridge that accepts or throttles.
 *
 * What must hold whatever the extension and the bus do: every invocation is
 * answered inside Cognito's 5 s, every invocation's event is in the log and then
 * on the bus or in the forwarder's spill (0 lost), and no PII leaves in clear.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { encodeSubscriptionEvent } from '../../lib/cognito-logs/subscription.ts';
import { EVENT_LOG_FILTER_PATTERN, parseEventLogLine } from '../../lib/publish/event-log.ts';
import { parseSpillLine } from '../../lib/publish/spill.ts';
import { PII_KEY_UNAVAILABLE } from '../../lib/runtime/pii-key.ts';
import { closedPort, startFakeEventBridge, type Behaviour } from '../helpers/fake-eventbridge.ts';
import { startFakeParametersExtension, type ExtensionBehaviour } from '../helpers/fake-parameters-extension.ts';
import { FAKE_AWS_CREDENTIALS, ROOT } from '../helpers/fixtures.ts';
import { clockEnv } from '../helpers/lambda-env.ts';
import type { InvokeOutcome } from './invoke-packaged.ts';
import type { TimedInvocation } from './invoke-packaged-many.ts';
import { packageStage, type CfnTemplate, type PackagedStage } from './package-stack.ts';

const COGNITO_BUDGET_MS = 5_000;
const PARAMETER = '/authtrail/dev/pii-hash-key';
const SSM_KEY = 'packaged-extension-key-0123456789';
const SESSION_TOKEN = 'session-token-of-the-function';
const FORWARDER = 'event-log-forwarder';
const INVOCATIONS_PER_PROCESS = 3;

const event = (file: string): Record<string, any> => JSON.parse(readFileSync(join(ROOT, 'events', file), 'utf8'));

/** Each trigger with a payload and the answer Cognito must get, key or no key. */
const TRIGGERS = [
  { name: 'pre-signup', file: 'pre-signup/sign-up-denied-disposable-domain.json', denied: true },
  { name: 'post-authentication', file: 'post-authentication/sign-in-web.json', denied: false },
  { name: 'pre-authentication', file: 'pre-authentication/sign-in-denied-blocked-user.json', denied: true },
  { name: 'post-confirmation', file: `post-confirmation/${readdirSync(join(ROOT, 'events', 'post-confirmation')).sort()[0]}`, denied: false },
  { name: 'pre-token-generation', file: 'pre-token-generation/v2/authentication-admin.json', denied: false },
] as const;

const KEY_FAULTS: [string, ExtensionBehaviour | 'absent'][] = [
  ['extension serves the key', { kind: 'serve' }],
  ['SSM throttles the extension', { kind: 'throttle' }],
  ['extension fails', { kind: 'server-error' }],
  ['extension hangs', { kind: 'hang' }],
  ['no extension', 'absent'],
];

interface Run {
  trigger: (typeof TRIGGERS)[number];
  fault: string;
  invocations: TimedInvocation[];
  log: string;
  events: AuthEvent[];
}

let workRoot = '';
let dev: PackagedStage;
const runs: Run[] = [];
/** What the extension was asked, per fault, by all five processes. */
const extensionRequests = new Map<string, { name: string | null; withDecryption: string | null; tokenOk: boolean }[]>();

const variablesOf = (template: CfnTemplate, name: string): Record<string, string> => {
  // osls's logical id: `pre-signup` -> `PreDashsignupLambdaFunction`.
  const logicalId = `${name[0]!.toUpperCase()}${name.slice(1).replaceAll('-', 'Dash')}LambdaFunction`;
  const variables = (template.Resources[logicalId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  for (const [key, value] of Object.entries(variables)) {
    if (typeof value !== 'string') throw new Error(`${name}: ${key} is not a string in the template`);
  }
  return variables as Record<string, string>;
};

const unzip = (name: string): string => {
  const directory = join(workRoot, 'run', name);
  rmSync(directory, { recursive: true, force: true });
  for (const [path, entry] of dev.zip(name)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    writeFileSync(join(directory, path), entry.data());
  }
  return directory;
};

/** Starts a packaged function in a fresh process, as the Lambda runtime would, and collects its stdout (its log). */
const runPackaged = (name: string, script: string, input: string, environment: Record<string, string>) =>
  new Promise<{ resultFile: string; stdout: string }>((done, fail) => {
    const directory = join(workRoot, 'run', name);
    const resultFile = join(workRoot, `${name}-${Math.random().toString(36).slice(2)}.json`);
    execFile(
      process.execPath,
      [join(import.meta.dirname, script), join(directory, `functions/${name}.mjs`), input, resultFile],
      {
        cwd: directory,
        timeout: 30_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          ...clockEnv(),
          ...variablesOf(dev.template, name),
          LAMBDA_TASK_ROOT: directory,
          AWS_LAMBDA_FUNCTION_NAME: `authtrail-dev-${name}`,
          ...FAKE_AWS_CREDENTIALS,
          AWS_SESSION_TOKEN: SESSION_TOKEN,
          ...environment,
        },
      },
      (error, stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done({ resultFile, stdout })),
    );
  });

const eventsIn = (log: string): AuthEvent[] =>
  log.split('\n').flatMap((line) => {
    const parsed = parseEventLogLine(line);
    return 'event' in parsed ? [parsed.event] : [];
  });

beforeAll(async () => {
  // Prepare: the dev package, and every trigger under every extension fault.
  workRoot = mkdtempSync(join(tmpdir(), 'authtrail-log-first-'));
  dev = await packageStage('dev', join(workRoot, 'dev'));
  for (const name of [...TRIGGERS.map((trigger) => trigger.name), FORWARDER]) unzip(name);
  const nothingElse = `http://127.0.0.1:${await closedPort()}`;

  // Act
  for (const [fault, behaviour] of KEY_FAULTS) {
    const extension = await startFakeParametersExtension({ parameters: { [PARAMETER]: SSM_KEY }, sessionToken: SESSION_TOKEN });
    const port = behaviour === 'absent' ? await closedPort() : extension.port;
    if (behaviour !== 'absent') extension.plan([], behaviour);
    try {
      await Promise.all(
        TRIGGERS.map(async (trigger) => {
          const eventsFile = join(workRoot, `${trigger.name}-events.json`);
          writeFileSync(eventsFile, JSON.stringify(Array.from({ length: INVOCATIONS_PER_PROCESS }, () => event(trigger.file))));
          const { resultFile, stdout } = await runPackaged(trigger.name, 'invoke-packaged-many.ts', eventsFile, {
            PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port),
            // A healthy read gets the longest wait allowed, so a loaded test machine cannot make it late; the faults keep the deployed default.
            ...(fault === KEY_FAULTS[0]![0] ? { AUTHTRAIL_PII_KEY_WAIT_MS: '2000' } : {}),
            // No AWS service is called from a log-first trigger: any attempt would fail here.
            AWS_ENDPOINT_URL: nothingElse,
          });
          runs.push({
            trigger,
            fault,
            invocations: JSON.parse(readFileSync(resultFile, 'utf8')) as TimedInvocation[],
            log: stdout,
            events: eventsIn(stdout),
          });
        }),
      );
    } finally {
      extensionRequests.set(fault, [...extension.requests]);
      await extension.close();
    }
  }
}, 240_000);

afterAll(() => {
  const worst = Math.max(...runs.flatMap((run) => run.invocations.map((invocation) => invocation.answerMs)));
  console.info(`log-first packaged triggers: ${runs.length} processes, worst answer ${worst.toFixed(1)} ms`);
  if (workRoot !== '') rmSync(workRoot, { recursive: true, force: true });
});

describe('Log-first: the packaged triggers', () => {
  it('carry no AWS SDK, and are subscribed to the forwarder on their event lines only', () => {
    // Prepare
    const subscriptions = Object.values(dev.template.Resources).filter((resource) => resource.Type === 'AWS::Logs::SubscriptionFilter');

    // Act
    const bundles = TRIGGERS.map((trigger) => dev.zip(trigger.name).get(`functions/${trigger.name}.mjs`)!.data().toString('utf8'));
    const forwarded = subscriptions.filter((subscription) => JSON.stringify(subscription.Properties.DestinationArn).includes('EventDashlogDashforwarder'));

    // Assess
    for (const bundle of bundles) {
      for (const sdkPart of ['@aws-sdk', 'PutEventsCommand', 'AmazonSSM', 'credential-provider']) expect(bundle).not.toContain(sdkPart);
    }
    expect(forwarded).toHaveLength(TRIGGERS.length);
    for (const subscription of forwarded) expect(subscription.Properties.FilterPattern).toBe(EVENT_LOG_FILTER_PATTERN);
  });

  describe.each(KEY_FAULTS.map(([fault]) => fault))('%s', (fault) => {
    it.each(TRIGGERS.map((trigger) => trigger.name))('%s answers every cold and warm invocation in time and logs each event, never PII in clear', (name) => {
      // Prepare
      const run = runs.find((candidate) => candidate.fault === fault && candidate.trigger.name === name)!;
      const payload = event(run.trigger.file);
      const email = payload.request?.userAttributes?.email as string | undefined;

      // Act
      const { invocations, events, log } = run;

      // Assess
      expect(invocations).toHaveLength(INVOCATIONS_PER_PROCESS);
      expect(invocations[0]!.sinceProcessStartMs).toBeLessThan(COGNITO_BUDGET_MS);
      for (const invocation of invocations) {
        expect(invocation.answerMs).toBeLessThan(COGNITO_BUDGET_MS);
        if (run.trigger.denied) expect(invocation.outcome).toMatchObject({ error: { name: 'TriggerDeniedError' } });
        else expect(invocation.outcome).toMatchObject({ returned: { triggerSource: payload.triggerSource } });
      }
      // 0 lost: one event line per invocation.
      expect(events).toHaveLength(INVOCATIONS_PER_PROCESS);
      if (email !== undefined) expect(log).not.toContain(email);
      if (fault === 'extension serves the key') {
        expect(events.every((logged) => logged.pipeline.piiKeyId === 'dev-2026-11')).toBe(true);
        if (email !== undefined) expect(events.every((logged) => logged.user.email?.startsWith('hmac-sha256:'))).toBe(true);
        // Read once per container (five processes), decrypted, with the function's session token.
        expect(extensionRequests.get(fault)).toEqual(TRIGGERS.map(() => ({ name: PARAMETER, withDecryption: 'true', tokenOk: true })));
      } else {
        expect(events.every((logged) => logged.pipeline.piiKeyId === PII_KEY_UNAVAILABLE)).toBe(true);
        expect(events.every((logged) => logged.user.email === undefined && logged.user.username === undefined)).toBe(true);
        expect(log).not.toContain('hmac-sha256:');
      }
    });
  });
});

describe('Log-first: the packaged forwarder', () => {
  /** Every line the triggers logged, delivered per log group as a subscription would. */
  const deliver = async (bus: Behaviour) => {
    const fakeBus = await startFakeEventBridge();
    fakeBus.plan([], bus);
    const outcomes: { summary: unknown; spilled: AuthEvent[] }[] = [];
    try {
      for (const trigger of TRIGGERS) {
        const lines = runs.filter((run) => run.trigger.name === trigger.name).flatMap((run) => run.log.split('\n').filter((line) => 'event' in parseEventLogLine(line)));
        const payloadFile = join(workRoot, `subscription-${trigger.name}.json`);
        writeFileSync(
          payloadFile,
          JSON.stringify(
            encodeSubscriptionEvent({
              messageType: 'DATA_MESSAGE',
              owner: '123456789012',
              logGroup: `/aws/lambda/authtrail-dev-${trigger.name}`,
              logStream: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
              subscriptionFilters: ['authtrail-dev-EventLogForwarderSubscription'],
              logEvents: lines.map((message, index) => ({ id: `37957734923450000000000000000000000000000000000${String(index).padStart(3, '0')}`, timestamp: 1795773492345 + index, message })),
            }),
          ),
        );
        const { resultFile, stdout } = await runPackaged(FORWARDER, 'invoke-packaged.ts', payloadFile, {
          AWS_ENDPOINT_URL_EVENTBRIDGE: fakeBus.endpoint,
          AUTHTRAIL_PUBLISH_DEADLINE_MS: '300',
        });
        const outcome = JSON.parse(readFileSync(resultFile, 'utf8')) as InvokeOutcome;
        outcomes.push({
          summary: 'returned' in outcome ? outcome.returned : outcome,
          spilled: stdout.split('\n').flatMap((line) => parseSpillLine(line)?.event ?? []),
        });
      }
      return { outcomes, accepted: fakeBus.accepted.map((entry) => JSON.parse(entry.Detail) as AuthEvent) };
    } finally {
      await fakeBus.close();
    }
  };

  const loggedIds = () => [...new Set(runs.flatMap((run) => run.events.map((logged) => logged.id)))].sort();

  it('puts every logged event on the stage bus, unchanged, under its own id', async () => {
    // Act
    const { outcomes, accepted } = await deliver({ kind: 'accept' });

    // Assess
    expect(outcomes.every((outcome) => (outcome.summary as { spilled: number }).spilled === 0)).toBe(true);
    expect(accepted.map((published) => published.id).sort()).toEqual(loggedIds());
    // The same sign-in logged with and without the key shares its id (one occurrence): published is one of them, unchanged.
    for (const published of accepted) {
      const versions = runs.flatMap((run) => run.events.filter((entry) => entry.id === published.id));
      expect(versions).toContainEqual(published);
    }
  });

  it('spills every event a throttling bus refuses, under its own id, where recover-spilled searches', async () => {
    // Act
    const { outcomes, accepted } = await deliver({ kind: 'throttle' });

    // Assess: nothing lost: on the bus or in the spill, by id.
    const spilled = outcomes.flatMap((outcome) => outcome.spilled.map((entry) => entry.id));
    expect([...new Set([...accepted.map((entry) => entry.id), ...spilled])].sort()).toEqual(loggedIds());
    expect(spilled.length).toBeGreaterThan(0);
  });
});
