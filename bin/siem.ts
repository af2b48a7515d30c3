#!/usr/bin/env node
/**
 * npm run siem -- [--port <p>] [--stage <s>] [--secret-env NAME] [fault flags]
 *
 * The local SIEM receiver: verifies Standard Webhooks signatures, accepts the four
 * formats, stores each AuthEvent id once under .authtrail/<stage>/siem/, prints a
 * line per request and the totals on Ctrl-C. The secret comes from the
 * environment (AUTHTRAIL_SIEM_SECRET, or the variable --secret-env names), never
 * from the command line. The admin endpoint (/_admin/faults, /_admin/stats) is on
 * only with a token in AUTHTRAIL_SIEM_ADMIN_TOKEN (or --admin-token-env). See docs/siem.md.
 */
import { parseCommandLine } from '../local/cli/args.ts';
import { receiverTotals, runReceiverCli } from '../local/siem/receiver-cli.ts';
import { SIEM_ADMIN_TOKEN_ENV, SIEM_SECRET_ENV } from '../lib/siem/secrets.ts';

const usage = `usage: npm run siem -- [--port <p>] [--stage <stage>] [--store <dir>] [--secret-env NAME] [--hec-token-env NAME] [--admin-token-env NAME]
       [--fail-status <code> [--fail-count <n>] [--retry-after <s|http-date>]] [--drop-count <n>] [--delay-ms <ms>]
       [--hec-ack [--hec-ack-polls <n>]] [--hec-invalid-event <index>] [--quiet]`;

const { values } = parseCommandLine(usage, {
  port: { type: 'string' },
  stage: { type: 'string', default: 'dev' },
  store: { type: 'string', default: '.authtrail' },
  'secret-env': { type: 'string', default: SIEM_SECRET_ENV },
  'hec-token-env': { type: 'string' },
  'admin-token-env': { type: 'string', default: SIEM_ADMIN_TOKEN_ENV },
  'fail-status': { type: 'string' },
  'fail-count': { type: 'string' },
  'retry-after': { type: 'string' },
  'delay-ms': { type: 'string' },
  'drop-count': { type: 'string' },
  'hec-ack': { type: 'boolean', default: false },
  'hec-ack-polls': { type: 'string' },
  'hec-invalid-event': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const receiver = await runReceiverCli({
  stage: values.stage,
  storeDir: values.store,
  port: values.port,
  secretEnv: values['secret-env'],
  hecTokenEnv: values['hec-token-env'],
  adminTokenEnv: values['admin-token-env'],
  failStatus: values['fail-status'],
  failCount: values['fail-count'],
  retryAfter: values['retry-after'],
  delayMs: values['delay-ms'],
  dropCount: values['drop-count'],
  hecAck: values['hec-ack'],
  hecAckPolls: values['hec-ack-polls'],
  hecInvalidEvent: values['hec-invalid-event'],
  quiet: values.quiet,
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
if (typeof receiver === 'number') process.exit(receiver);

const stop = async () => {
  process.stdout.write(receiverTotals(receiver));
  await receiver.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
