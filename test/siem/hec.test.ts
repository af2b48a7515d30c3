/**
 * Splunk HEC as a Splunk admin deploys it, over loopback HTTP to the local
 * receiver acting as a HEC token: GUID channel per forwarder, indexer
 * acknowledgment polling, a partial-batch 400 (`invalid-event-number`), and
 * envelopes in Splunk's documented event format whose indexed fields never
 * repeat a key of the event.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSiemSender, systemDeliveryIo, type DeliveryIo, type SinkSettings } from '../../lib/siem/delivery.ts';
import { toSplunkHec } from '../../lib/siem/formats/index.ts';
import { HecCode, hecAckUrl, parseHecAnswer } from '../../lib/siem/hec.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import type { HecAckSimulation, SiemReceiver } from '../../local/siem/receiver.ts';
import { goldenEventsWithIds, newSecret, sinkFor, startReceiver } from './helpers.ts';
import { pipelineEvents } from './pipeline-events.ts';

const secret = newSecret();
const HEC_TOKEN = 'hec-token-acked';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const transport = createHttpTransport();
const splunk = { sourcetype: 'authtrail:authevent', source: 'authtrail' };
let receivers: SiemReceiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  receivers = [];
});
afterAll(() => transport.close());

const hecReceiver = async (hecAck?: HecAckSimulation) => {
  const receiver = await startReceiver({ secrets: [secret], hecToken: HEC_TOKEN, ...(hecAck === undefined ? {} : { hecAck }) });
  receivers.push(receiver);
  return receiver;
};

/** A clock that only moves when delivery sleeps, so ack polling takes no real time. */
const virtualClock = (): Pick<DeliveryIo, 'now' | 'sleep'> & { slept: number[] } => {
  // Starts at the real time: the receiver checks signature timestamps against its own clock.
  let now = Date.now();
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
};

const hecSender = (receiver: SiemReceiver, splunkChanges: Partial<SinkSettings['splunk']>, batch = { maxEvents: 100, maxBytes: 1024 * 1024 }) => {
  const clock = virtualClock();
  const sender = createSiemSender({
    sink: sinkFor(`${receiver.url}services/collector/event`, { format: 'splunk-hec', batch, splunk: { ...splunk, ...splunkChanges } }),
    credentials: { webhookSecrets: [secret], hecToken: HEC_TOKEN },
    io: { ...systemDeliveryIo(transport.send), ...clock },
  });
  return { sender, clock };
};

let generation = 0;
const freshEvents = (count: number) => goldenEventsWithIds(count, `4ec${(generation += 1).toString(16).padStart(5, '0')}`);

describe('HEC: channels', () => {
  it('a token with indexer acknowledgment refuses a batch without a channel (what the issue saw) and takes it on a per-forwarder GUID channel', async () => {
    // Prepare
    const receiver = await hecReceiver({ pollsBeforeAck: 0 });
    const events = freshEvents(3);

    // Act
    const withoutChannel = await hecSender(receiver, {}).sender.deliver(events);
    const withChannel = await hecSender(receiver, { channel: 'per-forwarder' }).sender.deliver(events);

    // Assess
    expect(withoutChannel).toMatchObject({ delivered: 0, rejected: 3 });
    expect(withoutChannel.results[0]).toMatchObject({ reason: expect.stringContaining(`HEC code ${HecCode.DataChannelMissing}`) });
    expect(withChannel).toMatchObject({ delivered: 3, rejected: 0, failed: 0 });
    expect(receiver.stats.stored).toBe(3);
  });

  it('one GUID per forwarder: the same on every request of a sender, another for another sender', async () => {
    // Prepare
    const receiver = await hecReceiver();
    const first = hecSender(receiver, { channel: 'per-forwarder' }, { maxEvents: 2, maxBytes: 1024 * 1024 }).sender;
    const second = hecSender(receiver, { channel: 'per-forwarder' }).sender;

    // Act
    await first.deliver(freshEvents(5));
    await second.deliver(freshEvents(2));

    // Assess
    const channels = receiver.requests.map((request) => request.headers['x-splunk-request-channel']);
    expect(channels).toHaveLength(4);
    expect(channels.every((channel) => typeof channel === 'string' && GUID.test(channel))).toBe(true);
    expect(new Set(channels.slice(0, 3)).size).toBe(1);
    expect(channels[3]).not.toBe(channels[0]);
  });

  it('no channel header unless the stage asks for one', async () => {
    // Prepare
    const receiver = await hecReceiver();

    // Act
    await hecSender(receiver, {}).sender.deliver(freshEvents(1));

    // Assess
    expect(receiver.requests[0]?.headers).not.toHaveProperty('x-splunk-request-channel');
  });
});

