/**
 * The Splunk knowledge in splunk/authtrail/default/ (props, eventtypes, tags),
 * read from the .conf files and applied the way Splunk applies them at search
 * time (Knowledge Manager Manual, "search-time operations sequence": KV_MODE
 * extraction, then field aliases, then calculated fields, each calculated field
 * seeing the fields before any of them; then event types, then tags), to the HEC
 * envelope of every AuthEvent the pipeline produces from the fixtures. Proves
 * every CIM Authentication field the issue names is produced from real records.
 *
 * The eval and search evaluators below implement only the functions and
 * operators the .conf files use, and refuse anything else by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toSplunkHec } from '../../lib/siem/formats/index.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { pipelineEvents, type SourcedEvent } from './pipeline-events.ts';

const DIR = join(ROOT, 'splunk', 'authtrail', 'default');
const SOURCETYPE = 'authtrail:authevent';

/** A .conf file: stanzas of `key = value` lines, `#` comments. */
const parseConf = (file: string): Map<string, Map<string, string>> => {
  const stanzas = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of readFileSync(join(DIR, file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const stanza = /^\[(.+)\]$/.exec(line);
    if (stanza) {
      current = new Map();
      stanzas.set(stanza[1] as string, current);
      continue;
    }
    const at = line.indexOf('=');
    if (current === undefined || at === -1) throw new Error(`${file}: not a stanza or key = value: ${line}`);
    current.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return stanzas;
};

type Fields = Map<string, string>;

/** KV_MODE = json: every leaf as a dotted field, arrays as `{}` (values of an array joined: tests read single values). */
const extractJson = (value: unknown, prefix: string, fields: Fields): void => {
  if (Array.isArray(value)) return value.forEach((element) => extractJson(element, `${prefix}{}`, fields));
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) extractJson(inner, prefix === '' ? key : `${prefix}.${key}`, fields);
    return;
  }
  if (value !== null && value !== undefined) fields.set(prefix, String(value));
};

/** Tokens of an eval expression: 'field', "string", names, parentheses, commas, `.`. */
const tokenize = (text: string): string[] => {
  const tokens = text.match(/'[^']*'|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|[(),.]|\S/g) ?? [];
  return tokens;
};

type Value = string | boolean | null;

const evaluate = (expression: string, fields: Fields): Value => {
  const tokens = tokenize(expression);
  let position = 0;
  const next = () => tokens[position++];
  const expect_ = (token: string) => {
    if (next() !== token) throw new Error(`eval: expected ${token} in ${expression}`);
  };
  const args = (): Value[] => {
    expect_('(');
    const values: Value[] = [];
    if (tokens[position] === ')') return (position += 1), values;
    for (;;) {
      values.push(concat());
      const separator = next();
      if (separator === ')') return values;
      if (separator !== ',') throw new Error(`eval: expected , or ) in ${expression}`);
    }
  };
  const primary = (): Value => {
    const token = next();
    if (token === undefined) throw new Error(`eval: incomplete ${expression}`);
    if (token.startsWith("'")) return fields.get(token.slice(1, -1)) ?? null;
    if (token.startsWith('"')) return token.slice(1, -1);
    const values = args();
    switch (token) {
      case 'coalesce':
        return values.find((value) => value !== null) ?? null;
      case 'in':
        return values.slice(1).includes(values[0] ?? null);
      case 'true':
        return true;
      case 'if':
        return values[0] === true ? (values[1] ?? null) : (values[2] ?? null);
      case 'case': {
        for (let index = 0; index + 1 < values.length; index += 2) if (values[index] === true) return values[index + 1] ?? null;
        return null;
      }
      default:
        throw new Error(`eval: function ${token} is not implemented here`);
    }
  };
  const concat = (): Value => {
    let value = primary();
    while (tokens[position] === '.') {
      position += 1;
      const right = primary();
      value = value === null || right === null ? null : `${String(value)}${String(right)}`;
    }
    return value;
  };
  const result = concat();
  if (position !== tokens.length) throw new Error(`eval: unexpected ${tokens[position]} in ${expression}`);
  return result;
};

/** An eventtype search: field="value" terms, implicit AND, OR, NOT, parentheses. */
const matchesSearch = (search: string, fields: Fields): boolean => {
  const tokens = search.match(/\(|\)|[A-Za-z_.]+="[^"]*"|\S+/g) ?? [];
  let position = 0;
  const term = (): boolean => {
    const token = tokens[position++];
    if (token === '(') {
      const value = or();
      if (tokens[position++] !== ')') throw new Error(`search: unbalanced ( in ${search}`);
      return value;
    }
    if (token === 'NOT') return !term();
    const match = /^([A-Za-z_.]+)="([^"]*)"$/.exec(token ?? '');
    if (match === null) throw new Error(`search: "${token}" is not implemented here`);
    return fields.get(match[1] as string) === match[2];
  };
  const and = (): boolean => {
    let value = term();
    while (position < tokens.length && tokens[position] !== ')' && tokens[position] !== 'OR') value = term() && value;
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[position] === 'OR') {
      position += 1;
      value = and() || value;
    }
    return value;
  };
  const result = or();
  if (position !== tokens.length) throw new Error(`search: unexpected ${tokens[position]} in ${search}`);
  return result;
};

const props = parseConf('props.conf').get(SOURCETYPE) as Map<string, string>;
const eventtypes = parseConf('eventtypes.conf');
const tags = parseConf('tags.conf');

