import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventIdFor } from '../../lib/event-id.ts';
import { processTrigger } from '../../lib/runtime/process.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';
import { loadEvent, processContext } from '../helpers/fixtures.ts';

const at = (iso: string) => () => new Date(iso);

describe('Event ids', () => {
  it('gives Cognito retries of one invocation the same id', () => {
    // Prepare: the same payload, delivered three times within a few seconds
    const payload = loadEvent('post-authentication/sign-in-web.json');

    // Act
    const ids = ['2026-11-27T10:00:00.100Z', '2026-11-27T10:00:05.200Z', '2026-11-27T10:00:10.900Z'].map(
      (time) => processTrigger(postAuthentication, structuredClone(payload), processContext({ clock: at(time) })).events[0]?.id,
    );

    // Assess
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('does not depend on the order of keys in the payload', () => {
    // Prepare
    const payload = loadEvent('pre-token-generation/v2/authentication-admin.json');
    const reordered = Object.fromEntries(Object.entries(payload).reverse());
    reordered.request = Object.fromEntries(Object.entries(payload.request as object).reverse());

    // Act
    const first = processTrigger(preTokenGeneration, payload, processContext()).events[0]?.id;
    const second = processTrigger(preTokenGeneration, reordered, processContext()).events[0]?.id;

    // Assess
    expect(second).toBe(first);
  });

  it('gives a new id to the same action in a later time bucket, another user or another stage', () => {
    // Prepare
    const identity = {
      stage: 'dev',
      userPoolId: 'eu-west-1_Xq9Lk2MfA',
      triggerSource: 'PostAuthentication_Authentication',
      userName: 'alice',
      clientId: 'web',
      request: { userAttributes: { sub: '1' } },
    };
    const now = new Date('2026-11-27T10:00:30.000Z');

    // Act
    const base = eventIdFor(identity, now, 60);
    const later = eventIdFor(identity, new Date('2026-11-27T10:01:00.000Z'), 60);
    const otherUser = eventIdFor({ ...identity, userName: 'bob' }, now, 60);
    const otherStage = eventIdFor({ ...identity, stage: 'prod' }, now, 60);

    // Assess
    expect(new Set([base, later, otherUser, otherStage]).size).toBe(4);
  });

  it('serializes canonically: sorted keys, undefined left out', () => {
    // Act
    const text = canonicalJson({ b: 1, a: { d: [2, { f: null, e: 'x' }], c: undefined } });

    // Assess
    expect(text).toBe('{"a":{"d":[2,{"e":"x","f":null}]},"b":1}');
  });
});

describe('Event ids over hostile input', () => {
  /** The reference: sorted-key JSON written recursively (fine for the shallow values fast-check makes). */
  const reference = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
  };

  it('writes any JSON value as sorted-key JSON, the same as a plain recursive writer', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Act
        const text = canonicalJson(value);

        // Assess
        expect(text).toBe(reference(value));
        // Through JSON both ways, as -0 and 0 are one number in JSON.
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a request nested 20,000 levels deep (objects and arrays) without overflowing the stack', () => {
    // Prepare
    const identityWith = (leaf: string) => {
      let request: unknown = leaf;
      for (let level = 0; level < 20_000; level += 1) request = level % 2 === 0 ? { a: request } : [request];
      return { stage: 'dev', userPoolId: 'p', triggerSource: 'PreSignUp_SignUp', userName: 'u', clientId: null, request };
    };

    // Act
    const first = eventIdFor(identityWith('leaf'), new Date('2026-11-27T10:00:00Z'), 60);
    const again = eventIdFor(identityWith('leaf'), new Date('2026-11-27T10:00:00Z'), 60);
    const other = eventIdFor(identityWith('other leaf'), new Date('2026-11-27T10:00:00Z'), 60);

    // Assess
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('gives a defined result for a container inside itself, a bigint and a function', () => {
    // Prepare
    const cyclic: Record<string, unknown> = { b: 1n, f: () => 1 };
    cyclic.self = cyclic;
    const shared = { q: 1 };

    // Act
    const text = canonicalJson({ cyclic, twice: [shared, shared] });

    // Assess
    expect(text).toBe('{"cyclic":{"b":"1","f":null,"self":"[cycle]"},"twice":[{"q":1},{"q":1}]}');
  });
});