describe('HEC: indexer acknowledgment', () => {
  it('a batch counts as delivered only once /services/collector/ack confirms its ackId', async () => {
    // Prepare: the indexer confirms on the third poll
    const receiver = await hecReceiver({ pollsBeforeAck: 2 });
    const { sender, clock } = hecSender(receiver, { ack: { enabled: true, pollIntervalMs: 500, timeoutMs: 10_000 } }, { maxEvents: 4, maxBytes: 1024 * 1024 });

    // Act
    const report = await sender.deliver(freshEvents(8));

    // Assess
    expect(report).toMatchObject({ delivered: 8, failed: 0, requests: 2 });
    expect(receiver.stats.ackPolls).toBe(6);
    expect(clock.slept).toEqual([500, 500, 500, 500, 500, 500]);
    expect(receiver.stats.stored).toBe(8);
  });

  it('an ackId never confirmed: the batch is failed (retryable) after ack.timeoutMs, and the batches after it are not sent', async () => {
    // Prepare
    const receiver = await hecReceiver({ pollsBeforeAck: -1 });
    const { sender, clock } = hecSender(receiver, { ack: { enabled: true, pollIntervalMs: 1_000, timeoutMs: 5_000 } }, { maxEvents: 2, maxBytes: 1024 * 1024 });

    // Act
    const report = await sender.deliver(freshEvents(4));

    // Assess
    expect(report).toMatchObject({ delivered: 0, rejected: 0, failed: 4, requests: 1 });
    expect(report.results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('not confirmed within 5000 ms') });
    expect(receiver.stats.ackPolls).toBe(5);
    expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBe(5_000);
  });

  it('polling stops before the deadline (the Lambda timeout), whatever ack.timeoutMs says', async () => {
    // Prepare
    const receiver = await hecReceiver({ pollsBeforeAck: -1 });
    const { sender, clock } = hecSender(receiver, { ack: { enabled: true, pollIntervalMs: 1_000, timeoutMs: 60_000 } });

    // Act
    const report = await sender.deliver(freshEvents(2), { deadlineAt: clock.now() + 2_500 });

    // Assess
    expect(report).toMatchObject({ delivered: 0, failed: 2 });
    expect(report.results[0]).toMatchObject({ reason: expect.stringContaining('not confirmed before the deadline') });
    expect(receiver.stats.ackPolls).toBe(2);
  });

  it('the ack endpoint of any HEC event URL', () => {
    // Assess
    expect(hecAckUrl('https://splunk.example:8088/services/collector/event')).toBe('https://splunk.example:8088/services/collector/ack');
    expect(hecAckUrl('https://http-inputs-acme.splunkcloud.com/services/collector/event/1.0?index=x')).toBe(
      'https://http-inputs-acme.splunkcloud.com/services/collector/ack',
    );
    expect(hecAckUrl('https://proxy.example/splunk/services/collector')).toBe('https://proxy.example/splunk/services/collector/ack');
  });
});

