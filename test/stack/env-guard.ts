/**
 * The environment the stack gives each function, held against that function
 * kind's env schema (lib/runtime/env.ts): every variable the schema requires is
 * set (one of each `oneOf` pair too), a value the template spells out satisfies
 * its variable, and every variable the function gets is one its kind reads, so
 * a setting nobody reads (a rename done on one side) fails here. Variables of
 * provider.environment reach every function, whether its kind reads them or not:
 * each must be read by some kind, or be read by Node itself (PROCESS_LEVEL).
 *
 * Run by deploy-checks.ts on every template the stack tests package (dev, prod,
 * staging, and prod with the Security Lake writer).
 */
import { TriggerName } from '../../lib/cognito/trigger-sources.ts';
import type { EnvSchema } from '../../lib/runtime/env.ts';
import { EVENT_LOG_FORWARDER_ENV } from '../../lib/runtime/event-log-forwarder.ts';
import { FAILED_SIGN_INS_ENV } from '../../lib/runtime/failed-sign-ins.ts';
import { RECOVER_SPILLED_ENV } from '../../lib/runtime/recover-spilled.ts';
import { SIEM_FORWARDER_ENV } from '../../lib/runtime/siem-forwarder.ts';
import { CLOUDTRAIL_EVENTS, COGNITO_LOG_EVENTS } from '../../lib/runtime/source-lambda.ts';
import { TRIGGER_ENV } from '../../lib/runtime/trigger-lambda.ts';
import { LAKE_WRITER_ENV } from '../../lib/security-lake/runtime.ts';
import { OFFLINE_RULE_TARGET_ENV } from '../../local/sinks/offline-rule-target.ts';
import { conditionHolds } from './cfn-schema.ts';
import type { CfnTemplate } from './package-stack.ts';

/** The env schema of each deployable function (functions/<name>.ts): a new function needs its entry here. */
export const ENV_OF_FUNCTION: Readonly<Record<string, EnvSchema>> = {
  // Deployed log-first (lib/runtime/trigger-lambda.ts): the bus-mode PUBLISHER_ENV runs from source only.
  ...Object.fromEntries(Object.values(TriggerName).map((name) => [name, TRIGGER_ENV])),
  'cognito-log-events': COGNITO_LOG_EVENTS.env,
  'cloudtrail-events': CLOUDTRAIL_EVENTS.env,
  'event-log-forwarder': EVENT_LOG_FORWARDER_ENV,
  'siem-forwarder': SIEM_FORWARDER_ENV,
  'failed-sign-ins': FAILED_SIGN_INS_ENV,
  'recover-spilled': RECOVER_SPILLED_ENV,
  'security-lake-writer': LAKE_WRITER_ENV,
  'offline-rule-target': OFFLINE_RULE_TARGET_ENV,
};

/** Variables read by the Node.js process, not by authtrail's code. */
export const PROCESS_LEVEL: Readonly<Record<string, string>> = {
  NODE_OPTIONS: 'Node reads it: --enable-source-maps, for stack traces in the bundles\' sources',
};

interface LambdaFunction {
  name: string;
  variables: Record<string, unknown>;
}

/**
 * authtrail's functions (`functions/<name>.handler`) as CloudFormation creates them: one whose Condition does
 * not hold (the lake writer on a stage without securityLakeBucket) gets no environment at all. osls's own
 * custom-resource functions (the existing pool's attachment) are not ours to check.
 */
const functionsOf = (template: CfnTemplate): LambdaFunction[] =>
  Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function' && String(resource.Properties.Handler).startsWith('functions/'))
    .filter((resource) => resource.Condition === undefined || conditionHolds((template as { Conditions?: Record<string, unknown> }).Conditions ?? {}, resource.Condition))
    .map((resource) => ({
      name: String(resource.Properties.Handler).replace(/^functions\//, '').replace(/\.handler$/, ''),
      variables: (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
    }));

/** What is wrong with the environment `template` gives its functions: one sentence per problem, none when it is right. */
export const envProblems = (template: CfnTemplate): string[] => {
  const functions = functionsOf(template);
  const everyKindReads = new Set(Object.values(ENV_OF_FUNCTION).flatMap((schema) => Object.keys(schema.variables)));
  // provider.environment: on every function of the template (osls merges it into each).
  const providerLevel = new Set(
    Object.keys(functions[0]?.variables ?? {}).filter((name) => functions.every((fn) => fn.variables[name] === functions[0]?.variables[name])),
  );
  const problems = [...providerLevel]
    .filter((name) => !everyKindReads.has(name) && PROCESS_LEVEL[name] === undefined)
    .map((name) => `provider.environment sets ${name}, which no function reads`);
  for (const fn of functions) {
    const schema = ENV_OF_FUNCTION[fn.name];
    if (schema === undefined) {
      problems.push(`${fn.name}: no env schema (test/stack/env-guard.ts ENV_OF_FUNCTION)`);
      continue;
    }
    for (const [name, declared] of Object.entries(schema.variables)) {
      const value = fn.variables[name];
      if (declared.required && value === undefined) problems.push(`${fn.name}: ${name} is required and not set`);
      // Intrinsics (Ref, Fn::If…) resolve at deploy time; a literal is checked now.
      if (typeof value === 'string' && !declared.schema.safeParse(value).success) problems.push(`${fn.name}: the value of ${name} does not satisfy its schema`);
    }
    for (const group of schema.oneOf) {
      if (group.variables.every((name) => fn.variables[name] === undefined)) problems.push(`${fn.name}: none of ${group.variables.join(', ')} is set`);
    }
    for (const name of Object.keys(fn.variables)) {
      if (schema.variables[name] === undefined && !providerLevel.has(name)) problems.push(`${fn.name}: ${name} is set but its kind does not read it`);
    }
  }
  return problems;
};
