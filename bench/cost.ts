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
} as const;

export const costPerMillionEvents = (handlerMeanUs: number) => {
  const million = 1_000_000;
  // Lambda bills whole milliseconds.
  const billedMs = Math.ceil(handlerMeanUs / 1_000 + ASSUMPTIONS.putEventsRoundTripMs);
  const trigger =
    PRICES_USD.lambdaRequestPerMillion +
    million * (billedMs / 1_000) * (ASSUMPTIONS.triggerMemoryMb / 1_024) * PRICES_USD.lambdaArmGbSecond;
  const bus = PRICES_USD.eventBridgeCustomEventPerMillion;
  const logs = ((million * ASSUMPTIONS.logBytesPerEvent) / 1e9) * PRICES_USD.cloudWatchLogsIngestPerGb;
  const invocations = million / ASSUMPTIONS.forwarderBatch;
  // EventBridge's SendMessage per event, then receive + delete per batch.
  const sqs = PRICES_USD.sqsRequestPerMillion * (1 + (2 * invocations) / million);
  const forwarder =
    (invocations / million) * PRICES_USD.lambdaRequestPerMillion +
    invocations * (ASSUMPTIONS.forwarderDurationMs / 1_000) * (ASSUMPTIONS.forwarderMemoryMb / 1_024) * PRICES_USD.lambdaArmGbSecond;
  const total = trigger + bus + logs + sqs + forwarder;
  return { billedMs, breakdown: { trigger, bus, logs, sqs, forwarder }, cost_per_million_events_usd: total };
};
