/**
 * Amazon EventBridge event-pattern matching for the in-process local bus, so a
 * local replay routes events with the very rule patterns the deployed stack uses.
 *
 * Written by hand on purpose: no maintained npm package evaluates EventBridge
 * patterns in-process (AWS's own engine, aws/event-ruler, is Java), and
 * serverless-offline-aws-eventbridge's matcher is incomplete: wildcard, cidr,
 * null, anything-but prefix and numeric-as-string all behave differently there
 * than on AWS.
 *
 * Semantics follow the AWS docs ("Amazon EventBridge event patterns",
 * "Content filtering in Amazon EventBridge event patterns"); where the docs are
 * silent, they follow event-ruler, the engine behind EventBridge:
 * - A field matches when any listed condition matches any of its values; event
 *   arrays are flattened ("crushed"), and objects are not values.
 * - Exact values are typed: "5" never matches 5, "" never matches null. An exact
 *   string that is an IP address matches the same address written differently.
 * - `numeric` only matches JSON numbers; `prefix`, `suffix`, `wildcard` and
 *   `equals-ignore-case` only strings; `cidr` only strings holding an IP address.
 * - `anything-but` needs a value, and matches every value that is not excluded,
 *   whatever its type (`{"anything-but": "x"}` matches 5 and null).
 * - `exists` works on leaves: a field holding an object or an empty array does
 *   not exist. `{"exists": false}` also matches when a parent object is missing.
 * - Fields of one pattern object must all match inside the same element of an
 *   event array of objects (event-ruler's "array-consistent" matching).
 *
 * Known differences from AWS, all on purpose:
 * - A top-level `{}` is accepted and matches every event (AWS rejects empty
 *   objects; nested empty objects are rejected here too).
 * - `{"exists": false}` inside an array of objects is judged per element;
 *   event-ruler's result there depends on the order of the pattern's keys.
 * - Numbers compare as IEEE doubles (as current event-ruler does), while numeric
 *   operands are still limited to the documented -5e9..5e9.
 * - `equals-ignore-case` also lets a character match itself: event-ruler only
 *   tries its lower- and upper-case forms, so title-case "ǅ" misses "ǅ" there.
 * - Keys are never split on dots (event-ruler treats `{"a.b": …}` like
 *   `{"a": {"b": …}}`, which its README says not to rely on).
 *
 * A compiled form of each pattern object is cached: treat patterns as immutable.
 */

import { own } from '../own.ts';
import { AuthtrailError } from '../errors.ts';

export type ExactMatch = string | number | boolean | null;
type OneOrMore<T> = T | readonly T[];

export interface IgnoreCase {
  readonly 'equals-ignore-case': string;
}

export type NumericComparison =
  | readonly ['=' | '<' | '<=' | '>' | '>=', number]
  | readonly ['>' | '>=', number, '<' | '<=', number];

export type AnythingBut =
  | string
  | number
  | readonly string[]
  | readonly number[]
  | { readonly prefix: OneOrMore<string> }
  | { readonly suffix: OneOrMore<string> }
  | { readonly 'equals-ignore-case': OneOrMore<string> }
  | { readonly wildcard: OneOrMore<string> };

export type MatchExpression =
  | { readonly prefix: string | IgnoreCase }
  | { readonly suffix: string | IgnoreCase }
  | IgnoreCase
  | { readonly wildcard: string }
  | { readonly 'anything-but': AnythingBut }
  | { readonly numeric: NumericComparison }
  | { readonly exists: boolean }
  | { readonly cidr: string };

export type MatchCondition = ExactMatch | MatchExpression;

/** A rule's event pattern. `$or` holds an array of (at least two) patterns. */
export interface EventPattern {
  readonly [field: string]: readonly MatchCondition[] | EventPattern | readonly EventPattern[];
}

