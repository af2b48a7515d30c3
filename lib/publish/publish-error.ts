/**
 * The error every sink throws for events it did not deliver. Its own module, free
 * of the AWS SDK, so the log-first trigger bundle (./event-log.ts) can use it
 * without pulling in the EventBridge client.
 */
import type { AuthEvent } from '../auth-event/schema.ts';

export class PublishError extends Error {
  /** The events that did not reach the bus (possibly trimmed): spill these. */
  readonly undelivered: AuthEvent[];
  constructor(message: string, undelivered: AuthEvent[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
    this.undelivered = undelivered;
  }
}
