/**
 * Dollars per million auth events, from measured handler time and AWS list
 * prices (us-east-1 / eu-west-1, on-demand, without free tier, November 2026).
 * Every assumption is a named constant, printed with the result.
 */
export const PRICES_USD = {
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  eventBridgeCustomEventPerMillion: 1.0,
  cloudWatchLogsIngestPerGb: 0.5,
  sqsRequestPerMillion: 0.4,
} as const;

export const ASSUMPTIONS = {
  /** Trigger memory (serverless.yml default param). */
  triggerMemoryMb: 512,
  /** One PutEvents round trip inside the region, added to the measured handler time. */
  putEventsRoundTripMs: 15,
  /** Bytes of one AuthEvent envelope in the events log group. */
  logBytesPerEvent: 1_600,
  /** SIEM forwarder: events per invocation, its duration and memory. */
  forwarderBatch: 100,
  forwarderDurationMs: 60,
  forwarderMemoryMb: 256,
  /**
   * Log-first (docs/delivery.md): the trigger's event line, ingested in its log
   * group, about the size of the envelope. The event-log forwarder: events per
   * subscription delivery (CloudWatch Logs batches what arrives within moments;
   * 10 is a quiet pool's figure, busy pools batch more), its duration (one
   * PutEvents call per 10 events, ~20 ms each) and memory.
   */
  eventLineBytes: 1_500,
  eventLogDeliveryBatch: 10,
  eventLogForwarderDurationMs: 40,
  eventLogForwarderMemoryMb: 256,
} as const;

const lambdaCost = (invocations: number, billedMs: number, memoryMb: number): number =>
  (invocations / 1_000_000) * PRICES_USD.lambdaRequestPerMillion + invocations * (billedMs / 1_000) * (memoryMb / 1_024) * PRICES_USD.lambdaArmGbSecond;

/**
 * Per million events. `delivery: 'bus'` is the trigger awaiting PutEvents (the
 * round trip billed in the trigger); `'log'` (as deployed) is log-first: the
 * trigger only writes its line, billed for its own time, and pays a second log
 * ingestion and the forwarder instead.
 */
export const costPerMillionEvents = (handlerMeanUs: number, delivery: 'bus' | 'log' = 'log') => {
  const million = 1_000_000;
  // Lambda bills whole milliseconds.
  const billedMs = Math.ceil(handlerMeanUs / 1_000 + (delivery === 'bus' ? ASSUMPTIONS.putEventsRoundTripMs : 0));
  const trigger = lambdaCost(million, billedMs, ASSUMPTIONS.triggerMemoryMb);
  const bus = PRICES_USD.eventBridgeCustomEventPerMillion;
  const logs = ((million * ASSUMPTIONS.logBytesPerEvent) / 1e9) * PRICES_USD.cloudWatchLogsIngestPerGb;
  const invocations = million / ASSUMPTIONS.forwarderBatch;
  // EventBridge's SendMessage per event, then receive + delete per batch.
  const sqs = PRICES_USD.sqsRequestPerMillion * (1 + (2 * invocations) / million);
  const forwarder = lambdaCost(invocations, ASSUMPTIONS.forwarderDurationMs, ASSUMPTIONS.forwarderMemoryMb);
  const logFirst =
    delivery === 'bus'
      ? { eventLines: 0, eventLogForwarder: 0 }
      : {
          eventLines: ((million * ASSUMPTIONS.eventLineBytes) / 1e9) * PRICES_USD.cloudWatchLogsIngestPerGb,
          eventLogForwarder: lambdaCost(million / ASSUMPTIONS.eventLogDeliveryBatch, ASSUMPTIONS.eventLogForwarderDurationMs, ASSUMPTIONS.eventLogForwarderMemoryMb),
        };
  const breakdown = { trigger, bus, logs, sqs, forwarder, ...logFirst };
  const total = Object.values(breakdown).reduce((sum, value) => sum + value, 0);
  return { billedMs, breakdown, cost_per_million_events_usd: total };
};
