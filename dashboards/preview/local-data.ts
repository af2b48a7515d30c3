/**
 * What the local store (`npm start`, local/sinks/local-store.ts) says about a
 * stage, as the metrics the deployed functions would emit for the same traffic:
 * auth activity from the events log through the same catalog function the
 * triggers use (lib/metrics/catalog.ts), pipeline and SIEM counts from the
 * spill log, the SIEM receiver and the SIEM DLQ file. Metrics with no local
 * source (publish latency, SIEM redeliveries) are listed as unavailable.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { MetricName, authEventMetrics, type MetricPoint } from '../../lib/metrics/catalog.ts';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { receivedFile } from '../../local/siem/receiver.ts';
import { siemStorePaths, storePaths } from '../../local/sinks/local-store.ts';

export interface LocalData {
  stage: string;
  storeDir: string;
  /** The events log: EventBridge envelopes whose `detail` is the AuthEvent. */
  envelopes: Record<string, unknown>[];
  points: MetricPoint[];
  unavailable: Set<MetricName>;
}

const readLines = (file: string): Record<string, unknown>[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];

export const readLocalData = (storeDir: string, stage: string): LocalData => {
  const paths = storePaths(storeDir, stage);
  const siem = siemStorePaths(storeDir, stage);
  const envelopes = readLines(paths[RuleTarget.EventsLog]);
  if (envelopes.length === 0) {
    throw new Error(`No events in ${paths[RuleTarget.EventsLog]}: run \`npm start\` (or npm run replay -- --stage ${stage} ...) first`);
  }
  const spilled = readLines(paths.spill).length;
  const delivered = readLines(receivedFile(storeDir, stage)).length;
  const rejected = readLines(siem.dlq).length;
  const count = (name: MetricName, value: number): MetricPoint => ({ name, value, dimensions: {} });
  const points: MetricPoint[] = [
    ...envelopes.flatMap((envelope) => authEventMetrics(envelope.detail as AuthEvent)),
    count(MetricName.EventsPublished, envelopes.length),
    // Locally every invocation publishes one event: a spilled event is a failed publish.
    count(MetricName.PublishFailures, spilled),
    count(MetricName.SpilledEvents, spilled),
    count(MetricName.SiemDelivered, delivered),
    count(MetricName.SiemRejected, rejected),
  ];
  return {
    stage,
    storeDir,
    envelopes,
    points,
    unavailable: new Set([MetricName.PublishLatency, MetricName.SiemFailed, MetricName.SiemRetried, MetricName.SiemRequests]),
  };
};
