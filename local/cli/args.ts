/**
 * Command-line parsing shared by the bin/ commands: node's strict parseArgs, so
 * a misspelled flag fails with its name and the usage instead of being ignored,
 * and required flags named when missing. Exit code 2 for both, as the README
 * promises.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AuthtrailError } from '../../lib/errors.ts';

/** A command-line argument that cannot be used: the CLIs print its message and exit with 2. */
export class UsageError extends AuthtrailError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export const parseCommandLine = <const T extends Options>(
  usage: string,
  options: T,
  { positionals = false, required = [] as readonly (keyof T & string)[] } = {},
) => {
  let parsed;
  try {
    parsed = parseArgs({ strict: true, allowPositionals: positionals, options });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exit(2);
  }
  const missing = required.filter((name) => (parsed.values as Record<string, unknown>)[name] === undefined);
  if (missing.length > 0) {
    process.stderr.write(`${missing.map((name) => `--${name}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required\n${usage}\n`);
    process.exit(2);
  }
  return parsed;
};
