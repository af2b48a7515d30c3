/** `json`: one JSON array of AuthEvents (`application/json`). */
import { defineSiemFormat } from './format.ts';
import { readAuthEventRecord } from './ndjson.ts';

export const json = defineSiemFormat({
  name: 'json',
  contentType: 'application/json',
  framing: { open: '[', separator: ',', close: ']' },
  encodeRecord: (event) => JSON.stringify(event),
  credentials: [],
  headers: () => ({}),
  readRecord: readAuthEventRecord,
  recordKind: 'an AuthEvent',
});
