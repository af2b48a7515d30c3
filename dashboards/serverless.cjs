/**
 * serverless.yml `resources` fragment: the stage's dashboards, alarms and saved
 * Logs Insights queries, rendered by dashboards/cloudformation.ts. osls loads
 * .js/.cjs variable files with require(), so this CommonJS shim imports the
 * TypeScript module (Node 22 runs .ts natively).
 */
const { join } = require('node:path');

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const userPoolMode = await resolveVariable('param:userPoolMode');
  const userPoolId = await resolveVariable('param:userPoolId');
  const alarmTopicArn = await resolveVariable('param:alarmTopicArn');
  const { stackResources } = await import('./cloudformation.ts');
  return stackResources({ stage, userPoolMode, userPoolId, alarmTopicArn, projectRoot: join(__dirname, '..') });
};
