import { describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { createCloudTrailIngester, type CloudTrailProblem } from '../../lib/cloudtrail/ingest.ts';
import { PublishError, type EventSink } from '../../lib/sinks/sink.ts';
import type { StageConfig } from '../../lib/config/schema.ts';
import type { MetricPoint } from '../../lib/metrics/catalog.ts';
import { configWith, devConfig, processContext } from '../helpers/fixtures.ts';
import { DEV_POOL, deliveries, delivery } from './helpers.ts';

const setUp = (overrides: { sink?: EventSink; config?: StageConfig; userPoolId?: string | null } = {}) => {
  const published: AuthEvent[] = [];
  const points: MetricPoint[] = [];
  const spilled: { events: readonly AuthEvent[]; reason: string }[] = [];
  const problems: CloudTrailProblem[] = [];
  const logged: unknown[] = [];
  const userPoolId = overrides.userPoolId === undefined ? DEV_POOL : overrides.userPoolId;
  const runtime = {
    ...processContext(overrides.config === undefined ? {} : { config: overrides.config }),
    ...(userPoolId === null ? {} : { userPoolId }),
    sink: overrides.sink ?? { publish: async (events: readonly AuthEvent[]) => void published.push(...events) },
    spill: (events: readonly AuthEvent[], reason: string) => void spilled.push({ events, reason }),
    logger: { info: () => {}, warn: () => {}, error: (...args: unknown[]) => void logged.push(args) },
    metrics: { count: () => undefined, record: (recorded: readonly MetricPoint[]) => void points.push(...recorded) },
  };
  const ingest = createCloudTrailIngester(runtime, (problem) => problems.push(problem));
  return { ingest, published, spilled, problems, logged, points };
};

describe('CloudTrail: a delivery from the default bus goes through the pipeline', () => {
  it('publishes the sign-in records of the stage pool, PII applied, and counts what has no mapping', async () => {
    // Prepare
    const { ingest, published, problems } = setUp({ config: configWith({ ...devConfig(), cloudTrail: { recordsWithoutPoolOrClient: 'accept' } }) });

    // Act
    const summaries = [];
    for (const envelope of [...deliveries('sign-in.ndjson'), ...deliveries('account.ndjson')]) summaries.push(await ingest(envelope));

    // Assess
    expect(summaries.filter((summary) => summary.published === 1)).toHaveLength(18);
    expect(summaries.filter((summary) => summary.ignoredBecause === 'UNMAPPED_EVENT_NAME')).toHaveLength(1);
    expect(published.filter((event) => event.outcome === 'failed').map((event) => event.reason?.code)).toEqual([
      'INCORRECT_CREDENTIALS',
      'USER_NOT_FOUND',
      'CODE_MISMATCH',
      'PASSWORD_ATTEMPTS_EXCEEDED',
      'CODE_MISMATCH',
    ]);
    for (const event of published) expect(event.network?.ip ?? '').not.toMatch(/\.\d{1,3}$/);
    expect(problems).toEqual([]);
  });

  it('counts every refused sign-in step by reason (CloudTrailSignInFailures), also when the bus refuses it', async () => {
    // Prepare: a bus that refuses everything, so every event is spilled
    const refusing: EventSink = { publish: async (events) => { throw new PublishError('bus down', [...events]); } };
    const { ingest, points, spilled } = setUp({ sink: refusing, config: configWith({ ...devConfig(), cloudTrail: { recordsWithoutPoolOrClient: 'accept' } }) });

    // Act
    for (const envelope of [...deliveries('sign-in.ndjson'), ...deliveries('account.ndjson')]) await ingest(envelope);

    // Assess: the five failures of the fixtures; the failed sign-up confirmation is an account event, not a sign-in
    expect(spilled.length).toBeGreaterThan(5);
    expect(points.map((point) => [point.name, point.value, point.dimensions])).toEqual(
      ['INCORRECT_CREDENTIALS', 'USER_NOT_FOUND', 'CODE_MISMATCH', 'PASSWORD_ATTEMPTS_EXCEEDED'].map((reason) => ['CloudTrailSignInFailures', 1, { reason }]),
    );
  });

  it('ignores the records of another pool, of clients the stage does not name, and (by default) of neither', async () => {
    // Prepare
    const { ingest, published, problems } = setUp();
    const otherPool = delivery('account.ndjson', 'AdminDisableUser');
    otherPool.detail.requestParameters.userPoolId = 'eu-west-1_OtherPool1';
    const otherClient = delivery('sign-in.ndjson', 'InitiateAuth');
    otherClient.detail.requestParameters.clientId = '9zzzzzzzzzzzzzzzzzzzzzzzzz';
    const prototypeClient = delivery('sign-in.ndjson', 'InitiateAuth');
    prototypeClient.detail.requestParameters.clientId = '__proto__';
    const neither = delivery('sign-in.ndjson', 'GlobalSignOut');

    // Act
    const summaries = [await ingest(otherPool), await ingest(otherClient), await ingest(prototypeClient), await ingest(neither)];

    // Assess
    expect(summaries.map((summary) => summary.ignoredBecause)).toEqual(['OTHER_POOL', 'UNKNOWN_CLIENT', 'UNKNOWN_CLIENT', 'UNATTRIBUTED']);
    expect(published).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('takes every pool when it knows none (local replays of the documented records)', async () => {
    // Prepare
    const { ingest, published } = setUp({ userPoolId: null });

    // Act
    for (const envelope of deliveries('documented.ndjson')) await ingest(envelope);

    // Assess
    expect(published.map((event) => `${event.category}.${event.action} ${event.outcome}`)).toEqual([
      'signup.self_signup allowed',
      'account.confirm_signup succeeded',
      'signin.authenticate succeeded',
      'token.issue issued',
      'token.client_credentials issued',
      'token.refresh issued',
    ]);
  });

  it('gives a record delivered twice one id', async () => {
    // Prepare
    const { ingest, published } = setUp();
    const envelope = delivery('sign-in.ndjson', 'InitiateAuth');

    // Act
    await ingest(envelope);
    await ingest({ ...envelope, id: 'another-eventbridge-id', 'replay-name': 'archive-replay' });

    // Assess
    expect(published).toHaveLength(2);
    expect(published[0]?.id).toBe(published[1]?.id);
  });

  it('reports what is not a CloudTrail record of a user pool, naming the problem and not the content', async () => {
    // Prepare
    const { ingest, published, problems, logged } = setUp();
    const noEventId = delivery('sign-in.ndjson', 'InitiateAuth');
    delete noEventId.detail.eventID;
    noEventId.detail.userAgent = 'secret-agent 192.0.2.99';

    // Act
    const summaries = [await ingest(noEventId), await ingest('not an event'), await ingest({ source: 'aws.s3', detail: {} })];

    // Assess
    expect(summaries.map((summary) => summary.skipped)).toEqual([1, 1, 1]);
    expect(published).toEqual([]);
    expect(problems.map((problem) => problem.code)).toEqual(['INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD']);
    expect(problems[0]?.message).toContain('detail.eventID');
    expect(JSON.stringify(logged)).not.toContain('192.0.2.99');
    expect(JSON.stringify(logged)).not.toContain('secret-agent');
  });

  it('spills what the bus refused and says so', async () => {
    // Prepare
    const failing: EventSink = {
      publish: async (events) => {
        throw new PublishError('bus down', [...events]);
      },
    };
    const { ingest, spilled, problems } = setUp({ sink: failing });

    // Act
    const summary = await ingest(delivery('sign-in.ndjson', 'InitiateAuth'));

    // Assess
    expect(summary).toMatchObject({ received: 1, published: 0, spilled: 1 });
    expect(spilled).toHaveLength(1);
    expect(problems).toEqual([expect.objectContaining({ code: 'PUBLISH_FAILED', eventId: 'a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b0001' })]);
  });
});
