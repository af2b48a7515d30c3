/**
 * A small evaluator for the subset of Sigma (https://sigmahq.io/docs/) that the
 * detections under dashboards/detections/ use, so their test events run in our
 * tests. Events are AuthEvents; a field name is a dotted AuthEvent path.
 *
 * Supported:
 * - detection rules: named selections (a map of field conditions, all must
 *   hold; or a list of such maps, any may hold); a list of values matches any;
 *   a list field (groups) matches when any element does; string comparison is
 *   case-insensitive, as Sigma specifies; modifiers `contains`, `startswith`,
 *   `endswith`, `exists`; `null` matches an absent field;
 * - conditions: selection names, `and`, `or`, `not`, parentheses;
 * - correlation rules of type `event_count` with `rules`, `group-by`,
 *   `timespan` (s, m, h, d) and a `condition` of gt / gte / lt / lte / eq; and
 *   of type `temporal`: every one of `rules` matched within `timespan` in the
 *   same group (any order).
 * Anything else is refused with an error naming it, never silently ignored.
 */
import { loadAll } from 'js-yaml';

type Value = string | number | boolean | null;
type Selection = Record<string, Value | Value[]> | Record<string, Value | Value[]>[];

export interface SigmaDetectionRule {
  kind: 'detection';
  title: string;
  id: string;
  name?: string;
  level?: string;
  detection: Record<string, Selection | string>;
  condition: string;
}

