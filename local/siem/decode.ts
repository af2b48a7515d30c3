/**
 * Reads a SIEM request body back into records, whatever the format: the local
 * receiver takes every registered format on any path, where a real SIEM
 * endpoint knows its own. Each format reads its own records
 * (lib/siem/formats/<name>.ts, `readRecord`); the framing's inverse is shared
 * (lib/siem/formats/format.ts, `splitBody`). The receiver and the tests use it;
 * nothing here trusts the body.
 */
import { SIEM_FORMAT_MODULES, type SiemFormat } from '../../lib/siem/formats/index.ts';
import { decodeAs, type DecodedRecord as AnyDecodedRecord } from '../../lib/siem/formats/format.ts';

export { DecodeError, splitConcatenatedJson } from '../../lib/siem/formats/format.ts';

export type DecodedRecord = AnyDecodedRecord<SiemFormat>;

/** The records of a body of any registered format, each with its format and AuthEvent id. */
export const decodeBody = (body: string): DecodedRecord[] => decodeAs(SIEM_FORMAT_MODULES, body);
