/**
 * Logs Insights queries over the events log group `/authtrail/<stage>/events`,
 * whose records are EventBridge envelopes: the AuthEvent is under `detail`
 * (docs/auth-event.md). Deployed as AWS::Logs::QueryDefinition (the console's
 * "Saved queries", folder authtrail/<stage>/) and used by the dashboards' log
 * widgets. JSON booleans read as 1 / 0 in Logs Insights.
 */
export interface QueryDefinition {
  /** The saved query's name under authtrail/<stage>/. */
  name: string;
  description: string;
  query: string;
  /** How a dashboard widget shows it. */
  view: 'table' | 'bar' | 'timeSeries' | 'pie';
}

/** Placeholder the operator replaces in "everything about one user". */
export const USER_PLACEHOLDER = 'REPLACE-WITH-USER-SUB';

/**
 * A CloudTrail copy of what a trigger already reports (docs/auth-event.md, "One sign-in, counted once") is
 * left out of every count.
 */
export const COUNTED_ONCE = 'not (detail.cloudTrail.countedByTrigger = 1)';

/** Failed sign-ins read from CloudTrail: the real ones, with a reason (inferred ones are the fallback). */
const CLOUDTRAIL_FAILED_SIGN_IN =
  'detail.category = "signin" and detail.action = "authenticate" and detail.outcome = "failed" and ispresent(detail.cloudTrail.eventId)';

export const QUERIES = [
  {
    name: 'denied-sign-ups-by-domain-and-reason',
    description: 'Sign-ups the policy denied, by email domain and reason code',
    query: [
      `filter detail.category = "signup" and detail.outcome = "denied" and ${COUNTED_ONCE}`,
      'stats count(*) as denials by detail.user.emailDomain, detail.reason.code',
      'sort denials desc',
      'limit 50',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'sign-ins-by-user-client-provider',
    description: 'Sign-ins by user (sub), client and identity provider',
    query: [
      `filter detail.category = "signin" and detail.action = "authenticate" and detail.outcome = "succeeded" and ${COUNTED_ONCE}`,
      'stats count(*) as signIns by detail.user.sub, detail.client.name, detail.identityProvider.providerType',
      'sort signIns desc',
      'limit 100',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'new-device-sign-ins',
    description: 'Sign-ins from a device Cognito had not seen for the user',
    query: [
      'filter detail.category = "signin" and detail.outcome = "succeeded" and detail.device.newDeviceUsed = 1',
      'fields @timestamp, detail.user.sub, detail.client.name, detail.identityProvider.name, detail.groups.0',
      'sort @timestamp desc',
      'limit 100',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'token-claim-changes',
    description: 'Token generations that added or suppressed claims or scopes',
    query: [
      'filter detail.category = "token" and (ispresent(detail.token.claimsAdded.0) or ispresent(detail.token.claimsSuppressed.0) or ispresent(detail.token.scopesAdded.0) or ispresent(detail.token.scopesSuppressed.0))',
      'stats count(*) as tokens by detail.client.name, detail.token.source, detail.token.version, detail.token.claimsAdded.0, detail.token.scopesAdded.0',
      'sort tokens desc',
      'limit 50',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'everything-about-one-user',
    description: `Every event of one user: replace ${USER_PLACEHOLDER} with the user's sub`,
    query: [
      `filter detail.user.sub = "${USER_PLACEHOLDER}"`,
      'fields @timestamp, detail.category, detail.action, detail.outcome, detail.reason.code, detail.client.name, detail.identityProvider.name, detail.device.newDeviceUsed, detail.id',
      'sort @timestamp desc',
      'limit 1000',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'sign-ups-by-domain',
    description: 'Sign-up attempts per email domain and outcome',
    query: [
      `filter detail.category = "signup" and ${COUNTED_ONCE}`,
      'stats count(*) as signUps by detail.user.emailDomain, detail.outcome',
      'sort signUps desc',
      'limit 50',
    ].join('\n| '),
    view: 'bar',
  },
  // ---- from CloudTrail (docs/delivery.md, "CloudTrail events"); network.ip is already masked to its /24 or /48 network
  {
    name: 'failed-sign-ins-by-client-and-ip-prefix',
    description: 'Failed sign-ins from CloudTrail by app client, source network (/24, /48) and reason',
    query: [
      `filter ${CLOUDTRAIL_FAILED_SIGN_IN}`,
      'stats count(*) as failures by detail.client.name, detail.network.ip, detail.reason.code',
      'sort failures desc',
      'limit 50',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'password-spraying-by-ip-prefix',
    description: 'Password spraying: source networks whose failed sign-ins hit many different users',
    query: [
      `filter ${CLOUDTRAIL_FAILED_SIGN_IN}`,
      'stats count_distinct(detail.user.sub) as users, count(*) as failures by detail.network.ip',
      'sort users desc',
      'limit 20',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'mfa-failures-by-user-and-ip-prefix',
    description: 'Wrong MFA codes (CloudTrail) by user and source network: a burst means someone holds the password',
    query: [
      'filter detail.action = "mfa" and detail.outcome = "failed"',
      'stats count(*) as failures by detail.user.sub, detail.network.ip',
      'sort failures desc',
      'limit 50',
    ].join('\n| '),
    view: 'table',
  },
  {
    name: 'admin-disables-and-deletes',
    description: 'Users an administrator disabled or deleted, with the IAM principal who did it',
    query: [
      'filter detail.category = "account" and (detail.action = "user_disable" or detail.action = "user_delete")',
      'fields @timestamp, detail.action, detail.outcome, detail.user.sub, detail.actor.arn, detail.network.ip',
      'sort @timestamp desc',
      'limit 200',
    ].join('\n| '),
    view: 'table',
  },
] as const satisfies readonly QueryDefinition[];

export type QueryName = (typeof QUERIES)[number]['name'];

export const queryNamed = (name: QueryName): QueryDefinition => QUERIES.find((query) => query.name === name)!;

/** The AuthEvent fields a query reads: `detail.a.b.0` -> `a.b` (list elements dropped). */
export const fieldsOfQuery = (query: string): string[] =>
  [...new Set([...query.matchAll(/\bdetail\.([A-Za-z0-9_.]+)/g)].map((match) => match[1]!.split('.').filter((part) => !/^\d+$/.test(part)).join('.')))];

/** A query as a dashboard log widget runs it: over the stage's events log group. */
export const withSource = (logGroup: string, query: string): string => `SOURCE '${logGroup}' | ${query}`;
