import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linesFrom, readCursor, writeCursor } from '../../local/sinks/ndjson-cursor.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'authtrail-cursor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Reading an appended NDJSON file from a cursor', () => {
  it('returns complete lines only, and from the cursor on only the lines added since', () => {
    // Prepare
    const file = join(dir, 'queue.ndjson');
    const cursor = join(dir, 'queue.cursor.json');
    writeFileSync(file, '{"n":1}\n\n{"n":2}\n{"n":3');

    // Act
    const first = linesFrom(file, readCursor(cursor));
    writeCursor(cursor, first.at(-1)?.end ?? 0);
    appendFileSync(file, '}\n{"n":4}\n');
    const second = linesFrom(file, readCursor(cursor));

    // Assess: the blank line is skipped, the half-written third line waits for its newline
    expect(first.map((line) => line.text)).toEqual(['{"n":1}', '{"n":2}']);
    expect(second.map((line) => line.text)).toEqual(['{"n":3}', '{"n":4}']);
  });

  it('reads from the start when the cursor file is missing, corrupt or negative (reading twice loses nothing)', () => {
    // Prepare
    const file = join(dir, 'log.ndjson');
    const cursor = join(dir, 'log.cursor.json');
    writeFileSync(file, '{"n":1}\n');

    // Act
    const missing = readCursor(cursor);
    writeFileSync(cursor, '{"offset": 12');
    const corrupt = readCursor(cursor);
    writeFileSync(cursor, '{"offset": -3}');
    const negative = readCursor(cursor);

    // Assess
    expect([missing, corrupt, negative]).toEqual([0, 0, 0]);
    expect(linesFrom(file, negative).map((line) => line.text)).toEqual(['{"n":1}']);
  });

  it('refuses a cursor past the end of the file or inside a line: reading on would skip events', () => {
    // Prepare
    const file = join(dir, 'log.ndjson');
    writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":3}\n');

    // Act / Assess
    expect(() => linesFrom(file, 4_096)).toThrow(expect.objectContaining({ name: 'CursorError', code: 'CURSOR_PAST_END' }));
    expect(() => linesFrom(file, 10)).toThrow(expect.objectContaining({ name: 'CursorError', code: 'CURSOR_MID_LINE' }));
    expect(() => linesFrom(file, 10)).toThrow(/cursor at byte 10 of .* is inside a line/);
    expect(linesFrom(file, 8).map((line) => line.text)).toEqual(['{"n":2}', '{"n":3}']);
    expect(linesFrom(file, 24)).toEqual([]);
  });
});
