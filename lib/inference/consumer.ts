/**
 * The failed sign-in consumer as a Lambda function (functions/failed-sign-ins.ts):
 * the bus rule `failed-sign-ins` delivers sign-in attempts and successes, one
 * event per invocation, and a schedule sweeps every minute. What it infers goes
 * back on the bus. An event that is not an AuthEvent is logged and skipped (a
 * retry would not fix it); a store or bus failure throws, and Lambda retries the
 * invocation: observing is idempotent and a sweep reports only what it put on the bus.
 */
import { AuthEventSchema } from '../auth-event/schema.ts';
import { authEventMetrics, type MetricsRecorder } from '../metrics/catalog.ts';
import type { NarrowLogger } from '../runtime/handler.ts';
import type { EventSink } from '../sinks/sink.ts';
import { createFailedSignInInference, type SignInStateStore } from './failed-sign-in.ts';

export interface ConsumerResult {
  observed: number;
  failed: number;
}

const isScheduled = (event: Record<string, unknown>): boolean =>
  event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';

export const createFailedSignInConsumer = (deps: {
  store: SignInStateStore;
  sink: EventSink;
  windowSeconds: number;
  logger: NarrowLogger;
  /** FailedSignIns per client, for the dashboards beside Cognito's own failure rate. */
  metrics?: MetricsRecorder;
  /** Processing time: the one clock of the consumer and of its store. */
  clock: () => Date;
}) => {
  const inference = createFailedSignInInference(deps.store, { windowSeconds: deps.windowSeconds, clock: deps.clock });
  return async (event: unknown): Promise<ConsumerResult> => {
    const envelope = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
    if (isScheduled(envelope)) {
      const failed = await inference.sweep({ emit: (events) => deps.sink.publish(events) });
      if (failed.length > 0) deps.logger.info('authtrail.failed_sign_ins', { failed: failed.length });
      deps.metrics?.record?.(failed.flatMap(authEventMetrics));
      return { observed: 0, failed: failed.length };
    }
    const parsed = AuthEventSchema.safeParse(envelope.detail);
    if (!parsed.success) {
      // Never the event itself: it carries personal data.
      deps.logger.warn('authtrail.not_an_auth_event', { detailType: String(envelope['detail-type'] ?? '').slice(0, 100) });
      return { observed: 0, failed: 0 };
    }
    await inference.observe(parsed.data);
    return { observed: 1, failed: 0 };
  };
};
