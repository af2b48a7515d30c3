/**
 * JSON.parse whose error names the problem and the position, never the input.
 *
 * V8's messages quote the text they failed on (`Unexpected token 'a', "alice@exa"...
 * is not valid JSON`), so a Cognito log line, a queue message or a request body
 * with an email or a phone number in it would leak into problems, DLQ reasons,
 * 400 answers and logs. Every parse of untrusted text goes through here.
 */

import { AuthtrailError } from './errors.ts';

/** Bad JSON: `message` is built from fixed words and numbers only; the V8 error is not kept as `cause`, since it quotes the input. */
export class JsonSyntaxError extends AuthtrailError {
  readonly code = 'INVALID_JSON';
  /** 0-based index (UTF-16 code units) of the first character that cannot continue valid JSON; the text's length when it ends early. */
  readonly position: number;
  readonly endsEarly: boolean;
  constructor(what: string, position: number, endsEarly: boolean, line: number, column: number) {
    super(
      endsEarly
        ? `${what} is not valid JSON: it ends early (after ${position} characters)`
        : `${what} is not valid JSON: unexpected character at position ${position} (line ${line}, column ${column})`,
    );
    this.name = 'JsonSyntaxError';
    this.position = position;
    this.endsEarly = endsEarly;
  }
}

/** The position V8 gives in some messages ("... in JSON at position 12"); undefined when it quotes the input instead. */
const positionIn = (message: string): number | undefined => {
  const match = /at position (\d+)/.exec(message);
  return match === null ? undefined : Number(match[1]);
};

/**
 * Could `prefix` still be the start of valid JSON? It is when it parses, or when
 * V8 fails only at its very end (ran out of text). Only the verdict is used.
 */
const isViablePrefix = (prefix: string): boolean => {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith('Unexpected end of JSON input')) return true;
    const at = positionIn(message);
    return at !== undefined && at >= prefix.trimEnd().length;
  }
};

/**
 * The first character that cannot continue valid JSON. V8 reports it for most
 * errors; for "Unexpected token" (which quotes instead) a binary search over
 * prefixes finds it: a prefix stays viable up to that character and never after.
 */
const failurePosition = (text: string, message: string): number => {
  const reported = positionIn(message);
  if (reported !== undefined) return reported;
  if (message.startsWith('Unexpected end of JSON input')) return text.length;
  let low = 0; // the longest prefix known viable
  let high = text.length; // a prefix length known not viable (or the whole text)
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (isViablePrefix(text.slice(0, middle))) low = middle;
    else high = middle;
  }
  return low;
};

const lineAndColumn = (text: string, position: number): { line: number; column: number } => {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < position; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: position - lineStart + 1 };
};

/** Builds the leak-free error for text JSON.parse refused with `error`. */
export const jsonSyntaxError = (text: string, error: unknown, what = 'input'): JsonSyntaxError => {
  const message = error instanceof Error ? error.message : '';
  const position = Math.min(failurePosition(text, message), text.length);
  const endsEarly = position >= text.trimEnd().length;
  const { line, column } = lineAndColumn(text, position);
  return new JsonSyntaxError(what, position, endsEarly, line, column);
};

/** JSON.parse, throwing JsonSyntaxError (no input in its message) on bad JSON. `what` names the text in the message. */
export const parseJson = (text: string, what = 'input'): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw jsonSyntaxError(text, error, what);
  }
};
