/**
 * Every format in the registry (lib/siem/formats/index.ts), whatever it is:
 * what a new format must do to be registered, checked here instead of by review
 * (docs/extending.md, "A SIEM format"). Each registered format round-trips the
 * real pipeline's AuthEvents through delivery, the local receiver on loopback
 * and its own decoder; the stage config takes its name; its credentials are
 * required by name; and the docs describe it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { parseStageConfig } from '../../lib/config/load.ts';
import { ConfigError } from '../../lib/errors.ts';
import { createSiemSender, systemDeliveryIo, type SiemCredentials } from '../../lib/siem/delivery.ts';
import { SIEM_FORMATS, SIEM_FORMAT_MODULES, encodeRecord, type SiemFormat } from '../../lib/siem/formats/index.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { formatCredentials, newSecret, sinkFor, startReceiver } from './helpers.ts';
import { pipelineEvents } from './pipeline-events.ts';

const secret = newSecret();
const transport = createHttpTransport();
const splunk = { sourcetype: 'authtrail:authevent', source: 'authtrail', index: 'auth' };
let events: AuthEvent[] = [];

beforeAll(async () => {
  events = (await pipelineEvents()).map(({ event }) => event);
});
afterAll(() => transport.close());

/** The webhook secret and a made-up value for each credential the format needs, named after it (never a real secret). */
const credentialsFor = (format: (typeof SIEM_FORMAT_MODULES)[number]): SiemCredentials => {
  const values = formatCredentials();
  return { webhookSecrets: [secret], ...Object.fromEntries(format.credentials.map(({ key }) => [key, values[key]])) };
};

/** The formats docs/configuration.md lists beside `siem.format` (`"format": "ndjson",   // ndjson | json | …`). */
const formatsListedIn = (configurationDoc: string): string[] => {
  const line = configurationDoc.split('\n').find((text) => text.trimStart().startsWith('"format":') && text.includes('//'));
  return line?.split('//')[1]?.split('|').map((item) => item.trim()) ?? [];
};

const registered = SIEM_FORMAT_MODULES.map((format) => [format.name, format] as const);

/**
 * Where each format's documented shape is held as a fixture, and the test that
 * checks our records against it. A `Record` over every format: a new format does
 * not compile here until it names its vendor's shape (source and version in a README beside it).
 */
const VENDOR_SHAPE: Record<SiemFormat, { fixture: string; test: string }> = {
  ndjson: { fixture: 'docs/auth-event.schema.json', test: 'test/auth-event/schema.test.ts' },
  json: { fixture: 'docs/auth-event.schema.json', test: 'test/auth-event/schema.test.ts' },
  'splunk-hec': { fixture: 'splunk/authtrail/default/props.conf', test: 'test/siem/splunk.test.ts' },
  ocsf: { fixture: 'test/fixtures/ocsf/1.3.0/README.md', test: 'test/siem/ocsf.test.ts' },
};

