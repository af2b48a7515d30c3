/**
 * Child-process side of the log-first fault tests: in an unzipped function
 * package, with the function's environment, as the Lambda runtime would: imports
 * the bundle (its cold start), then invokes `handler` with each event in turn,
 * timing every answer. Stdout is the function's log (its event lines); the
 * outcomes go to the result file.
 *
 *   node invoke-packaged-many.ts <bundle.mjs> <events.json> <result.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { errorOf, lambdaContext } from './lambda-context.ts';

export interface TimedInvocation {
  outcome: { returned: unknown } | { error: { name: string; message: string } };
  /** From the call to the answer. */
  answerMs: number;
  /** From the process start to the answer: the cold start, for the first. */
  sinceProcessStartMs: number;
}

const [bundle, eventsFile, resultFile] = process.argv.slice(2);
if (bundle === undefined || eventsFile === undefined || resultFile === undefined) {
  throw new Error('usage: node invoke-packaged-many.ts <bundle.mjs> <events.json> <result.json>');
}
const events = JSON.parse(readFileSync(eventsFile, 'utf8')) as unknown[];
const context = lambdaContext(process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'authtrail-test');

const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
const invocations: TimedInvocation[] = [];
for (const event of events) {
  const started = performance.now();
  let outcome: TimedInvocation['outcome'];
  try {
    outcome = { returned: await handler(event, context) };
  } catch (error) {
    outcome = { error: errorOf(error) };
  }
  const answered = performance.now();
  invocations.push({ outcome, answerMs: answered - started, sinceProcessStartMs: answered });
}
writeFileSync(resultFile, JSON.stringify(invocations));
// A key read still waiting on a hung extension would keep the process up; Lambda would freeze it instead.
process.exit(0);