export interface SigmaCorrelationRule {
  kind: 'correlation';
  type: 'event_count' | 'temporal';
  title: string;
  id: string;
  level?: string;
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: { op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq'; value: number };
}

export type SigmaRule = SigmaDetectionRule | SigmaCorrelationRule;

const MODIFIERS = new Set(['contains', 'startswith', 'endswith', 'exists']);

const fail = (title: string, message: string): never => {
  throw new Error(`Sigma rule "${title}": ${message}`);
};

const durationMs = (title: string, text: string): number => {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match === null) return fail(title, `unsupported timespan "${text}"`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
};

/** Parses a YAML file of one or more Sigma documents. */
export const parseSigma = (text: string): SigmaRule[] =>
  loadAll(text).map((document) => {
    const doc = document as Record<string, unknown>;
    const title = String(doc.title ?? '(untitled)');
    const id = String(doc.id ?? fail(title, 'no id'));
    const level = doc.level === undefined ? undefined : String(doc.level);
    if (doc.correlation !== undefined) {
      const correlation = doc.correlation as Record<string, unknown>;
      if (correlation.type !== 'event_count' && correlation.type !== 'temporal') {
        fail(title, `unsupported correlation type "${String(correlation.type)}"`);
      }
      const type = correlation.type as SigmaCorrelationRule['type'];
      // A temporal correlation fires when all its rules matched; Sigma gives it no count condition.
      const condition = (correlation.condition ?? (type === 'temporal' ? { gte: 1 } : undefined)) as Record<string, number> | undefined;
      const [op, value] = Object.entries(condition ?? {})[0] ?? fail(title, 'no correlation condition');
      if (!['gt', 'gte', 'lt', 'lte', 'eq'].includes(op)) fail(title, `unsupported correlation condition "${op}"`);
      return {
        kind: 'correlation',
        type,
        title,
        id,
        ...(level === undefined ? {} : { level }),
        rules: (correlation.rules as string[]) ?? fail(title, 'no rules'),
        groupBy: (correlation['group-by'] as string[] | undefined) ?? [],
        timespanMs: durationMs(title, String(correlation.timespan)),
        condition: { op: op as SigmaCorrelationRule['condition']['op'], value: Number(value) },
      } satisfies SigmaCorrelationRule;
    }
    const detection = { ...((doc.detection as Record<string, Selection | string>) ?? fail(title, 'no detection')) };
    const condition = detection.condition;
    if (typeof condition !== 'string') return fail(title, 'condition must be one expression');
    delete detection.condition;
    for (const selection of Object.values(detection)) {
      for (const map of Array.isArray(selection) ? selection : [selection]) {
        for (const key of Object.keys(map as object)) {
          for (const modifier of key.split('|').slice(1)) if (!MODIFIERS.has(modifier)) fail(title, `unsupported modifier "${modifier}"`);
        }
      }
    }
    return {
      kind: 'detection',
      title,
      id,
      ...(doc.name === undefined ? {} : { name: String(doc.name) }),
      ...(level === undefined ? {} : { level }),
      detection: detection as Record<string, Selection>,
      condition,
    } satisfies SigmaDetectionRule;
  });

/** The values at a dotted path; list elements are flattened, so `groups` yields each group. */
const valuesAt = (event: unknown, path: string): unknown[] => {
  let current: unknown[] = [event];
  for (const part of path.split('.')) {
    current = current.flatMap((value) => {
      if (value === null || typeof value !== 'object') return [];
      const next = (value as Record<string, unknown>)[part];
      if (next === undefined) return [];
      return Array.isArray(next) ? next : [next];
    });
  }
  return current;
};

const matchesValue = (actual: unknown, expected: Value, modifiers: string[]): boolean => {
  if (expected === null) return false;
  if (typeof expected !== 'string') return actual === expected;
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return false;
  const a = String(actual).toLowerCase();
  const e = expected.toLowerCase();
  if (modifiers.includes('contains')) return a.includes(e);
  if (modifiers.includes('startswith')) return a.startsWith(e);
  if (modifiers.includes('endswith')) return a.endsWith(e);
  return a === e;
};

const matchesField = (event: unknown, key: string, expected: Value | Value[]): boolean => {
  const [field, ...modifiers] = key.split('|') as [string, ...string[]];
  const actual = valuesAt(event, field);
  if (modifiers.includes('exists')) return (actual.length > 0) === (expected === true);
  const options = Array.isArray(expected) ? expected : [expected];
  return options.some((option) => (option === null ? actual.length === 0 : actual.some((value) => matchesValue(value, option, modifiers))));
};

const matchesSelection = (event: unknown, selection: Selection): boolean =>
  (Array.isArray(selection) ? selection : [selection]).some((map) =>
    Object.entries(map).every(([key, expected]) => matchesField(event, key, expected)),
  );

/** Evaluates a condition expression: names, and / or / not, parentheses. */
const evaluateCondition = (rule: SigmaDetectionRule, event: unknown): boolean => {
  const tokens = rule.condition.match(/\(|\)|[^\s()]+/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const primary = (): boolean => {
    const token = next();
    if (token === '(') {
      const value = or();
      if (next() !== ')') fail(rule.title, 'unbalanced parentheses');
      return value;
    }
    if (token === 'not') return !primary();
    if (token === undefined) return fail(rule.title, 'incomplete condition');
    const selection = rule.detection[token];
    if (selection === undefined || typeof selection === 'string') return fail(rule.title, `unknown selection "${token}" in condition`);
    return matchesSelection(event, selection);
  };
  const and = (): boolean => {
    let value = primary();
    while (peek() === 'and') {
      next();
      const right = primary();
      value = value && right;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (peek() === 'or') {
      next();
      const right = and();
      value = value || right;
    }
    return value;
  };
  const result = or();
  if (position !== tokens.length) fail(rule.title, `unexpected "${tokens[position]}" in condition`);
  return result;
};

export const matchesRule = (rule: SigmaDetectionRule, event: unknown): boolean => evaluateCondition(rule, event);

export interface CorrelationAlert {
  group: Record<string, string>;
  count: number;
  /** Time of the event that completed the window. */
  at: string;
}

const compare = (count: number, { op, value }: SigmaCorrelationRule['condition']): boolean =>
  ({ gt: count > value, gte: count >= value, lt: count < value, lte: count <= value, eq: count === value })[op];

/**
 * Runs a correlation over events, each with its time (`timeOf`, default the
 * AuthEvent's ISO `time`): one alert per group, at the first window of
 * `timespan` that satisfies it. event_count: the count of matching events meets
 * the condition; temporal: every rule matched in the window (count = events in it).
 */
export const evaluateCorrelation = <E>(
  correlation: SigmaCorrelationRule,
  rulesByName: ReadonlyMap<string, SigmaDetectionRule>,
  events: readonly E[],
  timeOf: (event: E) => number = (event) => Date.parse((event as { time: string }).time),
): CorrelationAlert[] => {
  const bases = correlation.rules.map((name) => rulesByName.get(name) ?? fail(correlation.title, `unknown rule "${name}"`));
  const groups = new Map<string, { group: Record<string, string>; hits: { at: number; rules: number[] }[] }>();
  for (const event of [...events].sort((a, b) => timeOf(a) - timeOf(b))) {
    const rules = bases.flatMap((rule, index) => (matchesRule(rule, event) ? [index] : []));
    if (rules.length === 0) continue;
    const group = Object.fromEntries(correlation.groupBy.map((field) => [field, String(valuesAt(event, field)[0] ?? '')]));
    const key = JSON.stringify(group);
    const entry = groups.get(key) ?? { group, hits: [] };
    entry.hits.push({ at: timeOf(event), rules });
    groups.set(key, entry);
  }
  const alerts: CorrelationAlert[] = [];
  for (const { group, hits } of groups.values()) {
    let start = 0;
    for (let end = 0; end < hits.length; end += 1) {
      while (hits[end]!.at - hits[start]!.at > correlation.timespanMs) start += 1;
      const window = hits.slice(start, end + 1);
      const count = window.length;
      const complete = correlation.type === 'event_count' || bases.every((_, index) => window.some((hit) => hit.rules.includes(index)));
      if (complete && compare(count, correlation.condition)) {
        alerts.push({ group, count, at: new Date(hits[end]!.at).toISOString() });
        break;
      }
    }
  }
  return alerts;
};

/** The fields a rule reads (selection keys without modifiers, group-by fields). */
export const fieldsOfRule = (rule: SigmaRule): string[] =>
  rule.kind === 'correlation'
    ? [...rule.groupBy]
    : [
        ...new Set(
          Object.values(rule.detection).flatMap((selection) =>
            (Array.isArray(selection) ? selection : [selection]).flatMap((map) => Object.keys(map as object).map((key) => key.split('|')[0]!)),
          ),
        ),
      ];
