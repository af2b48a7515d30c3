/**
 * Issue 16, item 6: a JSON error names the problem and the position, never the
 * input. V8's own messages quote the input; these tests feed texts full of
 * emails and phone numbers, broken everywhere, and hold every message to a
 * pattern made of fixed words and numbers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJson } from '../../lib/json-parse.ts';

const LEAK_FREE = /^input is not valid JSON: (it ends early \(after \d+ characters\)|unexpected character at position \d+ \(line \d+, column \d+\))$/;

const errorOf = (text: string): JsonSyntaxError => {
  try {
    parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  throw new Error('parsed');
};

describe('parseJson: errors without the input', () => {
  it.each([
    ['{"email": alice@example.com}', 10, false],
    ['alice@example.com', 0, false],
    ['+15551234567', 0, false],
    ['{"phone":"+15551234567"', 23, true],
    ['{"email":"alice@example.com', 27, true],
    ['{"email":"alice@example.com"} bob@example.org', 30, false],
    ['{"a":1,}', 7, false],
    ['{\n  "email": "a@b.c",\n  "x": nul1\n}', 32, false],
    ['', 0, true],
  ])('%j: position %i, ends early %s', (text, position, endsEarly) => {
    // Act
    const error = errorOf(text);

    // Assess
    expect(error).toMatchObject({ code: 'INVALID_JSON', position, endsEarly });
    expect(error.message).toMatch(LEAK_FREE);
    expect(error.cause).toBeUndefined();
  });

  it('gives line and column of a multi-line text', () => {
    expect(errorOf('{\n  "email": "a@b.c",\n  "x": nul1\n}').message).toBe(
      'input is not valid JSON: unexpected character at position 32 (line 3, column 11)',
    );
  });

  it('names the text it was told, and parses valid JSON as JSON.parse does', () => {
    expect(() => parseJson('{', 'the log message')).toThrow(/^the log message is not valid JSON: it ends early/);
    expect(parseJson('{"a":[1,"x",null]}')).toEqual({ a: [1, 'x', null] });
  });

  it('never carries the input, wherever PII-bearing JSON is cut or corrupted (property)', () => {
    const pii = fc.oneof(
      fc.emailAddress(),
      fc.stringMatching(/^\+[1-9]\d{9,13}$/),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    );
    const document = fc.dictionary(fc.constantFrom('email', 'phone_number', 'name', 'sub'), pii, { minKeys: 1 });
    fc.assert(
      fc.property(document, fc.nat(), fc.constantFrom('cut', 'replace', 'insert'), fc.string({ minLength: 1, maxLength: 3 }), (value, at, how, junk) => {
        // Prepare: valid JSON of PII, then broken at one place
        const valid = JSON.stringify(value);
        const index = at % valid.length;
        const broken =
          how === 'cut' ? valid.slice(0, index) : how === 'replace' ? valid.slice(0, index) + junk + valid.slice(index + 1) : valid.slice(0, index) + junk + valid.slice(index);
        let message: string;
        try {
          parseJson(broken);
          return;
        } catch (error) {
          message = (error as Error).message;
        }
        // Assess
        expect(message).toMatch(LEAK_FREE);
        const position = Number(/position (\d+)|after (\d+)/.exec(message)?.slice(1).find((group) => group !== undefined));
        expect(position).toBeLessThanOrEqual(broken.length);
        // The text up to the position is a viable start of JSON: the position is where it went wrong, not before.
        expect(() => JSON.parse(`${broken.slice(0, position)}`)).not.toThrow(/Unexpected token/);
      }),
      { numRuns: 400 },
    );
  });
});
