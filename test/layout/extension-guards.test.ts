/**
 * The steps of docs/extending.md that nothing else catches when they are
 * missed: the docs a new action, outcome, category or function needs, and the
 * spill recovery list a new publishing function must join. Each would otherwise
 * fail silently: a SOC reading docs that do not list an action, or spill lines
 * of a new function that `npm run recover` never searches.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Action, Category, Outcome } from '../../lib/auth-event/schema.ts';
import { TriggerName } from '../../lib/cognito/trigger-sources.ts';
import { namesFor } from '../../lib/naming.ts';
import { spillLogGroups } from '../../lib/recover/recover.ts';
import { ROOT } from '../helpers/fixtures.ts';

const readDoc = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The text of a markdown section: from its heading to the next heading of the same or a higher level. */
const section = (markdown: string, heading: string): string => {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.replace(/^#+\s*/, '') === heading && line.startsWith('#'));
  if (start === -1) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((line, index) => index > start && /^#+\s/.test(line) && /^#+/.exec(line)![0].length <= level);
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
};

/** The `code` spans of a markdown text. */
const codeSpans = (markdown: string): Set<string> => new Set([...markdown.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!));

const DEPLOYED_FUNCTIONS = readdirSync(join(ROOT, 'functions'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  // Runs under serverless offline only (it refuses to start elsewhere): never deployed.
  .filter((name) => name !== 'offline-rule-target');

describe('Extension guards: the AuthEvent docs list every value the schema allows', () => {
  it('docs/auth-event.md "Actions" names every Action', () => {
    // Prepare
    const documented = codeSpans(section(readDoc('docs/auth-event.md'), 'Actions'));

    // Act
    const missing = Object.values(Action).filter((action) => !documented.has(action));

    // Assess
    expect(missing).toEqual([]);
  });

  it('docs/auth-event.md names every Outcome and Category in its field table (before the first section)', () => {
    // Prepare
    const fieldTable = readDoc('docs/auth-event.md').split('\n## ')[0]!;
    const documented = codeSpans(fieldTable);

    // Act
    const missing = [...Object.values(Outcome), ...Object.values(Category)].filter((value) => !documented.has(value));

    // Assess
    expect(missing).toEqual([]);
  });

  it('README "The triggers" has a row for every trigger function', () => {
    // Prepare
    const documented = codeSpans(section(readDoc('README.md'), 'The triggers'));

    // Act
    const missing = Object.values(TriggerName).filter((name) => !documented.has(name));

    // Assess
    expect(missing).toEqual([]);
  });

  it('every deployed function is named in the README or docs/', () => {
    // Prepare
    const docs = [readDoc('README.md'), ...readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => readDoc(`docs/${file}`))];
    const named = new Set(docs.flatMap((doc) => [...codeSpans(doc)]));

    // Act
    const missing = DEPLOYED_FUNCTIONS.filter((name) => !named.has(name));

    // Assess
    expect(DEPLOYED_FUNCTIONS).toContain('cloudtrail-events');
    expect(missing).toEqual([]);
  });
});

describe('Extension guards: spill recovery searches every function that can spill', () => {
  it('every function whose bundle can write spill lines (spillRecord of lib/publish/spill.ts) has its log group in spillLogGroups', async () => {
    // Prepare: bundled as serverless-esbuild bundles them (tree-shaken), packages external. A bundle that keeps only the
    // spill module's constants (the filter pattern) cannot spill; one that keeps spillRecord can.
    const { outputFiles } = await build({
      entryPoints: DEPLOYED_FUNCTIONS.map((name) => join(ROOT, 'functions', `${name}.ts`)),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      outdir: join(ROOT, '.bundle-check'),
      logLevel: 'silent',
    });
    const spillWriters = outputFiles
      .filter((output) => /\bspillRecord\d*\s*=/.test(output.text))
      .map((output) => basename(output.path, '.js'))
      // The recovery function reads spill lines; it publishes what it found and never spills itself.
      .filter((name) => name !== 'recover-spilled');

    // Act
    const searched = new Set(spillLogGroups('dev'));
    const unsearched = spillWriters.filter((name) => !searched.has(namesFor('dev').functionLogGroup(name)));

    // Assess
    expect(spillWriters).toEqual(expect.arrayContaining(['cloudtrail-events', 'event-log-forwarder', 'pre-authentication']));
    expect(unsearched).toEqual([]);
  });
});
