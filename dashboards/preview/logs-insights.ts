/**
 * Runs the Logs Insights queries of dashboards/queries.ts on local records (the
 * local store's events log), for the preview. Only the subset those queries use:
 * `filter` (=, !=, and, or, not, parentheses, ispresent()), `fields`,
 * `stats count(*) as name, count_distinct(field) as name by fields`, `sort field asc|desc`, `limit n`, and
 * `SOURCE '...'` (ignored). A JSON boolean equals 1 / 0, as in Logs Insights.
 * Anything else throws, naming it.
 */
type Row = Record<string, unknown>;

const valueAt = (record: Row, field: string): unknown => {
  if (field === '@timestamp') return record.time;
  let current: unknown = record;
  for (const part of field.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
};

const normalise = (value: unknown): unknown => (value === true ? 1 : value === false ? 0 : value);

const tokenize = (text: string): string[] => text.match(/"[^"]*"|\(|\)|!=|=|[^\s()=!]+/g) ?? [];

const compileFilter = (text: string): ((record: Row) => boolean) => {
  const tokens = tokenize(text);
  let position = 0;
  const next = () => tokens[position++];
  const peek = () => tokens[position];
  const operand = (token: string): ((record: Row) => unknown) => {
    if (token.startsWith('"')) return () => token.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(token)) return () => Number(token);
    return (record) => normalise(valueAt(record, token));
  };
  const primary = (): ((record: Row) => boolean) => {
    const token = next();
    if (token === undefined) throw new Error(`incomplete filter: ${text}`);
    if (token === '(') {
      const inner = or();
      if (next() !== ')') throw new Error(`unbalanced parentheses: ${text}`);
      return inner;
    }
    if (token === 'not') {
      const inner = primary();
      return (record) => !inner(record);
    }
    if (token === 'ispresent') {
      if (next() !== '(') throw new Error(`ispresent( expected: ${text}`);
      const field = next()!;
      if (next() !== ')') throw new Error(`ispresent(...) not closed: ${text}`);
      return (record) => valueAt(record, field) !== undefined;
    }
    const left = operand(token);
    const op = next();
    const rightToken = next();
    if ((op !== '=' && op !== '!=') || rightToken === undefined) throw new Error(`unsupported comparison near "${token}": ${text}`);
    const right = operand(rightToken);
    return op === '=' ? (record) => left(record) === right(record) : (record) => left(record) !== right(record);
  };
  const and = (): ((record: Row) => boolean) => {
    let result = primary();
    while (peek() === 'and') {
      next();
      const left = result;
      const right = primary();
      result = (record) => left(record) && right(record);
    }
    return result;
  };
  const or = (): ((record: Row) => boolean) => {
    let result = and();
    while (peek() === 'or') {
      next();
      const left = result;
      const right = and();
      result = (record) => left(record) || right(record);
    }
    return result;
  };
  const predicate = or();
  if (position !== tokens.length) throw new Error(`unexpected "${tokens[position]}" in filter: ${text}`);
  return predicate;
};

const splitFields = (text: string): string[] => text.split(',').map((field) => field.trim()).filter((field) => field !== '');

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/** Runs `query` over `records` (EventBridge envelopes, as the events log group holds them). */
export const runQuery = (query: string, records: readonly Row[]): QueryResult => {
  let rows: Row[] = [...records];
  let columns: string[] | undefined;
  for (const raw of query.split(/\n?\|\s*/)) {
    const command = raw.trim();
    if (command === '' || command.startsWith('SOURCE ')) continue;
    const verb = command.split(/\s+/, 1)[0]!;
    const rest = command.slice(verb.length).trim();
    if (verb === 'filter') {
      const predicate = compileFilter(rest);
      rows = rows.filter(predicate);
    } else if (verb === 'fields') {
      columns = splitFields(rest);
      rows = rows.map((row) => Object.fromEntries(columns!.map((field) => [field, normalise(valueAt(row, field))])));
    } else if (verb === 'stats') {
      const match = /^(.+?)\s+by\s+(.+)$/.exec(rest);
      if (match === null) throw new Error(`unsupported stats: ${rest}`);
      const [, aggregateText, byText] = match as unknown as [string, string, string];
      // count(*) and count_distinct(field), each `as name`: what the saved queries use.
      const aggregates = splitFields(aggregateText).map((text) => {
        const aggregate = /^(count)\(\*\)\s+as\s+(\w+)$/.exec(text) ?? /^(count_distinct)\(([\w.@]+)\)\s+as\s+(\w+)$/.exec(text);
        if (aggregate === null) throw new Error(`unsupported stats: ${rest}`);
        return aggregate[1] === 'count' ? { name: aggregate[2]!, field: undefined } : { name: aggregate[3]!, field: aggregate[2]! };
      });
      const by = splitFields(byText);
      const groups = new Map<string, { row: Row; distinct: Set<string>[] }>();
      for (const row of rows) {
        const values = by.map((field) => normalise(valueAt(row, field)));
        const key = JSON.stringify(values);
        const group = groups.get(key) ?? {
          row: Object.fromEntries(by.map((field, index) => [field, values[index]])),
          distinct: aggregates.map(() => new Set<string>()),
        };
        aggregates.forEach((aggregate, index) => {
          if (aggregate.field === undefined) group.row[aggregate.name] = ((group.row[aggregate.name] as number | undefined) ?? 0) + 1;
          else {
            const value = valueAt(row, aggregate.field);
            if (value !== undefined) group.distinct[index]!.add(JSON.stringify(value));
            group.row[aggregate.name] = group.distinct[index]!.size;
          }
        });
        groups.set(key, group);
      }
      rows = [...groups.values()].map((group) => group.row);
      columns = [...by, ...aggregates.map((aggregate) => aggregate.name)];
    } else if (verb === 'sort') {
      const [field, direction = 'asc'] = rest.split(/\s+/) as [string, string?];
      const sign = direction === 'desc' ? -1 : 1;
      const get = (row: Row) => (field in row ? row[field] : valueAt(row, field));
      rows = [...rows].sort((a, b) => {
        const x = get(a) as string | number;
        const y = get(b) as string | number;
        return x === y ? 0 : x > y ? sign : -sign;
      });
    } else if (verb === 'limit') {
      rows = rows.slice(0, Number(rest));
    } else {
      throw new Error(`unsupported command "${verb}"`);
    }
  }
  const finalColumns = columns ?? ['@timestamp', 'detail.category', 'detail.action', 'detail.outcome'];
  return {
    columns: finalColumns,
    rows: rows.map((row) => finalColumns.map((column) => (column in row ? row[column] : normalise(valueAt(row, column))))),
  };
};
