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

export const hashValue = (key: string, field: PiiField, value: string): string =>
  HASH_PREFIX + createHmac('sha256', keyObjectFor(key)).update(canonical(field, value)).digest('hex').slice(0, 32);

const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at <= 0) return maskText(email);
  return `${email[0]}***${email.slice(at)}`;
};

const maskPhone = (phone: string): string =>
  phone.length <= 4 ? '****' : `${'*'.repeat(phone.length - 4)}${phone.slice(-4)}`;

const maskText = (text: string): string => (text.length <= 2 ? '***' : `${text.slice(0, 2)}***`);

/**
 * An IP keeps its network (/24 for IPv4, /48 for IPv6): enough for the SOC to
 * see a burst from one network or a new country, not enough to single out a host.
 */
export const maskIp = (ip: string): string => {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4 !== null) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(':')) {
    const groups = ip.split('::')[0]?.split(':').filter((group) => group !== '') ?? [];
    return `${[...groups, '0', '0', '0'].slice(0, 3).join(':')}::/48`;
  }
  return maskText(ip);
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
  const changed: AuthEvent = { ...event, user };
  if (parts.network !== undefined) changed.network = parts.network as AuthEvent['network'];
  if (parts.actor !== undefined) changed.actor = parts.actor as AuthEvent['actor'];
  return changed;
};

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
      droppedKeys.push(key.slice(0, 64));
    }
  }
  return { trusted: false, values, droppedKeys };
};
