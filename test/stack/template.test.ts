/**
 * The deployable stack. `serverless package` runs once for dev (the stack
 * creates its user pool) and once for prod (it attaches to an existing pool),
 * offline and without AWS credentials, each in a private copy of the project.
 * The tests then read the CloudFormation template and the function zips it
 * wrote, as CloudFormation and Lambda would, and the dev functions are started
 * from their zips against fake AWS endpoints (EventBridge, SSM, CloudWatch Logs,
 * Secrets Manager, SQS) and, for the SIEM forwarder, a loopback SIEM.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStageConfigFile } from '../../lib/config/load.ts';
import { claimSources, writableBy } from '../../local/cognito/pool-check.ts';
import { TriggerName } from '../../lib/cognito/trigger-sources.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { matchesEventPattern, validateEventPattern } from '../../lib/routing/event-pattern.ts';
import { sampleLines, subscriptionPayload } from '../cognito-logs/helpers.ts';
import { envelopeBody, golden, sqsRecord } from '../siem/helpers.ts';
import type { InvokeOutcome } from './invoke-packaged.ts';
import { packageStage, type CfnResource, type CfnTemplate, type PackagedStage } from './package-stack.ts';
import { conditionHolds } from './cfn-schema.ts';
import { describeDeployChecks } from './deploy-checks.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { clockEnv } from '../helpers/lambda-env.ts';

// ---------------------------------------------------------------- what the stack must be

const STAGES = ['dev', 'prod'] as const;
type Stage = (typeof STAGES)[number];

/** The Cognito triggers: every TriggerName, so a new one is checked here (and needs its LOGICAL_ID and COGNITO_TRIGGER to compile). */
const TRIGGERS = Object.values(TriggerName);
type TriggerFunction = TriggerName;
/** The scheduled re-publisher of spilled events (docs/delivery.md). */
const RECOVER = 'recover-spilled';
/** The SIEM queue's consumer (docs/siem.md). */
const FORWARDER = 'siem-forwarder';
/** Failed sign-in inference, downstream of the bus (docs/delivery.md). */
const INFERENCE = 'failed-sign-ins';
/** Cognito's userAuthEvents log delivery -> AuthEvents, through a log subscription (docs/auth-event.md). */
const COGNITO_LOGS = 'cognito-log-events';
/** Log-first delivery: the triggers' event lines -> the stage bus (docs/delivery.md). */
const EVENT_LOG_FORWARDER = 'event-log-forwarder';
/** The pool's CloudTrail records from the default bus -> AuthEvents (docs/delivery.md, "CloudTrail events"). */
const CLOUDTRAIL = 'cloudtrail-events';
const FUNCTIONS = [...TRIGGERS, RECOVER, FORWARDER, INFERENCE, COGNITO_LOGS, CLOUDTRAIL, EVENT_LOG_FORWARDER] as const;
/** The functions that read the PII key and write their events out: the triggers (to their log), the Cognito log and CloudTrail readers (to the bus). */
const PUBLISHERS = [...TRIGGERS, COGNITO_LOGS, CLOUDTRAIL] as const;
/** The functions that may spill to their log: recover-spilled searches exactly these log groups. */
const SPILLERS = [...PUBLISHERS, EVENT_LOG_FORWARDER] as const;
/** The readers of other Cognito sources publish to the bus themselves; the triggers only log. */
const readsIntoBus = (name: (typeof PUBLISHERS)[number]): boolean => name === COGNITO_LOGS || name === CLOUDTRAIL;
type FunctionName = (typeof FUNCTIONS)[number];

/** osls's logical-id prefix of each function (`PreDashsignupLambdaFunction`, `PreDashsignupLogGroup`). */
const LOGICAL_ID: Record<FunctionName, string> = {
  'pre-signup': 'PreDashsignup',
  'post-authentication': 'PostDashauthentication',
  'pre-token-generation': 'PreDashtokenDashgeneration',
  'pre-authentication': 'PreDashauthentication',
  'post-confirmation': 'PostDashconfirmation',
  'recover-spilled': 'RecoverDashspilled',
  'siem-forwarder': 'SiemDashforwarder',
  'failed-sign-ins': 'FailedDashsignDashins',
  'cognito-log-events': 'CognitoDashlogDashevents',
  'event-log-forwarder': 'EventDashlogDashforwarder',
  'cloudtrail-events': 'CloudtrailDashevents',
};

const COGNITO_TRIGGER: Record<TriggerFunction, string> = {
  'pre-signup': 'PreSignUp',
  'post-authentication': 'PostAuthentication',
  'pre-token-generation': 'PreTokenGeneration',
  'pre-authentication': 'PreAuthentication',
  'post-confirmation': 'PostConfirmation',
};

/** The per-stage values serverless.yml's `params:` must produce. */
const EXPECTED = {
  dev: {
    memorySize: 256,
    functionLogRetentionDays: 7,
    eventsLogRetentionDays: 14,
    eventsLogDeletionPolicy: 'Delete',
    archiveRetentionDays: 7,
    userPool: { mode: 'create' },
    // Placeholder in serverless.yml, to be replaced before deploy.
    siemUrl: 'https://siem.example.invalid/authtrail/dev',
  },
  prod: {
    memorySize: 512,
    functionLogRetentionDays: 90,
    eventsLogRetentionDays: 400,
    eventsLogDeletionPolicy: 'Retain',
    archiveRetentionDays: 365,
    // The placeholders in serverless.yml, to be replaced before the first prod deploy.
    userPool: { mode: 'existing', name: 'authtrail-prod-users', id: 'eu-west-1_REPLACEME' },
    siemUrl: 'https://siem.example.invalid/authtrail/prod',
  },
} as const;

interface RulesFile {
  rules: Record<string, { description: string; target: string; pattern: Record<string, unknown> }>;
  consumers: Record<string, { description: string; pattern: Record<string, unknown> } | string>;
}
const RULES_FILE = JSON.parse(readFileSync(join(ROOT, 'lib/routing/rules.json'), 'utf8')) as RulesFile;
const RULES = RULES_FILE.rules;
/** Rules to authtrail's own functions; each targets the function of its name. */
const CONSUMER_RULES = Object.fromEntries(
  Object.entries(RULES_FILE.consumers).flatMap(([name, consumer]) =>
    typeof consumer === 'string' ? [] : [[name, { ...consumer, target: name }]],
  ),
);

const stageConfigText = (stage: Stage): string => readFileSync(join(ROOT, 'config', `${stage}.json`), 'utf8');
const preTokenVersionOf = (stage: Stage): string =>
  (JSON.parse(stageConfigText(stage)) as { tokens?: { lambdaVersion?: string } }).tokens?.lambdaVersion ?? 'V2_0';
/** siem.batch.maxEvents of the stage config, schema defaults applied: the events of one SIEM request. */
const siemBatchMaxEventsOf = (stage: Stage): number =>
  loadStageConfigFile(join(ROOT, 'config', `${stage}.json`)).siem.batch.maxEvents;
/** The Secrets Manager name serverless.yml's param siemSecretId gives each stage. */
const siemSecretIdOf = (stage: string): string => `authtrail/${stage}/siem`;

// ---------------------------------------------------------------- reading the template

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface PolicyDocument {
  Statement: Statement[];
}
interface RuleTarget {
  Id: string;
  Arn: unknown;
  RoleArn?: unknown;
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn: unknown };
}

const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const ref = (logicalId: string) => ({ Ref: logicalId });
const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

const packaged = new Map<Stage, PackagedStage>();
const stack = (stage: Stage): PackagedStage => {
  const result = packaged.get(stage);
  if (result === undefined) throw new Error(`${stage} was not packaged`);
  return result;
};
const resource = (template: CfnTemplate, logicalId: string): CfnResource => {
  const found = template.Resources[logicalId];
  if (found === undefined) throw new Error(`No resource ${logicalId}`);
  return found;
};
const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);
/** The rules on the stage bus (the recovery schedule is a rule on the default bus). */
const busRules = (template: CfnTemplate): [string, CfnResource][] =>
  resourcesOfType(template, 'AWS::Events::Rule').filter(
    ([, rule]) => JSON.stringify(rule.Properties.EventBusName) === JSON.stringify(ref('EventBus')),
  );
const functionOf = (template: CfnTemplate, name: FunctionName): Record<string, unknown> =>
  resource(template, `${LOGICAL_ID[name]}LambdaFunction`).Properties;
/** Strings, or intrinsic functions CloudFormation resolves (`{ Ref: … }`). */
const environmentOf = (template: CfnTemplate, name: FunctionName): Record<string, unknown> =>
  (functionOf(template, name).Environment as { Variables: Record<string, unknown> }).Variables;
const roleOf = (template: CfnTemplate, name: FunctionName): CfnResource =>
  resource(template, getAttTarget(functionOf(template, name).Role));
/** A statement under `Fn::If` (the attachment's PassRole, only with an SMS role) counts as granted: checks see its widest form. */
const roleStatements = (role: CfnResource): Statement[] =>
  (role.Properties.Policies as { PolicyDocument: PolicyDocument }[])
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .map((statement) => ((statement as { 'Fn::If'?: [string, Statement, unknown] })['Fn::If']?.[1] ?? statement));
const queuePolicyFor = (template: CfnTemplate, queueLogicalId: string): PolicyDocument => {
  const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy').filter(([, policy]) =>
    (policy.Properties.Queues as unknown[]).some((queue) => JSON.stringify(queue) === JSON.stringify(ref(queueLogicalId))),
  );
  expect(policies, `queue policies of ${queueLogicalId}`).toHaveLength(1);
  return policies[0]![1].Properties.PolicyDocument as PolicyDocument;
};
type WithConditions = CfnTemplate & { Conditions?: Record<string, unknown> };
/** Resources CloudFormation creates for this template: those without a Condition, or whose Condition holds. */
const deployed = (template: CfnTemplate) => ([, candidate]: [string, CfnResource]): boolean =>
  candidate.Condition === undefined || conditionHolds((template as WithConditions).Conditions ?? {}, candidate.Condition);
