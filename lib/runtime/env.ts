/**
 * The environment of a deployed function, read once at cold start through one
 * schema per function kind: every variable the kind reads is declared there
 * (required or optional, whole-number bounds, default), parsed into a typed,
 * frozen settings object, and nothing else reads the environment. A bad deploy
 * fails at cold start with a ConfigError that names every bad or missing
 * variable and what it must be, never its value (a setting may be long, or sit
 * next to a secret). test/stack/env-guard.ts holds each kind's schema against
 * the variables the rendered stack gives its functions.
 *
 * In the spirit of Powertools' envUtils (packages/commons/src/envUtils.ts):
 * typed reads that fail loudly, here as one zod/mini object per kind (the
 * trigger path loads zod/mini already; `zod` would add ~85 KB to its bundles).
 */
import * as z from 'zod/mini';
import { ConfigError } from '../errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** One declared variable: how it is parsed, and whether a deploy must set it. */
export interface EnvVariable<T> {
  readonly schema: z.ZodMiniType<T, string | undefined>;
  readonly required: boolean;
}

/** The issue message zod carries for a missing variable; turned into the sentence tests and runbooks know. */
const MISSING = 'is missing';

/** Unset and empty are the same: a template may render an empty value for a setting a stage leaves out. */
const isBlank = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw.trim() === '';

const variable = <T>(required: boolean, parse: (raw: string | undefined) => { value: T } | { problem: string }): EnvVariable<T> => ({
  required,
  schema: z.pipe(
    z.optional(z.string()),
    z.transform((raw: string | undefined, ctx) => {
      const parsed = parse(raw);
      if ('value' in parsed) return parsed.value;
      // No `input` in the issue: the value stays out of the error, whatever prints it.
      ctx.issues.push({ code: 'custom', message: parsed.problem, input: undefined });
      return z.NEVER;
    }),
  ) as unknown as z.ZodMiniType<T, string | undefined>,
});

/** A check of a present value: what it must be (`must be an S3 bucket name`), or undefined when it is fine. */
export type ValueCheck = (value: string) => string | undefined;

/** A variable every deploy sets; `check` refuses a malformed value, naming what it must be. */
export const required = (check?: ValueCheck): EnvVariable<string> =>
  variable<string>(true, (raw) => {
    if (isBlank(raw)) return { problem: MISSING };
    const problem = check?.(raw);
    return problem === undefined ? { value: raw } : { problem };
  });

/** A variable that may be left out (or empty, which counts as left out). */
export const optional = (check?: ValueCheck): EnvVariable<string | undefined> =>
  variable<string | undefined>(false, (raw) => {
    if (raw === undefined || raw === '') return { value: undefined };
    const problem = check?.(raw);
    return problem === undefined ? { value: raw } : { problem };
  });

/** A value that must match `pattern`: `what` says what it must be (`an IAM role ARN`). */
export const matching = (pattern: RegExp, what: string): ValueCheck => (value) => (pattern.test(value) ? undefined : `must be ${what}`);

export interface WholeNumberSetting {
  /** Absent: the variable is required. */
  default?: number;
  min: number;
  max: number;
  /** What the message says it must be; `a whole number from <min> to <max>` unless given. */
  what?: string;
}

/** A whole number within bounds; unset or empty takes the default (or is missing, without one). */
export const wholeNumber = (bounds: WholeNumberSetting): EnvVariable<number> =>
  variable<number>(bounds.default === undefined, (raw) => {
    if (isBlank(raw)) return bounds.default === undefined ? { problem: MISSING } : { value: bounds.default };
    const value = Number(raw);
    return Number.isInteger(value) && value >= bounds.min && value <= bounds.max
      ? { value }
      : { problem: `must be ${bounds.what ?? `a whole number from ${bounds.min} to ${bounds.max}`}` };
  });

type Variables = Readonly<Record<string, EnvVariable<unknown>>>;
type ValueOf<V> = V extends EnvVariable<infer T> ? T : never;

/** At least one of `variables` must be set; `message` says so (and what each one is). */
export interface OneOf {
  readonly variables: readonly string[];
  readonly message: string;
}

/** The environment of one function kind: its variables, and which of them stand in for each other. */
export interface EnvSchema<V extends Variables = Variables> {
  readonly variables: V;
  readonly oneOf: readonly OneOf[];
}

/** The typed, frozen settings a schema parses an environment into, keyed by the variable names. */
export type EnvSettings<S extends EnvSchema> = { readonly [K in keyof S['variables']]: ValueOf<S['variables'][K]> };

export const envSchema = <V extends Variables>(variables: V, oneOf: readonly OneOf[] = []): EnvSchema<V> =>
  Object.freeze({ variables, oneOf });

/** `base` with more variables (a kind that reads what another reads, and more). */
export const extendEnv = <B extends Variables, V extends Variables>(base: EnvSchema<B>, variables: V, oneOf: readonly OneOf[] = []): EnvSchema<B & V> =>
  envSchema({ ...base.variables, ...variables } as B & V, [...base.oneOf, ...oneOf]);

const sentence = (name: string, message: string): string =>
  message === MISSING ? `Missing required environment variable ${name}` : `${name} ${message}`;

/**
 * Parses `env` by `schema`, once, at cold start: the settings, or a ConfigError
 * naming every missing or bad variable and what it must be, never a value.
 */
export const parseEnv = <S extends EnvSchema>(schema: S, env: Env): EnvSettings<S> => {
  const shape = Object.fromEntries(Object.entries(schema.variables).map(([name, declared]) => [name, declared.schema]));
  const result = z.object(shape).safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((issue) => sentence(String(issue.path[0]), issue.message));
  for (const group of schema.oneOf) {
    if (group.variables.every((name) => isBlank(env[name]))) problems.push(group.message);
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems.join('; '));
  return Object.freeze(result.data) as EnvSettings<S>;
};
