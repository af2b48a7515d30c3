/**
 * The runtime of functions/offline-rule-target.ts (serverless offline only): the
 * bus rules' targets, as the local replay writes them. serverless.yml
 * (custom.offline) subscribes the function to the stage bus once per rule of
 * lib/routing/rules.json, with that rule's pattern and an `input` naming the rule
 * and its target, which serverless-offline-aws-eventbridge merges into the event.
 * Each envelope is appended to the target's local store file:
 * `<store>/<stage>/logs/events.ndjson` for the log group, `queues/siem.ndjson`
 * for the SIEM queue.
 */
import { AuthtrailError } from '../../lib/errors.ts';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { envSchema, optional, parseEnv, required, type Env } from '../../lib/runtime/env.ts';
import { DEFAULT_STORE_DIR, createNdjsonFile, storePaths } from './local-store.ts';

/** The key of serverless.yml's `input` in the delivered event. */
export const RULE_KEY = 'authtrailOfflineRule';

export const OFFLINE_RULE_TARGET_ENV = envSchema({
  // serverless-offline sets IS_OFFLINE; a deployed copy of this function would write nowhere useful.
  IS_OFFLINE: required((value) => (value === 'true' ? undefined : 'must be "true": offline-rule-target runs under serverless offline only')),
  AUTHTRAIL_STAGE: required(),
  /** serverless.yml passes `npm run offline`'s AUTHTRAIL_STORE_DIR on, default .authtrail. */
  AUTHTRAIL_STORE_DIR: optional(),
});

/** An event whose `input` names no target this function writes: serverless.yml and rules.json disagree. */
export class RuleTargetError extends AuthtrailError {
  readonly code = 'UNKNOWN_RULE_TARGET' as const;
  constructor(message: string) {
    super(message);
    this.name = 'RuleTargetError';
  }
}

/** Cold start: outside serverless offline, or without a stage, it fails here. */
export const createOfflineRuleTargetHandler = (env: Env) => {
  const settings = parseEnv(OFFLINE_RULE_TARGET_ENV, env);
  const paths = storePaths(settings.AUTHTRAIL_STORE_DIR ?? DEFAULT_STORE_DIR, settings.AUTHTRAIL_STAGE);
  const files: Record<string, ReturnType<typeof createNdjsonFile>> = {
    [RuleTarget.EventsLog]: createNdjsonFile(paths[RuleTarget.EventsLog]),
    [RuleTarget.SiemQueue]: createNdjsonFile(paths[RuleTarget.SiemQueue]),
  };
  return async (event: Record<string, unknown>): Promise<void> => {
    const { [RULE_KEY]: rule, ...envelope } = event;
    const target = (rule as { target?: unknown } | undefined)?.target;
    const file = typeof target === 'string' ? files[target] : undefined;
    // The event's own value is not echoed: the rule's `input` in serverless.yml is where to look.
    if (file === undefined) throw new RuleTargetError(`${RULE_KEY}.target must be one of ${Object.keys(files).join(', ')}`);
    file.append([envelope]);
  };
};
