/** SIEM test helpers: the real AuthEvents of test/golden/, their bus envelopes, secrets, a receiver per test. */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { StageConfigSchema } from '../../lib/config/schema.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { sinkFromConfig, type SinkSettings } from '../../lib/siem/delivery.ts';
import { startSiemReceiver, type ReceiverOptions, type SiemReceiver } from '../../lib/siem/receiver.ts';
import { webhookSecretFrom } from '../../lib/siem/signing.ts';
import { ROOT } from '../helpers/fixtures.ts';

const GOLDEN = join(ROOT, 'test', 'golden');

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.json') ? [join(dir, entry.name)] : [],
  );

const all = new Map<string, AuthEvent>(
  walk(GOLDEN)
    .sort()
    .flatMap((file) =>
      (JSON.parse(readFileSync(file, 'utf8')) as { events: AuthEvent[] }).events.map(
        (event) => [relative(GOLDEN, file), event] as const,
      ),
    ),
);

/** Every AuthEvent our triggers produced for the fixtures (23), in file order. */
export const goldenEvents = (): AuthEvent[] => structuredClone([...all.values()]);

/** One golden event by file, e.g. "post-authentication/sign-in-web.json". */
export const golden = (file: string): AuthEvent => {
  const event = all.get(file);
  if (event === undefined) throw new Error(`no golden event ${file}`);
  return structuredClone(event);
};

/** The SQS message body the SIEM rule writes for an event. */
export const envelopeBody = (event: AuthEvent): string => JSON.stringify(toBusEnvelope(event, '123456789012', 'eu-west-1'));

export const newSecret = (): string => webhookSecretFrom(randomBytes(32));

/** The default stage SIEM settings for a URL, with changes. */
export const sinkFor = (url: string, changes: Partial<SinkSettings> = {}): SinkSettings => ({
  ...sinkFromConfig(StageConfigSchema.parse({}).siem, url),
  ...changes,
});

/** A receiver on an ephemeral loopback port (AUTHTRAIL_TEST_SIEM_PORT to pin one), recording requests. */
export const startReceiver = (options: Omit<ReceiverOptions, 'port'> & { port?: number }): Promise<SiemReceiver> =>
  startSiemReceiver({ port: Number(process.env.AUTHTRAIL_TEST_SIEM_PORT ?? 0), recordRequests: true, ...options });

/** A sleep that records its waits and does not wait. */
export const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};
