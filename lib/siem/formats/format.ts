/**
 * What a SIEM wire format is: one object per format (./ndjson.ts, ./json.ts,
 * ./splunk-hec.ts, ./ocsf.ts), registered in ./index.ts. Delivery, the secret's
 * schema, the stage config and the local receiver read everything
 * format-specific from here, never by comparing a format's name.
 *
 * Each event is encoded on its own first (one "record"), so batching can count
 * bytes before a body exists; a body is the records joined by the format's
 * framing. Every record carries the AuthEvent id, so a SIEM can drop Cognito's
 * retries and our redeliveries, and `decode` finds it again.
 */
import type { AuthEvent } from '../../auth-event/schema.ts';
import { AuthtrailError, ConfigError, messageOf } from '../../errors.ts';
import { parseJson } from '../../json-parse.ts';
import type { SplunkOptions } from './splunk-hec.ts';

/** How records are joined into one body. */
export interface Framing {
  readonly open: string;
  readonly separator: string;
  readonly close: string;
}

/** The per-format options of a stage's SIEM settings (`siem.splunk` in the stage config). */
export interface FormatOptions {
  splunk: SplunkOptions;
}

/**
 * A credential a format needs beyond the webhook secrets, and where it comes from:
 * the field `key` of the deployed SIEM secret's JSON (lib/siem/secrets.ts), the
 * variable `env` in local runs. Never logged; messages name `key` and `env`, never the value.
 */
export interface FormatCredential<Key extends string = string> {
  readonly key: Key;
  readonly env: string;
  /** What it is, for messages: "a HEC token". */
  readonly description: string;
}

/** One record of a body, read back: the AuthEvent id it carries and the record. */
export interface DecodedRecord<Name extends string = string> {
  /** The AuthEvent id the record carries. */
  id: string;
  format: Name;
  record: Record<string, unknown>;
  /** The record's JSON text as it arrived, when the body had it on its own (not inside an array). */
  text?: string;
}

/** A body that is not records of the format it was read as. Messages name offsets and fields, never content. */
export class DecodeError extends AuthtrailError {
  readonly code = 'UNDECODABLE_BODY' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

/** What a format's file writes; `defineSiemFormat` adds `decode`. */
export interface SiemFormatSpec<Name extends string = string, Key extends string = string> {
  /** The name in the stage config (`siem.format`), `--siem-format` and the receiver's stats. */
  readonly name: Name;
  readonly contentType: string;
  readonly framing: Framing;
  /** One event as this format's record: a JSON text without framing. */
  encodeRecord(event: AuthEvent, options: FormatOptions): string;
  /** Credentials this format cannot deliver without (besides the webhook secrets every format signs with). */
  readonly credentials: readonly FormatCredential<Key>[];
  /** Request headers derived from those credentials; they win over a static header of the same name. */
  headers(credentials: Readonly<Record<Key, string>>): Readonly<Record<string, string>>;
  /**
   * Reads one record of a body back: its AuthEvent id; undefined when the record
   * is not of this format; DecodeError when it is but has no id where this format keeps it.
   */
  readRecord(record: Record<string, unknown>): string | undefined;
  /** What a record of this format is, for the receiver's "neither … nor …" message: "an AuthEvent". */
  readonly recordKind: string;
  /**
   * Speaks Splunk's HTTP Event Collector protocol beyond the body (lib/siem/hec.ts):
   * a channel, indexer acknowledgment, HEC status codes, and 400s that refuse one
   * event of a batch (`invalid-event-number`). Delivery and the local receiver
   * switch that behaviour on by this capability, not by the format's name.
   */
  readonly hecProtocol?: true;
}

export interface SiemFormatModule<Name extends string = string, Key extends string = string> extends SiemFormatSpec<Name, Key> {
  /** A body of this format read back into its records (the inverse of framing and encoding), for the local receiver and tests. */
  decode(body: string): DecodedRecord<Name>[];
}

/** A format as one object; `const` keeps its name a literal type, from which the registry derives `SiemFormat`. */
export const defineSiemFormat = <const Name extends string, const Key extends string = never>(
  spec: SiemFormatSpec<Name, Key>,
): SiemFormatModule<Name, Key> => {
  const module: SiemFormatModule<Name, Key> = {
    ...spec,
    decode: (body) => {
      const split = splitBody(body);
      if (split.array !== isArrayFraming(spec.framing)) {
        throw new DecodeError(isArrayFraming(spec.framing) ? 'expected a JSON array' : 'expected records one after another, not a JSON array');
      }
      return readRecords([module], split);
    },
  };
  return module;
};

/**
 * The credentials `format` requires, taken from `credentials`; a ConfigError naming
 * every missing one (its secret field and variable, never a value) when any is absent.
 */
export const requireCredentials = <Key extends string>(
  format: SiemFormatModule<string, Key>,
  credentials: Readonly<Partial<Record<Key, string | undefined>>>,
): Readonly<Record<Key, string>> => {
  const missing = format.credentials.filter(({ key }) => {
    const value: unknown = credentials[key];
    return typeof value !== 'string' || value === '';
  });
  if (missing.length > 0) {
    const needs = missing.map(({ key, env, description }) => `${description} (${key} in the SIEM secret, or ${env} locally)`);
    throw new ConfigError(`the ${format.name} format needs ${needs.join(' and ')}`);
  }
  return Object.fromEntries(format.credentials.map(({ key }) => [key, credentials[key] as string])) as Record<Key, string>;
};

/** The shared way to read an AuthEvent id: 32 lowercase hex digits, nothing else. */
export const authEventIdOf = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[0-9a-f]{32}$/.test(value) ? value : undefined;

/** An AuthEvent as a record (`ndjson`, `json`): its own `id`, and `schemaVersion` to tell it from any other JSON object with an id. */
export const readAuthEventRecord = (record: Record<string, unknown>): string | undefined => {
  const id = authEventIdOf(record.id);
  return id !== undefined && record.schemaVersion !== undefined ? id : undefined;
};

export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a framing wraps its records in one JSON array (`json`) rather than writing them one after another. */
export const isArrayFraming = (framing: Framing): boolean => framing.open.trimStart().startsWith('[');

/** Splits concatenated JSON values (`{..}{..}` or `{..}\n{..}`) without assuming newlines. */
export const splitConcatenatedJson = (text: string): string[] => {
  const values: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      if (depth === 0) start = index;
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth < 0) throw new DecodeError(`unbalanced "${char}" at offset ${index}`);
      if (depth === 0) values.push(text.slice(start, index + 1));
    } else if (depth === 0 && !/\s/.test(char ?? '')) {
      throw new DecodeError(`unexpected "${char}" between records at offset ${index}`);
    }
  }
  if (depth !== 0 || inString) throw new DecodeError('body ends inside a record');
  return values;
};