/** An invalid event pattern; the message starts with the JSON path of the offending part. */
export class EventPatternError extends AuthtrailError {
  readonly code = 'INVALID_EVENT_PATTERN' as const;
  /** e.g. `detail.category[0]`; empty for the pattern itself. */
  readonly path: string;
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`${path === '' ? '(root)' : path}: ${problem}`, options);
    this.name = 'EventPatternError';
    this.path = path;
  }
}

/**
 * Checks a pattern (an object, or its JSON text as CloudFormation allows) and
 * returns it typed. Throws EventPatternError naming the offending part.
 */
export function validateEventPattern(pattern: unknown): EventPattern {
  let value = pattern;
  if (typeof pattern === 'string') {
    try {
      value = JSON.parse(pattern);
    } catch (cause) {
      throw new EventPatternError('', 'not valid JSON', { cause });
    }
  }
  compile(value);
  return value as EventPattern;
}

/**
 * Whether `event` (any JSON value, normally an EventBridge envelope) matches.
 * Never throws for a valid pattern; throws EventPatternError for an invalid one.
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchNode(compile(pattern), isObject(event) ? event : undefined);
}

// ---------------------------------------------------------------------------
// Compiled form

type Scalar = string | number | boolean | null;
type Test = (value: Scalar) => boolean;
type Condition = { readonly exists: boolean } | { readonly test: Test };

interface Node {
  readonly leaves: { readonly key: string; readonly conditions: readonly Condition[] }[];
  readonly objects: { readonly key: string; readonly node: Node }[];
  /** `$or` branches, tried against the same object; empty when there is no `$or`. */
  anyOf: readonly Node[];
}

const compiled = new WeakMap<object, Node>();

function compile(pattern: unknown): Node {
  if (!isObject(pattern)) throw new EventPatternError('', 'an event pattern must be a JSON object');
  let node = compiled.get(pattern);
  if (node === undefined) {
    node = compileObject(pattern, '', 'root');
    compiled.set(pattern, node);
  }
  return node;
}

const OPERATORS = new Set([
  'prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr',
]);

/** Names event-ruler reserves, which cannot be field names inside `$or`. */
const RESERVED_IN_OR = new Set([
  ...OPERATORS, 'exactly', '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case',
  'date-after', 'date-on-or-after', 'date-before', 'date-on-or-before', 'in-date-range',
  'ip-address-in-range', 'ip-address-not-in-range',
]);

function compileObject(pattern: Record<string, unknown>, path: string, context: 'root' | 'nested' | 'or'): Node {
  const keys = Object.keys(pattern);
  if (keys.length === 0 && context !== 'root') throw new EventPatternError(path, 'empty objects are not allowed');
  const node: Node = { leaves: [], objects: [], anyOf: [] };
  for (const key of keys) {
    const value = pattern[key];
    const at = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      node.anyOf = compileOr(value, at);
    } else if (context === 'or' && RESERVED_IN_OR.has(key)) {
      throw new EventPatternError(at, `"${key}" is a reserved word and cannot be a field name inside "$or"`);
    } else if (Array.isArray(value)) {
      node.leaves.push({ key, conditions: compileConditions(value, at) });
    } else if (isObject(value)) {
      node.objects.push({ key, node: compileObject(value, at, context === 'or' ? 'or' : 'nested') });
    } else if (OPERATORS.has(key)) {
      throw new EventPatternError(at, `operator "${key}" must be inside an array, e.g. [{"${key}": ...}]`);
    } else {
      throw new EventPatternError(at, 'must be an array of match values or a nested pattern object');
    }
  }
  return node;
}

function compileOr(value: unknown, at: string): Node[] {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
    throw new EventPatternError(at, '"$or" must be an array of at least 2 pattern objects');
  }
  return value.map((branch, i) => compileObject(branch, `${at}[${i}]`, 'or'));
}

function compileConditions(values: readonly unknown[], path: string): Condition[] {
  if (values.length === 0) throw new EventPatternError(path, 'empty arrays are not allowed');
  return values.map((value, i) => compileCondition(value, `${path}[${i}]`));
}

