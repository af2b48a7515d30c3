/** The `siem` section of the stage config: additive, with defaults, strict like the rest. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStageConfigFile, parseStageConfig } from '../../lib/config/load.ts';
import { ROOT } from '../helpers/fixtures.ts';

describe('Config: siem section', () => {
  it('defaults everything when a config file has no siem section', () => {
    // Act
    const config = parseStageConfig({}, 'in test');

    // Assess
    expect(config.siem).toEqual({
      format: 'ndjson',
      categories: ['signup', 'signin', 'token', 'account'],
      batch: { maxEvents: 100, maxBytes: 1048576 },
      timeoutMs: 10000,
      retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30000 },
      splunk: {
        sourcetype: 'authtrail:authevent',
        source: 'authtrail',
        channel: 'none',
        ack: { enabled: false, pollIntervalMs: 1000, timeoutMs: 60000 },
      },
      local: { port: 8787 },
    });
  });

  it.each([
    [{ siem: { format: 'cef' } }, /siem.format: Invalid option: expected one of "ndjson"\|"json"\|"splunk-hec"\|"ocsf"/],
    [{ siem: { batch: { maxEvent: 10 } } }, /siem.batch: Unrecognized key: "maxEvent"/],
    [{ siem: { categories: [] } }, /siem.categories: Too small/],
    [{ siem: { categories: ['logout'] } }, /siem.categories.0: Invalid option/],
    [{ siem: { splunk: { channel: 'shared' } } }, /siem.splunk.channel: Invalid option/],
    [{ siem: { splunk: { ack: { timeoutMs: 10 } } } }, /siem.splunk.ack.timeoutMs: Too small/],
  ])('names the field of a bad siem setting: %o', (input, message) => {
    // Act / Assess
    expect(() => parseStageConfig(input, 'in test')).toThrow(message);
  });
});

describe('Config: the SIEM client timeout of every stage (issue 16, item 10)', () => {
  const forwarderTimeoutSeconds = Number(
    /\n {2}siem-forwarder:\n(?: {4}.*\n)*? {4}timeout: (\d+)\n/.exec(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'))?.[1],
  );

  it.each(['dev', 'staging', 'prod'])('%s: longer than a slow SIEM answer (5 s), inside the forwarder\'s timeout less its 2 s reserve', (stage) => {
    // Act
    const { timeoutMs } = loadStageConfigFile(join(ROOT, 'config', `${stage}.json`)).siem;

    // Assess
    expect(forwarderTimeoutSeconds).toBe(30);
    expect(timeoutMs).toBeGreaterThan(5_000);
    expect(timeoutMs).toBeLessThanOrEqual(forwarderTimeoutSeconds * 1000 - 2_000);
  });
});
