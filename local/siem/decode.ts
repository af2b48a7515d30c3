/**
 * Reads a SIEM request body back into records, whatever the format: a JSON
 * array (`json`), or JSON objects one after another (`ndjson`, `ocsf`, and HEC's
 * concatenated envelopes, with or without newlines between them). Each record's
 * AuthEvent id is found where its format keeps it. The local receiver and the
 * tests use it; nothing here trusts the body.
 */
import { AuthtrailError, messageOf } from '../../lib/errors.ts';
import { parseJson } from '../../lib/json-parse.ts';
import { SiemFormat } from '../../lib/siem/formats.ts';

export interface DecodedRecord {
  /** The AuthEvent id the record carries. */
  id: string;
  format: SiemFormat;
  record: Record<string, unknown>;
  /** The record's JSON text as it arrived, when the body had it on its own (not inside an array). */
  text?: string;
}

export class DecodeError extends AuthtrailError {
  readonly code = 'UNDECODABLE_BODY' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[0-9a-f]{32}$/.test(value) ? value : undefined;

/** Which format a record is in, and the AuthEvent id it carries. */
const classify = (record: Record<string, unknown>, text: string | undefined): DecodedRecord => {
  const raw = text === undefined ? {} : { text };
  if (typeof record.class_uid === 'number') {
    const id = idOf(isRecord(record.metadata) ? record.metadata.uid : undefined);
    if (id !== undefined) return { id, format: SiemFormat.Ocsf, record, ...raw };
    throw new DecodeError('OCSF record without metadata.uid');
  }
  if (isRecord(record.event) && 'sourcetype' in record) {
    const id = idOf(record.event.id);
    if (id !== undefined) return { id, format: SiemFormat.SplunkHec, record, ...raw };
    throw new DecodeError('HEC envelope without event.id');
  }
  const id = idOf(record.id);
  if (id !== undefined && record.schemaVersion !== undefined) {
    return { id, format: text === undefined ? SiemFormat.Json : SiemFormat.Ndjson, record, ...raw };
  }
  throw new DecodeError('record is neither an AuthEvent, a HEC envelope nor an OCSF event');
};

export const decodeBody = (body: string): DecodedRecord[] => {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = parseJson(body, 'the JSON array body');
    } catch (error) {
      throw new DecodeError(messageOf(error), { cause: error });
    }
    if (!Array.isArray(parsed)) throw new DecodeError('expected a JSON array');
    return parsed.map((item, index) => {
      if (!isRecord(item)) throw new DecodeError(`array item ${index} is not an object`);
      return classify(item, undefined);
    });
  }
  // Fast path: newline-delimited records (NDJSON, OCSF, HEC as we send them) parse
  // line by line natively; the character scanner is for bodies without newlines.
  const lines = body.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (lines.every((line) => line.startsWith('{') && line.endsWith('}'))) {
    try {
      const parsed = lines.map((line) => JSON.parse(line) as unknown);
      if (parsed.every(isRecord)) return parsed.map((record, index) => classify(record, lines[index]));
    } catch {
      // not one record per line after all: scan
    }
  }
  return splitConcatenatedJson(body).map((text, index) => {
    let parsed: unknown;
    try {
      parsed = parseJson(text, `record ${index}`);
    } catch (error) {
      throw new DecodeError(messageOf(error), { cause: error });
    }
    if (!isRecord(parsed)) throw new DecodeError(`record ${index} is not an object`);
    return classify(parsed, text);
  });
};
