/**
 * The layout is part of the architecture (README, "Layout"): lib/ holds what
 * runs in Lambda, local/ what runs on a laptop (replay, local bus and store,
 * the SIEM receiver, the CLIs' logic), deploy/ what runs while packaging and
 * deploying, test/helpers/ what only tests use. These checks keep it so: a
 * lib/ module that reaches back into local tooling, or lib/ code no deployed
 * function runs, fails here instead of blurring the line again.
 *
 * Imports are read with TypeScript's own pre-processor (static, dynamic and
 * require), not a regular expression.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseStageConfig } from '../../lib/config/load.ts';
import type { StageConfig } from '../../lib/config/schema.ts';
import { SIEM_FORMATS, type SiemFormat } from '../../lib/siem/formats/index.ts';
import { ROOT } from '../helpers/fixtures.ts';

const LIB = join(ROOT, 'lib');
const FUNCTIONS = join(ROOT, 'functions');
const CODE = /\.(ts|cjs|mjs|js)$/;

/**
 * The lib/ files no deployed function imports, each with why it still belongs
 * in lib/. The issue that set the layout allows at most two.
 */
const NOT_IN_ANY_FUNCTION = {
  // The JSON Schema for SIEM consumers is derived from the AuthEvent schema beside it (`npm run schema`).
  'lib/auth-event/json-schema.ts': 'derived from the schema module it sits beside',
  // The CloudTrail rule's eventName list: serverless.yml reads it into the deployed rule; a test keeps it equal to kinds.ts.
  'lib/cloudtrail/event-names.json': 'read by serverless.yml into the deployed rule',
} as const;

const filesUnder = (directory: string): string[] =>
  readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

const relativeImportsOf = (file: string): string[] =>
  ts
    .preProcessFile(readFileSync(file, 'utf8'), true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'));

const resolveFrom = (file: string, specifier: string): string => resolve(dirname(file), specifier);

const isInside = (directory: string, path: string): boolean => path.startsWith(directory + sep);

describe('Layout: lib/ is what runs in Lambda', () => {
  it('no lib/ module imports anything outside lib/ by a relative path (local/, deploy/, test/, bin/, functions/)', () => {
    // Prepare
    const libCode = filesUnder(LIB).filter((file) => CODE.test(file));

    // Act
    const outward = libCode.flatMap((file) =>
      relativeImportsOf(file)
        .filter((specifier) => !isInside(LIB, resolveFrom(file, specifier)))
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    );

    // Assess
    expect(libCode.length).toBeGreaterThan(50);
    expect(outward).toEqual([]);
  });

  it('every lib/ file is reached from a deployed function, but for the listed exceptions', () => {
    // Prepare
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file) || !existsSync(file)) return;
      reached.add(file);
      if (!CODE.test(file)) return;
      for (const specifier of relativeImportsOf(file)) visit(resolveFrom(file, specifier));
    };

    // Act
    for (const name of readdirSync(FUNCTIONS).filter((file) => file.endsWith('.ts'))) visit(join(FUNCTIONS, name));
    const unreached = filesUnder(LIB)
      .filter((file) => !reached.has(file))
      .map((file) => relative(ROOT, file).split(sep).join('/'));

    // Assess
    expect(reached.size).toBeGreaterThan(50);
    expect(unreached.sort()).toEqual(Object.keys(NOT_IN_ANY_FUNCTION).sort());
    expect(Object.keys(NOT_IN_ANY_FUNCTION).length).toBeLessThanOrEqual(2);
  });
});

describe('Layout: one publishing contract', () => {
  const SINK_MODULE = join(LIB, 'sinks', 'sink.ts');
  const importStatement = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'([^']+)'/g;

  it('EventSink, PublishError and Spill are imported from lib/sinks/sink.ts only, never from one sink (EventBridge) or elsewhere', () => {
    // Prepare
    const code = ['lib', 'local', 'functions', 'bin', 'bench', 'test'].flatMap((folder) => filesUnder(join(ROOT, folder))).filter((file) => file.endsWith('.ts'));

    // Act
    const elsewhere = code.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(importStatement)]
        .filter(([, names = '', specifier = '']) => /\b(EventSink|PublishError|Spill)\b/.test(names) && specifier.startsWith('.') && resolveFrom(file, specifier) !== SINK_MODULE)
        .map(([statement]) => `${relative(ROOT, file)}: ${statement}`),
    );

    // Assess
    expect(code.length).toBeGreaterThan(100);
    expect(elsewhere).toEqual([]);
  });
});

describe('Layout: one error base class', () => {
  const codeIn = (folders: readonly string[]): string[] =>
    folders.flatMap((folder) => filesUnder(join(ROOT, folder))).filter((file) => CODE.test(file));

  /** Where authtrail's own code runs (in Lambda, on a laptop, while packaging and deploying), with how many files each holds at least. */
  const OWN_CODE = { lib: 50, local: 20, functions: 10, deploy: 2 } as const;

  it.each(Object.entries(OWN_CODE))('%s/ throws no bare Error: every failure is a named error with a code', (folder, atLeast) => {
    // Prepare
    const code = codeIn([folder]);

    // Act
    const bare = code.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/\bnew Error\(/.test(line) ? [`${relative(ROOT, file)}:${index + 1}`] : [])),
    );

    // Assess
    expect(code.length).toBeGreaterThan(atLeast);
    expect(bare).toEqual([]);
  });

  it('every error class in lib/, local/, functions/ and deploy/ extends AuthtrailError (lib/errors.ts), which makes its code required', () => {
    // Prepare
    const code = codeIn(Object.keys(OWN_CODE));
    const errorClass = /class\s+(\w+)\s+extends\s+(\w+)/g;

    // Act
    const classes = code.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(errorClass)].map(([, name = '', parent = '']) => ({ file, name, parent })));
    const outside = classes
      .filter(({ name, parent }) => /Error$/.test(parent) && parent !== 'AuthtrailError' && name !== 'AuthtrailError')
      .map(({ file, name, parent }) => `${relative(ROOT, file)}: ${name} extends ${parent}`);

    // Assess
    expect(classes.filter(({ parent }) => parent === 'AuthtrailError').length).toBeGreaterThan(15);
    expect(outside).toEqual([]);
  });
});

describe('Layout: the SIEM format list is one list', () => {
  it('the stage config accepts exactly the formats lib/siem/formats/index.ts registers (checked by the compiler)', () => {
    // Assess: a format added to one list and not the other fails `npm run typecheck`.
    expectTypeOf<StageConfig['siem']['format']>().toEqualTypeOf<SiemFormat>();
    for (const format of SIEM_FORMATS) expect(parseStageConfig({ siem: { format } }, 'in test').siem.format).toBe(format);
  });
});

describe('Layout: docs/extending.md names files that exist', () => {
  it('every file path in docs/extending.md exists (placeholders like <name> aside)', () => {
    // Prepare
    const text = readFileSync(join(ROOT, 'docs', 'extending.md'), 'utf8');

    // Act
    const paths = [...text.matchAll(/`((?:lib|local|deploy|functions|test|dashboards|events|docs)\/[\w./-]*)`/g)].map(([, path = '']) => path);
    const missing = paths.filter((path) => !existsSync(join(ROOT, path)));

    // Assess
    expect(paths.length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });
});
