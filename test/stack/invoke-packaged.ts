/**
 * Child-process side of the packaged-function smoke test. Run in an unzipped
 * function package, with the function's environment from the template, as the
 * Lambda runtime would: imports the bundle (its cold start), invokes `handler`
 * once, and writes the outcome as JSON to the result file (stdout belongs to the
 * function's logger).
 *
 *   node invoke-packaged.ts <bundle.mjs> <event.json> <result.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { errorOf, lambdaContext } from './lambda-context.ts';

export type InvokeOutcome =
  | { phase: 'cold-start'; error: { name: string; message: string } }
  | { phase: 'invoke'; returned: unknown }
  | { phase: 'invoke'; error: { name: string; message: string } };

const [bundle, eventFile, resultFile] = process.argv.slice(2);
if (bundle === undefined || eventFile === undefined || resultFile === undefined) {
  throw new Error('usage: node invoke-packaged.ts <bundle.mjs> <event.json> <result.json>');
}

const finish = (outcome: InvokeOutcome): void => writeFileSync(resultFile, JSON.stringify(outcome));

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'authtrail-test';
/** The function's timeout from the template (the triggers' 5 s unless the test says otherwise). */
const timeoutMs = Number(process.env.AUTHTRAIL_TEST_TIMEOUT_MS ?? '5000');
let invokedAt = Date.now();
const context = lambdaContext(functionName, () => Math.max(0, invokedAt + timeoutMs - Date.now()));

let handler: (event: unknown, context: unknown) => Promise<unknown>;
try {
  const module = (await import(pathToFileURL(bundle).href)) as { handler: typeof handler };
  handler = module.handler;
} catch (error) {
  finish({ phase: 'cold-start', error: errorOf(error) });
  process.exit(0);
}

try {
  const event: unknown = JSON.parse(readFileSync(eventFile, 'utf8'));
  invokedAt = Date.now();
  finish({ phase: 'invoke', returned: await handler(event, context) });
} catch (error) {
  finish({ phase: 'invoke', error: errorOf(error) });
}
