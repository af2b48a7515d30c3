/**
 * Runs `serverless package --stage <stage>` the way a deploy would, but in a
 * private copy of the project, without AWS credentials, and returns what it
 * wrote: the CloudFormation template and the function zips.
 *
 * The copy is what makes the run safe: serverless-esbuild works in
 * `<project>/.esbuild/` and `<project>/.serverless/`, so two packagings of the
 * same directory (dev and prod here, or a developer's `npm run package`) would
 * overwrite each other's files. node_modules is linked, not copied.
 */
import { runToEnd } from '../helpers/process-group.ts';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readZip, type ZipEntry } from './zip.ts';
import { ROOT } from '../helpers/fixtures.ts';

/** Never copied: dependencies (linked instead), VCS data and the outputs of earlier runs. */
const NOT_COPIED = new Set(['node_modules', '.git', '.serverless', '.esbuild', '.authtrail', '.cognito', '.bench-build', 'coverage']);

const PACKAGE_TIMEOUT_MS = 120_000;

/** A CloudFormation resource, as far as these tests look into it. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Value: unknown }>;
}

export interface PackagedStage {
  template: CfnTemplate;
  /** The entries of `<function>.zip`. */
  zip: (functionName: string) => Map<string, ZipEntry>;
  zipSize: (functionName: string) => number;
}

/** A copy of the project under `workRoot`, sharing the real node_modules. */
const copyProject = (workRoot: string): string => {
  const copy = join(workRoot, 'project');
  mkdirSync(copy, { recursive: true });
  for (const entry of readdirSync(ROOT)) {
    if (NOT_COPIED.has(entry)) continue;
    cpSync(join(ROOT, entry), join(copy, entry), { recursive: true, verbatimSymlinks: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
};

/** The environment of the packaging: the caller's, minus anything that could reach an AWS account. */
const offlineEnv = (workRoot: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|PROFILE|DEFAULT_PROFILE|ROLE_ARN|WEB_IDENTITY_TOKEN_FILE|CONTAINER_.*)$/.test(name)) {
      delete env[name];
    }
  }
  // No shared config or credentials file, and no instance metadata: packaging must not need any of them.
  env.AWS_CONFIG_FILE = join(workRoot, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = join(workRoot, 'no-aws-credentials');
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return env;
};

/** Runs the Serverless CLI in its own process group (a hung run is killed with everything it started); fails on a non-zero exit. */
const run = async (args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> => {
  const serverless = join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const { code, stdout, stderr } = await runToEnd(process.execPath, [serverless, ...args], { cwd, env, timeoutMs: PACKAGE_TIMEOUT_MS });
  if (code !== 0) throw new Error(`serverless ${args.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`);
};

/**
 * Packages `stage` from a fresh copy of the project under `workRoot` (one directory per stage),
 * with `params` given as `--param name=value` (they override the stage's `params:` entries).
 */
export const packageStage = async (stage: string, workRoot: string, params: Readonly<Record<string, string>> = {}): Promise<PackagedStage> => {
  const project = copyProject(workRoot);
  const dir = join(workRoot, 'package');
  const paramArgs = Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
  await run(['package', '--stage', stage, '--package', dir, ...paramArgs], project, offlineEnv(workRoot));
  const templateFile = join(dir, 'cloudformation-template-update-stack.json');
  if (!existsSync(templateFile)) throw new Error(`No ${basename(templateFile)} in ${dir}`);
  const zips = new Map<string, Map<string, ZipEntry>>();
  const zipFile = (name: string): string => join(dir, `${name}.zip`);
  return {
    template: JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate,
    zip: (name) => {
      let entries = zips.get(name);
      if (entries === undefined) {
        entries = readZip(readFileSync(zipFile(name)));
        zips.set(name, entries);
      }
      return entries;
    },
    zipSize: (name) => readFileSync(zipFile(name)).length,
  };
};
