import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { createCognitoLogIngester, type CognitoLogProblem } from '../../lib/cognito-logs/ingest.ts';
import { decodeSubscriptionEvent, encodeSubscriptionEvent } from '../../lib/cognito-logs/subscription.ts';
import { HASH_PREFIX, maskIp } from '../../lib/pii.ts';
import { PublishError, type EventSink } from '../../lib/sinks/sink.ts';
import type { TriggerRuntime } from '../../lib/runtime/handler.ts';
import { configWith, processContext } from '../helpers/fixtures.ts';
import { sampleLines, subscriptionPayload } from './helpers.ts';

const RAW_IPS = ['192.0.2.44', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '203.0.113.77', '198.51.100.23', '192.0.2.200'];

const setUp = (overrides: { sink?: EventSink; config?: TriggerRuntime['config'] } = {}) => {
  const published: AuthEvent[] = [];
  const spilled: { events: readonly AuthEvent[]; reason: string }[] = [];
  const problems: CognitoLogProblem[] = [];
  const logged: unknown[] = [];
  const runtime = {
    ...processContext(overrides.config === undefined ? {} : { config: overrides.config }),
    sink: overrides.sink ?? { publish: async (events: readonly AuthEvent[]) => void published.push(...events) },
    spill: (events: readonly AuthEvent[], reason: string) => void spilled.push({ events, reason }),
    logger: { info: () => {}, warn: () => {}, error: (...args: unknown[]) => void logged.push(args) },
  };
  const ingest = createCognitoLogIngester(runtime, (problem) => problems.push(problem));
  return { ingest, published, spilled, problems, logged };
};

