/**
 * The PII policy, applied to every AuthEvent before it leaves the trigger.
 *
 * Per field: keep, mask (readable but partial), hash (keyed HMAC-SHA256 with the
 * stage's secret key, so the SOC can correlate a user across events, and look one
 * up by hashing a known value, without the value itself), or drop. Other personal
 * attributes (name, address, birthdate...) are never copied into an AuthEvent in
 * the first place, and neither are passwords, codes or token material.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type { AuthEvent } from './auth-event/schema.ts';
import type { PiiAction, StageConfig } from './config/schema.ts';

export const HASH_PREFIX = 'hmac-sha256:';

type PiiField = keyof StageConfig['pii']['fields'];
type User = AuthEvent['user'];

/**
 * Emails compare case-insensitively and phones by their digits, so the same
 * person hashes the same however a client typed them.
 */
const canonical = (field: PiiField, value: string): string => {
  if (field === 'user.email' || field === 'user.emailDomain') return value.trim().toLowerCase();
  if (field === 'user.phone') return value.replace(/[^\d+]/g, '');
  return value;
};

/**
 * The key as a KeyObject, made once: given a string, every createHmac would
 * convert it again (a fifth of the HMAC's cost). One stage has one key, so the
 * last one is all there is to remember.
 */
let lastKey: { text: string; object: KeyObject } | undefined;
const keyObjectFor = (key: string): KeyObject => {
  if (lastKey?.text !== key) lastKey = { text: key, object: createSecretKey(Buffer.from(key, 'utf8')) };
  return lastKey.object;
};

const hashText = (key: string, text: string): string =>
  HASH_PREFIX + createHmac('sha256', keyObjectFor(key)).update(text).digest('hex').slice(0, 32);

export const hashValue = (key: string, field: PiiField, value: string): string => hashText(key, canonical(field, value));

const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at <= 0) return maskText(email);
  return `${email[0]}***${email.slice(at)}`;
};

const maskPhone = (phone: string): string =>
  phone.length <= 4 ? '****' : `${'*'.repeat(phone.length - 4)}${phone.slice(-4)}`;

const maskText = (text: string): string => (text.length <= 2 ? '***' : `${text.slice(0, 2)}***`);

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address of `ip`, `ip:port`, `[v6]` or `[v6]:port`, without a zone (`%eth0`); undefined when it is none. */
const addressOf = (text: string): { version: 4 | 6; address: string } | undefined => {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(trimmed);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/.exec(trimmed);
  const candidate = (bracketed?.[1] ?? v4WithPort?.[1] ?? trimmed).replace(/%.*$/, '');
  const version = isIP(candidate);
  if (version === 4 || version === 6) return { version, address: candidate };
  return undefined;
};

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail as two), `::` expanded. */
const ipv6Groups = (address: string): number[] => {
  const [head = '', tail] = address.split('::');
  const groupsOf = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          const v4 = IPV4.exec(group);
          if (v4 === null) return [Number.parseInt(group, 16)];
          const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
};

/**
 * An IP keeps its network (/24 for IPv4, /48 for IPv6): enough for the SOC to
 * see a burst from one network or a new country, not enough to single out a host.
 * A port is dropped, brackets and zones too; an IPv4-mapped IPv6 address masks as
 * the IPv4 address it is. What is not an address at all keeps two characters.
 */
