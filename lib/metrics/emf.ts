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

const emitPoint = (metrics: Metrics, point: MetricPoint): void => {
  const sets = dimensionSetsOf(point);
  if (sets.length === 0) return;
  const single = metrics.singleMetric();
  for (const set of sets) single.addDimensions(set);
  // singleMetric() flushes on addMetric: the document is written now.
  single.addMetric(point.name, UNIT[METRICS[point.name].unit], point.value);
};

/**
 * The triggers' recorder: `count` goes to the invocation's shared Metrics
 * (flushed once by logMetrics, dimension `stage`), `record` writes one EMF
 * document per point. Telemetry never fails a sign-in: errors are swallowed.
 */
export const powertoolsRecorder = (metrics: Metrics): MetricsRecorder => ({
  count: (name, value) => {
    if (value > 0) metrics.addMetric(name, UNIT[METRICS[name].unit], value);
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