/** A rule's targets as CloudFormation creates them: an `Fn::If` target resolved by its condition, `AWS::NoValue` dropped. */
const deployedTargets = (template: CfnTemplate, rule: CfnResource): RuleTarget[] =>
  (rule.Properties.Targets as unknown[]).flatMap((target) => {
    const choice = (target as { 'Fn::If'?: [string, RuleTarget, unknown] })['Fn::If'];
    if (choice === undefined) return [target as RuleTarget];
    return conditionHolds((template as WithConditions).Conditions ?? {}, choice[0]) ? [choice[1]] : [];
  });
/** The logical id of an `{ "Fn::GetAtt": [id, "Arn"] }`. */
const getAttTarget = (value: unknown): string => {
  const parts = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (parts === undefined) throw new Error(`Not a Fn::GetAtt: ${JSON.stringify(value)}`);
  return parts[0];
};

// ---------------------------------------------------------------- packaging, once per stage

let workRoot = '';

beforeAll(async () => {
  // Prepare
  workRoot = mkdtempSync(join(tmpdir(), 'authtrail-stack-'));
  const started = performance.now();

  // Act
  const results = await Promise.all(STAGES.map((stage) => packageStage(stage, join(workRoot, stage))));

  results.forEach((result, index) => packaged.set(STAGES[index]!, result));
  console.info(`serverless package, dev and prod in parallel: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, 180_000);

afterAll(() => {
  if (workRoot !== '') rmSync(workRoot, { recursive: true, force: true });
});

// ---------------------------------------------------------------- both stages

describe.each(STAGES)('the %s stack', (stage) => {
  const expected = EXPECTED[stage];

  describe('event bus', () => {
    it('is the custom bus authtrail-<stage>', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const buses = resourcesOfType(template, 'AWS::Events::EventBus');

      // Assess
      expect(buses).toHaveLength(1);
      expect(buses[0]![0]).toBe('EventBus');
      expect(buses[0]![1].Properties.Name).toBe(`authtrail-${stage}`);
      expect(template.Outputs.EventBusName?.Value).toEqual(ref('EventBus'));
      expect(template.Outputs.EventBusArn?.Value).toEqual(getAtt('EventBus'));
    });

    it('archives every event on the bus for the stage retention', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const archives = resourcesOfType(template, 'AWS::Events::Archive');

      // Assess
      expect(archives).toHaveLength(1);
      const archive = archives[0]![1];
      expect(archive.Properties.SourceArn).toEqual(getAtt('EventBus'));
      expect(archive.Properties.RetentionDays).toBe(expected.archiveRetentionDays);
      expect(archive.Properties.EventPattern).toBeUndefined();
    });
  });

  describe('routing rules', () => {
    it('deploys exactly the rules of lib/routing/rules.json, with their patterns, on the stage bus', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const rules = busRules(template).map(([, rule]): Record<string, unknown> => ({ ...rule.Properties, Targets: deployedTargets(template, rule) }));

      // Assess
      const expected = { ...RULES, ...CONSUMER_RULES };
      expect(rules.map((rule) => rule.Name).sort()).toEqual(Object.keys(expected).sort());
      for (const rule of rules) {
        const source = expected[rule.Name as string]!;
        expect(rule.State).toBe('ENABLED');
        expect(rule.EventPattern).toEqual(source.pattern);
        expect(() => validateEventPattern(rule.EventPattern)).not.toThrow();
        expect((rule.Targets as RuleTarget[]).map((target) => target.Id)).toEqual([source.target]);
      }
    });

    it('sends the events-log target to the events log group and the siem-queue target to the SIEM queue', () => {
      // Prepare
      const { template } = stack(stage);
      const targets = busRules(template).flatMap(([, rule]) => deployedTargets(template, rule));

      // Act
      const byId = new Map(targets.map((target) => [target.Id, target]));

      // Assess
      expect(byId.get('events-log')?.Arn).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${EventsLogGroup}',
      });
      expect(byId.get('siem-queue')?.Arn).toEqual(getAtt('SiemQueue'));
      // Logs and SQS targets use resource policies; a target role would be ignored or break delivery.
      for (const target of targets) expect(target.RoleArn).toBeUndefined();
    });

    it('gives every rule target a retry policy and a dead-letter queue that the rule may write to', () => {
      // Prepare
      const { template } = stack(stage);

      for (const [ruleId, rule] of busRules(template)) {
        for (const target of deployedTargets(template, rule)) {
          // Act
          const deadLetterQueue = getAttTarget(target.DeadLetterConfig?.Arn);
          const allowed = queuePolicyFor(template, deadLetterQueue).Statement.filter(
            (statement) => statement.Effect === 'Allow' && actionsOf(statement).includes('sqs:SendMessage'),
          );

          // Assess
          expect(target.RetryPolicy?.MaximumEventAgeInSeconds, `${ruleId} ${target.Id}`).toBeGreaterThan(0);
          expect(target.RetryPolicy?.MaximumRetryAttempts, `${ruleId} ${target.Id}`).toBeGreaterThan(0);
          expect(resource(template, deadLetterQueue).Type).toBe('AWS::SQS::Queue');
          expect(resource(template, deadLetterQueue).Properties.SqsManagedSseEnabled).toBe(true);
          const sourceArns = allowed.flatMap((statement) => {
            const arns = statement.Condition?.ArnEquals?.['aws:SourceArn'];
            return Array.isArray(arns) ? arns : [arns];
          });
          expect(sourceArns).toContainEqual(getAtt(ruleId));
          for (const statement of allowed) expect(statement.Principal).toEqual({ Service: 'events.amazonaws.com' });
        }
      }
    });
  });

  describe('events log group', () => {
    it('is /authtrail/<stage>/events with the stage retention and deletion policy', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const logGroup = resource(template, 'EventsLogGroup');

      // Assess
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.LogGroupName).toBe(`/authtrail/${stage}/events`);
      expect(logGroup.Properties.RetentionInDays).toBe(expected.eventsLogRetentionDays);
      expect(logGroup.DeletionPolicy).toBe(expected.eventsLogDeletionPolicy);
      expect(logGroup.UpdateReplacePolicy).toBe(expected.eventsLogDeletionPolicy);
      expect(template.Outputs.EventsLogGroupName?.Value).toEqual(ref('EventsLogGroup'));
    });

    it('lets EventBridge create streams and put events in that log group only', () => {
      // Prepare
      const { template } = stack(stage);
      const policies = resourcesOfType(template, 'AWS::Logs::ResourcePolicy');

      // Act
      expect(policies).toHaveLength(1);
      const [documentText, variables] = (policies[0]![1].Properties.PolicyDocument as { 'Fn::Sub': [string, Record<string, unknown>] })[
        'Fn::Sub'
      ];
      const document = JSON.parse(documentText) as PolicyDocument;

      // Assess (who may put entries: deploy-checks.ts, "only the stage rule all-events-to-log")
      expect(document.Statement.every((statement) => statement.Effect === 'Allow' && statement.Resource === '${LogGroupArn}')).toBe(true);
      expect(document.Statement.flatMap(actionsOf).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(variables.LogGroupArn).toEqual(getAtt('EventsLogGroup'));
    });
  });

  describe('SIEM queue', () => {
    it('is the encrypted queue authtrail-<stage>-siem, redriving to its own encrypted dead-letter queue', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const queue = resource(template, 'SiemQueue');
      const redrive = queue.Properties.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
      const deadLetterQueue = resource(template, getAttTarget(redrive.deadLetterTargetArn));

      // Assess
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties.QueueName).toBe(`authtrail-${stage}-siem`);
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(redrive.maxReceiveCount).toBeGreaterThan(0);
      expect(deadLetterQueue.Type).toBe('AWS::SQS::Queue');
      expect(deadLetterQueue.Properties.QueueName).toBe(`authtrail-${stage}-siem-dlq`);
      expect(deadLetterQueue.Properties.SqsManagedSseEnabled).toBe(true);
      // Messages keep their first enqueue time when moved: the DLQ must keep them longer than the queue.
      expect(deadLetterQueue.Properties.MessageRetentionPeriod as number).toBeGreaterThan(
        queue.Properties.MessageRetentionPeriod as number,
      );
      expect(template.Outputs.SiemQueueUrl?.Value).toEqual(ref('SiemQueue'));
      expect(template.Outputs.SiemQueueArn?.Value).toEqual(getAtt('SiemQueue'));
      expect(template.Outputs.SiemDeadLetterQueueArn?.Value).toEqual(getAtt('SiemDeadLetterQueue'));
      expect(template.Outputs.DeliveryDeadLetterQueueArn?.Value).toEqual(getAtt('DeliveryDeadLetterQueue'));
    });

    it('accepts messages only from the siem-events rule, over TLS', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const { Statement } = queuePolicyFor(template, 'SiemQueue');

      // Assess
      const allows = Statement.filter((statement) => statement.Effect === 'Allow');
      expect(allows).toHaveLength(1);
      expect(allows[0]).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: getAtt('SiemQueue'),
        Condition: { ArnEquals: { 'aws:SourceArn': getAtt('SiemEventsRule') } },
      });
      expect(resource(template, 'SiemEventsRule').Properties.Name).toBe('siem-events');
      expect(Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });
  });

  describe('functions', () => {
    it.each(TRIGGERS)('runs %s on nodejs22.x arm64 within Cognito’s 5 s, with the stage environment', (name) => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const fn = functionOf(template, name);

      // Assess
      expect(fn.FunctionName).toBe(`authtrail-${stage}-${name}`);
      expect(fn.Handler).toBe(`functions/${name}.handler`);
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Timeout as number).toBeLessThanOrEqual(5);
      expect(fn.MemorySize).toBe(expected.memorySize);
      expect(fn.ReservedConcurrentExecutions).toBeUndefined();
      expect((fn.Environment as { Variables: unknown }).Variables).toEqual({
        AUTHTRAIL_STAGE: stage,
        AUTHTRAIL_EVENT_BUS_NAME: `authtrail-${stage}`,
        AUTHTRAIL_CONFIG_FILE: `config/${stage}.json`,
        AUTHTRAIL_PII_HASH_KEY_PARAMETER: `/authtrail/${stage}/pii-hash-key`,
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('runs recover-spilled on a schedule whose rate is the window each run covers', () => {
      // Prepare
      const { template } = stack(stage);
      const fn = functionOf(template, RECOVER);

      // Act
      const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
        (rule.Properties.Targets as RuleTarget[]).some(
          (target) => JSON.stringify(target.Arn) === JSON.stringify(getAtt(`${LOGICAL_ID[RECOVER]}LambdaFunction`)),
        ),
      );

      // Assess
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.ReservedConcurrentExecutions).toBeUndefined();
      expect(environmentOf(template, RECOVER)).toEqual({
        AUTHTRAIL_STAGE: stage,
        AUTHTRAIL_EVENT_BUS_NAME: `authtrail-${stage}`,
        AUTHTRAIL_RECOVER_RATE_MINUTES: '15',
        AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: ref('RecoveryCheckpointTable'),
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(schedules).toHaveLength(1);
      expect(schedules[0]![1].Properties.ScheduleExpression).toBe('rate(15 minutes)');
      expect(schedules[0]![1].Properties.State).toBe('ENABLED');
    });

    it('runs failed-sign-ins from its bus rule and a one-minute sweep, without reserved concurrency, on its TTL table', () => {
      // Prepare
      const { template } = stack(stage);
      const fn = functionOf(template, INFERENCE);
      const fnArn = getAtt(`${LOGICAL_ID[INFERENCE]}LambdaFunction`);

      // Act
      const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
        (rule.Properties.Targets as RuleTarget[]).some((target) => JSON.stringify(target.Arn) === JSON.stringify(fnArn)),
      );
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission')
        .map(([, permission]) => permission.Properties)
        .filter((permission) => JSON.stringify(permission.FunctionName) === JSON.stringify(fnArn));
      const table = resource(template, 'SignInStateTable').Properties;

      // Assess
      // Concurrent invocations write the table conditionally (lib/inference/dynamodb-store.ts): no reservation needed.
      expect(fn.ReservedConcurrentExecutions).toBeUndefined();
      expect(fn.Timeout).toBe(30);
      expect(environmentOf(template, INFERENCE)).toEqual({
        AUTHTRAIL_STAGE: stage,
        AUTHTRAIL_EVENT_BUS_NAME: `authtrail-${stage}`,
        AUTHTRAIL_CONFIG_FILE: `config/${stage}.json`,
        AUTHTRAIL_SIGN_IN_TABLE: ref('SignInStateTable'),
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(rules.map(([, rule]) => rule.Properties.ScheduleExpression ?? rule.Properties.Name).sort()).toEqual(['failed-sign-ins', 'rate(1 minute)']);
      for (const [, rule] of rules) expect(rule.Properties.State).toBe('ENABLED');
      expect(permissions.map((permission) => permission.Principal)).toEqual(['events.amazonaws.com', 'events.amazonaws.com']);
      expect(table).toMatchObject({
        TableName: `authtrail-${stage}-sign-ins`,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [{ IndexName: 'pending', Projection: { ProjectionType: 'KEYS_ONLY' } }],
      });
    });

    it('lets failed-sign-ins only write its logs, keep its state in its table and put events on the stage bus', () => {
      // Prepare
      const { template } = stack(stage);
      const role = roleOf(template, INFERENCE);

      // Act
      const statements = roleStatements(role);
      const resourcesFor = (action: string) =>
        statements.filter((statement) => actionsOf(statement).includes(action)).flatMap(resourcesOf);

      // Assess
      expect(statements.flatMap(actionsOf).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ]);
      expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
      expect(resourcesFor('logs:PutLogEvents')).toEqual([getAtt(`${LOGICAL_ID[INFERENCE]}LogGroup`)]);
      expect(resourcesFor('sqs:SendMessage')).toEqual([getAtt('AsyncFailureQueue')]);
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
        expect(resourcesFor(action)).toEqual([getAtt('SignInStateTable')]);
      }
      expect(resourcesFor('dynamodb:Query')).toEqual([{ 'Fn::Sub': '${SignInStateTable.Arn}/index/pending' }]);
      expect(resourcesFor('events:PutEvents')).toEqual([getAtt('EventBus')]);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it.each(FUNCTIONS)('writes %s logs to its own log group with the stage retention', (name) => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const logGroup = resource(template, `${LOGICAL_ID[name]}LogGroup`);

      // Assess
      expect(logGroup.Properties.LogGroupName).toBe(`/aws/lambda/authtrail-${stage}-${name}`);
      expect(logGroup.Properties.RetentionInDays).toBe(expected.functionLogRetentionDays);
    });

    it('gives each function a role of its own', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const roles = FUNCTIONS.map((name) => getAttTarget(functionOf(template, name).Role));

      // Assess
      expect(new Set(roles).size).toBe(FUNCTIONS.length);
      for (const role of roles) expect(resource(template, role).Type).toBe('AWS::IAM::Role');
      // No shared osls role that every function would get.
      expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    });

    it.each(PUBLISHERS)('lets %s only write its logs, read the PII key, and put events on the stage bus only if it publishes there itself', (name) => {
      // Prepare
      const { template } = stack(stage);
      const role = roleOf(template, name);

      // Act
      const statements = roleStatements(role);
      const grants = statements.flatMap((statement) => actionsOf(statement).map((action) => ({ action, statement })));

      // Assess
      expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
      // The triggers are log-first: their events go to their own log, the forwarder puts them on the bus.
      expect(grants.map(({ action }) => action).sort()).toEqual([
        ...(readsIntoBus(name) ? ['events:PutEvents'] : []),
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ssm:GetParameter',
        // Its log subscription or rule invokes it asynchronously: what fails goes to the async failure queue.
        ...(readsIntoBus(name) ? ['sqs:SendMessage'] : []),
      ].sort());
      for (const { action, statement } of grants) {
        expect(action, 'no wildcard action').not.toContain('*');
        for (const granted of resourcesOf(statement)) expect(JSON.stringify(granted), `${action} resource`).not.toContain('*');
        if (action.startsWith('logs:')) expect(statement.Resource).toEqual(getAtt(`${LOGICAL_ID[name]}LogGroup`));
        if (action === 'events:PutEvents') expect(statement.Resource).toEqual(getAtt('EventBus'));
        if (action === 'sqs:SendMessage') expect(statement.Resource).toEqual(getAtt('AsyncFailureQueue'));
        if (action === 'ssm:GetParameter') {
          expect(statement.Resource).toEqual({
            'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/authtrail/${stage}/pii-hash-key`,
          });
        }
      }
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    });

    it('subscribes cognito-log-events to a Cognito log group only when the stage names one', () => {
      // Prepare
      const { template } = stack(stage);
      const fnArn = getAtt(`${LOGICAL_ID[COGNITO_LOGS]}LambdaFunction`);

      // Act
      const condition = (template as { Conditions?: Record<string, unknown> }).Conditions?.ReadsCognitoLogs;
      const subscriptions = resourcesOfType(template, 'AWS::Logs::SubscriptionFilter').filter(
        ([, subscription]) => JSON.stringify(subscription.Properties.DestinationArn) === JSON.stringify(fnArn),
      );
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
        ([, permission]) => JSON.stringify(permission.Properties.FunctionName) === JSON.stringify(fnArn),
      );

      // Assess
      // No stage sets cognitoLogGroupName: the condition is false and CloudFormation creates neither resource.
      expect(condition).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
      expect(subscriptions.map(([id]) => id)).toEqual(['CognitoLogEventsSubscription']);
      expect(permissions.map(([id]) => id)).toEqual(['CognitoLogEventsPermission']);
      for (const [, conditional] of [...subscriptions, ...permissions]) {
        expect((conditional as { Condition?: string }).Condition).toBe('ReadsCognitoLogs');
      }
      expect(subscriptions[0]?.[1].Properties).toMatchObject({ DestinationArn: fnArn, FilterPattern: '' });
      expect(permissions[0]?.[1].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'logs.amazonaws.com' });
      expect(functionOf(template, COGNITO_LOGS).Timeout).toBe(30);
      expect(environmentOf(template, COGNITO_LOGS)).toEqual({
        AUTHTRAIL_STAGE: stage,
        AUTHTRAIL_EVENT_BUS_NAME: `authtrail-${stage}`,
        AUTHTRAIL_CONFIG_FILE: `config/${stage}.json`,
        AUTHTRAIL_PII_HASH_KEY_PARAMETER: `/authtrail/${stage}/pii-hash-key`,
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('lets recover-spilled only write its logs, search the logs of the functions that spill and put events on the stage bus', () => {
      // Prepare
      const { template } = stack(stage);
      const role = roleOf(template, RECOVER);

      // Act
      const statements = roleStatements(role);
      const resourcesFor = (action: string) =>
        statements.filter((statement) => actionsOf(statement).includes(action)).flatMap(resourcesOf);

      // Assess
      expect(statements.flatMap(actionsOf).sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:FilterLogEvents',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ]);
      expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
      expect(resourcesFor('logs:PutLogEvents')).toEqual([getAtt(`${LOGICAL_ID[RECOVER]}LogGroup`)]);
      expect(resourcesFor('dynamodb:UpdateItem')).toEqual([getAtt('RecoveryCheckpointTable')]);
      expect(resourcesFor('sqs:SendMessage')).toEqual([getAtt('AsyncFailureQueue')]);
      expect(resourcesFor('logs:FilterLogEvents')).toEqual(SPILLERS.map((name) => getAtt(`${LOGICAL_ID[name]}LogGroup`)));
      expect(resourcesFor('events:PutEvents')).toEqual([getAtt('EventBus')]);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('holds no secret, only the names of the PII key parameter and of the SIEM secret', () => {
      // Prepare
      const { template } = stack(stage);
      const variables = resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([, fn]) =>
        Object.entries((fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}),
      );

      // Act
      const secretish = variables.filter(([key]) => /KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/i.test(key));

      // Assess
      expect(secretish.map(([key]) => key)).toContain('AUTHTRAIL_PII_HASH_KEY_PARAMETER');
      expect(secretish.map(([key]) => key)).toContain('AUTHTRAIL_SIEM_SECRET_ID');
      for (const [key, value] of secretish) {
        if (key === 'AUTHTRAIL_SIEM_SECRET_ID') {
          // A Secrets Manager name, read by the forwarder at cold start.
          expect(value).toBe(siemSecretIdOf(stage));
        } else {
          expect(key).toMatch(/_PARAMETER$/);
          expect(value).toMatch(/^\/authtrail\/[a-z]+\/[a-z-]+$/);
        }
      }
      // The local-run variables carry values: they must never reach a deployed function.
      for (const local of ['AUTHTRAIL_PII_HASH_KEY', 'AUTHTRAIL_SIEM_SECRET', 'AUTHTRAIL_SIEM_HEC_TOKEN', 'AUTHTRAIL_SIEM_AUTH_HEADER']) {
        expect(variables.map(([key]) => key)).not.toContain(local);
      }
      for (const [id, candidate] of Object.entries(template.Resources)) {
        expect(['AWS::SSM::Parameter', 'AWS::SecretsManager::Secret'], id).not.toContain(candidate.Type);
      }
      expect(JSON.stringify(template)).not.toMatch(/SecureString|SecretString|"NoEcho"|whsec_/);
    });
  });

  describe('SIEM forwarder', () => {
    it('runs siem-forwarder on nodejs22.x arm64 for 30 s with the stage config, an https SIEM URL, the SIEM DLQ and the secret name', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const fn = functionOf(template, FORWARDER);
      const environment = environmentOf(template, FORWARDER);

      // Assess
      expect(fn.FunctionName).toBe(`authtrail-${stage}-${FORWARDER}`);
      expect(fn.Handler).toBe(`functions/${FORWARDER}.handler`);
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Timeout).toBe(30);
      expect(fn.MemorySize).toBe(256);
      expect(environment).toEqual({
        AUTHTRAIL_STAGE: stage,
        AUTHTRAIL_EVENT_BUS_NAME: `authtrail-${stage}`,
        NODE_OPTIONS: '--enable-source-maps',
        AUTHTRAIL_CONFIG_FILE: `config/${stage}.json`,
        AUTHTRAIL_SIEM_URL: expected.siemUrl,
        // The queue URL, resolved by CloudFormation.
        AUTHTRAIL_SIEM_DLQ_URL: ref('SiemDeadLetterQueue'),
        AUTHTRAIL_SIEM_SECRET_ID: siemSecretIdOf(stage),
      });
      // https only, and no credentials in the URL (user info, query string): they belong in the secret.
      const url = new URL(environment.AUTHTRAIL_SIEM_URL as string);
      expect(url.protocol).toBe('https:');
      expect([url.username, url.password, url.search]).toEqual(['', '', '']);
    });

    it('consumes the SIEM queue in batches of siem.batch.maxEvents, reporting partial batch failures, at most 5 at a time', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(deployed(template));

      // Assess
      expect(mappings).toHaveLength(1);
      const [, mapping] = mappings[0]!;
      expect(mapping.Properties).toMatchObject({
        EventSourceArn: getAtt('SiemQueue'),
        FunctionName: getAtt(`${LOGICAL_ID[FORWARDER]}LambdaFunction`),
        Enabled: true,
        BatchSize: siemBatchMaxEventsOf(stage),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
      // Lambda requires a batching window of at least 1 s for a batch size above 10.
      expect(mapping.Properties.MaximumBatchingWindowInSeconds as number).toBeGreaterThanOrEqual(1);
      expect(mapping.Properties.MaximumBatchingWindowInSeconds as number).toBeLessThanOrEqual(300);
      // Lambda checks the role's SQS permissions when it creates the mapping.
      expect(mapping.DependsOn).toContain('SiemForwarderRole');
    });

    it('keeps the SIEM queue visibility timeout at least 6 x the forwarder timeout, and its redrive to the SIEM DLQ unchanged', () => {
      // Prepare
      const { template } = stack(stage);

      // Act
      const queue = resource(template, 'SiemQueue').Properties;
      const deadLetterQueue = resource(template, 'SiemDeadLetterQueue').Properties;
      const timeout = functionOf(template, FORWARDER).Timeout as number;

      // Assess
      expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
      expect(queue.VisibilityTimeout).toBe(180);
      expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('SiemDeadLetterQueue'), maxReceiveCount: 5 });
      expect(deadLetterQueue.RedriveAllowPolicy).toEqual({
        redrivePermission: 'byQueue',
        sourceQueueArns: [{ 'Fn::Sub': `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:authtrail-${stage}-siem` }],
      });
    });

    it('lets siem-forwarder only write its logs, consume the SIEM queue, dead-letter to the SIEM DLQ and read its one secret', () => {
      // Prepare
      const { template } = stack(stage);
      const role = roleOf(template, FORWARDER);

      // Act
      const grants = roleStatements(role)
        .map((statement) => ({
          effect: statement.Effect,
          actions: actionsOf(statement).sort(),
          resources: resourcesOf(statement),
          condition: statement.Condition,
        }))
        .sort((a, b) => a.actions[0]!.localeCompare(b.actions[0]!));

      // Assess
      expect(grants).toEqual([
        { effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [getAtt(`${LOGICAL_ID[FORWARDER]}LogGroup`)] },
        {
          effect: 'Allow',
          actions: ['secretsmanager:GetSecretValue'],
          // The name plus the 6 random characters Secrets Manager appends: that one secret only.
          resources: [
            {
              'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${siemSecretIdOf(stage)}-??????`,
            },
          ],
        },
        {
          effect: 'Allow',
          actions: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
          resources: [getAtt('SiemQueue')],
        },
        { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [getAtt('SiemDeadLetterQueue')] },
      ]);
      for (const { actions, resources } of grants) {
        for (const action of actions) expect(action, 'no wildcard action').not.toContain('*');
        for (const granted of resources) expect(JSON.stringify(granted), `${actions.join()} resource`).not.toContain('*');
      }
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      // No other role may read secrets.
      const secretReaders = resourcesOfType(template, 'AWS::IAM::Role')
        .filter(([, candidate]) => candidate.Properties.Policies !== undefined)
        .filter(([, candidate]) =>
          roleStatements(candidate).some((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:'))),
        )
        .map(([id]) => id);
      expect(secretReaders).toEqual(['SiemForwarderRole']);
    });
  });

  describe('function packages', () => {
    it.each(FUNCTIONS)('ships %s as its own linked-sourcemap ESM bundle, with config/<stage>.json unless it reads none', (name) => {
      // Prepare
      const { zip } = stack(stage);

      // Act
      const entries = zip(name);
      const bundle = entries.get(`functions/${name}.mjs`)?.data().toString('utf8') ?? '';

      // Assess
      expect([...entries.keys()].filter((path) => path.startsWith('functions/')).sort()).toEqual([
        `functions/${name}.mjs`,
        `functions/${name}.mjs.map`,
      ]);
      expect(bundle.startsWith("import { createRequire as __authtrailCreateRequire } from 'node:module';")).toBe(true);
      expect(bundle.trimEnd().endsWith(`//# sourceMappingURL=${name}.mjs.map`)).toBe(true);
      const configs = [...entries.keys()].filter((path) => path.startsWith('config/'));
      if (name === RECOVER || name === EVENT_LOG_FORWARDER) {
        expect(configs).toEqual([]);
      } else {
        expect(configs).toEqual([`config/${stage}.json`]);
        expect(entries.get(`config/${stage}.json`)?.data().toString('utf8')).toBe(stageConfigText(stage));
      }
    });

    it('ships disposable-email-domains beside the bundles of the triggers applying the email domain rules, never inside a bundle', () => {
      // Prepare
      const { zip } = stack(stage);
      const data = join(ROOT, 'node_modules', 'disposable-email-domains');
      const someDomain = (JSON.parse(readFileSync(join(data, 'index.json'), 'utf8')) as string[]).at(-1)!;
      const withList = ['pre-signup', 'pre-authentication', 'pre-token-generation'];

      // Act
      const zips = withList.map((name) => zip(name));

      // Assess
      for (const entries of zips) {
        for (const file of ['index.json', 'wildcard.json', 'package.json']) {
          const shipped = entries.get(`node_modules/disposable-email-domains/${file}`)?.data();
          expect(shipped?.equals(readFileSync(join(data, file))), file).toBe(true);
        }
      }
      for (const name of FUNCTIONS) {
        const entries = zip(name);
        expect(entries.get(`functions/${name}.mjs`)?.data().toString('utf8')).not.toContain(someDomain);
        if (!withList.includes(name)) {
          expect([...entries.keys()].filter((path) => path.startsWith('node_modules/'))).toEqual([]);
        }
      }
    });

    it('bundles load Node built-ins through require, and leave the credential providers Lambda never reaches to the runtime', () => {
      // Prepare
      const { zip } = stack(stage);

      for (const name of FUNCTIONS) {
        // Act
        const bundle = zip(name).get(`functions/${name}.mjs`)?.data().toString('utf8') ?? '';
        const staticImports = [...bundle.matchAll(/(?:^|[;\n])import\s*(?:[\w${}\s,*]+from\s*)?["']([^"']+)["']/g)].map((match) => match[1]);

        // Assess: one static import, the banner's node:module (an ES import of node:http would load undici, ~30 ms)
        expect(staticImports, name).toEqual(['node:module']);
        // The log-first triggers carry no AWS SDK at all (test/stack/log-first.test.ts).
        if ((TRIGGERS as readonly string[]).includes(name)) continue;
        expect(bundle, name).toMatch(/[\w$]\("node:https"\)/); // the (minified) require of the SDK's HTTP handler
        for (const provider of ['credential-provider-ini', 'credential-provider-sso', 'credential-provider-web-identity']) {
          expect(bundle, `${name} ${provider}`).toContain(`import("@aws-sdk/${provider}`);
        }
        expect([...zip(name).keys()].some((path) => path.includes('credential-provider')), name).toBe(false);
      }
    });

    it('records the bundle sizes', () => {
      // Prepare
      const { zip, zipSize } = stack(stage);

      // Act
      const sizes = FUNCTIONS.map((name) => ({
        function: name,
        'zip KiB': Math.round(zipSize(name) / 1024),
        'bundle .mjs KiB': Math.round((zip(name).get(`functions/${name}.mjs`)?.size ?? 0) / 1024),
        'unzipped KiB': Math.round([...zip(name).values()].reduce((sum, entry) => sum + entry.size, 0) / 1024),
      }));

      // Assess (sizes are recorded, not limited)
      console.info(`${stage} packages:\n${sizes.map((row) => JSON.stringify(row)).join('\n')}`);
      expect(sizes).toHaveLength(FUNCTIONS.length);
    });
  });
});

