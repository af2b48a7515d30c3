/**
 * Log-first delivery, second half (docs/delivery.md): a CloudWatch Logs
 * subscription on the trigger log groups delivers their event lines; this
 * function publishes them to the stage bus under their own ids and spills what
 * the bus refuses (recover-spilled re-publishes it). Off the sign-in path: the
 * triggers answered Cognito long before. The work happens in
 * lib/publish/log-forwarder.ts; its runtime in lib/runtime/event-log-forwarder.ts.
 */
import { createEventLogForwarderHandler } from '../lib/runtime/event-log-forwarder.ts';

// Cold start: a missing or bad setting fails here, with the setting named.
export const handler = createEventLogForwarderHandler(process.env);