function compileCondition(value: unknown, at: string): Condition {
  if (typeof value === 'string') return { test: exactString(value) };
  if (typeof value === 'number') {
    const n = finite(value, at);
    return { test: (v) => v === n };
  }
  if (typeof value === 'boolean' || value === null) return { test: (v) => v === value };
  if (!isObject(value)) {
    throw new EventPatternError(at, 'a match value must be a string, number, boolean, null or an operator object');
  }
  const entries = Object.entries(value);
  const [entry] = entries;
  if (entry === undefined || entries.length > 1) {
    throw new EventPatternError(at, `an operator object must have exactly one operator, found ${entries.length}`);
  }
  const [operator, argument] = entry;
  switch (operator) {
    case 'prefix':
      return { test: onString(affix(argument, at, 'prefix')) };
    case 'suffix':
      return { test: onString(affix(argument, at, 'suffix')) };
    case 'equals-ignore-case': {
      const regexp = ignoreCase(string(argument, at, operator), 'whole');
      return { test: onString((s) => regexp.test(s)) };
    }
    case 'wildcard':
      return { test: onString(wildcard(string(argument, at, operator), at)) };
    case 'anything-but':
      return { test: anythingBut(argument, at) };
    case 'numeric':
      return { test: numeric(argument, at) };
    case 'exists':
      if (typeof argument !== 'boolean') throw new EventPatternError(at, '"exists" must be true or false');
      return { exists: argument };
    case 'cidr':
      return { test: cidr(string(argument, at, operator), at) };
    default:
      throw new EventPatternError(at, `unsupported operator "${operator}"`);
  }
}

function affix(argument: unknown, at: string, operator: 'prefix' | 'suffix'): (s: string) => boolean {
  if (typeof argument === 'string') {
    return operator === 'prefix' ? (s) => s.startsWith(argument) : (s) => s.endsWith(argument);
  }
  const keys = isObject(argument) ? Object.keys(argument) : [];
  const text = isObject(argument) ? argument['equals-ignore-case'] : undefined;
  if (keys.length !== 1 || typeof text !== 'string') {
    throw new EventPatternError(at, `"${operator}" must be a string or {"equals-ignore-case": string}`);
  }
  const regexp = ignoreCase(text, operator);
  return (s) => regexp.test(s);
}

function anythingBut(argument: unknown, at: string): Test {
  if (typeof argument === 'string') return (v) => v !== argument;
  if (typeof argument === 'number') {
    const n = finite(argument, at);
    return (v) => v !== n;
  }
  if (Array.isArray(argument)) {
    const list: readonly unknown[] = argument;
    if (list.length > 0 && list.every((x) => typeof x === 'string')) {
      const excluded = new Set<unknown>(list);
      return (v) => !(typeof v === 'string' && excluded.has(v));
    }
    if (list.length > 0 && list.every((x) => typeof x === 'number')) {
      const excluded = new Set<unknown>(list.map((x) => finite(x as number, at)));
      return (v) => !(typeof v === 'number' && excluded.has(v));
    }
    throw new EventPatternError(at, '"anything-but" list must be non-empty and hold only strings or only numbers');
  }
  const entries = isObject(argument) ? Object.entries(argument) : [];
  const [entry] = entries;
  if (entry === undefined || entries.length > 1) {
    throw new EventPatternError(
      at,
      '"anything-but" must be a string, a number, a list of them, or an object with one of "prefix", "suffix", "equals-ignore-case", "wildcard"',
    );
  }
  const [operator, operand] = entry;
  const texts = typeof operand === 'string' ? [operand] : operand;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string')) {
    throw new EventPatternError(at, `"anything-but" "${operator}" must be a string or a non-empty list of strings`);
  }
  const strings: readonly string[] = texts;
  let excluded: (s: string) => boolean;
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (strings.includes('')) throw new EventPatternError(at, `"anything-but" "${operator}" must not be empty`);
      excluded = operator === 'prefix'
        ? (s) => strings.some((p) => s.startsWith(p))
        : (s) => strings.some((p) => s.endsWith(p));
      break;
    case 'equals-ignore-case': {
      const regexps = strings.map((t) => ignoreCase(t, 'whole'));
      excluded = (s) => regexps.some((r) => r.test(s));
      break;
    }
    case 'wildcard': {
      const matchers = strings.map((t) => wildcard(t, at));
      excluded = (s) => matchers.some((m) => m(s));
      break;
    }
    default:
      throw new EventPatternError(at, `unsupported operator "${operator}" in "anything-but"`);
  }
  return (v) => !(typeof v === 'string' && excluded(v));
}

