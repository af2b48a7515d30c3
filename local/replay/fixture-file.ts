/**
 * Reads a trigger payload from a file as people and tools save them: plain JSON
 * (with or without a UTF-8 BOM, any line endings), YAML (as `serverless invoke
 * local --path` accepts), or JSON wrapped in `{"event": {...}}`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CORE_SCHEMA, YAMLException, load as loadYaml } from 'js-yaml';
import { JsonSyntaxError, parseJson } from '../../lib/json-parse.ts';
import { FixtureError, ProblemCode, messageOf } from '../../lib/errors.ts';

const FIXTURE_EXTENSIONS = ['.json', '.yaml', '.yml'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The wrapped payload when a tool saved `{"event": {...}}` and nothing else of a trigger. */
const unwrap = (value: unknown): unknown =>
  isRecord(value) && !('triggerSource' in value) && isRecord(value.event) && Object.keys(value).length === 1
    ? value.event
    : value;

export const parseFixtureText = (text: string, file: string): unknown => {
  const body = text.replace(/^\uFEFF/, '');
  const isYaml = ['.yaml', '.yml'].includes(extname(file).toLowerCase());
  try {
    return unwrap(isYaml ? loadYaml(body, { schema: CORE_SCHEMA }) : parseJson(body, file));
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new FixtureError(ProblemCode.InvalidJson, error.message, { cause: error });
    // js-yaml's message shows the offending lines of the file: only where they are, and no cause that holds them.
    const mark = error instanceof YAMLException ? error.mark : undefined;
    throw new FixtureError(
      ProblemCode.InvalidJson,
      `${file} is not valid YAML${mark === undefined ? '' : `: syntax error at line ${mark.line + 1}, column ${mark.column + 1}`}`,
    );
  }
};

export const readFixture = (file: string): unknown => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FixtureError(ProblemCode.UnreadableFile, `cannot read ${file}: ${messageOf(error)}`, { cause: error });
  }
  return parseFixtureText(text, file);
};

/**
 * The fixture files under the given paths, folders walked recursively, in a
 * stable order. A path that does not exist is kept, so replaying it reports it.
 */
export const collectFixtureFiles = (paths: readonly string[]): string[] => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (FIXTURE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // reported by readFixture when replayed
    }
    if (isDirectory) walk(path);
    else files.push(path);
  }
  return files;
};
