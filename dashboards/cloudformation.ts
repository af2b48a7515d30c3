/**
 * The stage's dashboards, alarms and saved queries as CloudFormation resources,
 * merged into the stack by serverless.yml (through dashboards/serverless.cjs).
 *
 * Region and user pool id are CloudFormation values: the bodies are rendered
 * with the tokens `${AWS::Region}` and `${UserPoolId}` and wrapped in Fn::Sub,
 * UserPoolId being `Ref: UserPool` (userPoolMode create) or the userPoolId param.
 */
import { join } from 'node:path';
import { configFileFor, loadStageConfigFile } from '../lib/config/load.ts';
import { stageAlarms } from './alarms.ts';
import { authActivityDashboard } from './auth-activity.ts';
import { namesFor, pascal, type RenderContext } from './context.ts';
import { pipelineHealthDashboard } from './pipeline-health.ts';
import { QUERIES } from './queries.ts';
import type { DashboardBody } from './widgets.ts';

export const DASHBOARDS = {
  'auth-activity': authActivityDashboard,
  'pipeline-health': pipelineHealthDashboard,
} as const satisfies Record<string, (ctx: RenderContext) => DashboardBody>;

export const REGION_TOKEN = '${AWS::Region}';
export const USER_POOL_TOKEN = '${UserPoolId}';

export interface StackInput {
  stage: string;
  userPoolMode: 'create' | 'existing';
  /** The existing pool's id (userPoolMode existing). */
  userPoolId: string;
  alarmTopicArn: string;
  projectRoot: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `Fn::Sub` for every string that carries a token, plain strings otherwise. */
const substitute = (value: unknown, variables: Record<string, Json>): Json => {
  if (typeof value === 'string') return value.includes('${') ? { 'Fn::Sub': [value, variables] } : value;
  if (Array.isArray(value)) return value.map((item) => substitute(item, variables));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, variables)]));
  }
  return value as Json;
};

export const stackResources = (input: StackInput): { Resources: Record<string, Json>; Outputs: Record<string, Json> } => {
  const ctx: RenderContext = {
    stage: input.stage,
    region: REGION_TOKEN,
    userPoolId: USER_POOL_TOKEN,
    clients: loadStageConfigFile(configFileFor(input.stage, join(input.projectRoot, 'config'))).clients,
    alarmTopicArn: input.alarmTopicArn,
  };
  const names = namesFor(input.stage);
  const variables: Record<string, Json> = {
    UserPoolId: input.userPoolMode === 'create' ? { Ref: 'UserPool' } : input.userPoolId,
  };
  const Resources: Record<string, Json> = {};
  const Outputs: Record<string, Json> = {};
  for (const [title, render] of Object.entries(DASHBOARDS)) {
    const logicalId = `${pascal(title)}Dashboard`;
    Resources[logicalId] = {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: names.dashboard(title),
        DashboardBody: { 'Fn::Sub': [JSON.stringify(render(ctx)), variables] },
      },
    };
    Outputs[`${logicalId}Name`] = { Value: { Ref: logicalId } };
  }
  for (const alarm of stageAlarms(ctx)) {
    Resources[alarm.logicalId] = { Type: 'AWS::CloudWatch::Alarm', Properties: substitute(alarm.properties, variables) };
  }
  for (const query of QUERIES) {
    Resources[`${pascal(query.name)}Query`] = {
      Type: 'AWS::Logs::QueryDefinition',
      DependsOn: 'EventsLogGroup',
      Properties: { Name: names.query(query.name), QueryString: query.query, LogGroupNames: [names.eventsLogGroup] },
    };
  }
  return { Resources, Outputs };
};
