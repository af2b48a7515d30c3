/**
 * Runs `serverless offline start --stage <stage>` as a child process for the
 * integration tests: serverless-esbuild bundles the functions, serverless-offline
 * serves them on its Lambda API, serverless-offline-aws-eventbridge runs the bus
 * and its rules, whose target (functions/offline-rule-target.ts) writes the
 * local store. See docs/deploy.md, "Running the stack offline".
 *
 * Isolation: the run happens in a private copy of the project under a temp
 * directory (serverless-esbuild writes `.esbuild/` into the service directory),
 * with the store in that temp directory too, so nothing is written into the
 * repository; `stop()` removes it all.
 *
 * Nothing leaves loopback: every port is on 127.0.0.1 (chosen free at runtime,
 * or taken from AUTHTRAIL_TEST_LAMBDA_PORT, AUTHTRAIL_TEST_EVENTBRIDGE_PORT,
 * AUTHTRAIL_TEST_EVENTBRIDGE_PUBSUB_PORT), the credentials are fake, and any AWS
 * SDK call without its own endpoint goes to a closed loopback port.
 *
 * Stopping: SIGINT to the process group, as Ctrl+C would; SIGKILL to the group
 * if it has not exited in time, and at the latest when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { storePaths } from '../../local/sinks/local-store.ts';
import { linesFrom } from '../../local/sinks/ndjson-cursor.ts';
import { FAKE_AWS_CREDENTIALS, ROOT } from '../helpers/fixtures.ts';
import { closedPort } from '../helpers/fake-eventbridge.ts';
import { sleep, superviseGroup } from '../helpers/process-group.ts';
import { namesFor } from '../../lib/naming.ts';

/** What `serverless offline` needs from the project: the stack, the function sources and their config. */
const COPIED = ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib', 'local', 'deploy', 'config', 'dashboards'];

/** Fake credentials: the offline endpoints do not check signatures, but the SDK must sign. */
export const FAKE_AWS_ENV = { ...FAKE_AWS_CREDENTIALS, AWS_EC2_METADATA_DISABLED: 'true' } as const;

export const REGION = FAKE_AWS_ENV.AWS_REGION;
export const PROBE_CATEGORY = 'offline-probe';

const STARTUP_TIMEOUT_MS = 45_000;
const PROBE_TIMEOUT_MS = 15_000;
const SIGINT_GRACE_MS = 10_000;

interface OfflinePorts {
  lambda: number;
  eventBridge: number;
  eventBridgePubSub: number;
}

/** An envelope as the offline rule target stored it. */
export interface StoredEnvelope {
  source: string;
  'detail-type': string;
  detail: Record<string, any>;
  [key: string]: unknown;
}

export interface OfflineStack {
  lambdaEndpoint: string;
  eventBridgeEndpoint: string;
  /** The local store the rule targets write (removed by stop()). */
  storeDir: string;
  /** The environment that keeps SDK clients of child processes on loopback with fake credentials. */
  loopbackAwsEnv: Record<string, string>;
  /** The envelopes a rule target has received so far. */
  read(target: RuleTarget): StoredEnvelope[];
  /** Everything serverless offline and the functions wrote to stdout and stderr. */
  output(): string;
  /** How long start-up took: until the Lambda API listened, and until the bus delivered to the rule target. */
  startup: { listeningMs: number; deliveringMs: number };
  stop(): Promise<void>;
}

/** The port named by an environment variable, or a free one when it is unset. */
export const portFrom = async (variable: string): Promise<number> => {
  const value = process.env[variable];
  if (value === undefined || value === '') return closedPort();
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${variable} must be a TCP port, got "${value}"`);
  return port;
};

/** The envelopes a rule target stored so far: complete lines only, a line still being written waits for the next poll. */
const readNdjson = (file: string): StoredEnvelope[] => linesFrom(file, 0).map((line) => JSON.parse(line.text) as StoredEnvelope);

/** The child's environment: the caller's minus anything AWS or authtrail, plus the offline settings. */
const offlineEnv = (workRoot: string, ports: OfflinePorts, storeDir: string, piiKey: string, closed: number) => {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(AWS_|AUTHTRAIL_)/.test(name)) env[name] = value;
  }
  return {
    ...env,
    ...FAKE_AWS_ENV,
    // No shared config or credentials file, and every SDK client without its own endpoint on a closed port.
    AWS_CONFIG_FILE: join(workRoot, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workRoot, 'no-aws-credentials'),
    AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
    AUTHTRAIL_OFFLINE: 'true',
    AUTHTRAIL_OFFLINE_LAMBDA_PORT: String(ports.lambda),
    AUTHTRAIL_OFFLINE_EVENTBRIDGE_PORT: String(ports.eventBridge),
    AUTHTRAIL_OFFLINE_EVENTBRIDGE_PUBSUB_PORT: String(ports.eventBridgePubSub),
    AUTHTRAIL_STORE_DIR: storeDir,
    // The functions' (serverless.yml sets localEnvironment offline).
    AUTHTRAIL_EVENTBRIDGE_ENDPOINT: `http://127.0.0.1:${ports.eventBridge}`,
    AUTHTRAIL_PII_HASH_KEY: piiKey,
  };
};