describe('Cognito logs: a subscription delivery goes through the pipeline', () => {
  it('publishes every supported record of a gzip+base64 delivery and skips the rest', async () => {
    // Prepare
    const { ingest, published, problems } = setUp();

    // Act
    const summary = await ingest(subscriptionPayload(sampleLines()));

    // Assess
    expect(summary).toEqual({ received: 7, published: 6, skipped: 1, spilled: 0 });
    expect(published.map((event) => `${event.category}.${event.action} ${event.outcome}`)).toEqual([
      'signin.authenticate succeeded',
      'signin.authenticate failed',
      'signin.authenticate denied',
      'signup.self_signup allowed',
      'account.password_reset succeeded',
      'account.password_change succeeded',
    ]);
    expect(problems).toEqual([expect.objectContaining({ code: 'UNSUPPORTED_EVENT_TYPE', logEventId: expect.any(String) })]);
  });

  it('keeps a bad record from stopping the good ones, and reports it without its content', async () => {
    // Prepare
    const { ingest, published, problems, logged } = setUp();
    const lines = sampleLines();
    const notJson = '{"email":"alice@example.com","phone":+15551234567, ip=192.0.2.250}';
    const notCognito = JSON.stringify({ eventSource: 'SOMETHING_ELSE', message: { ipAddress: '192.0.2.251' } });

    // Act
    const summary = await ingest(subscriptionPayload([notJson, lines[0] ?? '', notCognito, lines[1] ?? '']));

    // Assess
    expect(summary).toMatchObject({ received: 4, published: 2, skipped: 2 });
    expect(published).toHaveLength(2);
    expect(problems.map((problem) => problem.code)).toEqual(['INVALID_JSON', 'INVALID_RECORD']);
    expect(JSON.stringify(logged)).not.toMatch(/192\.0\.2\.25[01]/);
    expect(JSON.stringify([logged, problems])).not.toMatch(/alice|example\.com|555123|\+1/);
    expect(problems[0]?.message).toBe('the log message is not valid JSON: unexpected character at position 37 (line 1, column 38)');
  });

  it('never publishes a raw IP under the default policy: it keeps the network only', async () => {
    // Prepare
    const { ingest, published } = setUp();

    // Act
    await ingest(subscriptionPayload(sampleLines()));

    // Assess
    const text = JSON.stringify(published);
    for (const ip of RAW_IPS) expect(text).not.toContain(ip);
    expect(published.map((event) => event.network?.ip)).toEqual([
      '192.0.2.0/24',
      '2001:db8:85a3::/48',
      '203.0.113.0/24',
      '198.51.100.0/24',
      '192.0.2.0/24',
      '192.0.2.0/24',
    ]);
    expect(published[0]?.user.username).toMatch(new RegExp(`^${HASH_PREFIX}[0-9a-f]{32}$`));
  });

  it('hashes, drops or keeps the IP as the stage policy says', async () => {
    // Prepare
    const runs = await Promise.all(
      (['hash', 'drop', 'keep'] as const).map(async (action) => {
        const { ingest, published } = setUp({ config: configWith({ pii: { fields: { 'network.ip': action } } }) });
        await ingest(subscriptionPayload(sampleLines().slice(0, 1)));
        return published[0]?.network;
      }),
    );

    // Assess
    const [hashed, dropped, kept] = runs;
    expect(hashed?.ip).toMatch(new RegExp(`^${HASH_PREFIX}[0-9a-f]{32}$`));
    expect(dropped).toEqual({ city: 'Dublin', country: 'Ireland' });
    expect(kept?.ip).toBe('192.0.2.44');
  });

  it('spills what the bus did not take and still returns', async () => {
    // Prepare
    const sink: EventSink = {
      publish: async (events) => {
        throw new PublishError('deadline of 800 ms exceeded', events.slice(1));
      },
    };
    const { ingest, spilled, problems } = setUp({ sink });

    // Act
    const summary = await ingest(subscriptionPayload(sampleLines()));

    // Assess
    expect(summary).toEqual({ received: 7, published: 1, skipped: 1, spilled: 5 });
    expect(spilled).toHaveLength(1);
    expect(spilled[0]?.events).toHaveLength(5);
    expect(spilled[0]?.reason).toContain('deadline');
    expect(problems.map((problem) => problem.code)).toContain('PUBLISH_FAILED');
  });

  it('ignores the control message a new subscription sends', async () => {
    // Prepare
    const { ingest, published, problems } = setUp();

    // Act
    const summary = await ingest(subscriptionPayload(['CWL CONTROL MESSAGE: Checking health of destination'], 'CONTROL_MESSAGE'));

    // Assess
    expect(summary).toEqual({ received: 0, published: 0, skipped: 0, spilled: 0 });
    expect(published).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('reports a delivery it cannot decode instead of throwing', async () => {
    // Prepare
    const { ingest, problems } = setUp();

    // Act
    const notGzip = await ingest({ awslogs: { data: Buffer.from('plain text').toString('base64') } });
    const notLogs = await ingest({ Records: [] });

    // Assess
    expect(notGzip.received).toBe(0);
    expect(notLogs.received).toBe(0);
    expect(problems.map((problem) => problem.code)).toEqual(['UNREADABLE_PAYLOAD', 'UNREADABLE_PAYLOAD']);
  });

  it('gives the same ids when the same delivery is read twice', async () => {
    // Prepare
    const first = setUp();
    const second = setUp();
    const payload = subscriptionPayload(sampleLines());

    // Act
    await first.ingest(payload);
    await second.ingest(structuredClone(payload));

    // Assess
    expect(second.published.map((event) => event.id)).toEqual(first.published.map((event) => event.id));
    expect(new Set(first.published.map((event) => event.id)).size).toBe(6);
  });
});

describe('Cognito logs: the subscription payload codec', () => {
  it('decodes what it encodes', () => {
    // Prepare
    const data = decodeSubscriptionEvent(subscriptionPayload(sampleLines().slice(0, 2)));

    // Act
    const again = decodeSubscriptionEvent(encodeSubscriptionEvent(data));

    // Assess
    expect(again).toEqual(data);
    expect(again.logEvents).toHaveLength(2);
  });
});

describe('PII: IP masking', () => {
  it.each([
    ['192.0.2.44', '192.0.2.0/24'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['not-an-ip', 'no***'],
  ])('masks %s as %s', (ip, masked) => {
    // Act
    const result = maskIp(ip);

    // Assess
    expect(result).toBe(masked);
  });
});
