/**
 * Issue 15's deploy checks (./deploy-checks.ts) for the staging stage, which
 * template.test.ts does not package: staging attaches to an existing pool like
 * prod, with its own params. dev and prod run the same checks from
 * template.test.ts, on the packages it builds anyway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describeDeployChecks } from './deploy-checks.ts';
import { packageStage, type CfnTemplate } from './package-stack.ts';

let workRoot = '';
let staging: CfnTemplate | undefined;
beforeAll(async () => {
  workRoot = mkdtempSync(join(tmpdir(), 'authtrail-deploy-'));
  staging = (await packageStage('staging', workRoot)).template;
}, 180_000);
afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

describeDeployChecks(['staging'], () => {
  if (staging === undefined) throw new Error('staging was not packaged');
  return staging;
});
