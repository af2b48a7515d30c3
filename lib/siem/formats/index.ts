/**
 * The SIEM wire formats, one module each: a new format is one new file beside
 * this one and one line in SIEM_FORMAT_MODULES. The format names, their type, the
 * stage config's `siem.format` enum, the SIEM secret's fields and the local
 * receiver's decoder all derive from this list (docs/extending.md, "A SIEM format").
 */
import type { AuthEvent } from '../../auth-event/schema.ts';
import type { FormatCredential, FormatOptions, SiemFormatModule } from './format.ts';
import { json } from './json.ts';
import { ndjson } from './ndjson.ts';
import { ocsf } from './ocsf.ts';
import { splunkHec } from './splunk-hec.ts';

/** Every format, in the order docs and `--siem-format` list them. */
export const SIEM_FORMAT_MODULES = [ndjson, json, splunkHec, ocsf] as const;

type Registered = (typeof SIEM_FORMAT_MODULES)[number];
export type SiemFormat = Registered['name'];
/** The key of every credential some format needs (`hecToken`): the SIEM secret's fields beyond the webhook secrets. */
export type FormatCredentialKey = Registered['credentials'][number]['key'];

/** The names, in registry order: a non-empty tuple, as the config schema's enum wants. */
export const SIEM_FORMATS = SIEM_FORMAT_MODULES.map((format) => format.name) as [SiemFormat, ...SiemFormat[]];

/** The stage config's default format. */
export const DEFAULT_SIEM_FORMAT: SiemFormat = ndjson.name;

/** Every credential of every format, once per key (formats sharing a key share the credential: the first one's variable). */
export const FORMAT_CREDENTIALS: readonly FormatCredential<FormatCredentialKey>[] = [
  ...new Map(
    SIEM_FORMAT_MODULES.flatMap((format): readonly FormatCredential<FormatCredentialKey>[] => format.credentials).map((credential) => [
      credential.key,
      credential,
    ]),
  ).values(),
];

export const isSiemFormat = (value: string): value is SiemFormat => (SIEM_FORMATS as string[]).includes(value);

const BY_NAME = new Map<string, SiemFormatModule<SiemFormat, FormatCredentialKey>>(SIEM_FORMAT_MODULES.map((format) => [format.name, format]));

/** The module of a registered format. */
export const siemFormat = (name: SiemFormat): SiemFormatModule<SiemFormat, FormatCredentialKey> =>
  BY_NAME.get(name) as SiemFormatModule<SiemFormat, FormatCredentialKey>;

const DEFAULT_FORMAT_OPTIONS: FormatOptions = {
  splunk: { sourcetype: 'authtrail:authevent', source: 'authtrail' },
};

/** One event as its format's record (a JSON text without framing). */
export const encodeRecord = (format: SiemFormat, event: AuthEvent, options: FormatOptions = DEFAULT_FORMAT_OPTIONS): string =>
  siemFormat(format).encodeRecord(event, options);

/** Bytes of a body of `count` records totalling `recordBytes`: what batching adds up as it goes. */
export const framedBytes = (format: SiemFormat, count: number, recordBytes: number): number => {
  const { open, separator, close } = siemFormat(format).framing;
  return open.length + close.length + separator.length * Math.max(0, count - 1) + recordBytes;
};

export interface EncodedBody {
  body: string;
  contentType: string;
}

export const encodeBody = (format: SiemFormat, records: readonly string[]): EncodedBody => {
  const { framing, contentType } = siemFormat(format);
  return { body: framing.open + records.join(framing.separator) + framing.close, contentType };
};

export const encodeEvents = (
  format: SiemFormat,
  events: readonly AuthEvent[],
  options: FormatOptions = DEFAULT_FORMAT_OPTIONS,
): EncodedBody => encodeBody(format, events.map((event) => encodeRecord(format, event, options)));

export { DecodeError, requireCredentials, type DecodedRecord, type FormatOptions, type SiemFormatModule } from './format.ts';
export { toSplunkHec, type SplunkOptions } from './splunk-hec.ts';
