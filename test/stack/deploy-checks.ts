/**
 * What must hold for a first deploy on a new account and for losing nothing
 * asynchronously (issue 15), on all three stages: dev creates its user pool,
 * staging and prod attach to an existing one. Registered by template.test.ts
 * (dev, prod) and deploy.test.ts (staging) on the templates they package.
 *
 * - Every resource of every stage conforms to its CloudFormation registry schema
 *   (vendored from cfn-lint, ./cfn-schemas).
 * - Every function gets the variables its kind's env schema requires, and none
 *   its kind does not read (./env-guard.ts).
 * - No function reserves concurrency.
 * - The existing-pool attachment sets both pre token generation slots to our
 *   function: checked on the template and by running osls's own handler code
 *   against a pool whose legacy slot holds another function (Cognito API at the
 *   SDK boundary, aws-sdk-client-mock).
 * - The audit log is writable only by this stage's rule; every asynchronous
 *   invocation has the async failure queue as on-failure destination, with an
 *   alarm; IAM grants are narrowed (PassRole, PutEvents source, no unused action).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { AUTH_EVENT_SOURCE } from '../../lib/auth-event/schema.ts';
import { conditionHolds, loadRegistryValidator, type RegistryValidator } from './cfn-schema.ts';
import { envProblems } from './env-guard.ts';
import type { CfnResource, CfnTemplate } from './package-stack.ts';

type Stage = 'dev' | 'staging' | 'prod';
const POOL_MODE: Record<Stage, 'create' | 'existing'> = { dev: 'create', staging: 'existing', prod: 'existing' };

/** The functions Lambda invokes asynchronously: by an EventBridge rule or schedule, or by a log subscription. */
const ASYNC_FUNCTIONS = {
  'failed-sign-ins': 'FailedDashsignDashins',
  'recover-spilled': 'RecoverDashspilled',
  'cognito-log-events': 'CognitoDashlogDashevents',
  'event-log-forwarder': 'EventDashlogDashforwarder',
  'cloudtrail-events': 'CloudtrailDashevents',
} as const;

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const actionsOf = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const statementsOf = (role: CfnResource): Statement[] =>
  (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);

/**
 * Registers the checks for `stages`, whose packaged templates `templateOf` returns once packaged (in the
 * caller's beforeAll): template.test.ts calls it for dev and prod, which it packages anyway, and
 * deploy.test.ts for staging, so each stage is packaged once per run.
 */
