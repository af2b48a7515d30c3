import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { batchesOf, createEventBridgeClient, createEventBridgePublisher } from '../../lib/publish/eventbridge.ts';
import { PublishError } from '../../lib/sinks/sink.ts';
import { MAX_ENTRY_BYTES, entryBytes, fitEntry } from '../../lib/publish/fit.ts';
import { SPILL_FILTER_PATTERN, parseSpillLine, spillLine } from '../../lib/publish/spill.ts';
import { startFakeEventBridge, type FakeEventBridge } from '../helpers/fake-eventbridge.ts';
import { FAKE_AWS_CREDENTIALS, golden } from '../helpers/fixtures.ts';


const eventsNumbered = (count: number): AuthEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    ...golden('pre-token-generation/v2/authentication-admin.json'),
    id: index.toString(16).padStart(32, '0'),
  }));

let bus: FakeEventBridge;
beforeAll(async () => {
  for (const [name, value] of Object.entries(FAKE_AWS_CREDENTIALS)) vi.stubEnv(name, value);
  bus = await startFakeEventBridge();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await bus.close();
});
beforeEach(() => {
  bus.calls.length = 0;
  bus.accepted.length = 0;
});

const publisher = (deadlineMs = 2_000) =>
  createEventBridgePublisher({
    client: createEventBridgeClient(deadlineMs, bus.endpoint),
    busName: 'authtrail-dev',
    deadlineMs,
  });

describe('Publisher: EventBridge PutEvents', () => {
  it('sends at most 10 entries per call, to the stage bus', async () => {
    // Prepare
    bus.plan([], { kind: 'accept' });

    // Act
    await publisher().publish(eventsNumbered(25));

    // Assess
    expect(bus.calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect(new Set(bus.accepted.map((entry) => entry.EventBusName))).toEqual(new Set(['authtrail-dev']));
    expect(bus.accepted[0]).toMatchObject({ Source: 'authtrail.cognito', DetailType: 'AuthEvent token.issue' });
  });

  it('resends only the entries EventBridge reported as failed', async () => {
    // Prepare
    bus.plan([{ kind: 'fail-entries', indexes: [1, 3] }], { kind: 'accept' });
    const events = eventsNumbered(4);

    // Act
    await publisher().publish(events);

    // Assess
    const resent = bus.calls[1]?.map((entry) => JSON.parse(entry.Detail).id);
    expect(resent).toEqual([events[1]?.id, events[3]?.id]);
    expect(bus.accepted).toHaveLength(4);
  });

  it('gives back exactly the undelivered events when the deadline passes', async () => {
    // Prepare
    bus.plan([], { kind: 'fail-entries', indexes: [0] });
    const events = eventsNumbered(3);

    // Act
    const publishing = publisher(250).publish(events);

    // Assess
    const error = await publishing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).undelivered.map((event) => event.id)).toEqual([events[0]?.id]);
    expect((error as PublishError).message).toBe(
      '1 of 3 event(s) not published: deadline of 250 ms exceeded (last error: ThrottlingException: Rate exceeded)',
    );
  });
});

describe('Publisher: the 256 KB entry limit', () => {
  it('leaves an ordinary event untouched', () => {
    // Prepare
    const event = golden('pre-token-generation/v2/authentication-admin.json');

    // Act
    const fitted = fitEntry(event);

    // Assess
    expect(fitted.event).toBe(event);
    expect(fitted.bytes).toBe(entryBytes(fitted.entry));
    expect(fitted.bytes).toBeLessThan(4_096);
  });

  it('trims an oversized event by the documented rule, marks it, and keeps it under the limit', () => {
    // Prepare
    const event = golden('pre-token-generation/v2/authentication-admin.json');
    const huge: AuthEvent = {
      ...event,
      groups: Array.from({ length: 2_000 }, (_, index) => `group-${index}-${'x'.repeat(200)}`),
    };

    // Act
    const fitted = fitEntry(huge);

    // Assess
    expect(fitted.bytes).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(fitted.event.pipeline.trimmed).toEqual(['clientContext', 'groups']);
    expect(fitted.event.clientContext).toBeUndefined();
    expect(fitted.event.groups.length).toBeGreaterThan(1_000);
    expect(fitted.event.groups).toEqual(huge.groups.slice(0, fitted.event.groups.length));
    expect(fitted.event.id).toBe(event.id);
  });

  it('batches by bytes as well as by count', () => {
    // Prepare
    const big = Array.from({ length: 3 }, () => ({ bytes: 100 * 1024 }) as ReturnType<typeof fitEntry>);

    // Act
    const batches = batchesOf(big);

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([2, 1]);
  });
});

describe('Spill log lines', () => {
  it('round-trip, also behind the prefix Lambda adds to text-format logs', () => {
    // Prepare
    const event = golden('post-authentication/sign-in-web.json');
    const line = spillLine(event, 'ThrottlingException: Rate exceeded', new Date('2026-11-27T10:00:01.000Z'));

    // Act
    const plain = parseSpillLine(line);
    const prefixed = parseSpillLine(`2026-11-27T10:00:01.000Z\t3f0c6a8e-req\tINFO\t${line}`);

    // Assess
    expect(plain).toEqual({
      authtrail: 'authtrail.spill',
      spilledAt: '2026-11-27T10:00:01.000Z',
      reason: 'ThrottlingException: Rate exceeded',
      event,
    });
    expect(prefixed).toEqual(plain);
    expect(SPILL_FILTER_PATTERN).toBe('{ $.authtrail = "authtrail.spill" }');
  });

  it('ignores lines that are not spills or carry an invalid event', () => {
    // Act
    const results = [
      'START RequestId: 1',
      '{"authtrail":"authtrail.spill","spilledAt":"x","reason":"r","event":{"id":"nope"}}',
      '{"_aws":{"Timestamp":1}}',
      '{not json',
    ].map(parseSpillLine);

    // Assess
    expect(results).toEqual([undefined, undefined, undefined, undefined]);
  });
});
