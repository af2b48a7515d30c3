/**
 * Reading what the dashboards, alarms and queries refer to: metrics (namespace,
 * name, dimension names) and AuthEvent fields, so tests can hold them against
 * what the code emits and what the schema has.
 */
import { authEventJsonSchema } from '../../lib/auth-event/json-schema.ts';
import type { AlarmDefinition } from '../../dashboards/alarms.ts';
import type { DashboardBody, MetricEntry } from '../../dashboards/widgets.ts';

export interface MetricReference {
  namespace: string;
  name: string;
  /** Dimension names, sorted. */
  dimensions: string[];
  where: string;
}

export const referenceKey = (reference: Pick<MetricReference, 'namespace' | 'name' | 'dimensions'>): string =>
  `${reference.namespace}|${reference.name}|${[...reference.dimensions].sort().join(',')}`;

/** `SEARCH('{ns,dim1,dim2} MetricName="X" ...', ...)` -> references. */
const searchReferences = (expression: string, where: string): MetricReference[] =>
  [...expression.matchAll(/SEARCH\('\{([^}]+)\}\s+MetricName="([^"]+)"/g)].map((match) => {
    const [namespace, ...dimensions] = match[1]!.split(',');
    return { namespace: namespace!, name: match[2]!, dimensions: dimensions.sort(), where };
  });

export const widgetMetricReferences = (body: DashboardBody, dashboard: string): MetricReference[] =>
  body.widgets.flatMap((widget) => {
    if (widget.type !== 'metric') return [];
    const where = `${dashboard}: ${widget.properties.title}`;
    return widget.properties.metrics.flatMap((entry: MetricEntry) => {
      const first = entry[0];
      if (typeof first === 'object' && first !== null && 'expression' in first) return searchReferences(first.expression, where);
      const parts = entry.filter((part): part is string => typeof part === 'string');
      const [namespace, name, ...pairs] = parts;
      const dimensions = pairs.filter((_, index) => index % 2 === 0).sort();
      return [{ namespace: namespace!, name: name!, dimensions, where }];
    });
  });

export const alarmMetricReferences = (alarms: readonly AlarmDefinition[]): MetricReference[] =>
  alarms.flatMap(({ properties, logicalId }) => {
    if (properties.MetricName !== undefined) {
      return [{ namespace: properties.Namespace!, name: properties.MetricName, dimensions: (properties.Dimensions ?? []).map((d) => d.Name).sort(), where: logicalId }];
    }
    return (properties.Metrics ?? []).flatMap((query) =>
      'MetricStat' in query
        ? [{ namespace: query.MetricStat.Metric.Namespace, name: query.MetricStat.Metric.MetricName, dimensions: query.MetricStat.Metric.Dimensions.map((d) => d.Name).sort(), where: logicalId }]
        : [],
    );
  });

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
}

/** Whether a dotted AuthEvent path (`user.emailDomain`, `token.claimsAdded`) exists in the AuthEvent schema. */
export const authEventHasField = (path: string): boolean => {
  let nodes: JsonSchemaNode[] = [authEventJsonSchema() as JsonSchemaNode];
  for (const part of path.split('.')) {
    const expand = (node: JsonSchemaNode): JsonSchemaNode[] => [node, ...(node.anyOf ?? []).flatMap(expand), ...(node.items ? expand(node.items) : [])];
    nodes = nodes.flatMap(expand).flatMap((node) => (node.properties?.[part] ? [node.properties[part]] : []));
    if (nodes.length === 0) return false;
  }
  return true;
};
