/**
 * The Security Lake writer in the packaged stack (issue 13): `serverless package` of prod
 * with the Security Lake params set (as `--param`, the way a deploy sets them) and of
 * dev without. The resources exist only under condition WritesSecurityLake, which holds
 * only when securityLakeBucket is set; the siem-events rule feeds the writer's queue; the
 * writer's role reaches nothing but its logs, its queues and the two provider roles.
 * The lake-enabled template also passes every deploy check (registry schemas included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_LOG_MARKER } from '../../lib/publish/event-log.ts';
import { ROW_GROUP_ROWS } from '../../lib/security-lake/parquet.ts';
import { PUT_ATTEMPTS, PUT_BASE_DELAY_MS, PUT_TIMEOUT_MS } from '../../lib/security-lake/runtime.ts';
import { conditionHolds } from './cfn-schema.ts';
import { describeDeployChecks } from './deploy-checks.ts';
import { packageStage, type CfnResource, type CfnTemplate, type PackagedStage } from './package-stack.ts';

/** Values in the shapes create-custom-log-source answers with (provider.location, provider.roleArn). */
const PARAMS = {
  securityLakeBucket: 'aws-security-data-lake-eu-west-1-h9bqmfvxyz0example',
  securityLakeAuthRoleArn: 'arn:aws:iam::999988887777:role/AmazonSecurityLake-Provider-authtrail_auth-eu-west-1',
  securityLakeAccountRoleArn: 'arn:aws:iam::999988887777:role/AmazonSecurityLake-Provider-authtrail_account-eu-west-1',
  securityLakeExternalId: 'authtrail-prod-lake',
  securityLakeAccountId: '111122223333',
} as const;

const FN = 'SecurityDashlakeDashwriterLambdaFunction';
/** An error message of hyparquet-writer (src/datapage.js): present wherever the Parquet writer is bundled. */
const HYPARQUET_WRITER_TEXT = 'RLE encoding only supported for BOOLEAN type';
const LAKE_RESOURCES = [
  FN,
  'SecurityDashlakeDashwriterLogGroup',
  'SecurityLakeQueue',
  'SecurityLakeDeadLetterQueue',
  'SecurityLakeQueuePolicy',
  'SecurityLakeDeadLetterQueuePolicy',
  'SecurityLakeWriterEventSourceMapping',
  'SecurityLakeWriterRole',
  'AlarmSecurityLakeDeadLetterQueueNotEmpty',
] as const;

type Conditions = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let workRoot = '';
let prod: PackagedStage | undefined;
let dev: PackagedStage | undefined;
beforeAll(async () => {
  workRoot = mkdtempSync(join(tmpdir(), 'authtrail-lake-stack-'));
  // One after the other: two packagings at once double the load on a shared machine for no gain in wall time.
  prod = await packageStage('prod', join(workRoot, 'prod'), PARAMS);
  dev = await packageStage('dev', join(workRoot, 'dev'));
}, 300_000);
afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

const packaged = (stage: 'prod' | 'dev'): PackagedStage => {
  const found = stage === 'prod' ? prod : dev;
  if (found === undefined) throw new Error(`${stage} was not packaged`);
  return found;
};
const templateOf = (stage: 'prod' | 'dev'): CfnTemplate & { Conditions: Conditions } => packaged(stage).template as CfnTemplate & { Conditions: Conditions };
const resource = (template: CfnTemplate, logicalId: string): CfnResource => {
  const found = template.Resources[logicalId];
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
};
const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const actionsOf = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

describe('Security Lake writer: only on a stage that sets securityLakeBucket', () => {
  it('prod with the params: every lake resource under WritesSecurityLake, and the condition holds', () => {
    // Prepare
    const template = templateOf('prod');

    // Act
    const conditioned = LAKE_RESOURCES.map((id) => resource(template, id).Condition);

    // Assess
    expect(conditioned).toEqual(LAKE_RESOURCES.map(() => 'WritesSecurityLake'));
    expect(conditionHolds(template.Conditions, 'WritesSecurityLake')).toBe(true);
  });

  it('dev without the params: the condition does not hold, so none of them is created', () => {
    // Prepare
    const template = templateOf('dev');

    // Act
    const holds = conditionHolds(template.Conditions, 'WritesSecurityLake');

    // Assess
    expect(holds).toBe(false);
    for (const id of LAKE_RESOURCES) expect(resource(template, id).Condition, id).toBe('WritesSecurityLake');
    const siemTargets = resource(template, 'SiemEventsRule').Properties.Targets as unknown[];
    expect(siemTargets[1]).toMatchObject({ 'Fn::If': ['WritesSecurityLake', expect.anything(), { Ref: 'AWS::NoValue' }] });
  });
});

