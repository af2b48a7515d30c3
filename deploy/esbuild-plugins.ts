/**
 * esbuild plugins for the deployed bundles (serverless.yml custom.esbuild.plugins
 * and the benchmark's builds load this file).
 *
 * Node built-ins through `require`: an ES module that imports a built-in
 * (`import { request } from 'node:http'`) makes Node build an ES module facade
 * for it, and building the facade reads every export, including lazy getters.
 * On Node 22 reading `http`'s lazy WebSocket exports loads all of undici: about
 * 30 ms of a cold start for a module the functions never use (measured in
 * docs/performance.md). `require` returns the CommonJS exports as they are,
 * getters untouched. esbuild has no option for this, hence a plugin.
 */
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';

const BUILTIN_NAMESPACE = 'authtrail-node-builtin';

export const nodeBuiltinsThroughRequire: Plugin = {
  name: 'authtrail-node-builtins-through-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      // esbuild's own `require` of a built-in (from CommonJS code) is already a require; only imports need the detour.
      if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      if (args.namespace === BUILTIN_NAMESPACE || !isBuiltin(args.path)) return undefined;
      return { path: args.path, namespace: BUILTIN_NAMESPACE };
    });
    // A CommonJS module: esbuild turns its `require` into the bundle's (the banner's createRequire).
    build.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

export default [nodeBuiltinsThroughRequire];