export const describeDeployChecks = (STAGES: readonly Stage[], templateOf: (stage: Stage) => CfnTemplate): void => {
  const template = templateOf;
  const resource = (stage: Stage, logicalId: string): CfnResource => {
    const found = template(stage).Resources[logicalId];
    if (found === undefined) throw new Error(`${stage}: no resource ${logicalId}`);
    return found;
  };
  const ofType = (stage: Stage, type: string) => Object.entries(template(stage).Resources).filter(([, candidate]) => candidate.Type === type);

  // Compiled on first use (seconds: 20 schemas), by the test that needs it rather than beside the packaging hooks.
  let compiled: RegistryValidator | undefined;
  const registry = (): RegistryValidator => (compiled ??= loadRegistryValidator());
  /** Compiling the schemas takes seconds on a busy machine: the tests that do it get a minute. */
  const COMPILE_TIMEOUT_MS = 60_000;

  describe.each(STAGES)('stage %s', (stage) => {
    it('conforms to the CloudFormation registry schema of each resource type, every resource', () => {
      // Prepare
      const { Resources, Conditions = {} } = template(stage) as CfnTemplate & { Conditions?: Record<string, unknown> };

      // Act
      const problems = Object.entries(Resources).flatMap(([logicalId, candidate]) =>
        candidate.Type.startsWith('Custom::') || (candidate.Condition !== undefined && !conditionHolds(Conditions, candidate.Condition))
          ? []
          : registry().problemsOf(candidate.Type, candidate.Properties).map((problem) => `${logicalId} (${candidate.Type}): ${problem}`),
      );

      // Assess
      expect(problems).toEqual([]);
      const types = new Set(Object.values(Resources).map((candidate) => candidate.Type).filter((type) => !type.startsWith('Custom::')));
      expect([...types].filter((type) => !registry().types.includes(type))).toEqual([]);
    }, COMPILE_TIMEOUT_MS);

    it('gives every function what its kind\'s env schema requires, and nothing its kind does not read (./env-guard.ts)', () => {
      // Act
      const problems = envProblems(template(stage));

      // Assess
      expect(problems).toEqual([]);
    });

    it('reserves no concurrency for any function: a new account may have none to reserve', () => {
      // Act
      const reserving = ofType(stage, 'AWS::Lambda::Function').filter(([, fn]) => 'ReservedConcurrentExecutions' in fn.Properties);

      // Assess
      expect(reserving.map(([id]) => id)).toEqual([]);
    });

    it('lets only the stage rule all-events-to-log put entries in the audit log, through the principals the EventBridge guide names', () => {
      // Prepare
      const policy = resource(stage, 'EventsLogGroupResourcePolicy').Properties.PolicyDocument as { 'Fn::Sub': [string, Record<string, unknown>] };
      const [text, variables] = policy['Fn::Sub'];

      // Act
      const statements = (JSON.parse(text) as { Statement: Statement[] }).Statement;

      // Assess
      expect(variables).toEqual({ LogGroupArn: getAtt('EventsLogGroup'), RuleArn: getAtt('AllEventsToLogRule') });
      for (const statement of statements) {
        expect(statement.Principal).toEqual({ Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] });
        expect(statement.Resource).toBe('${LogGroupArn}');
      }
      const writes = statements.filter((statement) => actionsOf(statement).includes('logs:PutLogEvents'));
      expect(writes).toHaveLength(1);
      expect(writes[0]?.Condition).toEqual({ ArnEquals: { 'aws:SourceArn': '${RuleArn}' } });
      // Without the condition only stream creation, which writes no entry.
      expect(statements.filter((statement) => statement.Condition === undefined).flatMap(actionsOf)).toEqual(['logs:CreateLogStream']);
    });

    it('gives every asynchronously invoked function the async failure queue as on-failure destination, a role that may send to it, and an alarm on it', () => {
      // Prepare
      const queue = resource(stage, 'AsyncFailureQueue').Properties;
      const alarms = ofType(stage, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);

      // Act
      const configs = Object.entries(ASYNC_FUNCTIONS).map(([name, prefix]) => {
        const config = ofType(stage, 'AWS::Lambda::EventInvokeConfig').find(
          ([, candidate]) => JSON.stringify(candidate.Properties.FunctionName) === JSON.stringify({ Ref: `${prefix}LambdaFunction` }),
        );
        const role = resource(stage, (resource(stage, `${prefix}LambdaFunction`).Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
        return { name, config: config?.[1].Properties, sends: statementsOf(role).filter((statement) => actionsOf(statement).includes('sqs:SendMessage')) };
      });

      // Assess
      expect(queue).toMatchObject({ QueueName: `authtrail-${stage}-async-failures`, SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
      for (const { name, config, sends } of configs) {
        expect(config, name).toMatchObject({ Qualifier: '$LATEST', DestinationConfig: { OnFailure: { Destination: getAtt('AsyncFailureQueue') } } });
        expect(sends.map((statement) => statement.Resource), name).toEqual([getAtt('AsyncFailureQueue')]);
      }
      expect(alarms).toContainEqual(
        expect.objectContaining({
          AlarmName: `authtrail-${stage}-async-failures-not-empty`,
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: `authtrail-${stage}-async-failures` }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    });

    it('keeps recovery checkpoints in the stage table, gives recover-spilled room to work and alarms when the backlog stays', () => {
      // Prepare
      const fn = resource(stage, 'RecoverDashspilledLambdaFunction').Properties;
      const role = resource(stage, 'RecoverSpilledRole');
      const alarms = ofType(stage, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);

      // Assess
      expect(resource(stage, 'RecoveryCheckpointTable').Properties).toMatchObject({
        TableName: `authtrail-${stage}-recovery`,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'logGroup', KeyType: 'HASH' }],
      });
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.AUTHTRAIL_RECOVER_CHECKPOINT_TABLE).toEqual({ Ref: 'RecoveryCheckpointTable' });
      expect(fn.Timeout).toBe(300);
      expect(statementsOf(role).find((statement) => statement.Sid === 'KeepRecoveryCheckpoints')).toMatchObject({
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: getAtt('RecoveryCheckpointTable'),
      });
      expect(alarms).toContainEqual(
        expect.objectContaining({ AlarmName: `authtrail-${stage}-recovery-backlog`, Namespace: 'authtrail', MetricName: 'RecoveryBacklog', Period: 900, EvaluationPeriods: 2 }),
      );
    });

    it('lets every role put only AuthEvents on the bus (events:source), and no role keep an action nothing uses', () => {
      // Prepare
      const roles = ofType(stage, 'AWS::IAM::Role').map(([id, role]) => [id, statementsOf(role)] as const);

      // Act
      const puts = roles.flatMap(([id, statements]) =>
        statements.filter((statement) => actionsOf(statement).includes('events:PutEvents')).map((statement) => ({ id, statement })),
      );

      // Assess
      // Log-first: the triggers write their events to their logs; the forwarder and the functions off the sign-in path publish.
      expect(puts.map(({ id }) => id).sort()).toEqual(['CloudTrailEventsRole', 'CognitoLogEventsRole', 'EventLogForwarderRole', 'FailedSignInsRole', 'RecoverSpilledRole']);
      for (const { id, statement } of puts) {
        expect(statement.Condition, id).toEqual({ StringEquals: { 'events:source': AUTH_EVENT_SOURCE } });
        expect(statement.Resource, id).toEqual(getAtt('EventBus'));
      }
      // The forwarder reports partial batch failures; Lambda's event source mapping changes visibility, not the function.
      expect(roles.flatMap(([, statements]) => statements.flatMap(actionsOf))).not.toContain('sqs:ChangeMessageVisibility');
    });
  });

  describe('the registry schema check', () => {
    const stage = STAGES[0] as Stage;
    it('refuses what CloudFormation would: an unknown property, a wrong type, a missing required property, a value out of range, a read-only property, an unknown type', () => {
      // Prepare: copies of real dev resources, each broken one way
      const queue = resource(stage, 'AsyncFailureQueue').Properties;
      const fn = resource(stage, 'RecoverDashspilledLambdaFunction').Properties;
      const { Role: _role, ...fnWithoutRole } = fn;

      // Act
      const problems = {
        misspelt: registry().problemsOf('AWS::SQS::Queue', { ...queue, MessageRetentionPeriodSeconds: 60 }),
        wrongType: registry().problemsOf('AWS::SQS::Queue', { ...queue, SqsManagedSseEnabled: 'yes' }),
        missingRequired: registry().problemsOf('AWS::Lambda::Function', fnWithoutRole),
        outOfRange: registry().problemsOf('AWS::SQS::Queue', { ...queue, MessageRetentionPeriod: 1209601 }),
        readOnly: registry().problemsOf('AWS::SQS::Queue', { ...queue, Arn: 'arn:aws:sqs:eu-west-1:123456789012:x' }),
        notAnIntrinsic: registry().problemsOf('AWS::SQS::Queue', { ...queue, VisibilityTimeout: { 'Fn::Evil': 1 } }),
        unknownType: registry().problemsOf('AWS::SQS::Queues', queue),
        intact: registry().problemsOf('AWS::SQS::Queue', queue),
      };

      // Assess
      expect(problems.intact).toEqual([]);
      for (const [name, found] of Object.entries(problems)) if (name !== 'intact') expect(found, name).not.toEqual([]);
      expect(problems.missingRequired.join(' ')).toContain('Role');
      expect(problems.readOnly).toContain('/Arn is read-only');
    }, COMPILE_TIMEOUT_MS);
  });

  describe.each(STAGES.filter((stage) => POOL_MODE[stage] === 'existing'))('existing pool, stage %s', (stage) => {
    const preToken = () => resource(stage, 'PreDashtokenDashgenerationCustomCognitoUserPool1').Properties;

    it('asks osls to set both pre token generation slots, the legacy one and the versioned config', () => {
      // Assess
      expect(preToken().UserPoolConfigs).toEqual([{ Trigger: 'PreTokenGeneration' }, { Trigger: 'PreTokenGeneration', LambdaVersion: 'V2_0' }]);
    });

    it('passes no role at all unless the stage names the pool SMS role, and then only that one to Cognito', () => {
      // Prepare
      const statements = statementsOf(resource(stage, 'IamRoleCustomResourcesLambdaExecution')) as unknown[];
      const conditions = (template(stage) as CfnTemplate & { Conditions: Record<string, unknown> }).Conditions;

      // Act
      const passRole = statements.find((statement) => JSON.stringify(statement).includes('iam:PassRole')) as { 'Fn::If': [string, Statement, unknown] };

      // Assess
      expect(passRole['Fn::If'][0]).toBe('PoolHasSmsRole');
      expect(passRole['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
      expect(passRole['Fn::If'][1]).toMatchObject({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' } } });
      expect(passRole['Fn::If'][1].Resource).not.toContain('*');
      // The placeholders name no SMS role: the statement is left out of the deployed policy.
      expect(conditionHolds(conditions, 'PoolHasSmsRole')).toBe(false);
    });

    it("runs osls's attach code on a pool whose legacy slot holds another function: both slots end up ours, the other triggers stay", async () => {
      // Prepare: osls's handler module and the Cognito client it uses (the CommonJS build: the same class osls gets)
      const oslsRequire = createRequire(require_resolve('serverless/lib/plugins/aws/custom-resources/resources/cognito-user-pool/lib/user-pool.js'));
      const userPool = oslsRequire('./user-pool.js') as { updateConfiguration(config: unknown): Promise<unknown> };
      const cognitoSdk = oslsRequire('@aws-sdk/client-cognito-identity-provider') as typeof import('@aws-sdk/client-cognito-identity-provider');
      const cognito = mockClient(cognitoSdk.CognitoIdentityProviderClient);
      const ours = `arn:aws:lambda:eu-west-1:123456789012:function:authtrail-${stage}-pre-token-generation`;
      const theirs = 'arn:aws:lambda:eu-west-1:123456789012:function:legacy-claims';
      cognito.on(cognitoSdk.ListUserPoolsCommand).resolves({ UserPools: [{ Id: 'eu-west-1_AbCdEf123', Name: `authtrail-${stage}-users` }] });
      // DescribeUserPool as Cognito answers for a pool configured long ago (legacy slot only) and then updated by hand.
      cognito.on(cognitoSdk.DescribeUserPoolCommand).resolves({
        UserPool: {
          Id: 'eu-west-1_AbCdEf123',
          Name: `authtrail-${stage}-users`,
          LambdaConfig: { PreTokenGeneration: theirs, PreTokenGenerationConfig: { LambdaArn: theirs, LambdaVersion: 'V1_0' }, CustomMessage: 'arn:aws:lambda:eu-west-1:123456789012:function:mailer' },
          Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 3 },
        },
      });
      cognito.on(cognitoSdk.UpdateUserPoolCommand).resolves({});

      try {
        // Act
        await userPool.updateConfiguration({ lambdaArn: ours, userPoolName: `authtrail-${stage}-users`, userPoolConfigs: preToken().UserPoolConfigs, region: 'eu-west-1' });

        // Assess
        const update = cognito.commandCalls(cognitoSdk.UpdateUserPoolCommand)[0]?.args[0].input;
        expect(update?.LambdaConfig).toEqual({
          PreTokenGeneration: ours,
          PreTokenGenerationConfig: { LambdaArn: ours, LambdaVersion: 'V2_0' },
          CustomMessage: 'arn:aws:lambda:eu-west-1:123456789012:function:mailer',
        });
        expect(update?.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays).toBe(3);
      } finally {
        cognito.restore();
      }
    });

    it("shows why the deploy guard checks TemporaryPasswordValidityDays: osls copies it from UnusedAccountValidityDays, so a pool without that field loses its setting", async () => {
      // Prepare
      const oslsRequire = createRequire(require_resolve('serverless/lib/plugins/aws/custom-resources/resources/cognito-user-pool/lib/user-pool.js'));
      const userPool = oslsRequire('./user-pool.js') as { updateConfiguration(config: unknown): Promise<unknown> };
      const cognitoSdk = oslsRequire('@aws-sdk/client-cognito-identity-provider') as typeof import('@aws-sdk/client-cognito-identity-provider');
      const cognito = mockClient(cognitoSdk.CognitoIdentityProviderClient);
      cognito.on(cognitoSdk.ListUserPoolsCommand).resolves({ UserPools: [{ Id: 'eu-west-1_AbCdEf123', Name: `authtrail-${stage}-users` }] });
      cognito.on(cognitoSdk.DescribeUserPoolCommand).resolves({
        UserPool: {
          Id: 'eu-west-1_AbCdEf123',
          LambdaConfig: {},
          Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 3 } },
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        },
      });
      cognito.on(cognitoSdk.UpdateUserPoolCommand).resolves({});

      try {
        // Act
        await userPool.updateConfiguration({
          lambdaArn: `arn:aws:lambda:eu-west-1:123456789012:function:authtrail-${stage}-pre-token-generation`,
          userPoolName: `authtrail-${stage}-users`,
          userPoolConfigs: preToken().UserPoolConfigs,
          region: 'eu-west-1',
        });

        // Assess: the 3 days are not sent; UpdateUserPool resets what it is not sent to the default (7 days)
        const update = cognito.commandCalls(cognitoSdk.UpdateUserPoolCommand)[0]?.args[0].input;
        expect(update?.Policies?.PasswordPolicy).toEqual({ MinimumLength: 12, TemporaryPasswordValidityDays: undefined });
      } finally {
        cognito.restore();
      }
    });
  });

};

/** Resolves a package path from the project root, as osls's own modules are found. */
function require_resolve(path: string): string {
  return createRequire(join(import.meta.dirname, '..', '..', 'package.json')).resolve(path);
}
