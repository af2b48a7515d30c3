/**
 * What a stage's dashboards, alarms and queries are rendered from: the stage,
 * the region, the user pool, the configured clients, and the names the stack
 * gives its resources (serverless.yml). Deployed, region and pool id are
 * CloudFormation tokens (`${AWS::Region}`, `${UserPoolId}`) substituted by
 * Fn::Sub; the local preview passes literal values.
 */
import { TriggerName } from '../lib/cognito/trigger-sources.ts';

export interface RenderContext {
  stage: string;
  region: string;
  userPoolId: string;
  /** client id -> name, from config/<stage>.json `clients`. */
  clients: Readonly<Record<string, string>>;
  /** SNS topic for alarm notifications; empty: alarms without actions. */
  alarmTopicArn: string;
}

/**
 * The Cognito trigger functions serverless.yml deploys, on the user's path under Cognito's 5 s,
 * in the order a user meets them (the dashboards' order). The compiler refuses a list that
 * leaves one out; test/stack/template.test.ts checks the stack against it.
 */
export const TRIGGER_FUNCTIONS = [
  TriggerName.PreSignUp,
  TriggerName.PreAuthentication,
  TriggerName.PostAuthentication,
  TriggerName.PostConfirmation,
  TriggerName.PreTokenGeneration,
] as const;
const everyTriggerListed: Exclude<TriggerName, (typeof TRIGGER_FUNCTIONS)[number]> extends never ? true : never = true;
void everyTriggerListed;
export const SIEM_FORWARDER = 'siem-forwarder' as const;

/** `sign-up-denied` -> `SignUpDenied`: names in the template's logical ids. */
export const pascal = (name: string): string => name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());

/** Cognito's hard limit for a trigger, and the share of it an alarm allows. */
export const TRIGGER_BUDGET_MS = 5_000;
export const TRIGGER_DURATION_ALARM_MS = 4_000;

/** Deployed resource names: lib/naming.ts, shared with the code that looks resources up. */
export { namesFor } from '../lib/naming.ts';
