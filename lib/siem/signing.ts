/**
 * Standard Webhooks (https://www.standardwebhooks.com/) signing and verifying.
 *
 * - `webhook-id`: the message id. The spec wants it unique per message and the
 *   same when that message is resent, so receivers can use it as an idempotency
 *   key: we derive it from the batch's content (format + event ids), so a retry
 *   of the same batch carries the same id and any other batch another one.
 * - `webhook-timestamp`: integer seconds since the epoch, taken at each attempt.
 * - `webhook-signature`: `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`,
 *   one per active secret, space-separated, so a receiver holding either the old
 *   or the new secret verifies during a rotation.
 *
 * Secrets are `whsec_<base64 of the key bytes>`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AuthtrailError } from '../errors.ts';

const SECRET_PREFIX = 'whsec_';
/** Receivers reject timestamps further than this from their clock (replay protection). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export class WebhookSecretError extends AuthtrailError {
  readonly code = 'INVALID_WEBHOOK_SECRET' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookSecretError';
  }
}

/** The key bytes of a `whsec_…` secret. The message never contains the secret. */
export const secretKey = (secret: string): Buffer => {
  const trimmed = secret.trim();
  if (!trimmed.startsWith(SECRET_PREFIX)) {
    throw new WebhookSecretError(`a webhook secret must look like ${SECRET_PREFIX}<base64>`);
  }
  const base64 = trimmed.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new WebhookSecretError('a webhook secret is not valid base64 after whsec_');
  const key = Buffer.from(base64, 'base64');
  if (key.length < 24) throw new WebhookSecretError('a webhook secret must hold at least 24 bytes (192 bits)');
  return key;
};

/** Several secrets from one string: whitespace- or comma-separated (an env var holding the active set). */
export const parseSecretList = (text: string): string[] => text.split(/[\s,]+/).filter((secret) => secret !== '');

/** A new secret, for `docs/siem.md`'s set-up and for tests: `whsec_` + 32 random bytes. */
export const webhookSecretFrom = (bytes: Uint8Array): string => SECRET_PREFIX + Buffer.from(bytes).toString('base64');

/** The HMAC over `<id>.<timestamp>.` and the body's bytes: a receiver passes the bytes it got, never a decoding of them. */
const signPayload = (key: Buffer, id: string, timestampSeconds: number, body: string | Uint8Array): string =>
  createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');

/** Deterministic message id of a batch: same content, same id (resends); other content, other id. */
export const messageIdFor = (parts: readonly string[]): string =>
  `msg_${createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 27)}`;

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export const signatureHeaders = (
  keys: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): SignatureHeaders => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestampSeconds),
  'webhook-signature': keys.map((key) => `v1,${signPayload(key, id, timestampSeconds, body)}`).join(' '),
});

export type Verification = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * What can be checked before the body is read: the three headers there, the
 * timestamp fresh. A receiver refuses what fails here without buffering a byte.
 */
export const checkSignatureHeaders = (options: {
  headers: Headers;
  nowSeconds: number;
  toleranceSeconds?: number;
}): { ok: true; id: string; timestamp: number; signatures: string } | { ok: false; reason: string } => {
  const id = header(options.headers, 'webhook-id');
  const timestampText = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (id === undefined || timestampText === undefined || signatures === undefined) {
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  }
  if (!/^\d+$/.test(timestampText)) return { ok: false, reason: 'webhook-timestamp is not integer seconds' };
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(options.nowSeconds - timestamp) > tolerance) {
    return { ok: false, reason: `webhook-timestamp is more than ${tolerance} s from the receiver's clock` };
  }
  return { ok: true, id, timestamp, signatures };
};

/** Compares a presented token with the expected one in constant time (digests of equal length, whatever the lengths given). */
export const sameToken = (presented: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());

/** Verifies a request against any of the receiver's secrets; says why when it does not. `body`: the bytes received. */
export const verifySignature = (options: {
  keys: readonly Buffer[];
  headers: Headers;
  body: string | Uint8Array;
  nowSeconds: number;
  toleranceSeconds?: number;
}): Verification => {
  const checked = checkSignatureHeaders(options);
  if (!checked.ok) return checked;
  const { id, timestamp, signatures } = checked;
  const offered = signatures
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  for (const key of options.keys) {
    const expected = Buffer.from(signPayload(key, id, timestamp, options.body), 'base64');
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: 'no webhook-signature matches' };
};