describe('Format registry: every registered format', () => {
  it('is listed once, in the order of SIEM_FORMATS', () => {
    // Assess
    expect(SIEM_FORMAT_MODULES.map((format) => format.name)).toEqual(SIEM_FORMATS);
    expect(new Set(SIEM_FORMATS).size).toBe(SIEM_FORMATS.length);
  });

  it.each(registered)('%s: the pipeline events go through delivery, the local receiver and back through its decoder unchanged', async (name, format) => {
    // Prepare
    const credentials = credentialsFor(format);
    const receiver = await startReceiver({ secrets: [secret], ...(credentials.hecToken === undefined ? {} : { hecToken: credentials.hecToken }) });
    const sender = createSiemSender({
      sink: sinkFor(receiver.url, { format: name, splunk, batch: { maxEvents: 10_000, maxBytes: 16 * 1024 * 1024 } }),
      credentials,
      io: systemDeliveryIo(transport.send),
    });
    // The receiver stores an id once (the two IP policies give the same Cognito log record one id): the first to arrive.
    const firstOfEachId = events.filter((event, index) => events.findIndex((other) => other.id === event.id) === index);

    try {
      // Act
      const report = await sender.deliver(events);

      // Assess
      expect(events.length).toBeGreaterThan(50);
      expect(report).toMatchObject({ delivered: events.length, rejected: 0, failed: 0, requests: 1 });
      const [request] = receiver.requests;
      expect(request?.status).toBe(200);
      expect(request?.headers['content-type']).toBe(format.contentType);
      for (const [header, value] of Object.entries(format.headers(credentials as never))) expect(request?.headers[header]).toBe(value);
      const decoded = format.decode(request?.body ?? '');
      expect(decoded.map((record) => record.id)).toEqual(events.map((event) => event.id));
      expect(decoded.map((record) => record.record)).toEqual(events.map((event) => JSON.parse(encodeRecord(name, event, { splunk }))));
      expect(new Set(decoded.map((record) => record.format))).toEqual(new Set([name]));
      expect(receiver.stored.map((record) => [record.id, record.format])).toEqual(firstOfEachId.map((event) => [event.id, name]));
      expect(receiver.stored.map((record) => record.record)).toEqual(firstOfEachId.map((event) => JSON.parse(encodeRecord(name, event, { splunk }))));
    } finally {
      await receiver.close();
    }
  });

  it.each(registered)('%s: the stage config takes its name', (name) => {
    // Act
    const config = parseStageConfig({ siem: { format: name } }, 'in test');

    // Assess
    expect(config.siem.format).toBe(name);
  });

  it.each(registered)('%s: delivery refuses to start without its credentials, naming each one and never a value', (name, format) => {
    // Prepare
    const withAll = credentialsFor(format);
    const build = (credentials: SiemCredentials) => () =>
      createSiemSender({ sink: sinkFor('http://127.0.0.1:9/', { format: name }), credentials, io: systemDeliveryIo(transport.send) });

    // Act / Assess
    expect(build(withAll)).not.toThrow();
    for (const { key, env } of format.credentials) {
      const without = { ...withAll, [key]: undefined };
      expect(build(without)).toThrow(ConfigError);
      expect(build(without)).toThrow(new RegExp(`the ${name} format needs .*${key} in the SIEM secret, or ${env} locally`));
      expect(build({ ...withAll, [key]: '' })).toThrow(ConfigError);
      try {
        build(without)();
      } catch (error) {
        for (const value of Object.values(withAll).flat()) expect((error as Error).message).not.toContain(String(value));
      }
    }
  });

  it.each(registered)('%s: its vendor\'s documented shape is a fixture a test checks against', (name) => {
    // Assess
    expect(existsSync(join(ROOT, VENDOR_SHAPE[name].fixture)), VENDOR_SHAPE[name].fixture).toBe(true);
    expect(existsSync(join(ROOT, VENDOR_SHAPE[name].test)), VENDOR_SHAPE[name].test).toBe(true);
  });

  it.each(registered)('%s: docs/siem.md ("Formats") and docs/configuration.md (siem.format) describe it', (name, format) => {
    // Prepare
    const siemDoc = readFileSync(join(ROOT, 'docs', 'siem.md'), 'utf8');
    const configurationDoc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');

    // Act
    const row = siemDoc.split('\n').find((line) => line.startsWith(`| \`${name}\``));

    // Assess
    expect(row, `docs/siem.md has no "| \`${name}\` |" row in its Formats table`).toBeDefined();
    expect(row).toContain(`\`${format.contentType}\``);
    expect(formatsListedIn(configurationDoc)).toContain(name);
  });

  it('docs/configuration.md lists no format the registry does not have', () => {
    // Act
    const listed = formatsListedIn(readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8'));

    // Assess
    expect(listed.filter((name) => !(SIEM_FORMATS as string[]).includes(name))).toEqual([]);
  });
});