/** A body cut back into its records, before any format reads them. */
export interface SplitBody {
  /** A JSON array body (array framing) rather than records one after another. */
  array: boolean;
  items: { record: Record<string, unknown>; text?: string }[];
}

/**
 * The inverse of every framing we send: a JSON array, or JSON objects one after
 * another (with or without newlines between them, as HEC allows). Nothing here trusts the body.
 */
export const splitBody = (body: string): SplitBody => {
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = parseJson(body, 'the JSON array body');
    } catch (error) {
      throw new DecodeError(messageOf(error), { cause: error });
    }
    if (!Array.isArray(parsed)) throw new DecodeError('expected a JSON array');
    return {
      array: true,
      items: parsed.map((item, index) => {
        if (!isJsonObject(item)) throw new DecodeError(`array item ${index} is not an object`);
        return { record: item };
      }),
    };
  }
  // Fast path: newline-delimited records (NDJSON, OCSF, HEC as we send them) parse
  // line by line natively; the character scanner is for bodies without newlines.
  const lines = body.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (lines.every((line) => line.startsWith('{') && line.endsWith('}'))) {
    try {
      const parsed = lines.map((line) => JSON.parse(line) as unknown);
      if (parsed.every(isJsonObject)) return { array: false, items: parsed.map((record, index) => ({ record, text: lines[index] as string })) };
    } catch {
      // not one record per line after all: scan
    }
  }
  return {
    array: false,
    items: splitConcatenatedJson(body).map((text, index) => {
      let parsed: unknown;
      try {
        parsed = parseJson(text, `record ${index}`);
      } catch (error) {
        throw new DecodeError(messageOf(error), { cause: error });
      }
      if (!isJsonObject(parsed)) throw new DecodeError(`record ${index} is not an object`);
      return { record: parsed, text };
    }),
  };
};

/** "neither an AuthEvent, a HEC envelope nor an OCSF event": what a record of none of `formats` is not. */
const neitherOf = (formats: readonly SiemFormatSpec[]): string => {
  const kinds = [...new Set(formats.map((format) => format.recordKind))];
  if (kinds.length <= 1) return `not ${kinds[0] ?? 'a record of any format'}`;
  return `neither ${kinds.slice(0, -1).join(', ')} nor ${kinds.at(-1)}`;
};

/**
 * Reads a body back into records, each of the first of `formats` that claims it,
 * the formats whose framing matches the body's (array or not) asked first: an
 * AuthEvent in an array is `json`, on its own `ndjson`. With the registry: the
 * local receiver's decoder, which takes any format.
 */
export const decodeAs = <Name extends string>(formats: readonly SiemFormatSpec<Name>[], body: string): DecodedRecord<Name>[] =>
  readRecords(formats, splitBody(body));

const readRecords = <Name extends string>(formats: readonly SiemFormatSpec<Name>[], { array, items }: SplitBody): DecodedRecord<Name>[] => {
  const ordered = [
    ...formats.filter((format) => isArrayFraming(format.framing) === array),
    ...formats.filter((format) => isArrayFraming(format.framing) !== array),
  ];
  return items.map(({ record, text }) => {
    for (const format of ordered) {
      const id = format.readRecord(record);
      if (id !== undefined) return { id, format: format.name, record, ...(text === undefined ? {} : { text }) };
    }
    throw new DecodeError(`record is ${neitherOf(formats)}`);
  });
};
