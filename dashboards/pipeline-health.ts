/**
 * Dashboard "pipeline-health": is authtrail itself healthy. Trigger duration
 * p50 / p99 against Cognito's 5 s budget, errors and throttles, publish latency,
 * failures and spills, EventBridge failed invocations per rule, SIEM delivery
 * and the dead-letter queues.
 */
import { Dimension, MetricName } from '../lib/metrics/catalog.ts';
import { SIEM_FORWARDER, TRIGGER_BUDGET_MS, TRIGGER_DURATION_ALARM_MS, TRIGGER_FUNCTIONS, namesFor, type RenderContext } from './context.ts';
import { authtrailMetric, awsMetric, layout, type DashboardBody, type MetricEntry, headingWidget, metricChart } from './widgets.ts';
import { loadRules } from '../lib/routing/rules.ts';

const PERIOD = 60;

export const pipelineHealthDashboard = (ctx: RenderContext): DashboardBody => {
  const { stage, region } = ctx;
  const names = namesFor(stage);
  const lambda = (metric: string, stat: string, functions: readonly string[] = TRIGGER_FUNCTIONS, label = (name: string) => name): MetricEntry[] =>
    functions.map((name) => awsMetric('AWS/Lambda', metric, { FunctionName: names.functionName(name) }, { stat, label: label(name) }));
  const budget = {
    horizontal: [
      { label: 'Cognito budget 5 s', value: TRIGGER_BUDGET_MS, color: '#d62728' },
      { label: 'alarm', value: TRIGGER_DURATION_ALARM_MS, color: '#ff7f0e' },
    ],
  };
  const chart = metricChart(region, PERIOD);

  return {
    start: '-PT6H',
    periodOverride: 'inherit',
    widgets: layout([
      headingWidget(
        `## authtrail ${stage}: pipeline health\nTriggers run on the sign-in path under Cognito's 5 s limit; what misses the bus is spilled and recovered (docs/delivery.md); the SIEM forwarder drains \`${names.siemQueue}\` (docs/siem.md).`,
      ),
      chart('Trigger duration p50 (ms)', lambda('Duration', 'p50'), { stat: 'p50', annotations: budget }),
      chart('Trigger duration p99 (ms)', lambda('Duration', 'p99'), { stat: 'p99', annotations: budget }),
      chart('Trigger errors and throttles', [...lambda('Errors', 'Sum'), ...lambda('Throttles', 'Sum', TRIGGER_FUNCTIONS, (name) => `${name} throttles`)]),
      chart(
        'Publish latency p50 / p99 (ms)',
        TRIGGER_FUNCTIONS.flatMap((trigger) => [
          authtrailMetric(stage, MetricName.PublishLatency, { [Dimension.Trigger]: trigger }, { stat: 'p50', label: `${trigger} p50` }),
          authtrailMetric(stage, MetricName.PublishLatency, { [Dimension.Trigger]: trigger }, { stat: 'p99', label: `${trigger} p99` }),
        ]),
      ),
      chart('Events published, publish failures, spills', [
        authtrailMetric(stage, MetricName.EventsPublished, {}, { label: 'published' }),
        authtrailMetric(stage, MetricName.PublishFailures, {}, { label: 'publish failures' }),
        authtrailMetric(stage, MetricName.SpilledEvents, {}, { label: 'spilled' }),
      ]),
      chart(
        'EventBridge failed invocations',
        loadRules().map(({ name: rule }) => awsMetric('AWS/Events', 'FailedInvocations', { EventBusName: names.busName, RuleName: rule }, { label: rule })),
      ),
      chart('SIEM delivery', [
        authtrailMetric(stage, MetricName.SiemDelivered, {}, { label: 'delivered' }),
        authtrailMetric(stage, MetricName.SiemFailed, {}, { label: 'failed (redelivered later)' }),
        authtrailMetric(stage, MetricName.SiemRejected, {}, { label: 'rejected (DLQ)' }),
        authtrailMetric(stage, MetricName.SiemRetried, {}, { label: 'retried' }),
        authtrailMetric(stage, MetricName.SiemRequests, {}, { label: 'HTTP requests' }),
      ]),
      chart('SIEM forwarder errors and duration p99', [...lambda('Errors', 'Sum', [SIEM_FORWARDER]), ...lambda('Duration', 'p99', [SIEM_FORWARDER], () => 'duration p99 (ms)')]),
      chart(
        'Dead-letter queues and SIEM backlog',
        [
          awsMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: names.siemDeadLetterQueue }, { label: 'SIEM DLQ', stat: 'Maximum' }),
          awsMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: names.deliveryDeadLetterQueue }, { label: 'delivery DLQ', stat: 'Maximum' }),
          awsMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: names.siemQueue }, { label: 'SIEM queue', stat: 'Maximum' }),
        ],
        { stat: 'Maximum' },
      ),
      chart(
        'Policy errors (denied or allowed per trigger, docs/configuration.md)',
        TRIGGER_FUNCTIONS.map((trigger) => authtrailMetric(stage, MetricName.PolicyErrors, { [Dimension.Trigger]: trigger }, { label: trigger })),
      ),
    ]),
  };
};
