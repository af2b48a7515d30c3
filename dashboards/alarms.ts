/**
 * The stage's alarms, as CloudFormation AWS::CloudWatch::Alarm properties.
 * Notifications go to the SNS topic of the stage param `alarmTopicArn`
 * (serverless.yml; empty: the alarms exist without actions).
 */
import { BASE_DIMENSIONS, Dimension, METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../lib/metrics/catalog.ts';
import { CloudTrailReason } from '../lib/cloudtrail/reasons.ts';
import { DenialCode } from '../lib/policy/sign-up.ts';
import { TRIGGER_DURATION_ALARM_MS, TRIGGER_FUNCTIONS, namesFor, pascal, type RenderContext } from './context.ts';

/** Thresholds, per 5 minutes unless said otherwise. */
export const ALARM_THRESHOLDS = {
  /** Sign-ups denied in 5 minutes above which a spike is declared. */
  signUpDenialSpike: 25,
  /** % of SIEM messages not delivered (failed or rejected) in 5 minutes. */
  siemFailureRatePercent: 5,
  /** % of Cognito sign-in attempts that failed (SampleCount − Sum) in 5 minutes, twice in a row. */
  cognitoSignInFailureRatePercent: 20,
  /** Fewer attempts than this in 5 minutes never alarm on the Cognito failure rate. */
  cognitoMinimumSignInAttempts: 20,
  /** Sign-ins Cognito refused because the user was locked out (CloudTrail), in 5 minutes. */
  signInLockouts: 10,
} as const;

/** The denial codes of the email domain rules, which sign-in and token issue apply to the current email. */
const EMAIL_RULE_CODES = [DenialCode.InvalidEmail, DenialCode.EmailDomainBlocked, DenialCode.DisposableEmailDomain, DenialCode.EmailDomainNotAllowed] as const;

/** Cognito alarm math takes at most this many clients (two metrics each; an alarm allows 10). */
export const MAX_ALARM_CLIENTS = 4;

interface Dim {
  Name: string;
  Value: string;
}
interface MetricStatQuery {
  Id: string;
  MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: Dim[] }; Period: number; Stat: string };
  ReturnData: false;
}
interface ExpressionQuery {
  Id: string;
  Expression: string;
  Label: string;
  ReturnData: boolean;
}
export interface AlarmProperties {
  AlarmName: string;
  AlarmDescription: string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Dim[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  Metrics?: (MetricStatQuery | ExpressionQuery)[];
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  TreatMissingData: 'notBreaching' | 'missing';
  AlarmActions?: string[];
  OKActions?: string[];
}

export interface AlarmDefinition {
  /** CloudFormation logical id. */
  logicalId: string;
  properties: AlarmProperties;
}

export const stageAlarms = (ctx: RenderContext): AlarmDefinition[] => {
  const names = namesFor(ctx.stage);
  const actions = ctx.alarmTopicArn === '' ? {} : { AlarmActions: [ctx.alarmTopicArn], OKActions: [ctx.alarmTopicArn] };
  const authtrailDims: Dim[] = [
    { Name: BASE_DIMENSIONS[0], Value: SERVICE_NAME },
    { Name: BASE_DIMENSIONS[1], Value: ctx.stage },
  ];
  const fiveMinutes = { Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1 };
  const alarm = (logicalId: string, title: string, description: string, properties: Omit<AlarmProperties, 'AlarmName' | 'AlarmDescription'>): AlarmDefinition => ({
    logicalId: `Alarm${logicalId}`,
    properties: { AlarmName: names.alarm(title), AlarmDescription: description, ...properties, ...actions },
  });
  const authtrail = (name: MetricName) => ({ Namespace: METRICS_NAMESPACE, MetricName: name, Dimensions: authtrailDims, Statistic: 'Sum' });
  const stat = (id: string, namespace: string, metricName: string, dimensions: Dim[], statistic: string): MetricStatQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions }, Period: 300, Stat: statistic },
    ReturnData: false,
  });

  const alarms: AlarmDefinition[] = [
    ...TRIGGER_FUNCTIONS.map((name) =>
      alarm(`${pascal(name)}Errors`, `${name}-errors`, `The ${name} trigger failed (Lambda Errors > 0): Cognito fails the user's action.`, {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: names.functionName(name) }],
        Statistic: 'Sum',
        ...fiveMinutes,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ),
    ...TRIGGER_FUNCTIONS.map((name) =>
      alarm(`${pascal(name)}DurationNearBudget`, `${name}-duration-near-budget`, `The ${name} trigger's p99 duration is above ${TRIGGER_DURATION_ALARM_MS} ms, near Cognito's 5 s limit.`, {
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Dimensions: [{ Name: 'FunctionName', Value: names.functionName(name) }],
        ExtendedStatistic: 'p99',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: TRIGGER_DURATION_ALARM_MS,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ),
    alarm('SpilledEvents', 'spilled-events', 'Events missed the bus and were spilled to the trigger logs (recover-spilled re-publishes them; docs/delivery.md).', {
      ...authtrail(MetricName.SpilledEvents),
      ...fiveMinutes,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    alarm('PolicyErrors', 'policy-errors', 'A trigger policy step threw: the action was denied or allowed as docs/configuration.md ("Policy errors") says, with an event of outcome "error". Any one is a bug or a hostile payload to look at.', {
      ...authtrail(MetricName.PolicyErrors),
      ...fiveMinutes,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    alarm('PublishFailures', 'publish-failures', 'Publishing to the bus failed in two 5-minute periods out of three: the bus or its endpoint is unhealthy.', {
      ...authtrail(MetricName.PublishFailures),
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    ...(
      [
        ['SiemDeadLetterQueueNotEmpty', 'siem-dlq-not-empty', names.siemDeadLetterQueue, 'The SIEM refused events or gave up on them: they wait in the SIEM DLQ (npm run redrive; docs/siem.md).'],
        ['DeliveryDeadLetterQueueNotEmpty', 'delivery-dlq-not-empty', names.deliveryDeadLetterQueue, 'EventBridge could not deliver events to the log group or the SIEM queue (docs/deploy.md).'],
        ['AsyncFailureQueueNotEmpty', 'async-failures-not-empty', names.asyncFailureQueue, 'An asynchronous invocation (failed-sign-ins, recover-spilled, cognito-log-events, cloudtrail-events, event-log-forwarder) failed all its attempts: its payload waits in the async failure queue (replay: docs/deploy.md).'],
      ] as const
    ).map(([id, title, queue, description]) =>
      alarm(id, title, description, {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: queue }],
        Statistic: 'Maximum',
        ...fiveMinutes,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ),
    // Log-first delivery (docs/delivery.md): the triggers only log, and the log subscriptions invoke the forwarder
    // within seconds. Triggers running for 15 minutes with no forwarder invocation means the subscriptions stopped
    // delivering (a filter deleted, its permission gone): events pile up in the trigger logs, on no bus.
    alarm('LogFirstDeliveryStalled', 'log-first-delivery-stalled', 'The triggers ran but event-log-forwarder was not invoked for 15 minutes: the log subscriptions are not delivering, and no event reaches the bus (docs/delivery.md, "Log-first").', {
      Metrics: [
        ...TRIGGER_FUNCTIONS.map((name, index) =>
          stat(`t${index}`, 'AWS/Lambda', 'Invocations', [{ Name: 'FunctionName', Value: names.functionName(name) }], 'Sum'),
        ),
        stat('forwarder', 'AWS/Lambda', 'Invocations', [{ Name: 'FunctionName', Value: names.functionName('event-log-forwarder') }], 'Sum'),
        {
          Id: 'stalled',
          Expression: `IF(SUM([${TRIGGER_FUNCTIONS.map((_, index) => `t${index}`).join(', ')}]) > 0 AND FILL(forwarder, 0) == 0, 1, 0)`,
          Label: 'triggers ran, forwarder idle',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    // A run that caught up reports 0; a backlog left by two runs in a row means recovery is not keeping up.
    alarm('RecoveryBacklog', 'recovery-backlog', 'Spill recovery did not catch up in two runs in a row: the bus still refuses events, or a backlog is being worked off (docs/delivery.md).', {
      ...authtrail(MetricName.RecoveryBacklog),
      Statistic: 'Minimum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    alarm('SiemFailureRate', 'siem-failure-rate', `More than ${ALARM_THRESHOLDS.siemFailureRatePercent} % of SIEM messages were not delivered (failed or rejected).`, {
      Metrics: [
        stat('delivered', METRICS_NAMESPACE, MetricName.SiemDelivered, authtrailDims, 'Sum'),
        stat('failed', METRICS_NAMESPACE, MetricName.SiemFailed, authtrailDims, 'Sum'),
        stat('rejected', METRICS_NAMESPACE, MetricName.SiemRejected, authtrailDims, 'Sum'),
        {
          Id: 'rate',
          Expression: 'IF((delivered + failed + rejected) > 0, 100 * (failed + rejected) / (delivered + failed + rejected), 0)',
          Label: 'SIEM failure rate %',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: ALARM_THRESHOLDS.siemFailureRatePercent,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    alarm('SignUpDenialSpike', 'sign-up-denial-spike', `More than ${ALARM_THRESHOLDS.signUpDenialSpike} sign-ups denied in 5 minutes: an abuse wave or a policy change.`, {
      ...authtrail(MetricName.SignUpsDenied),
      ...fiveMinutes,
      Threshold: ALARM_THRESHOLDS.signUpDenialSpike,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    // No trigger sees UpdateUserAttributes; the next sign-in or token refresh re-checks the email, and a
    // denial there by the email domain rules means an address was changed to one sign-up would refuse.
    alarm('ChangedEmailDenied', 'changed-email-denied', 'A sign-in or token refresh was denied by the email domain rules: a user changed their email to a domain sign-up refuses (or the rules tightened).', {
      Metrics: [
        ...EMAIL_RULE_CODES.map((code, index) =>
          stat(`email${index}`, METRICS_NAMESPACE, MetricName.SignInsDenied, [...authtrailDims, { Name: Dimension.Reason, Value: code }], 'Sum'),
        ),
        { Id: 'denied', Expression: `SUM([${EMAIL_RULE_CODES.map((_, index) => `email${index}`).join(', ')}])`, Label: 'denied by the email rules', ReturnData: true },
      ],
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
    // Cognito locks a user out after repeated wrong passwords; many at once is credential stuffing or password
    // spraying (or an attack that locks real users out), and users are calling support. Needs CloudTrail events.
    alarm('SignInLockouts', 'sign-in-lockouts', `${ALARM_THRESHOLDS.signInLockouts} or more sign-ins refused in 5 minutes because Cognito locked the user out after repeated wrong passwords (CloudTrail, PASSWORD_ATTEMPTS_EXCEEDED): credential stuffing or password spraying; the detections of dashboards/detections/ name the network.`, {
      Namespace: METRICS_NAMESPACE,
      MetricName: MetricName.CloudTrailSignInFailures,
      Dimensions: [...authtrailDims, { Name: Dimension.Reason, Value: CloudTrailReason.PasswordAttemptsExceeded }],
      Statistic: 'Sum',
      ...fiveMinutes,
      Threshold: ALARM_THRESHOLDS.signInLockouts,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    }),
  ];

  const clients = Object.keys(ctx.clients).slice(0, MAX_ALARM_CLIENTS);
  if (clients.length > 0) {
    const cognitoDims = (client: string): Dim[] => [
      { Name: 'UserPool', Value: ctx.userPoolId },
      { Name: 'UserPoolClient', Value: client },
    ];
    const attempts = clients.map((_, index) => `a${index}`);
    const successes = clients.map((_, index) => `s${index}`);
    alarms.push(
      alarm('CognitoSignInFailureRate', 'cognito-sign-in-failure-rate', `More than ${ALARM_THRESHOLDS.cognitoSignInFailureRatePercent} % of Cognito sign-ins failed (AWS/Cognito SignInSuccesses: SampleCount − Sum) for the clients of config/${ctx.stage}.json (first ${MAX_ALARM_CLIENTS}).`, {
        Metrics: [
          ...clients.map((client, index) => stat(`a${index}`, 'AWS/Cognito', 'SignInSuccesses', cognitoDims(client), 'SampleCount')),
          ...clients.map((client, index) => stat(`s${index}`, 'AWS/Cognito', 'SignInSuccesses', cognitoDims(client), 'Sum')),
          { Id: 'attempts', Expression: `SUM([${attempts.join(', ')}])`, Label: 'sign-in attempts', ReturnData: false },
          { Id: 'failures', Expression: `attempts - SUM([${successes.join(', ')}])`, Label: 'failed sign-ins', ReturnData: false },
          {
            Id: 'rate',
            Expression: `IF(attempts >= ${ALARM_THRESHOLDS.cognitoMinimumSignInAttempts}, 100 * failures / attempts, 0)`,
            Label: 'failed sign-in rate %',
            ReturnData: true,
          },
        ],
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: ALARM_THRESHOLDS.cognitoSignInFailureRatePercent,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
  }
  return alarms;
};
