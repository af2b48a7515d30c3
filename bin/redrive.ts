#!/usr/bin/env node
/**
 * npm run redrive -- --stage <stage> [--max <n>] [--queue-url <url>] [--dlq-url <url>]
 * npm run redrive -- --stage <stage> --local [--store <dir>]
 *
 * Moves dead-lettered SIEM messages back onto the SIEM queue (receive, send,
 * then delete), with progress on stderr and a JSON report on stdout. Without
 * --local it uses the default AWS credential chain and region and the queues
 * authtrail-<stage>-siem-dlq -> authtrail-<stage>-siem. See docs/siem.md.
 */
import { parseCommandLine } from '../local/cli/args.ts';
import { runRedriveCli } from '../local/siem/redrive-cli.ts';

const usage = 'usage: npm run redrive -- --stage <stage> [--local [--store <dir>]] [--max <n>] [--queue-url <url>] [--dlq-url <url>]';

const { values } = parseCommandLine(
  usage,
  {
    stage: { type: 'string' },
    local: { type: 'boolean', default: false },
    store: { type: 'string', default: '.authtrail' },
    max: { type: 'string' },
    'queue-url': { type: 'string' },
    'dlq-url': { type: 'string' },
  },
  { required: ['stage'] },
);

process.exitCode = await runRedriveCli({
  stage: values.stage as string,
  local: values.local,
  storeDir: values.store,
  max: values.max,
  queueUrl: values['queue-url'],
  dlqUrl: values['dlq-url'],
  stdout: process.stdout,
  stderr: process.stderr,
});