export const maskIp = (ip: string): string => {
  const parsed = addressOf(ip);
  if (parsed === undefined) return maskText(ip);
  if (parsed.version === 4) {
    const [a, b, c] = parsed.address.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  const groups = ipv6Groups(parsed.address.toLowerCase());
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.0/24`;
  }
  return `${groups.slice(0, 3).map((group) => group.toString(16)).join(':')}::/48`;
};

const mask = (field: PiiField, value: string): string => {
  if (field === 'network.ip') return maskIp(value);
  if (field === 'user.email') return maskEmail(value);
  if (field === 'user.phone') return maskPhone(value);
  return maskText(value);
};

const apply = (action: PiiAction, field: PiiField, value: string, key: string): string | undefined => {
  switch (action) {
    case 'keep':
      return value;
    case 'mask':
      return mask(field, value);
    case 'hash':
      return hashValue(key, field, value);
    case 'drop':
      return undefined;
  }
};

type Part = 'user' | 'network' | 'actor';

/** Where each policy field lives in an AuthEvent: the part (copied before it is changed) and the property. */
const FIELDS = {
  'user.sub': ['user', 'sub'],
  'user.username': ['user', 'username'],
  'user.email': ['user', 'email'],
  'user.emailDomain': ['user', 'emailDomain'],
  'user.phone': ['user', 'phone'],
  'network.ip': ['network', 'ip'],
  'network.userAgent': ['network', 'userAgent'],
  'actor.arn': ['actor', 'arn'],
} as const satisfies Record<PiiField, readonly [Part, string]>;

const ENTRIES = Object.entries(FIELDS) as [PiiField, (typeof FIELDS)[PiiField]][];

/** Returns a copy of the event with the policy applied; the input is not changed. */
export const applyPiiPolicy = (event: AuthEvent, policy: StageConfig['pii'], key: string): AuthEvent => {
  const parts: Record<Part, Record<string, unknown> | undefined> = {
    user: { ...event.user },
    network: event.network === undefined ? undefined : { ...event.network },
    actor: event.actor === undefined ? undefined : { ...event.actor },
  };
  for (const [field, [part, property]] of ENTRIES) {
    const target = parts[part];
    const value = target?.[property];
    if (target === undefined || typeof value !== 'string') continue;
    const result = apply(policy.fields[field], field, value, key);
    if (result === undefined) delete target[property];
    else target[property] = result;
  }
  const user = parts.user as User;
  const withheld = {
    ...(event.reason === undefined ? {} : { reason: { ...event.reason, message: withheldDomain(event.reason.message, event.user.emailDomain, user.emailDomain) } }),
    // Key names are client-chosen text too (an email, a token pasted as a key): only their hashes leave, and
    // without a key (empty: a run that could not read it) not even those, since anyone can hash with no key.
    ...(event.clientContext === undefined
      ? {}
      : {
          clientContext: {
            ...event.clientContext,
            droppedKeys: event.clientContext.droppedKeys.map((name) => (key === '' ? WITHHELD : hashText(key, name))),
          },
        }),
  };
  const changed: AuthEvent = { ...event, ...withheld, user };
  if (parts.network !== undefined) changed.network = parts.network as AuthEvent['network'];
  if (parts.actor !== undefined) changed.actor = parts.actor as AuthEvent['actor'];
  return changed;
};

/** What stands in for a value the policy does not let out. */
const WITHHELD = 'withheld';

/**
 * A denial's message names the email domain (lib/policy/sign-up.ts): in the event
 * it shows only what the policy lets out for `user.emailDomain` (its hash, its
 * mask, or "withheld" when dropped).
 */
const withheldDomain = (message: string, clear: string | undefined, shown: string | undefined): string =>
  clear === undefined || clear === '' || clear === shown ? message : message.split(clear).join(shown ?? WITHHELD);

const MAX_DROPPED_KEYS = 50;

/** Keys that name secrets are dropped from clientMetadata even when allow-listed. */
const SECRET_KEY = /pass|secret|token|otp|code|pin|ssn|card|cvv|credential|session/i;

/**
 * clientMetadata is set by the client app: untrusted, and possibly carrying
 * anything. Only allow-listed, non-secret keys survive, with values capped.
 */
export const clientContextOf = (
  metadata: Record<string, string>,
  policy: StageConfig['clientContext'],
): AuthEvent['clientContext'] => {
  const keys = Object.keys(metadata);
  if (keys.length === 0) return undefined;
  const values: Record<string, string> = {};
  const droppedKeys: string[] = [];
  for (const key of keys.sort()) {
    const value = metadata[key] ?? '';
    if (policy.allowedKeys.includes(key) && !SECRET_KEY.test(key)) {
      values[key] = value.slice(0, policy.maxValueLength);
    } else if (droppedKeys.length < MAX_DROPPED_KEYS) {
      droppedKeys.push(key.slice(0, 256));
    }
  }
  return { trusted: false, values, droppedKeys };
};