/** What a search over the sourcetype sees for one HEC envelope: fields, event types, tags. */
const searchTime = (envelope: ReturnType<typeof toSplunkHec>) => {
  const fields: Fields = new Map([
    ['sourcetype', envelope.sourcetype],
    ['source', envelope.source],
    ['host', envelope.host],
  ]);
  if (props.get('KV_MODE') !== 'json') throw new Error('the sourcetype does not extract JSON');
  extractJson(JSON.parse(JSON.stringify(envelope.event)), '', fields);
  for (const [name, value] of Object.entries(envelope.fields)) fields.set(name, value);
  for (const [key, value] of props) {
    if (!key.startsWith('FIELDALIAS-')) continue;
    const words = value.split(/\s+/);
    for (let index = 0; index + 2 < words.length + 1; index += 3) {
      const [from, mode, to] = words.slice(index, index + 3) as [string, string, string];
      const original = fields.get(from);
      if (mode !== 'AS' && mode !== 'ASNEW') throw new Error(`FIELDALIAS: ${mode} is not implemented here`);
      if (original !== undefined && (mode === 'AS' || !fields.has(to))) fields.set(to, original);
    }
  }
  const before = new Map(fields);
  for (const [key, value] of props) {
    if (!key.startsWith('EVAL-')) continue;
    const result = evaluate(value, before);
    if (result === null) fields.delete(key.slice(5));
    else fields.set(key.slice(5), String(result));
  }
  const types = [...eventtypes].filter(([, stanza]) => matchesSearch(stanza.get('search') ?? '', fields)).map(([name]) => name);
  const tagged = types.flatMap((type) => [...(tags.get(`eventtype=${type}`) ?? [])].filter(([, state]) => state === 'enabled').map(([tag]) => tag));
  return { fields, eventtypes: types, tags: tagged };
};

/** The CIM Authentication fields the issue requires, and the values CIM prescribes for `action`. */
const CIM_REQUIRED = ['action', 'app', 'src', 'user', 'dest', 'signature'] as const;

let events: SourcedEvent[] = [];
beforeAll(async () => {
  events = await pipelineEvents();
});
const seen = () =>
  events.map(({ source, event }) => ({ source, event, ...searchTime(toSplunkHec(event, { sourcetype: SOURCETYPE, source: 'authtrail' })) }));

describe('Splunk: CIM Authentication from real records', () => {
  it('every sign-in result and token event is tagged authentication and carries every required CIM field', () => {
    // Act
    const authentication = seen().filter((item) => item.tags.includes('authentication'));

    // Assess
    expect(authentication.length).toBeGreaterThanOrEqual(20);
    for (const item of authentication) {
      for (const field of CIM_REQUIRED) expect({ source: item.source, field, value: item.fields.get(field) }).toEqual({ source: item.source, field, value: expect.any(String) });
      expect(['success', 'failure']).toContain(item.fields.get('action'));
      if (item.fields.get('action') === 'failure') expect(item.fields.get('reason'), item.source).toEqual(expect.any(String));
    }
    expect(new Set(authentication.map((item) => item.fields.get('action')))).toEqual(new Set(['success', 'failure']));
  });

  it('only authentication results are in the data model: attempts, sign-ups and account changes are not', () => {
    // Act
    const outside = seen().filter((item) => !item.tags.includes('authentication'));

    // Assess
    expect(outside.length).toBeGreaterThan(0);
    for (const item of outside) {
      expect(item.event.category === 'signup' || item.event.category === 'account' || item.event.outcome === 'attempted', item.source).toBe(true);
    }
    expect(seen().filter((item) => item.event.category === 'signin' && item.event.outcome !== 'attempted').every((item) => item.tags.includes('authentication'))).toBe(true);
  });

  it('maps field by field: a denied sign-in, a kept-IP Cognito log sign-in, client credentials', () => {
    // Prepare
    const all = seen();
    const denied = all.find((item) => item.event.trigger.source === 'PreAuthentication_Authentication' && item.event.outcome === 'denied');
    const logged = all.find((item) => item.source === 'cognito-logs line 1 (IP kept)');
    const m2m = all.find((item) => item.event.action === 'client_credentials');

    // Assess: a denied attempt is a result (failure)
    expect(denied?.fields.get('action')).toBe('failure');
    expect(denied?.fields.get('reason')).toBe(denied?.event.reason?.message);
    expect(denied?.fields.get('signature')).toBe('signin.attempt');
    expect(Object.fromEntries(['action', 'src', 'dest', 'user', 'app', 'signature', 'authtrail_action'].map((field) => [field, logged?.fields.get(field)]))).toEqual({
      action: 'success',
      src: '192.0.2.44',
      dest: 'eu-west-1_Xq9Lk2MfA',
      user: logged?.event.user.username,
      app: '3n4b5urk1ft4fl3mg5e62d9ado', // Cognito logs name the client by id only
      signature: 'signin.authenticate',
      authtrail_action: 'authenticate',
    });
    expect(m2m?.fields.get('user')).toBe('reporting-service');
    expect(m2m?.fields.get('src')).toBe('unknown');
  });

  it('the evaluators refuse what they do not implement rather than guess', () => {
    // Assess
    expect(() => evaluate('lower(\'a\')', new Map())).toThrow(/lower is not implemented/);
    expect(() => matchesSearch('category=signin', new Map())).toThrow(/not implemented/);
  });
});
