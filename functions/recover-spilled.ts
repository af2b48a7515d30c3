/**
 * Scheduled: re-publishes events the triggers spilled to their logs, from the
 * checkpoint of each log group (docs/delivery.md). The work happens in
 * lib/recover/; its runtime in lib/runtime/recover-spilled.ts.
 */
import { createRecoverSpilledHandler } from '../lib/runtime/recover-spilled.ts';

// Cold start: a missing or bad setting fails here, with the setting named.
export const handler = createRecoverSpilledHandler(process.env);
