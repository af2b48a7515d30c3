/**
 * Publishes catalog metric points as CloudWatch EMF through Powertools Metrics:
 * no API call, one stdout line per point that Lambda's log pipeline turns into
 * metrics. Each point is one EMF document carrying every dimension set the
 * catalog gives its metric (so CloudWatch aggregates it per stage and per
 * dimension), with `stage` from the Metrics instance's default dimensions.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, dimensionSetsOf, type MetricPoint, type MetricsRecorder } from './catalog.ts';

const UNIT = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds, Seconds: MetricUnit.Seconds } as const;

/**
 * One single-metric instance per Metrics, reused for every point: `singleMetric()` builds a new Metrics (and a new
 * Console with its bound methods) per call, allocation the sign-in path pays on every invocation. A single-metric
 * instance publishes on addMetric and then clears its metrics, dimension sets and metadata; the default dimensions
 * (`stage`) stay, which is what every point wants.
 */
const singles = new WeakMap<Metrics, Metrics>();

const emitPoint = (metrics: Metrics, point: MetricPoint): void => {
  const sets = dimensionSetsOf(point);
  if (sets.length === 0) return;
  let single = singles.get(metrics);
  if (single === undefined) singles.set(metrics, (single = metrics.singleMetric()));
  try {
    for (const set of sets) single.addDimensions(set);
    // A single-metric instance flushes on addMetric: the document is written now.
    single.addMetric(point.name, UNIT[METRICS[point.name].unit], point.value);
  } finally {
    // After a refused dimension nothing was published: its sets must not leak into the next point.
    single.clearDimensions();
  }
};

export interface RecorderOptions {
  /**
   * Count zeros too. The triggers leave them out (a point per sign-in that says
   * nothing); the SIEM forwarder writes them, so its graphs and alarms see 0 on
   * a quiet batch instead of missing data.
   */
  countZeros?: boolean;
}

/**
 * The functions' recorder: `count` goes to the invocation's shared Metrics
 * (flushed once per invocation, dimension `stage`), `record` writes one EMF
 * document per point. Telemetry never fails a sign-in: errors are swallowed.
 */
export const powertoolsRecorder = (metrics: Metrics, options: RecorderOptions = {}): MetricsRecorder => ({
  count: (name, value) => {
    if (value > 0 || options.countZeros === true) metrics.addMetric(name, UNIT[METRICS[name].unit], value);
  },
  record: (points) => {
    for (const point of points) {
      try {
        emitPoint(metrics, point);
      } catch {
        // A bad dimension value must not break the trigger.
      }
    }
  },
});
