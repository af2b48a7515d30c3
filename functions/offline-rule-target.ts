/**
 * Offline only: the bus rules' targets under `serverless offline`. serverless.yml
 * (custom.offline) subscribes this function to the stage bus once per rule of
 * lib/routing/rules.json, with that rule's pattern and an `input` naming the rule
 * and its target, which serverless-offline-aws-eventbridge merges into the event.
 * Each envelope is appended to the target's local store file, as the local
 * replay writes them: `<store>/<stage>/logs/events.ndjson` for the log group,
 * `queues/siem.ndjson` for the SIEM queue. The store is AUTHTRAIL_STORE_DIR
 * (serverless.yml's default: .authtrail).
 */
import { requiredEnv } from '../lib/config/load.ts';
import { RuleTarget } from '../lib/routing/rules.ts';
import { DEFAULT_STORE_DIR, createNdjsonFile, storePaths } from '../local/sinks/local-store.ts';

/** The key of serverless.yml's `input` in the delivered event. */
const RULE_KEY = 'authtrailOfflineRule';

// serverless-offline sets IS_OFFLINE; a deployed copy of this function would write nowhere useful.
if (process.env.IS_OFFLINE !== 'true') throw new Error('offline-rule-target runs under serverless offline only');

const paths = storePaths(process.env.AUTHTRAIL_STORE_DIR || DEFAULT_STORE_DIR, requiredEnv(process.env, 'AUTHTRAIL_STAGE'));
const files: Record<string, ReturnType<typeof createNdjsonFile>> = {
  [RuleTarget.EventsLog]: createNdjsonFile(paths[RuleTarget.EventsLog]),
  [RuleTarget.SiemQueue]: createNdjsonFile(paths[RuleTarget.SiemQueue]),
};

export const handler = async (event: Record<string, unknown>): Promise<void> => {
  const { [RULE_KEY]: rule, ...envelope } = event;
  const target = (rule as { target?: unknown } | undefined)?.target;
  const file = typeof target === 'string' ? files[target] : undefined;
  if (file === undefined) throw new Error(`${RULE_KEY}.target must be one of ${Object.keys(files).join(', ')}, got ${JSON.stringify(target)}`);
  file.append([envelope]);
};
