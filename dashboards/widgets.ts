/**
 * The CloudWatch dashboard body, typed as far as we use it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html),
 * and small builders that lay widgets out on the 24-column grid.
 */
import { BASE_DIMENSIONS, METRICS_NAMESPACE, SERVICE_NAME, type Dimension, type MetricName } from '../lib/metrics/catalog.ts';

export type MetricOptions = { stat?: string; label?: string; id?: string; visible?: boolean; color?: string; period?: number };
export type ExpressionEntry = { expression: string; id: string; label?: string; visible?: boolean; period?: number };
/** `[namespace, metricName, dim1, value1, ..., options?]` or `[{ expression }]`. */
export type MetricEntry = (string | MetricOptions)[] | [ExpressionEntry];

export interface MetricWidgetProperties {
  title: string;
  region: string;
  view: 'timeSeries' | 'singleValue' | 'bar' | 'pie';
  stacked?: boolean;
  stat?: string;
  period?: number;
  metrics: MetricEntry[];
  annotations?: { horizontal?: { label: string; value: number; color?: string }[] };
  yAxis?: { left?: { min?: number; max?: number; label?: string; showUnits?: boolean } };
  setPeriodToTimeRange?: boolean;
}
export interface LogWidgetProperties {
  title: string;
  region: string;
  query: string;
  view: 'table' | 'timeSeries' | 'bar' | 'pie';
  stacked?: boolean;
}
export interface TextWidgetProperties {
  markdown: string;
}

interface Placed {
  x: number;
  y: number;
  width: number;
  height: number;
}
export type Widget =
  | (Placed & { type: 'metric'; properties: MetricWidgetProperties })
  | (Placed & { type: 'log'; properties: LogWidgetProperties })
  | (Placed & { type: 'text'; properties: TextWidgetProperties });

export interface DashboardBody {
  start?: string;
  periodOverride?: 'auto' | 'inherit';
  widgets: Widget[];
}

export type UnplacedWidget = Widget extends infer W ? (W extends Widget ? Omit<W, 'x' | 'y'> : never) : never;

/** Lays widgets out left to right in rows of 24 columns. */
export const layout = (widgets: readonly UnplacedWidget[]): Widget[] => {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return widgets.map((widget) => {
    if (x + widget.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...widget, x, y } as Widget;
    x += widget.width;
    rowHeight = Math.max(rowHeight, widget.height);
    return placed;
  });
};

/** A time-series chart of `metrics`, summed over `period` unless `extra` says otherwise. */
export const metricChart =
  (region: string, period: number) =>
  (title: string, metrics: MetricEntry[], extra: Partial<MetricWidgetProperties> = {}, width = 8): UnplacedWidget => ({
    type: 'metric',
    width,
    height: 6,
    properties: { title, region, view: 'timeSeries', period, stat: 'Sum', metrics, ...extra },
  });

/** The full-width text heading each dashboard starts with. */
export const headingWidget = (markdown: string): UnplacedWidget => ({ type: 'text', width: 24, height: 2, properties: { markdown } });

/** An authtrail metric under `service`, `stage` (BASE_DIMENSIONS) and the given extra dimensions. */
export const authtrailMetric = (
  stage: string,
  name: MetricName,
  dimensions: Partial<Record<Dimension, string>> = {},
  options: MetricOptions = {},
): MetricEntry =>
  awsMetric(
    METRICS_NAMESPACE,
    name,
    { [BASE_DIMENSIONS[0]]: SERVICE_NAME, [BASE_DIMENSIONS[1]]: stage, ...dimensions } as Record<string, string>,
    options,
  );

/** SEARCH over one dimension of an authtrail metric: one line per value it has. */
export const authtrailSearch = (
  stage: string,
  name: MetricName,
  dimension: Dimension | undefined,
  stat: string,
  period: number,
  id: string,
): ExpressionEntry => {
  const schema = [METRICS_NAMESPACE, ...BASE_DIMENSIONS, ...(dimension === undefined ? [] : [dimension])].join(',');
  return {
    expression: `SEARCH('{${schema}} MetricName="${name}" ${BASE_DIMENSIONS[0]}="${SERVICE_NAME}" ${BASE_DIMENSIONS[1]}="${stage}"', '${stat}', ${period})`,
    id,
    label: '',
  };
};

export const awsMetric = (namespace: string, name: string, dimensions: Record<string, string>, options: MetricOptions = {}): MetricEntry => [
  namespace,
  name,
  ...Object.entries(dimensions).flatMap(([key, value]) => [key, value]),
  ...(Object.keys(options).length === 0 ? [] : [options]),
];
