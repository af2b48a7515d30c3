/**
 * The saved queries on the real signals, run (by the preview's Logs Insights
 * subset) over what the pipeline produces from CloudTrail records: the fixtures
 * of events/cloudtrail/ through the cloudtrail-events ingester, as bus envelopes
 * the way the events log group holds them, plus a spraying burst built from them.
 */
import { describe, expect, it } from 'vitest';
import { queryNamed } from '../../dashboards/queries.ts';
import { runQuery } from '../../dashboards/preview/logs-insights.ts';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { createCloudTrailIngester } from '../../lib/cloudtrail/ingest.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { goldenEvents, processContext } from '../helpers/fixtures.ts';
import { deliveries, delivery } from '../cloudtrail/helpers.ts';

/** Wrong passwords for `users` different users from one network, one after the other. */
const spray = (users: number): Record<string, any>[] =>
  Array.from({ length: users }, (_, index) => {
    const envelope = delivery('sign-in.ndjson', 'InitiateAuth', 0);
    envelope.detail.eventID = `5a7b0c1d-2e3f-4a5b-8c6d-7e8f9a0b${String(index).padStart(4, '0')}`;
    envelope.detail.sourceIPAddress = `203.0.113.${10 + index}`;
    envelope.detail.additionalEventData.sub = `0000000${index}-1111-4222-8333-444455556666`;
    return envelope;
  });

const pipelineRecords = async (extra: Record<string, any>[] = []) => {
  const published: AuthEvent[] = [];
  const runtime = {
    ...processContext(),
    sink: { publish: async (events: readonly AuthEvent[]) => void published.push(...events) },
    spill: () => undefined,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  };
  const ingest = createCloudTrailIngester(runtime);
  for (const envelope of [...deliveries('sign-in.ndjson'), ...deliveries('account.ndjson'), ...deliveries('managed-login.ndjson'), ...extra]) {
    await ingest(envelope);
  }
  // With the trigger events of the same fixtures' users, as the log group holds both.
  return [...published, ...goldenEvents()].map((event) => toBusEnvelope(event, '123456789012', 'eu-west-1') as unknown as Record<string, unknown>);
};

const rowsOf = (name: Parameters<typeof queryNamed>[0], records: Record<string, unknown>[]) => {
  const { columns, rows } = runQuery(queryNamed(name).query, records);
  return rows.map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]])));
};

describe('Saved queries on CloudTrail signals', () => {
  it('counts failed sign-ins by client, source network and reason, CloudTrail ones only', async () => {
    // Prepare
    const records = await pipelineRecords();

    // Act
    const rows = rowsOf('failed-sign-ins-by-client-and-ip-prefix', records);

    // Assess: carol's wrong password and lockout on mobile, an unknown user on web; no inferred or trigger events.
    expect(rows).toEqual([
      { 'detail.client.name': 'mobile-app', 'detail.network.ip': '198.51.100.0/24', 'detail.reason.code': 'INCORRECT_CREDENTIALS', failures: 1 },
      { 'detail.client.name': 'web-app', 'detail.network.ip': '203.0.113.0/24', 'detail.reason.code': 'USER_NOT_FOUND', failures: 1 },
      { 'detail.client.name': 'mobile-app', 'detail.network.ip': '198.51.100.0/24', 'detail.reason.code': 'PASSWORD_ATTEMPTS_EXCEEDED', failures: 1 },
    ]);
  });

  it('puts a password-spraying network on top: many users, one /24', async () => {
    // Prepare
    const records = await pipelineRecords(spray(12));

    // Act
    const rows = rowsOf('password-spraying-by-ip-prefix', records);

    // Assess
    expect(rows[0]).toEqual({ 'detail.network.ip': '203.0.113.0/24', users: 12, failures: 13 });
    expect(rows[1]).toEqual({ 'detail.network.ip': '198.51.100.0/24', users: 1, failures: 2 });
  });

  it('lists MFA failures by user and network, from the API and from managed login', async () => {
    // Act
    const rows = rowsOf('mfa-failures-by-user-and-ip-prefix', await pipelineRecords());

    // Assess
    expect(rows).toEqual([
      { 'detail.user.sub': 'b4e8c4a8-5021-70f3-a61d-0c7f2e9b3d84', 'detail.network.ip': '198.51.100.0/24', failures: 1 },
      { 'detail.user.sub': undefined, 'detail.network.ip': '192.0.2.0/24', failures: 1 },
    ]);
  });

  it('names who disabled and deleted a user', async () => {
    // Act
    const rows = rowsOf('admin-disables-and-deletes', await pipelineRecords());

    // Assess
    expect(rows.map((row) => [row['detail.action'], row['detail.user.sub'], row['detail.actor.arn']]).sort()).toEqual([
      ['user_delete', 'b4e8c4a8-5021-70f3-a61d-0c7f2e9b3d84', 'arn:aws:sts::123456789012:assumed-role/authtrail-support/jane'],
      ['user_disable', 'b4e8c4a8-5021-70f3-a61d-0c7f2e9b3d84', 'arn:aws:sts::123456789012:assumed-role/authtrail-support/jane'],
    ]);
  });

  it('counts a successful sign-in once although CloudTrail reports it too', async () => {
    // Prepare
    const records = await pipelineRecords();
    const triggerOnly = goldenEvents().map((event) => toBusEnvelope(event, '123456789012', 'eu-west-1') as unknown as Record<string, unknown>);

    // Act
    const withCloudTrail = rowsOf('sign-ins-by-user-client-provider', records);
    const withoutCloudTrail = rowsOf('sign-ins-by-user-client-provider', triggerOnly);

    // Assess
    expect(withCloudTrail).toEqual(withoutCloudTrail);
  });
});