/** The documented range of numeric operands. */
const NUMERIC_LIMIT = 5e9;
const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numeric(argument: unknown, at: string): Test {
  if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4)) {
    throw new EventPatternError(at, '"numeric" must be [operator, number] or [">" or ">=", number, "<" or "<=", number]');
  }
  const terms: readonly unknown[] = argument;
  const comparisons: { compare: (a: number, b: number) => boolean; bound: number }[] = [];
  for (let i = 0; i < terms.length; i += 2) {
    const operator = terms[i];
    const compare = typeof operator === 'string' ? COMPARE[operator] : undefined;
    if (compare === undefined) throw new EventPatternError(at, `unsupported numeric operator ${JSON.stringify(operator)}`);
    const bound = terms[i + 1];
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new EventPatternError(at, `numeric bound must be a number, found ${JSON.stringify(bound) ?? String(bound)}`);
    }
    if (Math.abs(bound) > NUMERIC_LIMIT) {
      throw new EventPatternError(at, `numeric bound ${bound} is outside the supported range -5e9..5e9`);
    }
    comparisons.push({ compare, bound });
  }
  const [lower, upper] = comparisons;
  if (upper !== undefined && lower !== undefined) {
    if (!['>', '>='].includes(String(terms[0])) || !['<', '<='].includes(String(terms[2]))) {
      throw new EventPatternError(at, 'a numeric range must be ">" or ">=" followed by "<" or "<="');
    }
    if (lower.bound >= upper.bound) {
      throw new EventPatternError(at, `numeric range lower bound ${lower.bound} must be less than upper bound ${upper.bound}`);
    }
  }
  return (v) => typeof v === 'number' && comparisons.every(({ compare, bound }) => compare(v, bound));
}

/** `*` matches any run of characters; `\*` is a literal `*`, `\\` a literal `\`. */
function wildcard(text: string, at: string): (s: string) => boolean {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new EventPatternError(at, `wildcard "${text}": a backslash may only escape "*" or "\\" (position ${i})`);
      }
      current += next;
      i++;
    } else if (ch === '*') {
      if (text[i + 1] === '*') {
        throw new EventPatternError(at, `wildcard "${text}": consecutive "*" are not allowed (position ${i})`);
      }
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return (s) => globMatch(segments, s);
}

