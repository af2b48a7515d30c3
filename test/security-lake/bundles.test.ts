/**
 * The Parquet writer stays out of every deployed function but the lake's own:
 * the triggers run on the sign-in path, where every KB of bundle is cold-start
 * time. Bundled as serverless-esbuild bundles them (ESM, node), with packages left
 * external so the metafile names each package a function imports.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.ts';

const PARQUET_PACKAGES = /^(hyparquet|hyparquet-writer|@duckdb\/)/;

describe('Security Lake: bundles', () => {
  it('no function imports the Parquet writer or lib/security-lake/', async () => {
    // Prepare
    const functions = readdirSync(join(ROOT, 'functions')).filter((file) => file.endsWith('.ts'));

    // Act
    const { metafile } = await build({
      entryPoints: functions.map((file) => join(ROOT, 'functions', file)),
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      outdir: join(ROOT, '.bundle-check'),
      logLevel: 'silent',
    });
    const inputs = Object.entries(metafile.inputs);
    const packages = new Set(inputs.flatMap(([, input]) => input.imports.filter((imported) => imported.external).map((imported) => imported.path)));

    // Assess
    expect(functions).toContain('pre-authentication.ts');
    expect(packages).toContain('@middy/core');
    expect([...packages].filter((name) => PARQUET_PACKAGES.test(name))).toEqual([]);
    expect(inputs.map(([path]) => path).filter((path) => path.includes('security-lake'))).toEqual([]);
  });
});
