#!/usr/bin/env node
/**
 * npm run recover -- --stage <stage> --since <time> [--until <time>] [--bus <name>] [--dry-run]
 *
 * Re-publishes events the triggers spilled to their logs when the bus was
 * unreachable. Times are ISO 8601 or durations back from now (30m, 2h, 7d).
 * Uses the default AWS credential chain and region. See docs/delivery.md.
 */
import { parseCommandLine } from '../local/cli/args.ts';
import { runRecoverCli } from '../local/cli/recover-cli.ts';

const usage = 'usage: npm run recover -- --stage <stage> --since <time> [--until <time>] [--bus <name>] [--dry-run]';

const parsed = parseCommandLine(
  usage,
  {
    stage: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    bus: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  { required: ['stage', 'since'] },
);
const { stage, since } = parsed.values as { stage: string; since: string };

process.exitCode = await runRecoverCli({
  stage,
  since,
  until: parsed.values.until,
  busName: parsed.values.bus,
  dryRun: parsed.values['dry-run'],
  stdout: process.stdout,
  stderr: process.stderr,
});