// ---------------------------------------------------------------- Cognito, per stage

describe('Cognito wiring', () => {
  it('creates the user pool authtrail-dev with the five triggers and the configured pre token version', () => {
    // Prepare
    const { template } = stack('dev');

    // Act
    const pools = resourcesOfType(template, 'AWS::Cognito::UserPool');

    // Assess
    expect(pools).toHaveLength(1);
    const [poolId, pool] = pools[0]!;
    expect(pool.Properties.UserPoolName).toBe('authtrail-dev');
    expect(pool.Properties.LambdaConfig).toEqual({
      PreSignUp: getAtt('PreDashsignupLambdaFunction'),
      PostAuthentication: getAtt('PostDashauthenticationLambdaFunction'),
      PreAuthentication: getAtt('PreDashauthenticationLambdaFunction'),
      PostConfirmation: getAtt('PostDashconfirmationLambdaFunction'),
      PreTokenGenerationConfig: {
        LambdaArn: getAtt('PreDashtokenDashgenerationLambdaFunction'),
        LambdaVersion: preTokenVersionOf('dev'),
      },
    });
    expect(resourcesOfType(template, 'Custom::CognitoUserPool')).toEqual([]);
    expect(template.Outputs.UserPoolId?.Value).toEqual(ref(poolId));
  });

  it('gives the dev pool app clients that let no user write a claim source, with revocation, rotation and no existence errors', () => {
    // Prepare
    const { template } = stack('dev');
    const sources = claimSources(loadStageConfigFile(join(ROOT, 'config', 'dev.json')).tokens);

    // Act
    const clients = resourcesOfType(template, 'AWS::Cognito::UserPoolClient').map(([, client]) => client.Properties);

    // Assess
    expect(sources.length).toBeGreaterThan(0);
    expect(clients.map((client) => client.ClientName).sort()).toEqual(['mobile-app', 'web-app']);
    for (const client of clients) {
      expect(client.UserPoolId).toEqual(ref('UserPool'));
      expect(Array.isArray(client.WriteAttributes) && client.WriteAttributes.length > 0).toBe(true);
      expect(writableBy({ writeAttributes: client.WriteAttributes as string[] }).filter((attribute) => sources.includes(attribute))).toEqual([]);
      expect(client).toMatchObject({ PreventUserExistenceErrors: 'ENABLED', EnableTokenRevocation: true, RefreshTokenRotation: { Feature: 'ENABLED' } });
    }
  });

  it('lets only the dev pool invoke each trigger', () => {
    // Prepare
    const { template } = stack('dev');
    const triggerIds = TRIGGERS.map((name) => `${LOGICAL_ID[name]}LambdaFunction`);

    // Act
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties)
      .filter((permission) => triggerIds.includes(getAttTarget(permission.FunctionName)));

    // Assess
    expect(permissions.map((permission) => getAttTarget(permission.FunctionName)).sort()).toEqual([...triggerIds].sort());
    for (const permission of permissions) {
      expect(permission).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'cognito-idp.amazonaws.com',
        SourceArn: getAtt('UserPool'),
      });
    }
  });

  it('attaches the prod triggers to the existing pool from params, pre token generation at the configured version', () => {
    // Prepare
    const { template } = stack('prod');
    const { name: poolName, id: poolId } = EXPECTED.prod.userPool;

    // Act
    const attachments = TRIGGERS.map((name) => resource(template, `${LOGICAL_ID[name]}CustomCognitoUserPool1`));

    // Assess
    expect(resourcesOfType(template, 'AWS::Cognito::UserPool')).toEqual([]);
    expect(resourcesOfType(template, 'Custom::CognitoUserPool')).toHaveLength(TRIGGERS.length);
    TRIGGERS.forEach((name, index) => {
      // Pre token generation: the legacy slot and the versioned config, both to our function (deploy-checks.ts runs osls's code on it).
      const configs =
        name === 'pre-token-generation'
          ? [{ Trigger: COGNITO_TRIGGER[name] }, { Trigger: COGNITO_TRIGGER[name], LambdaVersion: preTokenVersionOf('prod') }]
          : [{ Trigger: COGNITO_TRIGGER[name] }];
      expect(attachments[index]!.Properties).toMatchObject({
        FunctionName: `authtrail-prod-${name}`,
        UserPoolName: poolName,
        UserPoolConfigs: configs,
      });
    });
    expect(template.Outputs.UserPoolId?.Value).toBe(poolId);
  });

  it('lets the prod attachment function update only that pool and add Cognito permissions only to the triggers', () => {
    // Prepare
    const { template } = stack('prod');
    const attachments = resourcesOfType(template, 'Custom::CognitoUserPool');
    const handler = resource(template, getAttTarget(attachments[0]![1].Properties.ServiceToken));

    // Act
    const statements = roleStatements(resource(template, getAttTarget(handler.Properties.Role)));
    const byAction = (action: string) => statements.filter((statement) => actionsOf(statement).includes(action));

    // Assess
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      // ListUserPools has no resource-level permissions; nothing else may use '*'.
      if (!actionsOf(statement).includes('cognito-idp:ListUserPools')) expect(statement.Resource).not.toBe('*');
    }
    expect(byAction('cognito-idp:ListUserPools')).toEqual([expect.objectContaining({ Action: 'cognito-idp:ListUserPools' })]);
    for (const action of ['cognito-idp:DescribeUserPool', 'cognito-idp:UpdateUserPool']) {
      expect(byAction(action).map((statement) => statement.Resource)).toEqual([
        {
          'Fn::Sub': `arn:\${AWS::Partition}:cognito-idp:\${AWS::Region}:\${AWS::AccountId}:userpool/${EXPECTED.prod.userPool.id}`,
        },
      ]);
    }
    const triggerArns = TRIGGERS.map((name) => getAtt(`${LOGICAL_ID[name]}LambdaFunction`));
    expect(byAction('lambda:AddPermission')).toEqual([
      expect.objectContaining({
        Resource: triggerArns,
        Condition: { StringEquals: { 'lambda:Principal': 'cognito-idp.amazonaws.com' } },
      }),
    ]);
    expect(byAction('lambda:RemovePermission').map((statement) => statement.Resource)).toEqual([triggerArns]);
    expect(handler.Properties.Runtime).toBe('nodejs22.x');
  });
});

