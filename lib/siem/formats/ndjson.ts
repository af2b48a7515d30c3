/** `ndjson`: one AuthEvent per line (`application/x-ndjson`), the stage config's default. */
import { authEventIdOf, defineSiemFormat } from './format.ts';

/** An AuthEvent record: its own `id`, and `schemaVersion` to tell it from any other JSON object with an id. */
export const readAuthEventRecord = (record: Record<string, unknown>): string | undefined => {
  const id = authEventIdOf(record.id);
  return id !== undefined && record.schemaVersion !== undefined ? id : undefined;
};

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