describe('HEC: a batch with one bad event', () => {
  it('400 invalid-event-number 3: events 0-2 delivered, event 3 dead-lettered alone, 4-9 sent again; nothing duplicated or lost', async () => {
    // Prepare
    const receiver = await hecReceiver();
    receiver.setFaults([{ kind: 'hec-invalid-event', index: 3 }]);
    const events = freshEvents(10);

    // Act
    const report = await hecSender(receiver, {}).sender.deliver(events);

    // Assess
    expect(report).toMatchObject({ delivered: 9, rejected: 1, failed: 0, requests: 2 });
    expect(report.results[3]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('event 3 of the batch') });
    expect(report.results.filter((result) => result.status === 'delivered')).toHaveLength(9);
    expect(receiver.stats).toMatchObject({ stored: 9, duplicates: 0 });
    expect(events.filter((event) => !receiver.has(event.id)).map((event) => event.id)).toEqual([events[3]?.id]);
    expect(receiver.requests[1]?.body.split('\n').filter((line) => line !== '')).toHaveLength(6);
  });

  it('the bad event first or last: nothing before it, or nothing to resend', async () => {
    // Prepare
    const receiver = await hecReceiver();

    // Act
    receiver.setFaults([{ kind: 'hec-invalid-event', index: 0 }]);
    const first = await hecSender(receiver, {}).sender.deliver(freshEvents(5));
    receiver.setFaults([{ kind: 'hec-invalid-event', index: 4 }]);
    const last = await hecSender(receiver, {}).sender.deliver(freshEvents(5));

    // Assess
    expect(first.results.map((result) => result.status)).toEqual(['rejected', 'delivered', 'delivered', 'delivered', 'delivered']);
    expect(last.results.map((result) => result.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'rejected']);
    expect(last.requests).toBe(1);
    expect(receiver.stats).toMatchObject({ stored: 8, duplicates: 0 });
  });

  it('reads HEC answers as Splunk writes them, and nothing else', () => {
    // Assess
    expect(parseHecAnswer('{"text":"Invalid data format","code":6,"invalid-event-number":2}')).toEqual({ text: 'Invalid data format', code: 6, invalidEventNumber: 2 });
    expect(parseHecAnswer('{"text":"Success","code":0,"ackId":7}')).toEqual({ text: 'Success', code: 0, ackId: 7 });
    expect(parseHecAnswer('<html>bad gateway</html>')).toEqual({});
    expect(parseHecAnswer('{"invalid-event-number":"2"}')).toEqual({});
  });
});

/** Every key path of a JSON value as Splunk's JSON extraction names fields (`a.b`, arrays as `a{}.b`). */
const extractedFieldNames = (value: unknown, prefix = ''): string[] => {
  if (Array.isArray(value)) return value.flatMap((element) => extractedFieldNames(element, `${prefix}{}`));
  if (value === null || typeof value !== 'object') return prefix === '' ? [] : [prefix];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(prefix === '' ? [key] : [`${prefix}.${key}`]),
    ...extractedFieldNames(inner, prefix === '' ? key : `${prefix}.${key}`),
  ]);
};

describe("HEC: envelopes in Splunk's event format", () => {
  it('every pipeline event: only the documented envelope keys, epoch-seconds time, flat string indexed fields, none repeating a key of the event, no `action`', async () => {
    // Prepare
    const events = (await pipelineEvents()).map(({ event }) => event);

    // Act
    const envelopes = events.map((event) => JSON.parse(JSON.stringify(toSplunkHec(event, { ...splunk, index: 'auth', host: 'h' }))));

    // Assess
    for (const envelope of envelopes) {
      expect(Object.keys(envelope).every((key) => ['time', 'host', 'source', 'sourcetype', 'index', 'event', 'fields'].includes(key))).toBe(true);
      expect(typeof envelope.time).toBe('number');
      expect(envelope.time).toBe(Date.parse(envelope.event.cognitoLog?.at ?? envelope.event.cloudTrail?.at ?? envelope.event.time) / 1000);
      const fields = envelope.fields as Record<string, unknown>;
      expect(Object.values(fields).every((value) => typeof value === 'string')).toBe(true);
      const bodyFields = new Set(extractedFieldNames(envelope.event));
      expect(Object.keys(fields).filter((name) => bodyFields.has(name))).toEqual([]);
      expect(fields).not.toHaveProperty('action');
    }
  });
});