// ---------------------------------------------------------------- dashboards, alarms, saved queries

/** The alarm topic of each stage's `alarmTopicArn` param: none for dev, the documented placeholder for prod. */
const ALARM_TOPIC: Record<Stage, string | undefined> = {
  dev: undefined,
  prod: 'arn:aws:sns:eu-west-1:123456789012:authtrail-prod-alarms-REPLACEME',
};

/** The Cognito trigger functions (lib/cognito/trigger-sources.ts TriggerName) the template deploys. */
const deployedCognitoTriggers = (template: CfnTemplate, stage: Stage): string[] => {
  const cognitoTriggers = new Set<string>(Object.values(TriggerName));
  return resourcesOfType(template, 'AWS::Lambda::Function')
    .map(([, fn]) => String(fn.Properties.FunctionName ?? '').slice(`authtrail-${stage}-`.length))
    .filter((name) => cognitoTriggers.has(name));
};

describe.each(STAGES)('the %s stack: dashboards, alarms and saved queries', (stage) => {
  const userPoolId = stage === 'dev' ? ref('UserPool') : EXPECTED.prod.userPool.id;

  it('has the auth-activity and pipeline-health dashboards, bodies in the CloudWatch structure, region and pool from CloudFormation', () => {
    // Prepare
    const { template } = stack(stage);

    // Act
    const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard').map(([, dashboard]) => dashboard.Properties);

    // Assess
    expect(dashboards.map((dashboard) => dashboard.DashboardName).sort()).toEqual([`authtrail-${stage}-auth-activity`, `authtrail-${stage}-pipeline-health`]);
    for (const dashboard of dashboards) {
      const [text, variables] = (dashboard.DashboardBody as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
      expect(variables).toEqual({ UserPoolId: userPoolId });
      expect([...text.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1])).toSatisfy((tokens: string[]) =>
        tokens.every((token) => token === 'AWS::Region' || token === 'UserPoolId'),
      );
      const body = JSON.parse(text) as { widgets: { type: string; x: number; y: number; width: number; height: number; properties: Record<string, unknown> }[] };
      expect(body.widgets.length).toBeGreaterThan(5);
      for (const widget of body.widgets) {
        expect(['metric', 'log', 'text']).toContain(widget.type);
        expect(widget.x + widget.width).toBeLessThanOrEqual(24);
        expect(widget.height).toBeGreaterThan(0);
        if (widget.type !== 'text') expect(widget.properties.region).toBe('${AWS::Region}');
        if (widget.type === 'log') expect(widget.properties.query).toMatch(new RegExp(`^SOURCE '/authtrail/${stage}/events' \\| `));
      }
    }
  });

  it('has the alarms of the issue, notifying the stage topic', () => {
    // Prepare
    const { template } = stack(stage);
    const topic = ALARM_TOPIC[stage];

    // Act
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(deployed(template)).map(([, alarm]) => alarm.Properties);

    // Assess
    expect(alarms.map((alarm) => (alarm.AlarmName as string).replace(`authtrail-${stage}-`, '')).sort()).toEqual(
      [
        'policy-errors', 'changed-email-denied',
        ...deployedCognitoTriggers(template, stage).flatMap((name) => [`${name}-errors`, `${name}-duration-near-budget`]),
        'spilled-events', 'publish-failures', 'siem-dlq-not-empty', 'delivery-dlq-not-empty', 'siem-failure-rate', 'sign-up-denial-spike',
        'cognito-sign-in-failure-rate', 'async-failures-not-empty', 'recovery-backlog', 'log-first-delivery-stalled', 'sign-in-lockouts',
      ].sort(),
    );
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual(topic === undefined ? undefined : [topic]);
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
    }
    const cognito = alarms.find((alarm) => alarm.AlarmName === `authtrail-${stage}-cognito-sign-in-failure-rate`)!;
    const poolDimensions = (cognito.Metrics as { MetricStat?: { Metric: { Dimensions: { Name: string; Value: unknown }[] } } }[])
      .flatMap((query) => query.MetricStat?.Metric.Dimensions ?? [])
      .filter((dimension) => dimension.Name === 'UserPool');
    expect(poolDimensions.length).toBeGreaterThan(0);
    for (const dimension of poolDimensions) expect(dimension.Value).toEqual({ 'Fn::Sub': ['${UserPoolId}', { UserPoolId: userPoolId }] });
    const errors = alarms.find((alarm) => alarm.AlarmName === `authtrail-${stage}-pre-signup-errors`)!;
    expect(errors.Dimensions).toEqual([{ Name: 'FunctionName', Value: resource(template, 'PreDashsignupLambdaFunction').Properties.FunctionName }]);
  });

  it('saves the Logs Insights queries over the events log group, under authtrail/<stage>/', () => {
    // Prepare
    const { template } = stack(stage);

    // Act
    const queries = resourcesOfType(template, 'AWS::Logs::QueryDefinition').map(([, query]) => query);

    // Assess
    expect(queries.map((query) => query.Properties.Name).sort()).toEqual(
      [
        'denied-sign-ups-by-domain-and-reason', 'everything-about-one-user', 'new-device-sign-ins', 'sign-ins-by-user-client-provider',
        'sign-ups-by-domain', 'token-claim-changes',
        'admin-disables-and-deletes', 'failed-sign-ins-by-client-and-ip-prefix', 'mfa-failures-by-user-and-ip-prefix', 'password-spraying-by-ip-prefix',
      ].sort().map((name) => `authtrail/${stage}/${name}`),
    );
    for (const query of queries) {
      expect(query.Properties.LogGroupNames).toEqual([`/authtrail/${stage}/events`]);
      expect([query.DependsOn].flat()).toEqual(['EventsLogGroup']);
      expect(query.Properties.QueryString).toMatch(/detail\./);
    }
  });

  it('covers every Cognito trigger function the stack deploys with errors and duration alarms and pipeline-health lines', () => {
    // Prepare
    const { template } = stack(stage);

    // Act
    const deployed = deployedCognitoTriggers(template, stage);
    const alarmNames = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.AlarmName);
    const pipeline = JSON.stringify(resource(template, 'PipelineHealthDashboard').Properties.DashboardBody);

    // Assess
    expect(deployed.length).toBeGreaterThanOrEqual(TRIGGERS.length);
    for (const name of deployed) {
      expect(alarmNames).toContain(`authtrail-${stage}-${name}-errors`);
      expect(alarmNames).toContain(`authtrail-${stage}-${name}-duration-near-budget`);
      expect(pipeline).toContain(`authtrail-${stage}-${name}`);
    }
  });
});

