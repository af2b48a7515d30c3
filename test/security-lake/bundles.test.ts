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

const LAKE_WRITER = 'functions/security-lake-writer.ts';

describe('Security Lake: bundles', () => {
  it('no function but the lake writer imports the Parquet writer or lib/security-lake/; the lake writer does', async () => {
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
    const bundles = Object.values(metafile.outputs).filter((output) => output.entryPoint !== undefined);
    const reachOf = (entry: string) => {
      const output = bundles.find((bundle) => bundle.entryPoint === entry);
      if (output === undefined) throw new Error(`no bundle for ${entry}`);
      return {
        packages: output.imports.filter((imported) => imported.external).map((imported) => imported.path),
        files: Object.keys(output.inputs),
      };
    };
    const others = functions.filter((file) => `functions/${file}` !== LAKE_WRITER).map((file) => reachOf(`functions/${file}`));
    const lakeWriter = reachOf(LAKE_WRITER);

    // Assess
    expect(functions).toContain('pre-authentication.ts');
    expect(others).toHaveLength(functions.length - 1);
    expect(others.flatMap(({ packages }) => packages)).toContain('@middy/core');
    expect(others.flatMap(({ packages }) => packages).filter((name) => PARQUET_PACKAGES.test(name))).toEqual([]);
    expect(others.flatMap(({ files }) => files).filter((path) => path.includes('security-lake'))).toEqual([]);
    expect(lakeWriter.packages).toContain('hyparquet-writer');
    // The lake writer is no trigger: none of the Cognito trigger handlers' modules is bundled into it.
    expect(lakeWriter.files.filter((path) => /^(functions\/(pre|post)-|lib\/triggers\/)/.test(path))).toEqual([]);
  });
});
