#!/usr/bin/env node
/**
 * npm run replay -- [--stage S] [--json] [--fresh] <file|dir>...
 *
 * Replays Cognito trigger payloads through the trigger handlers on embedded
 * sinks: the in-process bus and the local store under .authtrail/<stage>/, then
 * delivers the SIEM-bound events to the built-in local SIEM receiver, or with
 * --siem-url to any SIEM (signing secret from AUTHTRAIL_SIEM_SECRET, never argv).
 * `npm start` replays every fixture under events/. See README.md.
 */
import { parseCommandLine } from '../local/cli/args.ts';
import { runReplayCli } from '../local/cli/replay-cli.ts';

const usage = `usage: npm run replay -- [--stage <stage>] [--target local|aws] [--json] [--siem-url <url> [--siem-format ndjson|json|splunk-hec|ocsf] | --no-siem] [--fresh] [--store <dir>] [--config <file>] [--verbose] <file|dir>...`;

const parsed = parseCommandLine(
  usage,
  {
    stage: { type: 'string', default: 'dev' },
    target: { type: 'string', default: 'local' },
    'siem-url': { type: 'string' },
    'siem-format': { type: 'string' },
    'no-siem': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    store: { type: 'string', default: '.authtrail' },
    config: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  { positionals: true },
);
if (parsed.values.help || parsed.positionals.length === 0) {
  process.stderr.write(`${usage}\n`);
  process.exit(parsed.values.help ? 0 : 2);
}

process.exitCode = await runReplayCli({
  paths: parsed.positionals,
  stage: parsed.values.stage,
  target: parsed.values.target,
  siemUrl: parsed.values['siem-url'],
  siemFormat: parsed.values['siem-format'],
  noSiem: parsed.values['no-siem'],
  json: parsed.values.json,
  fresh: parsed.values.fresh,
  storeDir: parsed.values.store,
  configFile: parsed.values.config,
  verbose: parsed.values.verbose,
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
