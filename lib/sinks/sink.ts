import type { AuthEvent } from '../auth-event/schema.ts';

/** Where a trigger's AuthEvents go: the stage's EventBridge bus on AWS, the in-process bus locally. */
export interface EventSink {
  publish(events: readonly AuthEvent[]): Promise<void>;
}
