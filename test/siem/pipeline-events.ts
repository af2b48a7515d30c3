/**
 * Every AuthEvent the real pipeline produces from the fixtures, for tests that
 * check what leaves authtrail (OCSF validity, Splunk CIM fields, detections):
 * - the trigger payloads of events/ as the trigger handlers turn them into
 *   AuthEvents (test/golden/, kept equal to a live replay by
 *   test/replay/golden.test.ts), and the odd payloads of test/fixtures/quirks/
 *   the handlers accept, replayed live;
 * - the Cognito log records of events/cognito-logs/ through the real ingester,
 *   under both IP policies (masked to a network, kept whole);
 * - the CloudTrail records of events/cloudtrail/ through the real ingester
 *   (pool-less records accepted, so every mapped kind is there);
 * - the failed sign-in the inference derives from every sign-in attempt
 *   (lib/inference/failed-sign-in.ts).
 * Nothing here is edited by hand.
 */
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { createCloudTrailIngester } from '../../lib/cloudtrail/ingest.ts';
import { createCognitoLogIngester } from '../../lib/cognito-logs/ingest.ts';
import { failedSignInOf } from '../../lib/inference/failed-sign-in.ts';
import { isDisposableDomain } from '../../lib/policy/disposable-domains.ts';
import { createLocalInvoker } from '../../local/replay/local-invoker.ts';
import { collectFixtureFiles } from '../../local/replay/fixture-file.ts';
import { createReplayer } from '../../local/replay/replay.ts';
import { join, relative } from 'node:path';
import { SILENT_LOGGER } from '../../lib/runtime/handler.ts';
import { DEV_POOL, FIXTURE_FILES, deliveries } from '../cloudtrail/helpers.ts';
import { sampleLines, subscriptionPayload } from '../cognito-logs/helpers.ts';
import { FIXED_NOW, ROOT, TEST_PII_KEY, configWith, devConfig, goldenEvents, loadEvent, processContext } from '../helpers/fixtures.ts';

export type IpPolicy = 'mask' | 'keep';

/**
 * The sample Cognito log records (events/cognito-logs/) as the real ingester publishes them, under an IP policy;
 * `lines` to ingest other records (a sample record with an input changed).
 */
export const cognitoLogEvents = async (ipAction: IpPolicy = 'mask', lines: readonly string[] = sampleLines()): Promise<AuthEvent[]> => {
  const published: AuthEvent[] = [];
  const runtime = {
    ...processContext({ config: configWith({ pii: { fields: { 'network.ip': ipAction } } }) }),
    sink: { publish: async (events: readonly AuthEvent[]) => void published.push(...events) },
    spill: () => undefined,
    logger: SILENT_LOGGER,
  };
  await createCognitoLogIngester(runtime)(subscriptionPayload(lines));
  return published;
};

/** A real CloudTrail ingester for the dev pool (pool-less records accepted) and what it published, in order. */
const cloudTrailIngester = () => {
  const published: AuthEvent[] = [];
  const runtime = {
    ...processContext({ config: configWith({ ...devConfig(), cloudTrail: { recordsWithoutPoolOrClient: 'accept' } }) }),
    userPoolId: DEV_POOL,
    sink: { publish: async (events: readonly AuthEvent[]) => void published.push(...events) },
    spill: () => undefined,
    logger: SILENT_LOGGER,
  };
  return { ingest: createCloudTrailIngester(runtime), published };
};

/** The CloudTrail fixtures (events/cloudtrail/) as the real ingester publishes them for the dev pool. */
export const cloudTrailEvents = async (): Promise<SourcedEvent[]> => {
  const sourced: SourcedEvent[] = [];
  const { ingest, published } = cloudTrailIngester();
  for (const file of FIXTURE_FILES) {
    for (const [index, envelope] of deliveries(file).entries()) {
      const before = published.length;
      await ingest(envelope);
      const source = `cloudtrail ${file} line ${index + 1} ${String(envelope.detail?.eventName)}`;
      sourced.push(...published.slice(before).map((event) => ({ source, event })));
    }
  }
  return sourced;
};

