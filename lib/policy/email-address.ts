/**
 * Email addresses and domains in the one form every policy decides on.
 *
 * An attacker chooses the spelling of their address, so a decision on the text
 * as typed is a decision the attacker makes: `m@blocked.example.`,
 * `m@blocked。example` (U+3002), `m@ＢＬＯＣＫＥＤ.example` and `m@blocked.example`
 * are one mailbox domain to DNS and to a mail server. Every decision therefore
 * parses the whole address (never a truncated one: a cut at 512 characters made
 * `x…x@acme-corp.com.attacker.test` read as `acme-corp.com`), maps the domain
 * with UTS #46 (node:url `domainToASCII`: case folding, full-width forms, the
 * Unicode full stops U+3002 / U+FF0E / U+FF61, IDN to punycode), drops the
 * trailing dot of a fully qualified name, and compares config lists normalized
 * the same way (lib/config/schema.ts).
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1.2 (Mailbox syntax, lengths in 4.5.3.1)
 * @see https://www.rfc-editor.org/rfc/rfc6531#section-3.3 (UTF-8 local parts)
 * @see https://www.unicode.org/reports/tr46/ (UTS #46)
 */
import { domainToASCII, domainToUnicode } from 'node:url';

/** RFC 5321 4.5.3.1: local part at most 64 octets, a forward path at most 256 (254 for the address itself). */
const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;
const MAX_DOMAIN_LENGTH = 253;

/** A host name after UTS #46: LDH labels of 1-63 characters, at least two of them. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * RFC 5321 Dot-string over RFC 6531 atext (any non-ASCII character is atext), or
 * a Quoted-string. Checked in code rather than by a library: no kept npm package
 * parses RFC 6531 local parts without also deciding on the domain its own way.
 */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+)*$/u;
const QUOTED = /^"([\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*"$/u;

export interface EmailAddress {
  /** The local part as written (case kept: RFC 5321 leaves its meaning to the mailbox's host). */
  local: string;
  /** The domain, normalized: lower-case ASCII (punycode), no trailing dot. */
  domain: string;
}

const octets = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The normalized form of a domain name, or undefined when it is not a host name
 * (an address literal, an empty label, a character UTS #46 disallows).
 */
export const normalizeDomain = (raw: string): string | undefined => {
  const ascii = domainToASCII(raw.trim());
  // domainToASCII keeps a trailing root dot, and only one of them makes an FQDN.
  const domain = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  if (domain === '' || domain.length > MAX_DOMAIN_LENGTH) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  return domain;
};

/** The whole address parsed, or undefined when it is not a mailbox address. Nothing is cut before this. */
export const parseEmail = (raw: string): EmailAddress | undefined => {
  const address = raw.trim();
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = address.slice(0, at);
  if (octets(local) > MAX_LOCAL_OCTETS || !(DOT_ATOM.test(local) || QUOTED.test(local))) return undefined;
  const domain = normalizeDomain(address.slice(at + 1));
  if (domain === undefined || octets(local) + 1 + domain.length > MAX_ADDRESS_OCTETS) return undefined;
  return { local, domain };
};

/**
 * The form two spellings of one address compare equal in: the local part
 * lower-cased (Cognito's own email matching ignores case) and the normalized domain.
 */
export const canonicalEmail = (address: EmailAddress): string => `${address.local.toLowerCase()}@${address.domain}`;

/** The normalized domain and each parent domain: a.b.example.com -> [a.b.example.com, b.example.com, example.com]. */
export const domainAndParents = (domain: string): string[] => {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, index) => labels.slice(index).join('.'));
};

/** A normalized domain or one of its parents is listed (the list normalized the same way). */
export const inDomains = (domain: string, listed: readonly string[]): boolean =>
  domainAndParents(domain).some((candidate) => listed.includes(candidate));

/** The Unicode form of a normalized domain (for lists that spell IDNs in Unicode), or the domain itself. */
export const unicodeFormOf = (domain: string): string => (domain.includes('xn--') ? domainToUnicode(domain) || domain : domain);
