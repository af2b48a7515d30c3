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
import { PROJECT_ROOT, groupAlive, portFrom, sleep } from '../integration/offline-stack.ts';

const STARTUP_TIMEOUT_MS = 20_000;
const GRACE_MS = 5_000;
const OUTPUT_LIMIT = 2_000_000;

/** cognito-local's trigger names (its config's TriggerFunctions keys) -> Lambda function names. */
export type CognitoLocalTriggers = Partial<Record<'PreSignUp' | 'PostAuthentication' | 'PostConfirmation' | 'PreTokenGeneration', string>>;

export interface CognitoLocal {
  endpoint: string;
  port: number;
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
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'cognito-local', 'lib', 'bin', 'start.js')], {
    cwd: dir,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('cognito-local did not start');
  let output = '';
  let exited: string | undefined;
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      exited = String(code ?? signal);
      done();
    }),
  );
  const killOnExit = () => {
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (exited === undefined && groupAlive(pid)) {
        process.kill(-pid, 'SIGTERM');
        await Promise.race([exit, sleep(GRACE_MS)]);
      }
      if (groupAlive(pid)) {
        process.kill(-pid, 'SIGKILL');
        await Promise.race([exit, sleep(2_000)]);
      }
    } finally {
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!output.includes('Cognito Local running on')) {
      if (exited !== undefined) throw new Error(`cognito-local exited during start-up (${exited})\n${output}`);
      if (Date.now() > deadline) throw new Error(`cognito-local was not running after ${STARTUP_TIMEOUT_MS / 1000} s\n${output}`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, output: () => output, stop };
};