/** CloudTrail deliveries (EventBridge events, e.g. fixtures with inputs varied) as the real ingester publishes them. */
export const cloudTrailEventsOf = async (envelopes: readonly Record<string, any>[]): Promise<AuthEvent[]> => {
  const { ingest, published } = cloudTrailIngester();
  for (const envelope of envelopes) await ingest(envelope);
  return published;
};

/** The failed sign-in inferred for every sign-in attempt let through (120 s window). */
export const inferredFailures = (): AuthEvent[] =>
  goldenEvents()
    .filter((event) => event.action === 'attempt' && event.outcome === 'attempted')
    .map((attempt) => failedSignInOf(attempt, 120));

export interface SourcedEvent {
  source: string;
  event: AuthEvent;
}

/**
 * The odd payloads of test/fixtures/quirks/ (other tools' shapes, nulls, huge
 * values, no client id…) that the triggers accept, as AuthEvents; the ones they
 * refuse produce none.
 */
export const quirkEvents = async (): Promise<SourcedEvent[]> => {
  const replayer = fixtureReplayer();
  const sourced: SourcedEvent[] = [];
  for (const file of collectFixtureFiles([join(ROOT, 'test', 'fixtures', 'quirks')])) {
    const result = await replayer.replayFile(file);
    sourced.push(...result.events.map((event) => ({ source: `quirk ${relative(ROOT, file)}`, event })));
  }
  return sourced;
};

/** Every pipeline-produced AuthEvent, labelled with where it came from. */
export const pipelineEvents = async (): Promise<SourcedEvent[]> => [
  ...goldenEvents().map((event, index) => ({ source: `golden #${index} ${event.trigger.source}`, event })),
  ...(await quirkEvents()),
  ...(await cognitoLogEvents('mask')).map((event, index) => ({ source: `cognito-logs line ${index + 1} (IP masked)`, event })),
  ...(await cognitoLogEvents('keep')).map((event, index) => ({ source: `cognito-logs line ${index + 1} (IP kept)`, event })),
  ...(await cloudTrailEvents()),
  ...inferredFailures().map((event) => ({ source: `inferred failure of ${event.pipeline.inferred?.attemptId}`, event })),
];

/** Replays fixtures through the trigger handlers in-process (dev config, test PII key, a sink that takes everything). */
export const fixtureReplayer = (clock: () => Date = () => FIXED_NOW) =>
  createReplayer(
    createLocalInvoker({
      stage: 'dev',
      config: devConfig(),
      piiKey: TEST_PII_KEY,
      sink: { publish: async () => undefined },
      spill: () => {
        throw new Error('nothing may be spilled when the sink accepts everything');
      },
      logger: SILENT_LOGGER,
      isDisposableDomain,
      clock,
    }),
  );

/**
 * A fixture of events/ replayed through the trigger handlers (dev config, the
 * test PII key), `secondsLater` after the fixed test time, with `change`
 * applied to the trigger payload first: the way detection tests get the many
 * or varied events a rule needs (ten sign-ups, another user) from real input,
 * never by editing an AuthEvent.
 */
export const replayFixture = async (
  file: string,
  { secondsLater = 0, change = () => undefined }: { secondsLater?: number; change?: (payload: Record<string, any>) => void } = {},
): Promise<AuthEvent[]> => {
  const payload = loadEvent(file);
  change(payload);
  const replayer = fixtureReplayer(() => new Date(FIXED_NOW.getTime() + secondsLater * 1000));
  const result = await replayer.replayPayload(`events/${file}`, payload);
  if (!result.ok) throw new Error(`replaying ${file} failed: ${result.error?.message ?? 'unknown'}`);
  return result.events;
};
