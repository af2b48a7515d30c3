/** `json`: one JSON array of AuthEvents (`application/json`). */
import { defineSiemFormat, readAuthEventRecord } from './format.ts';

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
