/**
 * osls plugin: before `serverless deploy` of a stage that attaches to an existing
 * user pool, reads the pool and refuses the deploy when the attachment would
 * change more than our triggers (deploy/pool-guard.ts; docs/deploy.md).
 * osls loads plugins with require(), so this CommonJS shim imports the
 * TypeScript module (Node 22 runs .ts natively). `serverless package` runs no
 * hook of it: packaging stays offline.
 */
class AuthtrailPoolGuard {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:deploy:deploy': () => this.check() };
  }

  async check() {
    const { mode, poolId, stage, allowReplacing } = this.serverless.service.custom.poolGuard;
    if (mode !== 'existing') return;
    const { CognitoIdentityProviderClient, DescribeUserPoolCommand } = require('@aws-sdk/client-cognito-identity-provider');
    const { guardPoolAttach } = await import('./pool-guard.ts');
    const { namesFor } = await import('../lib/naming.ts');
    const client = new CognitoIdentityProviderClient({ region: this.serverless.getProvider('aws').getRegion() });
    await guardPoolAttach({
      describe: async (id) => (await client.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool,
      poolId,
      functionName: namesFor(stage).functionName,
      allowReplacing: allowReplacing === true || allowReplacing === 'true',
    });
  }
}

module.exports = AuthtrailPoolGuard;
