/**
 * Offline only: the bus rules' targets under `serverless offline`, appending each
 * envelope to the local store as the local replay does. Its runtime (and why it
 * refuses to run anywhere else): local/sinks/offline-rule-target.ts.
 */
import { createOfflineRuleTargetHandler } from '../local/sinks/offline-rule-target.ts';

export const handler = createOfflineRuleTargetHandler(process.env);
