/**
 * The local Security Lake objects, read back by an independent Parquet reader
 * (DuckDB, @duckdb/node-api: a C++ reader, not the JS writer's family), for every
 * AuthEvent the pipeline produces (test/siem/pipeline-events.ts): the documented
 * key layout (AWS: "Collecting data from custom sources in Security Lake"), one
 * class per object and per source, rows sorted by time, each in its own UTC day,
 * ZSTD, nested objects as structs, and every row valid against the official OCSF
 * 1.3.0 schema (test/fixtures/ocsf/1.3.0/).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { LOCAL_ACCOUNT_ID, securityLakeDir, writeLocalSecurityLake } from '../../local/security-lake/local-sink.ts';
import { DEFAULT_SOURCES, eventDayOf, securityLakeObjects } from '../../lib/security-lake/objects.ts';
import { CLASS_COLUMNS, type Column } from '../../lib/security-lake/columns.ts';
import { encodeParquet, SecurityLakeProblem, SecurityLakeSchemaError } from '../../lib/security-lake/parquet.ts';
import { OCSF_PROFILES, toOcsf } from '../../lib/siem/ocsf.ts';
import { loadOcsfSchema, OCSF_SCHEMA_DIR } from '../siem/ocsf-validator.ts';
import { pipelineEvents } from '../siem/pipeline-events.ts';
import { ROOT } from '../helpers/fixtures.ts';

const schema = loadOcsfSchema(OCSF_SCHEMA_DIR);
const store = mkdtempSync(join(tmpdir(), 'authtrail-lake-'));
const KEY_LAYOUT = /^ext\/([a-z0-9_]+)\/region=([a-z0-9][a-z0-9-]*)\/accountId=(\d{12})\/eventDay=(\d{8})\/([0-9a-f]{32})\.parquet$/;

let events: AuthEvent[] = [];
let duck: DuckDBInstance;
let connection: DuckDBConnection;

const filesUnder = (directory: string): string[] =>
  readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(directory, entry))
    .filter((path) => statSync(path).isFile());

/** DuckDB's JS values back to JSON's: BIGINT -> number, NULL -> absent, MAP entries -> an object. */
const fromDuck = (value: unknown): unknown => {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromDuck);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, child]) => child !== null);
    return Object.fromEntries(entries.map(([key, child]) => [key, fromDuck(child)]));
  }
  return value;
};
const mapToObject = (entries: unknown): Record<string, unknown> =>
  Object.fromEntries((entries as { key: string; value: unknown }[]).map(({ key, value }) => [key, value]));

const readRows = async (file: string): Promise<Record<string, any>[]> => {
  const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${file.replaceAll("'", "''")}', hive_partitioning = false)`);
  return reader.getRowObjectsJS().map(({ unmapped, ...row }) => ({
    ...(fromDuck(row) as Record<string, unknown>),
    ...(unmapped === null ? {} : { unmapped: mapToObject(unmapped) }),
  }));
};

beforeAll(async () => {
  events = (await pipelineEvents()).map(({ event }) => event);
  writeLocalSecurityLake(events, { storeDir: store, stage: 'dev' });
  duck = await DuckDBInstance.create(':memory:');
  connection = await duck.connect();
});
afterAll(() => {
  connection?.closeSync();
  duck?.closeSync();
  rmSync(store, { recursive: true, force: true });
});

