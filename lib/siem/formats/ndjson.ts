/** `ndjson`: one AuthEvent per line (`application/x-ndjson`), the stage config's default. */
import { defineSiemFormat, readAuthEventRecord } from './format.ts';

export const ndjson = defineSiemFormat({
  name: 'ndjson',
  contentType: 'application/x-ndjson',
  framing: { open: '', separator: '\n', close: '\n' },
  encodeRecord: (event) => JSON.stringify(event),
  credentials: [],
  headers: () => ({}),
  readRecord: readAuthEventRecord,
  recordKind: 'an AuthEvent',
});
