/**
 * Reads and validates configuration once, at cold start. A bad deploy must fail
 * there, loudly and with the field named, never in the middle of a sign-in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { core } from 'zod/mini';
import { ConfigError, messageOf } from '../errors.ts';
import { StageConfigSchema, type StageConfig } from './schema.ts';

const STAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const formatIssues = (issues: readonly core.$ZodIssue[]): string =>
  issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');

/** Validates an already-read config object; `origin` names it in the error. */
export const parseStageConfig = (input: unknown, origin: string): StageConfig => {
  const result = StageConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(`Invalid config ${origin}: ${formatIssues(result.error.issues)}`, {
      cause: result.error,
    });
  }
  return result.data;
};

export const assertStageName = (stage: string): string => {
  if (!STAGE_NAME.test(stage)) {
    throw new ConfigError(
      `Invalid stage "${stage}": use lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  return stage;
};

/** `config/<stage>.json` under `configDir`. */
export const configFileFor = (stage: string, configDir: string): string =>
  join(configDir, `${assertStageName(stage)}.json`);

export const loadStageConfigFile = (file: string): StageConfig => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${messageOf(error)}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  return parseStageConfig(json, `in ${file}`);
};

/** Where a deployed function's config is: lib/runtime/lambda-base.ts fills it from the function's env settings. */
interface ConfigLocation {
  AUTHTRAIL_CONFIG_FILE?: string | undefined;
  LAMBDA_TASK_ROOT?: string | undefined;
}

/**
 * The stage config of a deployed function: the file AUTHTRAIL_CONFIG_FILE names
 * (serverless.yml sets it), else `config/<stage>.json` beside the code.
 */
export const stageConfigFromEnv = (location: ConfigLocation, stage: string): StageConfig =>
  loadStageConfigFile(location.AUTHTRAIL_CONFIG_FILE ?? configFileFor(stage, join(location.LAMBDA_TASK_ROOT ?? process.cwd(), 'config')));
