/**
 * The names a stage's resources get when serverless.yml deploys them
 * (`authtrail-<stage>-<function>` is the Serverless Framework's function naming).
 * Code that has to find a deployed resource by name asks here.
 */
export const namesFor = (stage: string) => ({
  functionName: (name: string) => `authtrail-${stage}-${name}`,
  functionLogGroup: (name: string) => `/aws/lambda/authtrail-${stage}-${name}`,
  busName: `authtrail-${stage}`,
  eventsLogGroup: `/authtrail/${stage}/events`,
  siemQueue: `authtrail-${stage}-siem`,
  siemDeadLetterQueue: `authtrail-${stage}-siem-dlq`,
  deliveryDeadLetterQueue: `authtrail-${stage}-delivery-dlq`,
  asyncFailureQueue: `authtrail-${stage}-async-failures`,
  recoveryCheckpointTable: `authtrail-${stage}-recovery`,
  dashboard: (title: string) => `authtrail-${stage}-${title}`,
  alarm: (title: string) => `authtrail-${stage}-${title}`,
  query: (title: string) => `authtrail/${stage}/${title}`,
});
