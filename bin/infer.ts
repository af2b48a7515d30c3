#!/usr/bin/env node
/**
 * npm run infer -- [--stage dev] [--store <dir>] [--at <ISO time>]
 *
 * Failed sign-in inference on the local store (docs/delivery.md, "Failed sign-in
 * inference"): attempts without a success within signIn.failedSignInWindowSeconds
 * become failed sign-in events on the local bus. --at sweeps as if it were that
 * time (to see the failures of a replay without waiting for the window).
 */
import { parseCommandLine } from '../local/cli/args.ts';
import { runInferCli } from '../local/cli/infer-cli.ts';
import { DEFAULT_STORE_DIR } from '../local/sinks/local-store.ts';

const usage = 'usage: npm run infer -- [--stage <stage>] [--store <dir>] [--at <ISO 8601 time>]';

const { values } = parseCommandLine(usage, {
  stage: { type: 'string', default: 'dev' },
  store: { type: 'string', default: DEFAULT_STORE_DIR },
  at: { type: 'string' },
});

process.exitCode = await runInferCli({
  stage: values.stage,
  storeDir: values.store,
  at: values.at,
  stdout: process.stdout,
  stderr: process.stderr,
});
