/**
 * OCSF records of one class -> one Parquet object, with hyparquet-writer (the
 * choice and the comparison with parquet-wasm and @dsnp/parquetjs:
 * docs/security-lake.md). Nested OCSF objects are Parquet structs and arrays are
 * LISTs (./columns.ts); data pages stay under Security Lake's 1 MB and row groups
 * far under its 256 MB (PAGE_TARGET_BYTES, ROW_GROUP_ROWS); compression is ZSTD,
 * which Security Lake prefers, through Node's own zlib (no native or wasm dependency).
 *
 * Only the Security Lake writer imports this module, never a trigger: the
 * triggers' bundles stay free of the Parquet writer (test/security-lake/).
 */
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { OcsfClass } from '../siem/ocsf.ts';
import { AuthtrailError } from '../errors.ts';
import { CLASS_COLUMNS, type Column } from './columns.ts';

export const SecurityLakeProblem = { NotInSchema: 'NOT_IN_SCHEMA', WrongType: 'WRONG_TYPE' } as const;
export type SecurityLakeProblem = (typeof SecurityLakeProblem)[keyof typeof SecurityLakeProblem];

/** A record that does not fit its class's columns: names the attribute path, never its value. */
export class SecurityLakeSchemaError extends AuthtrailError {
  readonly code: SecurityLakeProblem;
  constructor(code: SecurityLakeProblem, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecurityLakeSchemaError';
    this.code = code;
  }
}

/** hyparquet's schema element, taken from the writer's own signature (hyparquet is its dependency, not ours). */
type SchemaElement = NonNullable<Parameters<typeof parquetWriteBuffer>[0]['schema']>[number];

const PRIMITIVE: Readonly<Record<'string' | 'int32' | 'int64' | 'boolean', Omit<SchemaElement, 'name'>>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  int32: { type: 'INT32' },
  int64: { type: 'INT64' },
  boolean: { type: 'BOOLEAN' },
};

/** The flattened Parquet schema elements of one column (depth-first, as the format stores them). */
const elementsOf = (name: string, column: Column): SchemaElement[] => {
  switch (column.kind) {
    case 'struct': {
      const children = Object.entries(column.fields).flatMap(([child, field]) => elementsOf(child, field));
      return [{ name, repetition_type: 'OPTIONAL', num_children: Object.keys(column.fields).length }, ...children];
    }
    case 'list':
      // The three-level LIST of the Parquet spec (LogicalTypes.md), as Athena and Glue read it.
      return [
        { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...elementsOf('element', column.of),
      ];
    case 'stringMap':
      return [
        { name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', repetition_type: 'REQUIRED', ...PRIMITIVE.string },
        { name: 'value', repetition_type: 'OPTIONAL', ...PRIMITIVE.string },
      ];
    default:
      return [{ name, repetition_type: 'OPTIONAL', ...PRIMITIVE[column.kind] }];
  }
};

export const parquetSchemaOf = (classUid: OcsfClass): SchemaElement[] => {
  const columns = Object.entries(CLASS_COLUMNS[classUid]);
  return [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(([name, column]) => elementsOf(name, column))];
};

/** `unmapped`'s nested content as dotted paths with text values (non-strings as JSON). */
const flattenToStrings = (value: unknown, prefix: string, into: Record<string, string>): Record<string, string> => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flattenToStrings(child, prefix === '' ? key : `${prefix}.${key}`, into);
  } else if (value !== undefined) {
    into[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return into;
};

const wrongType = (path: string, kind: string) =>
  new SecurityLakeSchemaError(SecurityLakeProblem.WrongType, `OCSF attribute ${path} is not a ${kind} as its Parquet column says`);

/** A record's value as the writer takes it for the column, checked against it. */
const valueFor = (path: string, column: Column, value: unknown): unknown => {
  if (value === undefined || value === null) return undefined;
  switch (column.kind) {
    case 'string':
      if (typeof value !== 'string') throw wrongType(path, 'string');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType(path, 'boolean');
      return value;
    case 'int32':
    case 'int64':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrongType(path, 'integer');
      if (column.kind === 'int32' && Math.abs(value) > 2 ** 31 - 1) throw wrongType(path, '32-bit integer');
      return column.kind === 'int64' ? BigInt(value) : value;
    case 'stringMap':
      if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'object');
      return flattenToStrings(value, '', {});
    case 'list':
      if (!Array.isArray(value)) throw wrongType(path, 'array');
      return value.map((item, index) => valueFor(`${path}[${index}]`, column.of, item));
    case 'struct':
      return structFor(path, column.fields, value);
  }
};

const structFor = (path: string, fields: Readonly<Record<string, Column>>, value: unknown): Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw wrongType(path, 'object');
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(fields, key)) {
      throw new SecurityLakeSchemaError(SecurityLakeProblem.NotInSchema, `OCSF attribute ${path === '' ? '' : `${path}.`}${key} has no Parquet column`);
    }
  }
  return Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, valueFor(path === '' ? key : `${path}.${key}`, field, (value as Record<string, unknown>)[key])]));
};

/**
 * hyparquet-writer closes a page at the first row boundary past this many
 * uncompressed bytes, so a page holds at most this plus one row's value of its
 * column; one row comes from one SQS message (256 KiB at most). 512 KiB + 256 KiB
 * stays under Security Lake's 1 MB (10^6 bytes) data page limit, which the writer's
 * default (1 MiB, plus a row) would not.
 */
export const PAGE_TARGET_BYTES = 512 * 1024;

/**
 * Rows per row group: an SQS event source batch holds at most 10 000 messages (and
 * 6 MB of them), so every object the writer makes is one row group of a few MB,
 * far under Security Lake's 256 MB row group limit.
 */
export const ROW_GROUP_ROWS = 10_000;

/** ZSTD at level 3, zstd's own default: Security Lake's preferred codec. */
const zstd = (input: Uint8Array): Uint8Array => zstdCompressSync(input);

/**
 * ZSTD is what the lake gets; SNAPPY and GZIP (Firehose's Parquet codecs) exist only
 * to compare sizes (bench/security-lake-cost.ts). SNAPPY is built into the writer.
 */
export type ParquetCodec = 'ZSTD' | 'SNAPPY' | 'GZIP';
const COMPRESSORS = { ZSTD: zstd, GZIP: (input: Uint8Array): Uint8Array => gzipSync(input) } as const;

/**
 * One Parquet object from OCSF records of one class (already in the order they
 * are to be stored). Refuses a record outside the class's columns.
 */
export const encodeParquet = (classUid: OcsfClass, records: readonly object[], codec: ParquetCodec = 'ZSTD'): Uint8Array => {
  const columns = CLASS_COLUMNS[classUid];
  const rows = records.map((record) => structFor('', columns, record));
  const buffer = parquetWriteBuffer({
    schema: parquetSchemaOf(classUid),
    columnData: Object.keys(columns).map((name) => ({ name, data: rows.map((row) => row[name]) })),
    codec,
    compressors: COMPRESSORS,
    pageSize: PAGE_TARGET_BYTES,
    rowGroupSize: ROW_GROUP_ROWS,
    createdBy: 'authtrail',
  });
  return new Uint8Array(buffer);
};
