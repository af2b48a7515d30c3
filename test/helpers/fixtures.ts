/** Test helpers: real fixture payloads and the dev stage config, loaded once and cloned per test. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { loadStageConfigFile, parseStageConfig } from '../../lib/config/load.ts';
import type { StageConfig, StageConfigInput } from '../../lib/config/schema.ts';
import { isDisposableDomain } from '../../lib/policy/disposable-domains.ts';
import { collectFixtureFiles } from '../../local/replay/fixture-file.ts';
import type { ProcessContext } from '../../lib/runtime/process.ts';
import { PIPELINE_VERSION } from '../../lib/version.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

const cache = new Map<string, unknown>();

/** A fixture from events/ (or test/fixtures/ with a path starting there), as a fresh copy to change per case. */
export const loadEvent = <T = Record<string, any>>(path: string): T => {
  const file = path.startsWith('test/') ? join(ROOT, path) : join(ROOT, 'events', path);
  if (!cache.has(file)) cache.set(file, JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')));
  return structuredClone(cache.get(file)) as T;
};

export const devConfig = (): StageConfig => loadStageConfigFile(join(ROOT, 'config', 'dev.json'));

export const configWith = (input: StageConfigInput): StageConfig => parseStageConfig(input, 'in test');

/** Credentials and region for SDK clients that only ever talk to loopback fakes in tests. */
export const FAKE_AWS_CREDENTIALS = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-test-secret',
} as const;

export const TEST_PII_KEY = 'test-pii-key-0123456789abcdef';
/** A dropped clientMetadata key name as events carry it: its HMAC under the test key (lib/pii.ts). */
export const hashOfKey = (name: string): string => `hmac-sha256:${createHmac('sha256', TEST_PII_KEY).update(name).digest('hex').slice(0, 32)}`;

export const FIXED_NOW = new Date('2026-11-27T10:00:00.000Z');

export const processContext = (overrides: Partial<ProcessContext> = {}): ProcessContext => {
  const config = overrides.config ?? devConfig();
  return {
    stage: 'dev',
    config,
    piiKey: TEST_PII_KEY,
    clock: () => FIXED_NOW,
    pipeline: { version: PIPELINE_VERSION, piiKeyId: config.pii.keyId },
    isDisposableDomain,
    ...overrides,
  };
};

const GOLDEN = join(ROOT, 'test', 'golden');
let goldenByFile: Map<string, AuthEvent> | undefined;
/** test/golden/ by file ("post-authentication/sign-in-web.json"), read on first use. */
const goldenFiles = (): Map<string, AuthEvent> =>
  (goldenByFile ??= new Map(
    collectFixtureFiles([GOLDEN]).flatMap((file) =>
      (JSON.parse(readFileSync(file, 'utf8')) as { events: AuthEvent[] }).events.map((event) => [relative(GOLDEN, file), event] as const),
    ),
  ));

/** Every AuthEvent our triggers produced for the fixtures (31), in file order. */
export const goldenEvents = (): AuthEvent[] => structuredClone([...goldenFiles().values()]);

/** One golden event by file, e.g. "post-authentication/sign-in-web.json", as a fresh copy. */
export const golden = (file: string): AuthEvent => {
  const event = goldenFiles().get(file);
  if (event === undefined) throw new Error(`no golden event ${file}`);
  return structuredClone(event);
};
