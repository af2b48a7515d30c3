/**
 * Runs the cognito-local emulator as a child process for the e2e suite, with its
 * state (`.cognito/config.json`, `.cognito/db/`) in a temp directory, configured
 * to invoke our trigger functions through serverless-offline's Lambda API.
 *
 * Loopback only: it listens on 127.0.0.1 (port from AUTHTRAIL_TEST_COGNITO_PORT,
 * or a free one), its Lambda client talks to the offline endpoint with fake
 * credentials, and it is given no AWS settings of ours.
 *
 * Stopping: SIGTERM to its process group, SIGKILL if it is still there after a
 * grace period, and at the latest when the test process exits; the temp
 * directory is removed either way.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseGroup, sleep } from '../helpers/process-group.ts';
import { portFrom } from '../integration/offline-stack.ts';
import { ROOT } from '../helpers/fixtures.ts';

const STARTUP_TIMEOUT_MS = 20_000;
const GRACE_MS = 5_000;

/** cognito-local's trigger names (its config's TriggerFunctions keys) -> Lambda function names. */
export type CognitoLocalTriggers = Partial<Record<'PreSignUp' | 'PostAuthentication' | 'PostConfirmation' | 'PreTokenGeneration', string>>;

export interface CognitoLocal {
  endpoint: string;
  /** Everything it logged: the codes it "sends" by email are in there. */
  output(): string;
  stop(): Promise<void>;
}

export const startCognitoLocal = async (options: { lambdaEndpoint: string; triggers: CognitoLocalTriggers }): Promise<CognitoLocal> => {
  const port = await portFrom('AUTHTRAIL_TEST_COGNITO_PORT');
  const dir = mkdtempSync(join(tmpdir(), 'authtrail-cognito-local-'));
  mkdirSync(join(dir, '.cognito'));
  writeFileSync(
    join(dir, '.cognito', 'config.json'),
    JSON.stringify({
      LambdaClient: {
        endpoint: options.lambdaEndpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        // One attempt: a failing trigger must show as a failure, not be hidden by SDK retries.
        maxRetries: 0,
      },
      TriggerFunctions: options.triggers,
    }),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(AWS_|AUTHTRAIL_)/.test(name)) env[name] = value;
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'cognito-local', 'lib', 'bin', 'start.js')], {
    cwd: dir,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = superviseGroup(child, {
    name: 'cognito-local',
    signal: 'SIGTERM',
    graceMs: GRACE_MS,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
  const { stop, output } = group;

  try {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!output().includes('Cognito Local running on')) {
      if (group.exited() !== undefined) throw new Error(`cognito-local exited during start-up (${group.exited()})\n${output()}`);
      if (Date.now() > deadline) throw new Error(`cognito-local was not running after ${STARTUP_TIMEOUT_MS / 1000} s\n${output()}`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, output, stop };
};
