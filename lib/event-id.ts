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

/** A container being written: its members still to go, and whether one was written yet. */
type Frame =
  | { kind: 'array'; value: readonly unknown[]; next: number }
  | { kind: 'object'; value: Record<string, unknown>; keys: string[]; next: number; wrote: boolean };

/** What a value that JSON cannot hold, or a container that contains itself, is written as: defined, never thrown. */
const CYCLE = '"[cycle]"';

const scalarJson = (value: unknown): string =>
  typeof value === 'bigint' ? JSON.stringify(String(value)) : (JSON.stringify(value) ?? 'null');

/**
 * JSON with object keys sorted at every level, so equal payloads hash equally.
 * Total over anything a payload can hold: the nesting is walked with an explicit
 * stack, not recursion, because Cognito payloads are attacker-shaped (a `request`
 * nested 20,000 levels deep overflowed the call stack, and the trigger failed open
 * without an event). A container met again inside itself is written as "[cycle]".
 * Written with loops and string appends rather than map/filter/join: it runs on
 * every event and was a tenth of replay time (docs/performance.md).
 */
export const canonicalJson = (root: unknown): string => {
  if (root === null || typeof root !== 'object') return scalarJson(root);
  const open = new Set<object>();
  const stack: Frame[] = [];
  let text = '';
  /** Writes a scalar, or opens a container and pushes its frame. */
  const enter = (value: unknown): void => {
    if (value === null || typeof value !== 'object') {
      text += scalarJson(value);
    } else if (open.has(value)) {
      text += CYCLE;
    } else if (Array.isArray(value)) {
      open.add(value);
      text += '[';
      stack.push({ kind: 'array', value, next: 0 });
    } else {
      open.add(value);
      text += '{';
      stack.push({ kind: 'object', value: value as Record<string, unknown>, keys: Object.keys(value).sort(), next: 0, wrote: false });
    }
  };
  enter(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.kind === 'array') {
      if (frame.next === frame.value.length) {
        text += ']';
        open.delete(frame.value);
        stack.pop();
        continue;
      }
      if (frame.next > 0) text += ',';
      enter(frame.value[frame.next]);
      frame.next += 1;
      continue;
    }
    let key: string | undefined;
    let member: unknown;
    while (frame.next < frame.keys.length) {
      key = frame.keys[frame.next] as string;
      frame.next += 1;
      member = frame.value[key];
      if (member !== undefined) break;
      key = undefined;
    }
    if (key === undefined) {
      text += '}';
      open.delete(frame.value);
      stack.pop();
      continue;
    }
    text += (frame.wrote ? ',' : '') + JSON.stringify(key) + ':';
    frame.wrote = true;
    enter(member);
  }
  return text;
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