// ---------------------------------------------------------------- the dev packages, started

interface AwsCall {
  target: string;
  body: Record<string, unknown>;
}

/** The SIEM secret the fake Secrets Manager holds: generated per run, never a real one. */
const TEST_SIEM_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

const md5Hex = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * Answers SSM GetParameter, EventBridge PutEvents, CloudWatch Logs
 * FilterLogEvents (nothing found), Secrets Manager GetSecretValue (the SIEM
 * secret JSON, for its configured name only) and SQS SendMessageBatch the way
 * AWS does, and records each call.
 */
const startFakeAws = async (): Promise<{ url: string; calls: AwsCall[]; server: Server }> => {
  const calls: AwsCall[] = [];
  const server = createServer((request, response) => {
    void text(request).then((raw) => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      calls.push({ target, body });
      const replies: Record<string, () => unknown> = {
        'AmazonSSM.GetParameter': () => ({
          Parameter: { Name: body.Name, Type: 'SecureString', Value: 'test-only-pii-hash-key-not-a-secret', Version: 1 },
        }),
        'AWSEvents.PutEvents': () => ({
          FailedEntryCount: 0,
          Entries: (body.Entries as unknown[]).map((_, index) => ({ EventId: `fake-${index}` })),
        }),
        'Logs_20140328.FilterLogEvents': () => ({ events: [], searchedLogStreams: [] }),
        // The failed sign-in consumer's table: empty.
        'DynamoDB_20120810.GetItem': () => ({}),
        'DynamoDB_20120810.PutItem': () => ({}),
        'DynamoDB_20120810.Query': () => ({ Items: [], Count: 0, ScannedCount: 0 }),
        // recover-spilled's checkpoint table: no checkpoint yet, every advance accepted.
        'DynamoDB_20120810.UpdateItem': () => ({}),
        'secretsmanager.GetSecretValue': () =>
          body.SecretId === siemSecretIdOf('dev')
            ? {
                ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${body.SecretId}-AbCdEf`,
                Name: body.SecretId,
                VersionId: '0c6a3c2e-0000-4000-8000-000000000001',
                VersionStages: ['AWSCURRENT'],
                SecretString: JSON.stringify({ webhookSecrets: [TEST_SIEM_SECRET] }),
                CreatedDate: 1795773600,
              }
            : undefined,
        // The SDK checks each MD5OfMessageBody.
        'AmazonSQS.SendMessageBatch': () => ({
          Successful: (body.Entries as { Id: string; MessageBody: string }[]).map((entry, index) => ({
            Id: entry.Id,
            MessageId: `fake-dlq-${index}`,
            MD5OfMessageBody: md5Hex(entry.MessageBody),
          })),
          Failed: [],
        }),
      };
      const reply = replies[target]?.();
      // SQS and DynamoDB speak JSON 1.0, the others 1.1.
      const contentType =
        target.startsWith('AmazonSQS.') || target.startsWith('DynamoDB_') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      response.writeHead(reply === undefined ? 400 : 200, { 'content-type': contentType });
      response.end(
        JSON.stringify(
          reply ?? (target in replies ? { __type: 'ResourceNotFoundException', message: 'not found' } : { __type: 'UnknownOperationException' }),
        ),
      );
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
};

const unzipTo = (entries: Map<string, { data: () => Buffer }>, directory: string): void => {
  for (const [path, entry] of entries) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    writeFileSync(join(directory, path), entry.data());
  }
};

interface SiemRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A SIEM on loopback: records each request and answers 204. */
const startFakeSiem = async (): Promise<{ url: string; requests: SiemRequest[]; server: Server }> => {
  const requests: SiemRequest[] = [];
  const server = createServer((request, response) => {
    void text(request).then((body) => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      requests.push({ path: request.url ?? '', headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
};

/** The SIEM DLQ's URL as CloudFormation would resolve `Ref: SiemDeadLetterQueue`, on the fake AWS. */
const fakeDeadLetterQueueUrl = (awsUrl: string): string => `${awsUrl}/123456789012/authtrail-dev-siem-dlq`;

/** The sample Cognito log records as a CloudWatch Logs subscription delivers them: base64 of gzip of JSON. */
const writeCognitoLogsEvent = (): string => {
  const path = join(workRoot, 'cognito-logs-subscription.json');
  writeFileSync(path, JSON.stringify(subscriptionPayload(sampleLines())));
  return path;
};

/** The first CloudTrail fixture record (a failed InitiateAuth) as the default bus delivers it. */
const writeCloudTrailEvent = (): string => {
  const path = join(workRoot, 'cloudtrail-event.json');
  writeFileSync(path, readFileSync(join(ROOT, 'events/cloudtrail/sign-in.ndjson'), 'utf8').split('\n')[0] ?? '');
  return path;
};

/** The SQS event Lambda hands the forwarder for these message bodies. */
const writeSqsEvent = (file: string, bodies: readonly string[]): string => {
  const path = join(workRoot, file);
  const records = bodies.map((body, index) => ({
    ...sqsRecord(body, { messageId: `0e5e8a8c-0000-4000-8000-00000000000${index}`, receiptHandle: `receipt-${index}` }),
    md5OfBody: md5Hex(body),
  }));
  writeFileSync(path, JSON.stringify({ Records: records }));
  return path;
};

/**
 * Unzips the dev package of `name` and invokes it once in a child process, as
 * Lambda would: working directory the package, environment the function's
 * variables from the template plus what the Lambda runtime sets, AWS a fake.
 * `environment` sets what only CloudFormation could resolve (a `Ref`), or what
 * a test changes on purpose; it gets the fake AWS's URL.
 */
const invokePackaged = async (
  name: FunctionName,
  eventFile: string,
  environment: (awsUrl: string) => Record<string, string> = () => ({}),
): Promise<{ result: InvokeOutcome; calls: AwsCall[] }> => {
  const { template, zip } = stack('dev');
  const directory = join(workRoot, 'run', name);
  rmSync(directory, { recursive: true, force: true });
  unzipTo(zip(name), directory);
  const resultFile = join(directory, 'result.json');
  const aws = await startFakeAws();
  try {
    const variables = { ...environmentOf(template, name), ...environment(aws.url) };
    for (const [key, value] of Object.entries(variables)) {
      if (typeof value !== 'string') throw new Error(`${name}: ${key} is ${JSON.stringify(value)} in the template; the test must set it`);
    }
    await new Promise<void>((done, fail) =>
      execFile(
        process.execPath,
        [join(import.meta.dirname, 'invoke-packaged.ts'), join(directory, `functions/${name}.mjs`), eventFile, resultFile],
        {
          cwd: directory,
          timeout: 20_000,
          env: {
            PATH: process.env.PATH,
            ...clockEnv(),
            ...(variables as Record<string, string>),
            LAMBDA_TASK_ROOT: directory,
            AWS_LAMBDA_FUNCTION_NAME: `authtrail-dev-${name}`,
            // invoke-packaged.ts counts context.getRemainingTimeInMillis() down from the function's timeout, as Lambda does.
            AUTHTRAIL_TEST_TIMEOUT_MS: String(Number(functionOf(template, name).Timeout) * 1000),
            AWS_REGION: 'eu-west-1',
            AWS_ACCESS_KEY_ID: 'AKIATESTONLYNOTREAL0',
            AWS_SECRET_ACCESS_KEY: 'test-only-not-a-real-secret',
            AWS_ENDPOINT_URL_SSM: aws.url,
            AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
            AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: aws.url,
            AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
            AWS_ENDPOINT_URL_SQS: aws.url,
            AWS_ENDPOINT_URL_DYNAMODB: aws.url,
          },
        },
        (error, _stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done()),
      ),
    );
  } finally {
    aws.server.close();
  }
  return { result: JSON.parse(readFileSync(resultFile, 'utf8')) as InvokeOutcome, calls: aws.calls };
};

describe('the packaged dev functions', () => {
  // The triggers are log-first: started from their zips in test/stack/log-first.test.ts.
  const triggerCases: {
    name: typeof COGNITO_LOGS | typeof CLOUDTRAIL;
    event: () => string;
    outcome: (result: InvokeOutcome) => void;
    environment?: (awsUrl: string) => Record<string, string>;
  }[] = [
    {
      name: COGNITO_LOGS,
      event: () => writeCognitoLogsEvent(),
      // Every sample record but the unsupported ResendCode went to the bus.
      outcome: (result) =>
        expect(result).toMatchObject({ phase: 'invoke', returned: { received: 7, published: 6, skipped: 1, spilled: 0 } }),
    },
    {
      name: CLOUDTRAIL,
      // carol's wrong password, as the default bus delivers it.
      event: () => writeCloudTrailEvent(),
      // The pool id is a Ref to the stack's pool: set as CloudFormation would resolve it.
      environment: () => ({ AUTHTRAIL_USER_POOL_ID: 'eu-west-1_Xq9Lk2MfA' }),
      outcome: (result) =>
        expect(result).toMatchObject({ phase: 'invoke', returned: { received: 1, published: 1, ignored: 0, skipped: 0, spilled: 0 } }),
    },
  ];

  it.each(triggerCases)(
    'start $name from its zip with only the template environment, read the PII key and publish to the stage bus',
    async ({ name, event, outcome, environment }) => {
      // Prepare
      const { template } = stack('dev');

      // Act
      const { result, calls } = await invokePackaged(name, event(), environment);

      // Assess
      outcome(result);
      expect(calls.filter((call) => call.target === 'AmazonSSM.GetParameter').map((call) => call.body)).toEqual([
        { Name: '/authtrail/dev/pii-hash-key', WithDecryption: true },
      ]);
      const entries = calls
        .filter((call) => call.target === 'AWSEvents.PutEvents')
        .flatMap((call) => call.body.Entries as { EventBusName: string; Source: string; DetailType: string; Detail: string }[]);
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) {
        expect(entry.EventBusName).toBe('authtrail-dev');
        // What the deployed rules will see: every event reaches the log, and sign-up, sign-in and token events the SIEM.
        const envelope = { source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail) as unknown };
        for (const ruleId of ['AllEventsToLogRule', 'SiemEventsRule']) {
          const pattern = validateEventPattern(resource(template, ruleId).Properties.EventPattern);
          expect(matchesEventPattern(pattern, envelope), ruleId).toBe(true);
        }
      }
    },
  );

  it('start failed-sign-ins from its zip: an attempt from the bus rule is kept in its table, a sweep queries the pending index', async () => {
    // Prepare
    const attempt = golden('pre-authentication/sign-in-attempt-web.json');
    const fromRule = join(workRoot, 'failed-sign-ins-attempt.json');
    writeFileSync(fromRule, JSON.stringify(toBusEnvelope(attempt, '123456789012', 'eu-west-1')));
    const sweep = join(workRoot, 'failed-sign-ins-sweep.json');
    writeFileSync(
      sweep,
      JSON.stringify({ version: '0', id: '7f3c0a52-0000-4000-8000-000000000002', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-11-27T10:15:00Z', region: 'eu-west-1', resources: [], detail: {} }),
    );
    const table = () => ({ AUTHTRAIL_SIGN_IN_TABLE: 'authtrail-dev-sign-ins' });

    // Act
    const observed = await invokePackaged(INFERENCE, fromRule, table);
    const swept = await invokePackaged(INFERENCE, sweep, table);

    // Assess
    expect(observed.result).toMatchObject({ phase: 'invoke', returned: { observed: 1, failed: 0 } });
    expect(observed.calls.map((call) => call.target)).toEqual(['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.PutItem']);
    expect(observed.calls[1]?.body).toMatchObject({ TableName: 'authtrail-dev-sign-ins', Item: { pending: { S: '1' } } });
    expect(swept.result).toMatchObject({ phase: 'invoke', returned: { observed: 0, failed: 0 } });
    expect(swept.calls.map((call) => call.body)).toEqual([expect.objectContaining({ TableName: 'authtrail-dev-sign-ins', IndexName: 'pending' })]);
    // No PII key to read: what it handles is already hashed.
    expect([...observed.calls, ...swept.calls].filter((call) => call.target === 'AmazonSSM.GetParameter')).toEqual([]);
  });

  it('start recover-spilled from its zip and search exactly the log groups its role may search', async () => {
    // Prepare
    const { template } = stack('dev');
    const eventFile = join(workRoot, 'scheduled-event.json');
    writeFileSync(
      eventFile,
      JSON.stringify({
        version: '0',
        id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: '2026-11-27T10:15:00Z',
        region: 'eu-west-1',
        resources: ['arn:aws:events:eu-west-1:123456789012:rule/authtrail-dev-recover-spilled'],
        detail: {},
      }),
    );

    // Act: the checkpoint table's name is a Ref only CloudFormation resolves
    const { result, calls } = await invokePackaged(RECOVER, eventFile, () => ({ AUTHTRAIL_RECOVER_CHECKPOINT_TABLE: 'authtrail-dev-recovery' }));

    // Assess
    expect(result).toMatchObject({ phase: 'invoke', returned: expect.any(Object) });
    const searched = calls.filter((call) => call.target === 'Logs_20140328.FilterLogEvents').map((call) => call.body.logGroupName);
    expect([...new Set(searched)].sort()).toEqual(
      SPILLERS.map((name) => resource(template, `${LOGICAL_ID[name]}LogGroup`).Properties.LogGroupName).sort(),
    );
    expect(calls.filter((call) => call.target === 'AmazonSSM.GetParameter')).toEqual([]);
  });

  it('refuses to start siem-forwarder from its zip with a plain-http SIEM URL: a ConfigError naming AUTHTRAIL_SIEM_URL, before any AWS call', async () => {
    // Prepare
    const eventFile = writeSqsEvent('siem-plain-http.json', [envelopeBody(golden('post-authentication/sign-in-web.json'))]);

    // Act
    const { result, calls } = await invokePackaged(FORWARDER, eventFile, (awsUrl) => ({
      AUTHTRAIL_SIEM_URL: 'http://siem.example.invalid/authtrail/dev',
      AUTHTRAIL_SIEM_DLQ_URL: fakeDeadLetterQueueUrl(awsUrl),
    }));

    // Assess
    expect(result).toEqual({
      phase: 'cold-start',
      error: { name: 'ConfigError', message: expect.stringContaining('AUTHTRAIL_SIEM_URL must be https://') },
    });
    expect(calls).toEqual([]);
  });

  it('start siem-forwarder from its zip: read the secret by its name, POST the AuthEvents as one signed batch, dead-letter a message that is none', async () => {
    // Prepare
    // The forwarder takes plain http for a loopback receiver only; the template's URL is a placeholder that never resolves.
    const siem = await startFakeSiem();
    const events = [golden('post-authentication/sign-in-web.json'), golden('pre-signup/sign-up-allowed.json')];
    const notAnEnvelope = '{"hello":"not an AuthEvent envelope"}';
    const eventFile = writeSqsEvent('siem-batch.json', [...events.map(envelopeBody), notAnEnvelope]);
    let outcome: Awaited<ReturnType<typeof invokePackaged>>;
    let deadLetterQueueUrl = '';

    // Act
    try {
      outcome = await invokePackaged(FORWARDER, eventFile, (awsUrl) => {
        deadLetterQueueUrl = fakeDeadLetterQueueUrl(awsUrl);
        return { AUTHTRAIL_SIEM_URL: `${siem.url}/authtrail/dev`, AUTHTRAIL_SIEM_DLQ_URL: deadLetterQueueUrl };
      });
    } finally {
      siem.server.close();
    }

    // Assess
    const { result, calls } = outcome;
    expect(result).toEqual({ phase: 'invoke', returned: { batchItemFailures: [] } });
    expect(calls.filter((call) => call.target === 'secretsmanager.GetSecretValue').map((call) => call.body.SecretId)).toEqual([
      siemSecretIdOf('dev'),
    ]);
    // One request for the batch, in the dev format, signed with the secret (checked by the official package).
    expect(siem.requests).toHaveLength(1);
    const [request] = siem.requests;
    expect(request!.path).toBe('/authtrail/dev');
    expect(request!.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(() => new Webhook(TEST_SIEM_SECRET).verify(request!.body, request!.headers, { jsonParse: false })).not.toThrow();
    const delivered = request!.body
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(delivered).toEqual(events.map((event) => event.id));
    // The message that is no envelope went to the SIEM DLQ, body unchanged, with the reason.
    const deadLettered = calls
      .filter((call) => call.target === 'AmazonSQS.SendMessageBatch')
      .map((call) => call.body as { QueueUrl: string; Entries: { MessageBody: string; MessageAttributes: Record<string, { StringValue: string }> }[] });
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]!.QueueUrl).toBe(deadLetterQueueUrl);
    expect(deadLettered[0]!.Entries.map((entry) => entry.MessageBody)).toEqual([notAnEnvelope]);
    expect(deadLettered[0]!.Entries[0]!.MessageAttributes['authtrail-reason']?.StringValue).not.toBe('');
    expect(deadLettered[0]!.Entries[0]!.MessageAttributes['authtrail-source-message-id']?.StringValue).toBe(
      '0e5e8a8c-0000-4000-8000-000000000002',
    );
    // The secret never shows in what the function sent anywhere but the signature.
    expect(JSON.stringify(calls)).not.toContain(TEST_SIEM_SECRET.slice('whsec_'.length));
  });
});

// Issue 15's deploy checks (registry schemas, async failure destinations, IAM narrowing, pool attach) on the
// two stages this file packages; deploy.test.ts runs them for staging.
describeDeployChecks(STAGES, (stage) => stack(stage as Stage).template);

// ---------------------------------------------------------------- the CloudTrail source (docs/delivery.md, "CloudTrail events")

describe.each(STAGES)('the %s stack: CloudTrail source', (stage) => {
  const FN = 'CloudtrailDasheventsLambdaFunction';
  const poolOf = (candidate: Stage): unknown => (candidate === 'dev' ? ref('UserPool') : 'eu-west-1_REPLACEME');
  /** The rule's pattern with the pool intrinsic resolved to the fixtures' pool, as CloudFormation would to the real one. */
  const resolvedPattern = () =>
    validateEventPattern(JSON.parse(JSON.stringify(resource(stack(stage).template, 'CloudTrailEventsRule').Properties.EventPattern).replaceAll(JSON.stringify(poolOf(stage)), '"eu-west-1_Xq9Lk2MfA"')));
  const fixtures = (file: string): Record<string, any>[] =>
    readFileSync(join(ROOT, 'events', 'cloudtrail', file), 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));

  it('deploys cloudtrail-events with the triggers\' environment and the stage pool', () => {
    // Act
    const fn = resource(stack(stage).template, FN).Properties;
    const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(fn.Handler).toBe('functions/cloudtrail-events.handler');
    expect(variables).toMatchObject({
      AUTHTRAIL_CONFIG_FILE: `config/${stage}.json`,
      AUTHTRAIL_PII_HASH_KEY_PARAMETER: `/authtrail/${stage}/pii-hash-key`,
      AUTHTRAIL_USER_POOL_ID: poolOf(stage),
    });
  });

  it('grants it its own logs, the stage bus, the PII key and the async failure queue, nothing else', () => {
    // Prepare
    const { template } = stack(stage);
    const role = resource(template, getAttTarget(resource(template, FN).Properties.Role));

    // Act
    const grants = roleStatements(role).flatMap((statement) => actionsOf(statement).map((action) => ({ action, statement })));

    // Assess
    expect(grants.map(({ action }) => action).sort()).toEqual(['events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'ssm:GetParameter']);
    for (const { action, statement } of grants) {
      expect(statement.Effect).toBe('Allow');
      if (action.startsWith('logs:')) expect(statement.Resource).toEqual(getAtt('CloudtrailDasheventsLogGroup'));
      if (action === 'events:PutEvents') expect(statement.Resource).toEqual(getAtt('EventBus'));
      if (action === 'sqs:SendMessage') expect(statement.Resource).toEqual(getAtt('AsyncFailureQueue'));
      if (action === 'ssm:GetParameter') expect(JSON.stringify(statement.Resource)).toContain(`parameter/authtrail/${stage}/pii-hash-key`);
    }
  });

  it('puts a rule on the default bus for both CloudTrail detail types of Cognito, only while the param is on', () => {
    // Prepare
    const { template } = stack(stage);

    // Act
    const rule = resource(template, 'CloudTrailEventsRule');
    const condition = (template as { Conditions?: Record<string, unknown> }).Conditions?.ReadsCloudTrail;
    const targets = rule.Properties.Targets as RuleTarget[];

    // Assess
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(rule.Properties.Name).toBe(`authtrail-${stage}-cognito-cloudtrail`);
    expect(condition).toEqual({ 'Fn::Equals': ['on', 'on'] });
    for (const id of ['CloudTrailEventsRule', 'CloudTrailEventsPermission', 'CloudTrailEventsDeadLetterQueue', 'CloudTrailEventsDeadLetterQueuePolicy']) {
      expect(resource(template, id).Condition, id).toBe('ReadsCloudTrail');
    }
    expect(() => resolvedPattern()).not.toThrow();
    expect(rule.Properties.EventPattern).toMatchObject({
      source: ['aws.cognito-idp'],
      'detail-type': ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
      detail: { eventSource: ['cognito-idp.amazonaws.com'] },
    });
    expect(targets).toEqual([
      {
        Id: 'cloudtrail-events',
        Arn: getAtt(FN),
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: getAtt('CloudTrailEventsDeadLetterQueue') },
      },
    ]);
    expect(resource(template, 'CloudTrailEventsPermission').Properties).toMatchObject({
      FunctionName: getAtt(FN),
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt('CloudTrailEventsRule'),
    });
    const dlq = queuePolicyFor(template, 'CloudTrailEventsDeadLetterQueue');
    expect(dlq.Statement[0]).toMatchObject({ Effect: 'Allow', Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': getAtt('CloudTrailEventsRule') } } });
  });

  it('matches the records of the stage pool and the pool-less ones, and neither read-only calls nor another pool', () => {
    // Prepare
    const pattern = resolvedPattern();
    const ours = [...fixtures('sign-in.ndjson'), ...fixtures('account.ndjson'), ...fixtures('managed-login.ndjson')];
    const otherPool = structuredClone(ours.find((event) => event.detail.eventName === 'AdminDisableUser') ?? {});
    otherPool.detail.requestParameters.userPoolId = 'eu-west-1_OtherPool1';

    // Act
    const matched = ours.filter((event) => matchesEventPattern(pattern, event));

    // Assess
    expect(matched.map((event) => event.detail.eventName)).toEqual(ours.map((event) => event.detail.eventName).filter((name) => name !== 'ListUsers'));
    expect(matchesEventPattern(pattern, otherPool)).toBe(false);
    // The guide's records name pool us-west-2_aaaaaaaaa: not this stage's.
    expect(fixtures('documented.ndjson').filter((event) => matchesEventPattern(pattern, event))).toEqual([]);
  });
});
