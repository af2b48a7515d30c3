/**
 * The schemas on the trigger path use `zod/mini`: the same core, parsers and
 * messages as `zod`, but functions instead of methods, so a bundle carries ~15 KB
 * of zod instead of ~100 KB and builds its schemas faster at cold start
 * (docs/performance.md). zod/mini comes without messages; this module, imported
 * by each of those schema modules, installs the English ones once. (Importing
 * `zod` anywhere in the process does the same.)
 */
import { en } from 'zod/locales';
import { config, globalRegistry, type ZodMiniType } from 'zod/mini';

config(en());

/**
 * A copy of `schema` described for JSON Schema and docs (what `.describe()` is in
 * `zod`): a copy, because a shared schema must not take one field's description.
 */
export const described = <T extends ZodMiniType>(schema: T, description: string): T => {
  const copy = schema.clone() as T;
  globalRegistry.add(copy, { description });
  return copy;
};
