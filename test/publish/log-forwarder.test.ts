/**
 * The log-first forwarder: CloudWatch Logs subscription deliveries of the
 * triggers' event lines (base64 of gzip of the logs document, as
 * https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchlogs.html
 * shows it) published to a loopback EventBridge through the real SDK, under the
 * events' own ids; what the bus refuses is spilled where recover-spilled reads it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { encodeSubscriptionEvent } from '../../lib/cognito-logs/subscription.ts';
import { createEventBridgeClient, createEventBridgePublisher } from '../../lib/publish/eventbridge.ts';
import { eventLogLine } from '../../lib/publish/event-log.ts';
import { createEventLogForwarder, type ForwardProblem } from '../../lib/publish/log-forwarder.ts';
import { parseSpillLine, spillToStdout } from '../../lib/publish/spill.ts';
import { SILENT_LOGGER } from '../../lib/runtime/handler.ts';
import { startFakeEventBridge, type FakeEventBridge } from '../helpers/fake-eventbridge.ts';
import { FAKE_AWS_CREDENTIALS, goldenEvents } from '../helpers/fixtures.ts';

const DEADLINE_MS = 300;

/** What a subscription on a trigger's log group delivers for these messages. */
const delivery = (messages: readonly string[], messageType = 'DATA_MESSAGE') =>
  encodeSubscriptionEvent({
    messageType,
    owner: '123456789012',
    logGroup: '/aws/lambda/authtrail-dev-post-authentication',
    logStream: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
    subscriptionFilters: ['authtrail-dev-EventLogForwarderSubscriptionPostAuthentication'],
    logEvents: messages.map((message, index) => ({ id: `3795773492345000000000000000000000000000000000000${index}`, timestamp: 1795773492345 + index, message })),
  });

let bus: FakeEventBridge;
beforeAll(async () => {
  for (const [name, value] of Object.entries(FAKE_AWS_CREDENTIALS)) vi.stubEnv(name, value);
  bus = await startFakeEventBridge();
});
afterEach(() => {
  bus.plan([]);
  bus.accepted.length = 0;
  bus.calls.length = 0;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await bus.close();
});

const forwarder = () => {
  const problems: ForwardProblem[] = [];
  const spilled: string[] = [];
  const forward = createEventLogForwarder(
    {
      logger: SILENT_LOGGER,
      spill: (events, reason) => {
        const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
          spilled.push(String(chunk));
          return true;
        });
        try {
          spillToStdout(events, reason);
        } finally {
          write.mockRestore();
        }
      },
      sink: createEventBridgePublisher({ client: createEventBridgeClient(DEADLINE_MS, bus.endpoint), busName: 'authtrail-dev', deadlineMs: DEADLINE_MS }),
    },
    (problem) => problems.push(problem),
  );
  return { forward, problems, spilled };
};

describe('Log-first forwarder', () => {
  it('publishes every event line to the stage bus unchanged, under its own id, and collapses a repeated id', async () => {
    // Prepare
    const events = goldenEvents().slice(0, 12);
    // Lambda may prefix a line (time, request id, level); a Cognito retry logs the same id twice.
    const lines = [...events.map(eventLogLine), `2026-11-27T10:00:00.000Z\t7f1c2d3e\tINFO\t${eventLogLine(events[0]!)}`];
    const { forward, problems } = forwarder();

    // Act
    const summary = await forward(delivery(lines));

    // Assess
    expect(summary).toEqual({ received: 13, published: 12, skipped: 1, spilled: 0 });
    expect(problems).toEqual([]);
    expect(bus.accepted.map((entry) => JSON.parse(entry.Detail) as AuthEvent)).toEqual(events);
    expect(bus.accepted.every((entry) => entry.EventBusName === 'authtrail-dev' && entry.Source === 'authtrail.cognito')).toBe(true);
  });

  it('skips and reports lines that carry no AuthEvent, naming the log event, never quoting it', async () => {
    // Prepare
    const [event] = goldenEvents();
    const secret = 'mallory@example.com';
    const lines = [
      `{"authtrail":"authtrail.event","event":{"user":{"email":"${secret}"}}}`,
      `not json ${secret}`,
      `{"authtrail":"authtrail.spill","note":"${secret}"}`,
      eventLogLine(event!),
    ];
    const { forward, problems } = forwarder();

    // Act
    const summary = await forward(delivery(lines));

    // Assess
    expect(summary).toEqual({ received: 4, published: 1, skipped: 3, spilled: 0 });
    expect(problems.map((problem) => problem.code)).toEqual(['INVALID_EVENT', 'NOT_JSON', 'NOT_AN_EVENT_LINE']);
    expect(problems.map((problem) => problem.logEventId)).toEqual([0, 1, 2].map((index) => `3795773492345000000000000000000000000000000000000${index}`));
    expect(JSON.stringify(problems)).not.toContain(secret);
  });

  it.each([
    ['throttled throughout', { kind: 'throttle' }],
    ['failing throughout', { kind: 'server-error' }],
    ['never answering', { kind: 'stall' }],
  ] as const)('spills what a bus %s refuses, under the same ids, for recover-spilled', async (_name, behaviour) => {
    // Prepare
    bus.plan([], behaviour);
    const events = goldenEvents().slice(0, 3);
    const { forward, spilled } = forwarder();

    // Act
    const summary = await forward(delivery(events.map(eventLogLine)));

    // Assess
    expect(summary).toEqual({ received: 3, published: 0, skipped: 0, spilled: 3 });
    const records = spilled.join('').split('\n').filter((line) => line !== '').map(parseSpillLine);
    expect(records.map((record) => record?.event)).toEqual(events);
  });

  it('ignores the CONTROL_MESSAGE CloudWatch Logs sends when the subscription starts, and an unreadable delivery', async () => {
    // Prepare
    const { forward, problems } = forwarder();

    // Act
    const control = await forward(delivery(['CWL CONTROL MESSAGE: Checking health of destination Lambda function.'], 'CONTROL_MESSAGE'));
    const unreadable = await forward({ awslogs: { data: 'bm90IGd6aXA=' } });

    // Assess
    expect([control, unreadable]).toEqual([
      { received: 0, published: 0, skipped: 0, spilled: 0 },
      { received: 0, published: 0, skipped: 0, spilled: 0 },
    ]);
    expect(problems.map((problem) => problem.code)).toEqual(['UNREADABLE_PAYLOAD']);
    expect(bus.calls).toEqual([]);
  });
});
