/**
 * Renders a stage's dashboards as one static HTML page: the same widget
 * definitions and grid as CloudWatch, charts drawn as inline SVG from local
 * data (no script or style from anywhere else). Widgets whose data exists only
 * on AWS (AWS/Lambda, AWS/Cognito, AWS/SQS, AWS/Events, latency percentiles)
 * say so instead of drawing an empty chart.
 */
import { BASE_DIMENSIONS, METRICS_NAMESPACE, type Dimension, type MetricName, type MetricPoint } from '../../lib/metrics/catalog.ts';
import type { DashboardBody, MetricEntry, MetricOptions, Widget } from '../widgets.ts';
import type { LocalData } from './local-data.ts';
import { runQuery } from './logs-insights.ts';

export interface Series {
  label: string;
  value: number;
}
export type WidgetData = { kind: 'series'; series: Series[] } | { kind: 'aws-only'; reason: string };

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

const BASE = new Set<string>(BASE_DIMENSIONS);

const sumOf = (points: readonly MetricPoint[]): number => points.reduce((total, point) => total + point.value, 0);

/** Local series of one metric entry, or why it has none. */
const seriesOf = (entry: MetricEntry, data: LocalData): Series[] | string => {
  const first = entry[0];
  if (typeof first === 'object' && first !== null && 'expression' in first) {
    const search = /SEARCH\('\{([^}]+)\}\s+MetricName="([^"]+)"/.exec(first.expression);
    if (search === null) return 'metric math over AWS metrics';
    const [namespace, ...dimensions] = search[1]!.split(',');
    const name = search[2] as MetricName;
    if (namespace !== METRICS_NAMESPACE) return `${namespace} metrics exist on AWS only`;
    if (data.unavailable.has(name)) return `${name} is measured on AWS only`;
    const extra = dimensions.filter((dimension) => !BASE.has(dimension)) as Dimension[];
    const matching = data.points.filter((point) => point.name === name);
    if (extra.length === 0) return [{ label: name, value: sumOf(matching) }];
    const groups = new Map<string, number>();
    for (const point of matching) {
      const key = extra.map((dimension) => point.dimensions[dimension] ?? '').join(' · ');
      if (extra.some((dimension) => point.dimensions[dimension] === undefined)) continue;
      groups.set(key, (groups.get(key) ?? 0) + point.value);
    }
    return [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));
  }
  const parts = entry.filter((part): part is string => typeof part === 'string');
  const options = (entry.find((part) => typeof part === 'object') ?? {}) as MetricOptions;
  const [namespace, name, ...pairs] = parts;
  if (namespace !== METRICS_NAMESPACE) return `${namespace} metrics exist on AWS only`;
  if (data.unavailable.has(name as MetricName)) return `${name} is measured on AWS only`;
  const wanted: [string, string][] = [];
  for (let index = 0; index < pairs.length; index += 2) if (!BASE.has(pairs[index]!)) wanted.push([pairs[index]!, pairs[index + 1]!]);
  const matching = data.points.filter(
    (point) => point.name === name && wanted.every(([key, value]) => point.dimensions[key as Dimension] === value),
  );
  return [{ label: options.label ?? name!, value: sumOf(matching) }];
};

export const widgetData = (widget: Widget & { type: 'metric' }, data: LocalData): WidgetData => {
  const series: Series[] = [];
  const reasons: string[] = [];
  for (const entry of widget.properties.metrics) {
    const result = seriesOf(entry, data);
    if (typeof result === 'string') reasons.push(result);
    else series.push(...result);
  }
  return series.length > 0 ? { kind: 'series', series } : { kind: 'aws-only', reason: [...new Set(reasons)].join('; ') };
};

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A horizontal bar chart as inline SVG. */
const barChart = (series: readonly Series[], width: number, height: number): string => {
  const rows = series.slice(0, 12);
  const labelWidth = Math.min(230, Math.max(60, ...rows.map((row) => Math.ceil(row.label.length * 7.5) + 8)));
  const max = Math.max(1, ...rows.map((row) => row.value));
  const barArea = width - labelWidth - 50;
  const rowHeight = Math.max(12, Math.min(28, Math.floor((height - 10) / Math.max(1, rows.length))));
  const bars = rows
    .map((row, index) => {
      const y = 5 + index * rowHeight;
      const barWidth = row.value === 0 ? 0 : Math.max(2, Math.round((row.value / max) * barArea));
      return [
        `<text x="${labelWidth - 6}" y="${y + rowHeight * 0.65}" text-anchor="end" class="label">${escape(row.label)}</text>`,
        `<rect class="bar" x="${labelWidth}" y="${y + 2}" width="${barWidth}" height="${rowHeight - 4}" fill="${PALETTE[index % PALETTE.length]}"><title>${escape(row.label)}: ${row.value}</title></rect>`,
        `<text x="${labelWidth + barWidth + 5}" y="${y + rowHeight * 0.65}" class="value">${row.value}</text>`,
      ].join('');
    })
    .join('');
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${bars}</svg>`;
};

const markdown = (text: string): string =>
  text
    .split('\n')
    .map((line) => {
      const inline = escape(line).replace(/`([^`]+)`/g, '<code>$1</code>');
      return line.startsWith('## ') ? `<h2>${inline.slice(3)}</h2>` : `<p>${inline}</p>`;
    })
    .join('');

const COLUMN_PX = 62;
const ROW_PX = 38;

