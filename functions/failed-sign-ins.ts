/**
 * Failed sign-in inference on AWS, downstream of the bus (docs/delivery.md,
 * "Failed sign-in inference"). Not on anyone's sign-in path. The work happens in
 * lib/inference/; its runtime in lib/runtime/failed-sign-ins.ts.
 */
import { createFailedSignInsHandler } from '../lib/runtime/failed-sign-ins.ts';

// Cold start: a missing setting or a bad config fails here, with the setting named.
export const handler = createFailedSignInsHandler(process.env);
