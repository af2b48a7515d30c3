/** `ocsf`: one OCSF 1.3.0 event per line (`application/x-ndjson`); the mapping is lib/siem/ocsf.ts. */
import { toOcsf } from '../ocsf.ts';
import { DecodeError, authEventIdOf, defineSiemFormat, isJsonObject } from './format.ts';

export const ocsf = defineSiemFormat({
  name: 'ocsf',
  contentType: 'application/x-ndjson',
  framing: { open: '', separator: '\n', close: '\n' },
  encodeRecord: (event) => JSON.stringify(toOcsf(event)),
  credentials: [],
  headers: () => ({}),
  readRecord: (record) => {
    if (typeof record.class_uid !== 'number') return undefined;
    const id = authEventIdOf(isJsonObject(record.metadata) ? record.metadata.uid : undefined);
    if (id === undefined) throw new DecodeError('OCSF record without metadata.uid');
    return id;
  },
  recordKind: 'an OCSF event',
});