const table = (columns: readonly string[], rows: readonly unknown[][]): string =>
  `<table><thead><tr>${columns.map((column) => `<th>${escape(column.replace(/^detail\./, ''))}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(0, 8)
    .map((row) => `<tr>${row.map((cell) => `<td>${escape(cell === undefined || cell === null ? '' : String(cell))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>${rows.length > 8 ? `<p class="more">${rows.length - 8} more rows</p>` : ''}`;

const renderWidget = (widget: Widget, data: LocalData): string => {
  const style = `grid-column:${widget.x + 1} / span ${widget.width};grid-row:${widget.y + 1} / span ${widget.height}`;
  if (widget.type === 'text') return `<section class="widget text" style="${style}">${markdown(widget.properties.markdown)}</section>`;
  const title = `<h3>${escape(widget.properties.title)}</h3>`;
  if (widget.type === 'log') {
    let body: string;
    try {
      const result = runQuery(widget.properties.query, data.envelopes);
      body = result.rows.length === 0 ? '<p class="empty">No matching events in the local store</p>' : table(result.columns, result.rows);
    } catch (error) {
      body = `<p class="empty">Not previewed locally: ${escape((error as Error).message)}</p>`;
    }
    return `<section class="widget log" style="${style}">${title}<span class="badge">Logs Insights</span>${body}</section>`;
  }
  const chartData = widgetData(widget, data);
  const chartWidth = widget.width * COLUMN_PX - 24;
  const chartHeight = widget.height * ROW_PX - 48;
  const body =
    chartData.kind === 'series'
      ? barChart(chartData.series, chartWidth, chartHeight)
      : `<div class="aws-only"><p>AWS only</p><p class="reason">${escape(chartData.reason)}</p></div>`;
  return `<section class="widget metric${chartData.kind === 'series' ? ' drawn' : ''}" style="${style}">${title}${body}</section>`;
};

const STYLE = `
body{font-family:"Amazon Ember",Helvetica,Arial,sans-serif;margin:0;background:#f2f3f3;color:#16191f}
header{background:#232f3e;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;font-size:13px;color:#d5dbdb}
h2.dashboard{margin:18px 20px 6px;font-size:17px}
.grid{display:grid;grid-template-columns:repeat(24,${COLUMN_PX}px);grid-auto-rows:${ROW_PX}px;gap:0;margin:0 20px 16px}
.widget{background:#fff;border:1px solid #d5dbdb;margin:3px;padding:6px 8px;overflow:hidden;box-sizing:border-box;position:relative}
.widget h3{margin:0 0 4px;font-size:13px}.widget.text h2{font-size:15px;margin:2px 0}.widget.text p{font-size:12px;margin:2px 0}
.chart .label,.chart .value{font-size:11px;fill:#16191f}
.aws-only{display:flex;flex-direction:column;align-items:center;justify-content:center;height:75%;color:#687078;font-size:12px;text-align:center}
.aws-only p{margin:2px}.aws-only .reason{font-size:11px}
.badge{position:absolute;top:6px;right:8px;font-size:10px;color:#687078}
table{border-collapse:collapse;font-size:11px;width:100%}th,td{border-bottom:1px solid #eaeded;padding:2px 4px;text-align:left;white-space:nowrap;max-width:200px;overflow:hidden;text-overflow:ellipsis}
.empty,.more{font-size:11px;color:#687078}code{background:#f2f3f3;padding:0 3px}
`;

/** Counts the bars the browser actually laid out, for the test and the screenshot wait. */
const SCRIPT = `
window.addEventListener('load', () => {
  const bars = [...document.querySelectorAll('svg.chart rect.bar')];
  const drawn = bars.filter((bar) => { const box = bar.getBBox(); return box.width > 0 && box.height > 0; }).length;
  document.body.dataset.chartsExpected = String(document.querySelectorAll('section.metric.drawn').length);
  document.body.dataset.chartsDrawn = String(document.querySelectorAll('section.metric.drawn svg.chart').length);
  document.body.dataset.barsDrawn = String(drawn);
});
`;

export interface RenderedPage {
  html: string;
  /** Page height in CSS pixels, for the screenshot. */
  heightPx: number;
  charts: number;
}

export const renderPage = (dashboards: readonly { title: string; body: DashboardBody }[], data: LocalData, generatedAt: Date): RenderedPage => {
  let heightPx = 80;
  let charts = 0;
  const sections = dashboards.map(({ title, body }) => {
    const rows = Math.max(...body.widgets.map((widget) => widget.y + widget.height));
    heightPx += rows * ROW_PX + 60;
    const widgets = body.widgets.map((widget) => renderWidget(widget, data));
    charts += widgets.filter((html) => html.includes('class="widget metric drawn"')).length;
    return `<h2 class="dashboard">${escape(title)}</h2><div class="grid">${widgets.join('')}</div>`;
  });
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>authtrail ${escape(data.stage)} dashboards (local preview)</title><style>${STYLE}</style></head><body>
<header><h1>authtrail · ${escape(data.stage)} · dashboards (local preview)</h1><p>${data.envelopes.length} events from ${escape(data.storeDir)}/${escape(data.stage)} · generated ${generatedAt.toISOString()} · the widgets of the deployed dashboards; AWS-only metrics are marked</p></header>
${sections.join('\n')}
<script>${SCRIPT}</script></body></html>`;
  return { html, heightPx, charts };
};
