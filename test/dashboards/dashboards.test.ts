/**
 * The dashboards, alarms and saved queries as rendered for a stage: CloudWatch
 * dashboard body structure, alarm shapes, and Logs Insights queries reading
 * fields the AuthEvent has.
 */
import { describe, expect, it } from 'vitest';
import { ALARM_THRESHOLDS, stageAlarms } from '../../dashboards/alarms.ts';
import { DASHBOARDS } from '../../dashboards/cloudformation.ts';
import { TRIGGER_FUNCTIONS, type RenderContext } from '../../dashboards/context.ts';
import { QUERIES, fieldsOfQuery } from '../../dashboards/queries.ts';
import type { Widget } from '../../dashboards/widgets.ts';
import { authEventHasField, widgetMetricReferences } from './references.ts';

const ctx = (stage: string): RenderContext => ({
  stage,
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_TEST',
  clients: { a: 'web-app', b: 'mobile-app', c: 'admin-console', d: 'reporting-service', e: 'fifth' },
  alarmTopicArn: `arn:aws:sns:eu-west-1:123456789012:authtrail-${stage}-alarms`,
});

const overlaps = (a: Widget, b: Widget): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.each(Object.entries(DASHBOARDS))('Dashboard %s', (title, render) => {
  it('follows the CloudWatch dashboard body structure: typed, placed widgets on the 24-column grid, none overlapping', () => {
    // Act
    const body = JSON.parse(JSON.stringify(render(ctx('prod')))) as { widgets: Widget[] };

    // Assess
    expect(body.widgets.length).toBeGreaterThan(5);
    for (const widget of body.widgets) {
      expect(['metric', 'log', 'text']).toContain(widget.type);
      for (const key of ['x', 'y', 'width', 'height'] as const) expect(Number.isInteger(widget[key]), `${key}`).toBe(true);
      expect(widget.x).toBeGreaterThanOrEqual(0);
      expect(widget.width).toBeGreaterThanOrEqual(1);
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      expect(widget.height).toBeGreaterThanOrEqual(1);
      expect(widget.height).toBeLessThanOrEqual(1000);
      expect(typeof widget.properties).toBe('object');
      if (widget.type === 'metric') {
        expect(widget.properties.region).toBe('eu-west-1');
        expect(widget.properties.metrics.length).toBeGreaterThan(0);
        const ids = widget.properties.metrics.flatMap((entry) => entry.flatMap((part) => (typeof part === 'object' && 'id' in part && part.id ? [part.id] : [])));
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
      }
      if (widget.type === 'log') expect(widget.properties.query).toMatch(/^SOURCE '\/authtrail\/prod\/events' \| /);
    }
    for (const [index, widget] of body.widgets.entries()) {
      for (const other of body.widgets.slice(index + 1)) expect(overlaps(widget, other), `${JSON.stringify(widget.properties).slice(0, 60)}`).toBe(false);
    }
  });

  it('is rendered per stage and region: names, regions and log groups follow them', () => {
    // Act
    const text = JSON.stringify(render({ ...ctx('staging'), region: 'us-east-2' }));

    // Assess
    expect(text).not.toMatch(/\bprod\b|eu-west-1"/);
    expect(text).toContain('"region":"us-east-2"');
    if (title === 'pipeline-health') for (const name of TRIGGER_FUNCTIONS) expect(text).toContain(`authtrail-staging-${name}`);
  });
});

describe('Dashboards: the issue’s widgets', () => {
  it('auth activity shows denials by reason, new devices, federated vs native, tokens, Cognito failure rate as SampleCount − Sum and Logs Insights', () => {
    // Act
    const body = DASHBOARDS['auth-activity'](ctx('prod'));
    const text = JSON.stringify(body);
    const references = widgetMetricReferences(body, 'auth-activity');

    // Assess
    expect(references.map((reference) => `${reference.name}/${reference.dimensions.join(',')}`)).toEqual(
      expect.arrayContaining(['SignUpsDenied/reason,service,stage', 'SignIns/provider,service,stage', 'SignIns/newDevice,service,stage', 'TokensIssued/client,service,stage', 'TokensIssued/service,stage,tokenVersion', 'TokensIssued/service,stage,tokenSource']),
    );
    expect(text).toContain('{AWS/Cognito,UserPool,UserPoolClient} MetricName=\\"SignInSuccesses\\" UserPool=\\"eu-west-1_TEST\\"');
    expect(text).toContain("'SampleCount'");
    expect(text).toMatch(/siattempts - sisuccesses/);
    expect(body.widgets.filter((widget) => widget.type === 'log').length).toBeGreaterThanOrEqual(4);
  });

  it('pipeline health shows trigger duration p50/p99 against the 5 s budget, errors, throttles, publish, EventBridge, SIEM and DLQs', () => {
    // Act
    const body = DASHBOARDS['pipeline-health'](ctx('prod'));
    const references = widgetMetricReferences(body, 'pipeline-health').map((reference) => `${reference.namespace}/${reference.name}`);
    const text = JSON.stringify(body);

    // Assess
    expect(new Set(references)).toEqual(
      new Set([
        'AWS/Lambda/Duration', 'AWS/Lambda/Errors', 'AWS/Lambda/Throttles', 'authtrail/PublishLatency', 'authtrail/EventsPublished',
        'authtrail/PublishFailures', 'authtrail/SpilledEvents', 'AWS/Events/FailedInvocations', 'authtrail/SiemDelivered',
        'authtrail/SiemFailed', 'authtrail/SiemRejected', 'authtrail/SiemRetried', 'authtrail/SiemRequests', 'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'authtrail/PolicyErrors',
      ]),
    );
    expect(text).toContain('"stat":"p99"');
    expect(text).toContain('"stat":"p50"');
    expect(text).toContain('"value":5000');
  });
});

describe('Alarms', () => {
  it('covers the issue’s list, each with the stage topic as alarm and OK action', () => {
    // Act
    const alarms = stageAlarms(ctx('prod'));

    // Assess
    expect(alarms.map((alarm) => alarm.properties.AlarmName).sort()).toEqual(
      [
        ...TRIGGER_FUNCTIONS.flatMap((name) => [`authtrail-prod-${name}-errors`, `authtrail-prod-${name}-duration-near-budget`]),
        'authtrail-prod-spilled-events', 'authtrail-prod-publish-failures', 'authtrail-prod-siem-dlq-not-empty', 'authtrail-prod-delivery-dlq-not-empty',
        'authtrail-prod-async-failures-not-empty', 'authtrail-prod-recovery-backlog',
        'authtrail-prod-siem-failure-rate', 'authtrail-prod-sign-up-denial-spike', 'authtrail-prod-cognito-sign-in-failure-rate',
        'authtrail-prod-policy-errors', 'authtrail-prod-changed-email-denied', 'authtrail-prod-log-first-delivery-stalled',
        'authtrail-prod-sign-in-lockouts',
      ].sort(),
    );
    for (const { properties } of alarms) {
      expect(properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:authtrail-prod-alarms']);
      expect(properties.OKActions).toEqual(properties.AlarmActions);
      expect(properties.DatapointsToAlarm).toBeLessThanOrEqual(properties.EvaluationPeriods);
      // Either one metric or metric math returning exactly one series.
      if (properties.Metrics === undefined) expect(properties.MetricName).toBeDefined();
      else expect(properties.Metrics.filter((query) => 'Expression' in query && query.ReturnData)).toHaveLength(1);
    }
  });

  it('pages on lockouts: CloudTrail sign-ins refused with PASSWORD_ATTEMPTS_EXCEEDED, at the threshold within 5 minutes', () => {
    // Act
    const alarm = stageAlarms(ctx('prod')).find((candidate) => candidate.logicalId === 'AlarmSignInLockouts')!;

    // Assess
    expect(alarm.properties).toMatchObject({
      Namespace: 'authtrail',
      MetricName: 'CloudTrailSignInFailures',
      Dimensions: [
        { Name: 'service', Value: 'authtrail' },
        { Name: 'stage', Value: 'prod' },
        { Name: 'reason', Value: 'PASSWORD_ATTEMPTS_EXCEEDED' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: ALARM_THRESHOLDS.signInLockouts,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when the triggers ran for 15 minutes and the log-first forwarder was never invoked', () => {
    // Act
    const alarm = stageAlarms(ctx('prod')).find((candidate) => candidate.logicalId === 'AlarmLogFirstDeliveryStalled')!;
    const queries = alarm.properties.Metrics ?? [];
    const invoked = queries.flatMap((query) => ('MetricStat' in query ? [query.MetricStat.Metric.Dimensions[0]?.Value] : []));

    // Assess
    expect(invoked.sort()).toEqual([...TRIGGER_FUNCTIONS, 'event-log-forwarder'].map((name) => `authtrail-prod-${name}`).sort());
    expect(queries.every((query) => !('MetricStat' in query) || (query.MetricStat.Metric.MetricName === 'Invocations' && query.MetricStat.Stat === 'Sum'))).toBe(true);
    expect(queries.find((query) => 'Expression' in query)).toMatchObject({ Expression: expect.stringMatching(/> 0 AND FILL\(forwarder, 0\) == 0/), ReturnData: true });
    expect(alarm.properties).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 0, TreatMissingData: 'notBreaching' });
  });

  it('computes the Cognito failed sign-in rate as SampleCount − Sum over at most 4 configured clients (10 metrics per alarm)', () => {
    // Act
    const alarm = stageAlarms(ctx('prod')).find((candidate) => candidate.logicalId === 'AlarmCognitoSignInFailureRate')!;
    const stats = alarm.properties.Metrics!.flatMap((query) => ('MetricStat' in query ? [query.MetricStat] : []));

    // Assess
    expect(stats).toHaveLength(8);
    expect(stats.filter((stat) => stat.Stat === 'SampleCount')).toHaveLength(4);
    expect(stats.filter((stat) => stat.Stat === 'Sum')).toHaveLength(4);
    expect(alarm.properties.Threshold).toBe(ALARM_THRESHOLDS.cognitoSignInFailureRatePercent);
    expect(JSON.stringify(alarm.properties.Metrics)).toContain('attempts - SUM([s0, s1, s2, s3])');
  });

  it('has no actions when the stage names no topic', () => {
    // Act
    const alarms = stageAlarms({ ...ctx('dev'), alarmTopicArn: '' });

    // Assess
    for (const { properties } of alarms) expect(properties.AlarmActions).toBeUndefined();
  });
});

describe('Logs Insights queries', () => {
  it.each(QUERIES)('$name reads only fields the AuthEvent has', ({ query }) => {
    // Act
    const fields = fieldsOfQuery(query);

    // Assess
    expect(fields.length).toBeGreaterThan(0);
    expect(fields.filter((field) => !authEventHasField(field))).toEqual([]);
  });

  it('the field check refuses a field the AuthEvent does not have', () => {
    // Assess
    expect(authEventHasField('user.emailDomain')).toBe(true);
    expect(authEventHasField('token.claimsAdded')).toBe(true);
    expect(authEventHasField('user.password')).toBe(false);
    expect(fieldsOfQuery('filter detail.token.claimsAdded.0 = "x" | stats count(*) by detail.client.name')).toEqual(['token.claimsAdded', 'client.name']);
  });
});