/** Leftmost-first search of the literal segments between `*`s: linear, no backtracking. */
function globMatch(segments: readonly string[], s: string): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return s === first;
  const last = segments[segments.length - 1] ?? '';
  if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false;
  const end = s.length - last.length;
  let position = first.length;
  for (const segment of segments.slice(1, -1)) {
    const found = s.indexOf(segment, position);
    if (found === -1 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

/** Like event-ruler: each pattern character matches its lower- or upper-case form (or itself). */
function ignoreCase(text: string, anchor: 'whole' | 'prefix' | 'suffix'): RegExp {
  let source = '';
  for (const ch of text) {
    const forms = [...new Set([ch, ch.toLowerCase(), ch.toUpperCase()])].map(escapeRegExp);
    source += forms.length === 1 ? forms.join('') : `(?:${forms.join('|')})`;
  }
  return new RegExp(`${anchor === 'suffix' ? '' : '^'}${source}${anchor === 'prefix' ? '' : '$'}`);
}

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

function cidr(text: string, at: string): Test {
  const [address = '', bits, ...rest] = text.split('/');
  const network = parseIp(address);
  const invalid = (why: string) => new EventPatternError(at, `invalid CIDR "${text}": ${why}`);
  if (bits === undefined || rest.length > 0) throw invalid('expected <address>/<prefix length>');
  if (network === undefined) throw invalid(`"${address}" is not an IPv4 or IPv6 address`);
  if (!/^\d{1,3}$/.test(bits)) throw invalid('the prefix length must be a whole number');
  const prefixLength = Number(bits);
  // event-ruler: a single address is an exact match, not a CIDR.
  const max = network.length * 8 - 1;
  if (prefixLength > max) throw invalid(`the prefix length must be at most ${max}; match one address with an exact value`);
  return (v) => {
    const ip = typeof v === 'string' ? parseIp(v) : undefined;
    return ip !== undefined && ip.length === network.length && samePrefix(ip, network, prefixLength);
  };
}

function exactString(expected: string): Test {
  const ip = parseIp(expected);
  if (ip === undefined) return (v) => v === expected;
  return (v) => v === expected || (typeof v === 'string' && sameBytes(parseIp(v), ip));
}

/** IPv4 dotted quad or IPv6 hex groups (no zone, no embedded IPv4), as bytes. */
function parseIp(text: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const bytes = v4.slice(1).map(Number);
    const canonical = v4.slice(1).every((part) => part === '0' || !part.startsWith('0'));
    return canonical && bytes.every((b) => b <= 255) ? bytes : undefined;
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || !text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const [head = [], tail = []] = groups;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const all = [...head, ...Array<string>(8 - count).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function sameBytes(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function samePrefix(ip: readonly number[], network: readonly number[], prefixLength: number): boolean {
  for (let i = 0; i * 8 < prefixLength; i++) {
    const bits = Math.min(8, prefixLength - i * 8);
    const mask = (0xff << (8 - bits)) & 0xff;
    if (((ip[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}

function string(argument: unknown, at: string, operator: string): string {
  if (typeof argument !== 'string') throw new EventPatternError(at, `"${operator}" must be a string`);
  return argument;
}

function finite(n: number, at: string): number {
  if (!Number.isFinite(n)) throw new EventPatternError(at, 'numbers must be finite');
  return n;
}

const onString = (test: (s: string) => boolean): Test => (v) => typeof v === 'string' && test(v);

// ---------------------------------------------------------------------------
// Matching

function matchNode(node: Node, object: Record<string, unknown> | undefined): boolean {
  for (const { key, conditions } of node.leaves) {
    const values = crush(field(object, key)).filter(isScalar);
    const matched = conditions.some((c) =>
      'exists' in c ? values.length > 0 === c.exists : values.some(c.test),
    );
    if (!matched) return false;
  }
  for (const { key, node: child } of node.objects) {
    const candidates = crush(field(object, key)).filter(isObject);
    const matched = candidates.length === 0
      ? matchNode(child, undefined)
      : candidates.some((candidate) => matchNode(child, candidate));
    if (!matched) return false;
  }
  return node.anyOf.length === 0 || node.anyOf.some((branch) => matchNode(branch, object));
}

function field(object: Record<string, unknown> | undefined, key: string): unknown {
  return object === undefined ? undefined : own(object, key);
}

/** The value itself, or the elements of an array and of any arrays nested in it. */
function crush(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  const items: unknown[] = [];
  const seen = new Set<unknown>();
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (!Array.isArray(item)) {
      items.push(item);
    } else if (!seen.has(item)) {
      seen.add(item);
      for (let i = item.length - 1; i >= 0; i--) pending.push(item[i]);
    }
  }
  return items;
}

function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
