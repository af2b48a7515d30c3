/**
 * Fuzz: random and mutated payloads never make a trigger's handler throw
 * (which would fail the user's sign-up or sign-in) other than by a policy
 * denial that its event records, and whatever they do publish is a valid
 * AuthEvent. Every TriggerName is listed (CASES), pre-signup included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthEventSchema, type AuthEvent } from '../../lib/auth-event/schema.ts';
import { createTriggerHandler, type Problem, type TriggerRuntime, SILENT_LOGGER } from '../../lib/runtime/handler.ts';
import { TriggerDeniedError } from '../../lib/errors.ts';
import { postAuthentication } from '../../lib/triggers/post-authentication.ts';
import { postConfirmation } from '../../lib/triggers/post-confirmation.ts';
import { preAuthentication } from '../../lib/triggers/pre-authentication.ts';
import { preSignUp } from '../../lib/triggers/pre-signup.ts';
import { preTokenGeneration } from '../../lib/triggers/pre-token-generation.ts';
import type { TriggerDefinition } from '../../lib/triggers/definition.ts';
import { TriggerName } from '../../lib/cognito/trigger-sources.ts';
import { collectFixtureFiles, readFixture } from '../../local/replay/fixture-file.ts';
import { processContext } from '../helpers/fixtures.ts';
import type { Context } from 'aws-lambda';

/** AUTHTRAIL_FUZZ_SCALE=20 for a long hunt on demand; CI runs the default. */
const SCALE = Number(process.env.AUTHTRAIL_FUZZ_SCALE ?? 1);

const context = {} as Context;

const runtimeRecording = (published: AuthEvent[], problems: Problem[]): TriggerRuntime => ({
  ...processContext(),
  logger: SILENT_LOGGER,
  onProblem: (problem) => problems.push(problem),
  spill: () => undefined,
  sink: { publish: async (events) => void published.push(...events) },
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value inside a JSON document. */
const pathsOf = (value: Json, prefix: (string | number)[] = []): (string | number)[][] => {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return [prefix, ...children.flatMap((key) => pathsOf((value as Record<string, Json>)[key] as Json, [...prefix, key]))];
};

const mutate = (document: Json, path: (string | number)[], replacement: Json | undefined): Json => {
  if (path.length === 0) return replacement ?? null;
  const copy = structuredClone(document) as Record<string | number, Json>;
  let parent: Record<string | number, Json> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy as Json;
};

const fixturesUnder = (dir: string) => collectFixtureFiles([dir]).map((file) => readFixture(file) as Json);

/** A real fixture with one to three values replaced by random JSON or removed. */
const mutatedFixture = (fixtures: Json[]) =>
  fc.constantFrom(...fixtures).chain((fixture) =>
    fc
      .array(
        fc.tuple(fc.nat(), fc.option(fc.jsonValue() as fc.Arbitrary<Json>, { nil: undefined })),
        { minLength: 1, maxLength: 3 },
      )
      .map((mutations) =>
        mutations.reduce((document, [pick, replacement]) => {
          const paths = pathsOf(document);
          return mutate(document, paths[pick % paths.length] ?? [], replacement);
        }, fixture),
      ),
  );

/** Every trigger, by name: a new TriggerName does not compile until it is fuzzed here. */
const CASES: Record<TriggerName, readonly [Pick<TriggerDefinition, 'name'>, string]> = {
  [TriggerName.PreSignUp]: [preSignUp, 'events/pre-signup'],
  [TriggerName.PostAuthentication]: [postAuthentication, 'events/post-authentication'],
  [TriggerName.PreTokenGeneration]: [preTokenGeneration, 'events/pre-token-generation'],
  [TriggerName.PreAuthentication]: [preAuthentication, 'events/pre-authentication'],
  [TriggerName.PostConfirmation]: [postConfirmation, 'events/post-confirmation'],
};
const cases = Object.entries(CASES).map(([name, [definition, fixtureDir]]) => [name, definition, fixtureDir] as const);

describe.each(cases)('Fuzz: %s handler', (_, definition, fixtureDir) => {
  const check = async (payload: unknown) => {
    const published: AuthEvent[] = [];
    const problems: Problem[] = [];
    const handler = createTriggerHandler(definition as never, runtimeRecording(published, problems));
    let returned: unknown;
    try {
      returned = await handler(structuredClone(payload), context);
    } catch (error) {
      // The one throw on purpose: the sign-in policy denied the attempt, and its event says so.
      expect(error).toBeInstanceOf(TriggerDeniedError);
      expect(published.map((event) => event.outcome)).toEqual(['denied']);
      return;
    }
    // Either a processed answer with its event, or the payload back unchanged (fail-open)...
    if (published.length > 0) expect(returned).toHaveProperty('response');
    // (middy hands the handler `{}` for an undefined event; Lambda never sends one)
    else expect(returned).toEqual(payload === undefined ? {} : payload);
    for (const event of published) expect(AuthEventSchema.safeParse(event).success).toBe(true);
    // ...and only because the payload was unusable, never because of a bug of ours.
    expect(problems.filter((problem) => problem.code === 'HANDLER_FAILED')).toEqual([]);
  };

  it('never throws on arbitrary JSON', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), check), { numRuns: 300 * SCALE });
  });

  it('never throws on mutated real payloads', async () => {
    await fc.assert(fc.asyncProperty(mutatedFixture(fixturesUnder(fixtureDir)), check), { numRuns: 500 * SCALE });
  });

  it('never throws on arbitrary values of any JavaScript type', async () => {
    await fc.assert(fc.asyncProperty(fc.anything(), check), { numRuns: 200 * SCALE });
  });
});
