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
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal payloads hash equally. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
};

export interface InvocationIdentity {
  stage: string;
  userPoolId: string;
  triggerSource: string;
  userName: string | null;
  clientId: string | null;
  request: unknown;
}

export const eventIdFor = (identity: InvocationIdentity, at: Date, windowSeconds: number): string => {
  const bucket = Math.floor(at.getTime() / (windowSeconds * 1000));
  return createHash('sha256')
    .update(canonicalJson({ ...identity, bucket }))
    .digest('hex')
    .slice(0, 32);
};
