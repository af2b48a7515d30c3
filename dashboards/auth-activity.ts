/**
 * Dashboard "auth-activity": what users do. authtrail's own metrics (sign-ups,
 * denials by reason, sign-ins by client / provider / new device, tokens by
 * client / version / source), Cognito's AWS/Cognito metrics with failure rates
 * (SampleCount − Sum), and Logs Insights widgets over the events log group.
 */
import { Dimension, MetricName } from '../lib/metrics/catalog.ts';
import { namesFor, type RenderContext } from './context.ts';
import { queryNamed, withSource } from './queries.ts';
import { authtrailMetric, authtrailSearch, layout, type DashboardBody, type ExpressionEntry, type UnplacedWidget, headingWidget, metricChart } from './widgets.ts';

const PERIOD = 300;

/** Cognito publishes per UserPool and UserPoolClient: SEARCH sums every client of the pool. */
const cognitoSearch = (userPoolId: string, metric: string, stat: 'Sum' | 'SampleCount'): string =>
  `SEARCH('{AWS/Cognito,UserPool,UserPoolClient} MetricName="${metric}" UserPool="${userPoolId}"', '${stat}', ${PERIOD})`;

/** Attempts, successes and failures (SampleCount − Sum) of one Cognito *Successes metric, and the failure rate. */
const cognitoFailureRate = (ctx: RenderContext, metric: string, prefix: string): ExpressionEntry[] => [
  { expression: `SUM(${cognitoSearch(ctx.userPoolId, metric, 'SampleCount')})`, id: `${prefix}attempts`, label: 'attempts', visible: false },
  { expression: `SUM(${cognitoSearch(ctx.userPoolId, metric, 'Sum')})`, id: `${prefix}successes`, label: 'successes', visible: false },
  { expression: `${prefix}attempts - ${prefix}successes`, id: `${prefix}failures`, label: 'failures (SampleCount − Sum)' },
  { expression: `IF(${prefix}attempts > 0, 100 * ${prefix}failures / ${prefix}attempts, 0)`, id: `${prefix}rate`, label: 'failure rate %' },
];

export const authActivityDashboard = (ctx: RenderContext): DashboardBody => {
  const { stage, region } = ctx;
  const names = namesFor(stage);
  const chart = metricChart(region, PERIOD);
  const search = (title: string, name: MetricName, dimension: Dimension | undefined, width = 8, view: 'timeSeries' | 'bar' = 'timeSeries'): UnplacedWidget =>
    ({
      type: 'metric',
      width,
      height: 6,
      properties: { title, region, view, stacked: view === 'timeSeries', period: PERIOD, stat: 'Sum', metrics: [[authtrailSearch(stage, name, dimension, 'Sum', PERIOD, 'e1')]] },
    });
  const logWidget = (title: string, name: Parameters<typeof queryNamed>[0], width = 12): UnplacedWidget => {
    const query = queryNamed(name);
    return { type: 'log', width, height: 6, properties: { title, region, view: query.view, query: withSource(names.eventsLogGroup, query.query) } };
  };
  const cognito = (title: string, metricName: string, prefix: string): UnplacedWidget => ({
    type: 'metric',
    width: 8,
    height: 6,
    properties: { title, region, view: 'timeSeries', period: PERIOD, metrics: cognitoFailureRate(ctx, metricName, prefix).map((entry) => [entry]) },
  });

  return {
    start: '-PT24H',
    periodOverride: 'inherit',
    widgets: layout([
      headingWidget(
        `## authtrail ${stage}: auth activity\nSign-ups, sign-ins and tokens as the triggers saw them (namespace \`authtrail\`), Cognito's own view (\`AWS/Cognito\`), and the audit trail \`${names.eventsLogGroup}\`.`,
      ),
      chart('Sign-ups, tokens and sign-ins', [
        authtrailMetric(stage, MetricName.SignIns, {}, { label: 'sign-ins' }),
        authtrailMetric(stage, MetricName.TokensIssued, {}, { label: 'tokens issued' }),
        authtrailMetric(stage, MetricName.SignUpsDenied, {}, { label: 'sign-ups denied' }),
        authtrailMetric(stage, MetricName.NewDeviceSignIns, {}, { label: 'new-device sign-ins' }),
      ]),
      search('Sign-ups by outcome', MetricName.SignUps, Dimension.Outcome),
      search('Sign-up denials by reason', MetricName.SignUpsDenied, Dimension.Reason),
      search('Sign-ins by client', MetricName.SignIns, Dimension.Client),
      search('Sign-ins by provider (federated vs native)', MetricName.SignIns, Dimension.Provider),
      search('Sign-ins by new device', MetricName.SignIns, Dimension.NewDevice),
      search('New-device sign-ins by client', MetricName.NewDeviceSignIns, Dimension.Client),
      search('Sign-ups by provider', MetricName.SignUps, Dimension.Provider),
      search('Sign-ups by client', MetricName.SignUps, Dimension.Client),
      search('Tokens by client', MetricName.TokensIssued, Dimension.Client),
      search('Tokens by event version', MetricName.TokensIssued, Dimension.TokenVersion),
      search('Tokens by source', MetricName.TokensIssued, Dimension.TokenSource),
      cognito('Cognito sign-ins: failures and failure rate', 'SignInSuccesses', 'si'),
      chart('Sign-in attempts, denials and inferred failures', [
        authtrailMetric(stage, MetricName.SignInAttempts, {}, { label: 'attempts (pre authentication)' }),
        authtrailMetric(stage, MetricName.SignInsDenied, {}, { label: 'denied by policy' }),
        authtrailMetric(stage, MetricName.FailedSignIns, {}, { label: 'failed, inferred (fallback; CloudTrail failures below)' }),
      ]),
      search('Failed sign-ins by client', MetricName.FailedSignIns, Dimension.Client),
      cognito('Cognito sign-ups: failures and failure rate', 'SignUpSuccesses', 'su'),
      cognito('Cognito token refreshes: failures and failure rate', 'TokenRefreshSuccesses', 'tr'),
      logWidget('Denied sign-ups by domain and reason', 'denied-sign-ups-by-domain-and-reason'),
      logWidget('Sign-ups by domain', 'sign-ups-by-domain'),
      logWidget('Sign-ins by user, client and provider', 'sign-ins-by-user-client-provider'),
      logWidget('New-device sign-ins', 'new-device-sign-ins'),
      logWidget('Token claim changes', 'token-claim-changes', 24),
      // The real signals, from CloudTrail (docs/delivery.md, "CloudTrail events").
      logWidget('Failed sign-ins (CloudTrail) by client, network and reason', 'failed-sign-ins-by-client-and-ip-prefix'),
      search('Refused sign-ins and MFA answers (CloudTrail) by reason', MetricName.CloudTrailSignInFailures, Dimension.Reason, 12),
      logWidget('Password spraying: users per failing network', 'password-spraying-by-ip-prefix'),
      logWidget('MFA failures by user and network', 'mfa-failures-by-user-and-ip-prefix'),
      logWidget('Users disabled or deleted by an administrator', 'admin-disables-and-deletes'),
    ]),
  };
};