export const startOffline = async ({ stage, piiKey }: { stage: string; piiKey: string }): Promise<OfflineStack> => {
  const startedAt = performance.now();
  const ports: OfflinePorts = {
    lambda: await portFrom('AUTHTRAIL_TEST_LAMBDA_PORT'),
    eventBridge: await portFrom('AUTHTRAIL_TEST_EVENTBRIDGE_PORT'),
    eventBridgePubSub: await portFrom('AUTHTRAIL_TEST_EVENTBRIDGE_PUBSUB_PORT'),
  };
  const closed = await closedPort();
  const workRoot = mkdtempSync(join(tmpdir(), 'authtrail-offline-'));
  const project = join(workRoot, 'project');
  const storeDir = join(workRoot, 'store');
  mkdirSync(project);
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(project, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');

  const serverless = join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');
  // Its own process group (detached), so SIGINT and SIGKILL reach esbuild's service process too.
  const child: ChildProcess = spawn(process.execPath, [serverless, 'offline', 'start', '--stage', stage], {
    cwd: project,
    env: offlineEnv(workRoot, ports, storeDir, piiKey, closed),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = superviseGroup(child, {
    name: 'serverless offline',
    signal: 'SIGINT',
    graceMs: SIGINT_GRACE_MS,
    cleanup: () => rmSync(workRoot, { recursive: true, force: true }),
  });
  const { stop } = group;

  const paths = storePaths(storeDir, stage);
  const read = (target: RuleTarget) => readNdjson(paths[target]);
  const lambdaEndpoint = `http://127.0.0.1:${ports.lambda}`;
  const eventBridgeEndpoint = `http://127.0.0.1:${ports.eventBridge}`;
  const failWith = (reason: string) => new Error(`serverless offline ${reason}\n--- its output ---\n${group.output()}`);

  try {
    // 1. Listening: the Lambda API and the bus's mock server have said so.
    const listening = [`listening on ${lambdaEndpoint}`, `Mock server running at port: ${ports.eventBridge}`];
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!listening.every((line) => group.output().includes(line))) {
      if (group.exited() !== undefined) throw failWith(`exited during start-up (${group.exited()})`);
      if (Date.now() > deadline) throw failWith(`was not listening after ${STARTUP_TIMEOUT_MS / 1000} s`);
      await sleep(50);
    }
    const listeningMs = performance.now() - startedAt;

    // 2. Delivering: a probe put on the bus reaches the rule target (the bus's MQTT subscription is up).
    const bus = new EventBridgeClient({
      endpoint: eventBridgeEndpoint,
      region: REGION,
      credentials: { accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY },
      maxAttempts: 1,
    });
    const probeDeadline = Date.now() + PROBE_TIMEOUT_MS;
    const probeIds: string[] = [];
    try {
      while (!read(RuleTarget.EventsLog).some((envelope) => probeIds.includes(envelope.detail.id))) {
        if (group.exited() !== undefined) throw failWith(`exited during start-up (${group.exited()})`);
        if (Date.now() > probeDeadline) throw failWith(`bus delivered no probe to the rule target in ${PROBE_TIMEOUT_MS / 1000} s`);
        const id = `probe-${randomUUID()}`;
        probeIds.push(id);
        await bus.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: namesFor(stage).busName,
                Source: 'authtrail.cognito',
                DetailType: `AuthEvent ${PROBE_CATEGORY}`,
                Detail: JSON.stringify({ category: PROBE_CATEGORY, id }),
              },
            ],
          }),
        );
        const waitUntil = Date.now() + 1_000;
        while (Date.now() < waitUntil && !read(RuleTarget.EventsLog).some((envelope) => probeIds.includes(envelope.detail.id))) {
          await sleep(25);
        }
      }
    } finally {
      bus.destroy();
    }
    const deliveringMs = performance.now() - startedAt;

    return {
      lambdaEndpoint,
      eventBridgeEndpoint,
      storeDir,
      loopbackAwsEnv: { ...FAKE_AWS_ENV, AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}` },
      read,
      output: group.output,
      startup: { listeningMs, deliveringMs },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
