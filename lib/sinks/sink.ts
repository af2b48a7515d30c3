/**
 * The publishing contract, in one module: what a sink is (EventSink), how it
 * says that events were not delivered (PublishError with the undelivered
 * events), and what the caller does with those (a Spill). The trigger runtime,
 * the log forwarder, recovery and the local stage depend on this module only,
 * never on one sink's module, so a new sink implements EventSink, throws
 * PublishError for what it did not deliver, and gets partial spills for free.
 *
 * Free of the AWS SDK, so the log-first trigger bundle (../publish/event-log.ts)
 * can use it without pulling in the EventBridge client.
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import { AuthtrailError, ProblemCode } from '../errors.ts';

/** Where a trigger's AuthEvents go: the stage's EventBridge bus on AWS, the in-process bus locally. */
export interface EventSink {
  publish(events: readonly AuthEvent[]): Promise<void>;
}

/** The error every sink throws for events it did not deliver. */
export class PublishError extends AuthtrailError {
  readonly code = ProblemCode.PublishFailed;
  /** The events that did not reach the bus (possibly trimmed): spill these. */
  readonly undelivered: AuthEvent[];
  constructor(message: string, undelivered: AuthEvent[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
    this.undelivered = undelivered;
  }
}

/** Keeps undelivered events where recovery finds them (../publish/spill.ts on Lambda: a marked log line per event). */
export type Spill = (events: readonly AuthEvent[], reason: string) => void;
