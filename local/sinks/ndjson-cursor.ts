/**
 * Reading a local NDJSON file that other processes append to, from where the
 * reader stopped last time: the byte offset of the first line not yet handled,
 * kept in a small cursor file next to it. The local SIEM forwarder and the local
 * failed sign-in inference read the store this way.
 *
 * A missing or unreadable cursor reads from the start: everything after it is
 * AuthEvents under deterministic ids, which the readers' consumers (the SIEM
 * receiver, the inference state) take once per id, so reading twice repeats
 * work and loses nothing, while refusing to read would leave the file stuck.
 * A cursor that points past the end of the file, or into the middle of a line,
 * is an error (CursorError): reading on from there would skip events silently.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthtrailError } from '../../lib/errors.ts';

/** A cursor that cannot be where the reader stopped: past the end of its file, or inside a line. */
export class CursorError extends AuthtrailError {
  readonly code: 'CURSOR_PAST_END' | 'CURSOR_MID_LINE';
  constructor(code: CursorError['code'], message: string) {
    super(message);
    this.name = 'CursorError';
    this.code = code;
  }
}

export const readCursor = (file: string): number => {
  if (!existsSync(file)) return 0;
  try {
    const offset = (JSON.parse(readFileSync(file, 'utf8')) as { offset?: unknown }).offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : 0;
  } catch {
    return 0;
  }
};

export const writeCursor = (file: string, offset: number): void => {
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename: a crash leaves the old cursor or the new one, never half of one.
  writeFileSync(`${file}.tmp`, JSON.stringify({ offset }));
  renameSync(`${file}.tmp`, file);
};

export interface Line {
  text: string;
  /** Byte offset just after this line's newline: the cursor once the line is handled. */
  end: number;
}

/**
 * The complete, non-blank lines from `offset` on. A last line without its
 * newline is still being written and waits for the next read. An offset past
 * the end (the file was cut or replaced, or the cursor edited) or not just
 * after a newline throws CursorError: `npm start --fresh` removes cursor and
 * file together, so neither happens in a run that loses nothing.
 */
export const linesFrom = (file: string, offset: number): Line[] => {
  let content: Buffer;
  let start: number;
  // Only the part after the cursor is read: the file keeps growing, the reader's share of it does not.
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (offset > size) {
      throw new CursorError('CURSOR_PAST_END', `cursor at byte ${offset} is past the end of ${file} (${size} bytes): the file was cut or replaced; delete the cursor to read it from the start`);
    }
    if (offset > 0) {
      const before = Buffer.alloc(1);
      readSync(fd, before, 0, 1, offset - 1);
      if (before[0] !== 0x0a) {
        throw new CursorError('CURSOR_MID_LINE', `cursor at byte ${offset} of ${file} is inside a line, not after one: delete the cursor to read the file from the start`);
      }
    }
    start = offset;
    content = Buffer.alloc(size - start);
    let read = 0;
    while (read < content.length) {
      const bytes = readSync(fd, content, read, content.length - read, start + read);
      if (bytes === 0) break;
      read += bytes;
    }
    content = content.subarray(0, read);
  } finally {
    closeSync(fd);
  }
  const lines: Line[] = [];
  let at = 0;
  for (;;) {
    const newline = content.indexOf(0x0a, at);
    if (newline < 0) break;
    const text = content.subarray(at, newline).toString('utf8');
    at = newline + 1;
    if (text.trim() !== '') lines.push({ text, end: start + at });
    else if (lines.length > 0) (lines[lines.length - 1] as Line).end = start + at;
  }
  return lines;
};