describe('Security Lake writer: wiring (prod)', () => {
  it('the siem-events rule sends its events to the lake queue too, and only that rule may send to it', () => {
    // Prepare
    const template = templateOf('prod');

    // Act
    const targets = resource(template, 'SiemEventsRule').Properties.Targets as unknown[];
    const policy = resource(template, 'SecurityLakeQueuePolicy').Properties.PolicyDocument as { Statement: (Statement & { Principal: unknown; Condition: unknown })[] };

    // Assess
    expect(targets).toHaveLength(2);
    expect(targets[1]).toEqual({
      'Fn::If': [
        'WritesSecurityLake',
        {
          Id: 'security-lake',
          Arn: getAtt('SecurityLakeQueue'),
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: getAtt('DeliveryDeadLetterQueue') },
        },
        { Ref: 'AWS::NoValue' },
      ],
    });
    expect(policy.Statement).toEqual([
      {
        Sid: 'OnlyTheSiemRuleSends',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: getAtt('SecurityLakeQueue'),
        Condition: { ArnEquals: { 'aws:SourceArn': getAtt('SiemEventsRule') } },
      },
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: getAtt('SecurityLakeQueue'), Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  it('the queue feeds the writer in batches with ReportBatchItemFailures, and its redrive count is the one the writer dead-letters on', () => {
    // Prepare
    const template = templateOf('prod');

    // Act
    const mapping = resource(template, 'SecurityLakeWriterEventSourceMapping').Properties;
    const queue = resource(template, 'SecurityLakeQueue').Properties;
    const fn = resource(template, FN).Properties as { Timeout: number; Environment: { Variables: Record<string, unknown> } };

    // Assess
    expect(mapping).toMatchObject({
      FunctionName: getAtt(FN),
      EventSourceArn: getAtt('SecurityLakeQueue'),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: 300,
    });
    // AWS: a custom source object every 5 minutes at most often; Lambda allows at most 300 s of batching window.
    expect(mapping.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(300);
    // AWS guidance for SQS event sources: visibility timeout at least 6 x the function timeout plus the batching window.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout + 300);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('SecurityLakeDeadLetterQueue'), maxReceiveCount: 5 });
    expect(fn.Environment.Variables).toMatchObject({
      AUTHTRAIL_SECURITY_LAKE_BUCKET: PARAMS.securityLakeBucket,
      AUTHTRAIL_SECURITY_LAKE_AUTH_ROLE_ARN: PARAMS.securityLakeAuthRoleArn,
      AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ROLE_ARN: PARAMS.securityLakeAccountRoleArn,
      AUTHTRAIL_SECURITY_LAKE_AUTH_SOURCE: 'authtrail_auth',
      AUTHTRAIL_SECURITY_LAKE_ACCOUNT_SOURCE: 'authtrail_account',
      AUTHTRAIL_SECURITY_LAKE_DLQ_URL: { Ref: 'SecurityLakeDeadLetterQueue' },
      AUTHTRAIL_SECURITY_LAKE_MAX_RECEIVES: '5',
    });
    expect(fn.Environment.Variables.AUTHTRAIL_SECURITY_LAKE_ACCOUNT_ID).toEqual({ 'Fn::If': ['SecurityLakeAccountIdSet', PARAMS.securityLakeAccountId, { Ref: 'AWS::AccountId' }] });
    expect(conditionHolds(templateOf('prod').Conditions, 'SecurityLakeAccountIdSet')).toBe(true);
  });
});

describe('Security Lake writer: flushing within AWS guidance (prod)', () => {
  it('an object per source and day at most every 300 s at low traffic, never held a day; every batch one row group', () => {
    // Prepare: AWS asks for custom source objects every 5 minutes to 1 day, row groups <= 256 MB (parquet-limits.test.ts).
    const template = templateOf('prod');

    // Act
    const mapping = resource(template, 'SecurityLakeWriterEventSourceMapping').Properties as { BatchSize: number; MaximumBatchingWindowInSeconds: number };
    const fn = resource(template, FN).Properties as { Timeout: number };

    // Assess: the window is Lambda's longest, so a quiet stage writes no more often than every 5 minutes.
    expect(mapping.MaximumBatchingWindowInSeconds).toBe(300);
    // A batch never waits longer than the window plus the function's run: far inside a day.
    expect(mapping.MaximumBatchingWindowInSeconds + fn.Timeout).toBeLessThan(86_400);
    // At most an SQS standard queue's 10 000 messages, all in one row group (ROW_GROUP_ROWS).
    expect(mapping.BatchSize).toBeLessThanOrEqual(10_000);
    expect(mapping.BatchSize).toBeLessThanOrEqual(ROW_GROUP_ROWS);
  });

  it("the function's timeout leaves room for every attempt on one object and the writer's reserve, so the deadline guard, not Lambda, ends a slow batch", () => {
    // Prepare
    const fn = resource(templateOf('prod'), FN).Properties as { Timeout: number };

    // Act: all attempts with their backoffs, and the reserve deadlineFrom keeps back (at most 2 s).
    const oneObjectMs = PUT_ATTEMPTS * PUT_TIMEOUT_MS + PUT_BASE_DELAY_MS * (2 ** (PUT_ATTEMPTS - 1) - 1) + 2_000;

    // Assess
    expect(fn.Timeout * 1_000).toBeGreaterThanOrEqual(oneObjectMs);
  });
});

describe('Security Lake writer: least privilege (prod)', () => {
  it('its role may write its own logs, consume its queue, dead-letter to its DLQ and assume the two provider roles, nothing else', () => {
    // Prepare
    const template = templateOf('prod');
    const role = resource(template, 'SecurityLakeWriterRole');

    // Act
    const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
    const grants = policies.flatMap((policy) => policy.PolicyDocument.Statement).flatMap((statement) => actionsOf(statement).map((action) => ({ action, statement })));

    // Assess
    expect(resource(template, FN).Properties.Role).toEqual(getAtt('SecurityLakeWriterRole'));
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(grants.map(({ action }) => action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
      'sts:AssumeRole',
    ]);
    for (const { action, statement } of grants) {
      expect(statement.Effect, action).toBe('Allow');
      if (action.startsWith('logs:')) expect(statement.Resource).toEqual(getAtt('SecurityDashlakeDashwriterLogGroup'));
      if (['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].includes(action)) expect(statement.Resource).toEqual(getAtt('SecurityLakeQueue'));
      if (action === 'sqs:SendMessage') expect(statement.Resource).toEqual(getAtt('SecurityLakeDeadLetterQueue'));
      if (action === 'sts:AssumeRole') expect(statement.Resource).toEqual([PARAMS.securityLakeAuthRoleArn, PARAMS.securityLakeAccountRoleArn]);
    }
    // No S3 grant of its own: writes go through the provider roles, which Security Lake scopes to ext/<source>/.
    expect(JSON.stringify(role)).not.toMatch(/s3:|\*/);
  });
});

describe('Security Lake writer: bundles (prod)', () => {
  it('the writer carries the Parquet writer and no trigger code; no trigger carries the Parquet writer', () => {
    // Prepare
    const { zip } = packaged('prod');
    const writer = zip('security-lake-writer').get('functions/security-lake-writer.mjs')?.data().toString('utf8') ?? '';

    // Act
    const triggers = ['pre-signup', 'pre-authentication', 'post-authentication', 'pre-token-generation', 'post-confirmation'].map(
      (name) => [name, zip(name).get(`functions/${name}.mjs`)?.data().toString('utf8') ?? ''] as const,
    );

    // Assess (booleans, so a failure does not print a bundle): hyparquet-writer's own error text, never in a trigger.
    expect(writer.includes(HYPARQUET_WRITER_TEXT)).toBe(true);
    expect(writer.includes('authtrail.security-lake.write')).toBe(true);
    // The triggers' event-line marker (lib/publish/event-log.ts EVENT_LOG_MARKER) belongs to trigger code only.
    expect(writer.includes(EVENT_LOG_MARKER)).toBe(false);
    for (const [name, bundle] of triggers) {
      expect(bundle.length, name).toBeGreaterThan(0);
      expect(bundle.includes(HYPARQUET_WRITER_TEXT), name).toBe(false);
      expect(bundle.includes('authtrail.security-lake'), name).toBe(false);
    }
  });
});

describeDeployChecks(['prod'], () => templateOf('prod'));
