/**
 * Supervises a child started in its own process group (`detached: true`), so
 * one signal reaches everything it spawned (esbuild's service, a server's
 * workers). Collects its output up to a cap, stops it with a polite signal and
 * then SIGKILL, and kills the group at the latest when the test process exits:
 * a suite that fails leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const OUTPUT_LIMIT = 2_000_000;

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion in its own process group, collecting its output; the group is killed on timeout. */
export const runToEnd = (
  command: string,
  args: readonly string[],
  { cwd, env, timeoutMs = 120_000 }: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ChildResult> =>
  new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      fail(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });

/** True while any process of the group is alive. */
const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface SupervisedGroup {
  output(): string;
  /** How the leader exited ("0", "SIGINT"...), or undefined while it runs. */
  exited(): string | undefined;
  /** Polite signal, then SIGKILL after `graceMs`; runs `cleanup` in any case. Idempotent. */
  stop(): Promise<void>;
}

export const superviseGroup = (
  child: ChildProcess,
  { name, signal, graceMs, cleanup }: { name: string; signal: NodeJS.Signals; graceMs: number; cleanup: () => void },
): SupervisedGroup => {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);
  let output = '';
  let exited: string | undefined;
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<void>((done) =>
    child.once('exit', (code, exitSignal) => {
      exited = String(code ?? exitSignal);
      done();
    }),
  );
  // Last resort: a test process that dies leaves nothing behind.
  const killOnExit = () => {
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  return {
    output: () => output,
    exited: () => exited,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        if (exited === undefined && groupAlive(pid)) {
          process.kill(-pid, signal);
          await Promise.race([exit, sleep(graceMs)]);
        }
        if (groupAlive(pid)) {
          process.kill(-pid, 'SIGKILL');
          await Promise.race([exit, sleep(2_000)]);
        }
      } finally {
        process.removeListener('exit', killOnExit);
        cleanup();
      }
    },
  };
};
