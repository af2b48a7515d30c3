/**
 * Deterministic AuthEvent ids.
 *
 * Cognito retries a slow or failed trigger (often 2-3 times) with the same
 * payload, and its payloads carry no request id or timestamp of their own. So the
 * id hashes what identifies the invocation (stage, pool, trigger source, user,
 * client, request) together with a time bucket of `windowSeconds`: retries inside
 * the bucket collapse into one id downstream, while the same user doing the same
 * thing again later gets a new one. Limits, in docs/auth-event.md: two identical
 * actions inside one bucket share an id, and a retry that crosses a bucket
 * boundary gets a second id.
 */
import { hash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal payloads hash equally.
 * Written with loops and string appends rather than map/filter/join: it runs on
 * every event and was a tenth of replay time (docs/performance.md).
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1) text += (index === 0 ? '' : ',') + canonicalJson(value[index]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = '{';
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    text += (text.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(member);
  }
  return `${text}}`;
};

/** The id format: the first 128 bits of SHA-256 over the canonical JSON, as 32 hex characters. */
export const canonicalDigest = (value: unknown): string => hash('sha256', canonicalJson(value), 'hex').slice(0, 32);

export interface InvocationIdentity {
  stage: string;
  userPoolId: string;
  triggerSource: string;
  userName: string | null;
  clientId: string | null;
  request: unknown;
}

export const eventIdFor = (identity: InvocationIdentity, at: Date, windowSeconds: number): string =>
  canonicalDigest({ ...identity, bucket: Math.floor(at.getTime() / (windowSeconds * 1000)) });