describe('Security Lake: the local objects, read back by DuckDB', () => {
  it('lays every object out as ext/<source>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<name>.parquet, nothing else', () => {
    // Act
    const keys = filesUnder(securityLakeDir(store, 'dev')).map((file) => relative(securityLakeDir(store, 'dev'), file).split(sep).join('/'));

    // Assess
    expect(keys.length).toBeGreaterThan(1);
    for (const key of keys) expect(key).toMatch(KEY_LAYOUT);
    expect(new Set(keys.map((key) => key.match(KEY_LAYOUT)?.[1]))).toEqual(new Set(Object.values(DEFAULT_SOURCES)));
    expect(new Set(keys.map((key) => key.match(KEY_LAYOUT)?.[3]))).toEqual(new Set([LOCAL_ACCOUNT_ID]));
  });

  it('holds every selected event once, one class per object and per source, sorted by time, each in its own UTC day and region, every row valid OCSF 1.3.0', async () => {
    // Prepare
    const root = securityLakeDir(store, 'dev');
    const classesBySource = new Map<string, Set<number>>();
    const seen: string[] = [];
    const problems: string[] = [];

    // Act
    for (const file of filesUnder(root)) {
      const [, source, region, , eventDay] = relative(root, file).split(sep).join('/').match(KEY_LAYOUT) ?? [];
      const rows = await readRows(file);
      const classes = classesBySource.get(source as string) ?? new Set();
      for (const row of rows) classes.add(row.class_uid);
      classesBySource.set(source as string, classes);
      expect(new Set(rows.map((row) => row.class_uid)).size).toBe(1);
      expect(rows.map((row) => row.time)).toEqual(rows.map((row) => row.time).sort((a, b) => a - b));
      for (const row of rows) {
        expect(eventDayOf(row.time)).toBe(eventDay);
        expect(row.cloud.region).toBe(region);
        seen.push(row.metadata.uid);
        const { errors } = schema.validate(row);
        problems.push(...errors.map((issue) => `${row.metadata.uid}: ${issue.code} at ${issue.path}: ${issue.message}`));
      }
    }

    // Assess
    expect(problems).toEqual([]);
    expect(classesBySource).toEqual(new Map([[DEFAULT_SOURCES[3001], new Set([3001])], [DEFAULT_SOURCES[3002], new Set([3002])]]));
    expect(seen.sort()).toEqual([...new Set(events.map((event) => event.id))].sort());
  });

  it('reads back exactly what toOcsf produced: nested objects as structs and lists, unmapped as dotted keys', async () => {
    // Prepare
    const root = securityLakeDir(store, 'dev');
    const expected = new Map(events.map((event) => [event.id, JSON.parse(JSON.stringify(toOcsf(event)))]));

    // Act
    const rows = (await Promise.all(filesUnder(root).map(readRows))).flat();
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${filesUnder(root)[0]}', hive_partitioning = false)`);
    const types = Object.fromEntries(described.getRowObjectsJS().map((row) => [row.column_name, row.column_type]));

    // Assess
    for (const row of rows) {
      const { unmapped, ...record } = expected.get(row.metadata.uid);
      expect({ ...row, unmapped: undefined }).toEqual({ ...record, unmapped: undefined });
      expect(Object.keys(row.unmapped)).toContain('pipeline.version');
      expect(row.unmapped.stage).toBe(unmapped.stage);
    }
    expect(types.metadata).toMatch(/^STRUCT\(/);
    expect(types.observables).toMatch(/^STRUCT\(.*\)\[\]$/);
    expect(types.time).toBe('BIGINT');
    expect(types.unmapped).toBe('MAP(VARCHAR, VARCHAR)');
  });

  it('compresses every column chunk with ZSTD', async () => {
    // Act
    const codecs = new Set<string>();
    for (const file of filesUnder(securityLakeDir(store, 'dev'))) {
      const reader = await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
      for (const row of reader.getRowObjectsJS()) codecs.add(String(row.compression));
    }

    // Assess
    expect(codecs).toEqual(new Set(['ZSTD']));
  });
});

/** Dotted attribute paths of a column set, down to its leaves (a list's items share the list's path, as in OCSF). */
const leafPaths = (columns: Readonly<Record<string, Column>>, prefix = ''): string[] =>
  Object.entries(columns).flatMap(([name, column]) => {
    let inner: Column = column;
    while (inner.kind === 'list') inner = inner.of;
    return inner.kind === 'struct' ? leafPaths(inner.fields, `${prefix}${name}.`) : [`${prefix}${name}`];
  });

describe('Security Lake: the column set of each class', () => {
  it('names only attributes of its class in the official OCSF 1.3.0 schema (with the cloud profile)', () => {
    // Act
    const strays = Object.entries(CLASS_COLUMNS).flatMap(([classUid, columns]) =>
      leafPaths(columns).filter((path) => !schema.hasAttributePath(Number(classUid), path, OCSF_PROFILES)).map((path) => `${classUid}: ${path}`),
    );

    // Assess
    expect(leafPaths(CLASS_COLUMNS[3002])).toContain('session.issuer');
    expect(strays).toEqual([]);
  });

  it('types every column as the OCSF dictionary types its attribute (scalar kind, array or object)', () => {
    // Prepare
    const dictionary = JSON.parse(readFileSync(join(OCSF_SCHEMA_DIR, 'dictionary.json'), 'utf8'));
    const baseTypes: Record<string, { type?: string }> = dictionary.types.attributes;
    const KIND_OF_BASE: Record<string, Column['kind']> = { string_t: 'string', integer_t: 'int32', long_t: 'int64', boolean_t: 'boolean' };
    /** What the dictionary makes of an attribute: its Parquet kind, and whether it is an array. */
    const expectedOf = (name: string): { kind: string; isArray: boolean } => {
      const attribute = dictionary.attributes[name];
      const type: string = attribute.type;
      const base = type.endsWith('_t') ? (baseTypes[type]?.type ?? type) : 'object';
      return { kind: name === 'unmapped' ? 'stringMap' : base === 'object' ? 'struct' : (KIND_OF_BASE[base] ?? `unmapped type ${base}`), isArray: attribute.is_array === true };
    };
    const mismatches: string[] = [];
    const check = (columns: Readonly<Record<string, Column>>, prefix: string) => {
      for (const [name, column] of Object.entries(columns)) {
        const isArray = column.kind === 'list';
        const inner = column.kind === 'list' ? column.of : column;
        const expected = expectedOf(name);
        if (expected.kind !== inner.kind || expected.isArray !== isArray) mismatches.push(`${prefix}${name}: ${JSON.stringify(expected)}`);
        if (inner.kind === 'struct') check(inner.fields, `${prefix}${name}.`);
      }
    };

    // Act
    for (const columns of Object.values(CLASS_COLUMNS)) check(columns, '');

    // Assess
    expect(expectedOf('time')).toEqual({ kind: 'int64', isArray: false });
    expect(mismatches).toEqual([]);
  });
});

describe('Security Lake: objects and keys', () => {
  it('names an object from its event ids: a redelivery, in any order and with duplicates, gives the same keys', () => {
    // Prepare
    const target = { sources: DEFAULT_SOURCES, accountId: '111122223333' };

    // Act
    const first = securityLakeObjects(events, target).objects.map((object) => object.key);
    const again = securityLakeObjects([...events].reverse().concat(events.slice(0, 5)), target).objects.map((object) => object.key);

    // Assess
    expect(again).toEqual(first);
  });

  it('splits one batch across the days of its events, not the day it is written', () => {
    // Prepare
    const [event] = events.filter((candidate) => candidate.cognitoLog === undefined);
    const late = { ...event!, id: `${event!.id}-late`, time: '2026-03-01T23:59:59.999Z' };
    const early = { ...event!, id: `${event!.id}-early`, time: '2026-03-02T00:00:00.000Z' };

    // Act
    const { objects } = securityLakeObjects([early, late], { sources: DEFAULT_SOURCES, accountId: LOCAL_ACCOUNT_ID });

    // Assess
    expect(objects.map((object) => object.eventDay)).toEqual(['20260301', '20260302']);
  });

  it('refuses, by id, an event whose region would take its key out of its partition, and writes the others', () => {
    // Prepare
    const [event] = events.filter((candidate) => candidate.cognitoLog === undefined);
    const regions = ['../../../etc', 'eu-west-1/../x', 'EU-WEST-1', 'eu-west-1\u0000', 'eu-west-１', ''];
    const hostile = regions.map((region, index) => ({ ...event!, id: `hostile-${index}`, userPool: { ...event!.userPool, region } }));

    // Act
    const { objects, refused } = securityLakeObjects([event!, ...hostile], { sources: DEFAULT_SOURCES, accountId: LOCAL_ACCOUNT_ID });

    // Assess
    expect(refused.map((entry) => entry.id)).toEqual(hostile.map((entry) => entry.id));
    for (const entry of refused) expect(entry.reason).toBe('userPool.region cannot name a partition (a-z, 0-9 and - only)');
    expect(objects.flatMap((object) => object.records.map((record) => record.metadata.uid))).toEqual([event!.id]);
    for (const object of objects) expect(object.key).toMatch(KEY_LAYOUT);
  });

  it('refuses a record with an attribute outside its class columns, naming the path, not the value', () => {
    // Prepare
    const record = { ...toOcsf(events[0]!), secret_field: 'do-not-echo' };
    const nested = { ...toOcsf(events[0]!), metadata: { ...toOcsf(events[0]!).metadata, extra: 'do-not-echo' } };

    // Act
    const refusals = [record, nested].map((candidate) => {
      try {
        encodeParquet(candidate.class_uid, [candidate]);
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(SecurityLakeSchemaError);
      expect((refusal as SecurityLakeSchemaError).code).toBe(SecurityLakeProblem.NotInSchema);
      expect((refusal as Error).message).not.toContain('do-not-echo');
    }
    expect((refusals[1] as Error).message).toContain('metadata.extra');
  });

  it('refuses a value of the wrong type rather than writing it', () => {
    // Prepare
    const record = { ...toOcsf(events[0]!), time: 'yesterday' };

    // Act
    const act = () => encodeParquet(record.class_uid, [record as never]);

    // Assess
    expect(act).toThrow(expect.objectContaining({ code: SecurityLakeProblem.WrongType }));
  });
});

describe('Security Lake: npm start', () => {
  it('writes the replayed events as lake objects under <store>/<stage>/security-lake/ and says so in the summary', () => {
    // Prepare
    const cliStore = mkdtempSync(join(tmpdir(), 'authtrail-lake-cli-'));

    try {
      // Act
      const run = spawnSync(process.execPath, ['bin/replay.ts', '--store', cliStore, '--fresh', '--no-siem', 'events/'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, AUTHTRAIL_PII_HASH_KEY: 'lake-test-key-0123456789' },
      });

      // Assess
      expect(run.status).toBe(0);
      const root = securityLakeDir(cliStore, 'dev');
      const keys = filesUnder(root).map((file) => relative(root, file).split(sep).join('/'));
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) expect(key).toMatch(KEY_LAYOUT);
      expect(run.stdout).toMatch(new RegExp(`security-lake\\s+31\\s+.*security-lake \\(${keys.length} object\\(s\\)\\)`));
    } finally {
      rmSync(cliStore, { recursive: true, force: true });
    }
  });
});
