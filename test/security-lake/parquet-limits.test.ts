/**
 * Security Lake's limits on what a custom source writes (AWS: "Collecting data from
 * custom sources in Security Lake"): data pages of at most 1 MB, row groups of at
 * most 256 MB. Checked on the largest objects the writer can be handed, read back
 * through the file's own offset index (hyparquet, the reader hyparquet-writer is
 * built on, reads the page locations; DuckDB does not expose pages).
 */
import { randomBytes } from 'node:crypto';
import { parquetMetadata, readOffsetIndex } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { OcsfClass, toOcsf, type OcsfEvent } from '../../lib/siem/ocsf.ts';
import { encodeParquet, PAGE_TARGET_BYTES, ROW_GROUP_ROWS } from '../../lib/security-lake/parquet.ts';
import { pipelineEvents } from '../siem/pipeline-events.ts';

/** Security Lake's limits, in bytes (MB = 10^6). */
const MAX_PAGE_BYTES = 1_000_000;
const MAX_ROW_GROUP_BYTES = 256_000_000;
/** The largest SQS message, so the largest value one row can hold. */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** The most messages an SQS event source batch holds. */
const MAX_BATCH = 10_000;

let authentication: OcsfEvent[] = [];
beforeAll(async () => {
  authentication = (await pipelineEvents()).map(({ event }) => toOcsf(event as AuthEvent)).filter((record) => record.class_uid === OcsfClass.Authentication);
});

/**
 * Every data page's size: a column of one page is its whole chunk (uncompressed
 * size, the stricter); a column of several has an offset index listing each page
 * (compressed sizes, all the index records).
 */
const pagesOf = (file: Uint8Array) => {
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(buffer);
  return {
    metadata,
    pages: metadata.row_groups.flatMap((group) =>
      group.columns.flatMap((chunk) => {
        const column = chunk.meta_data?.path_in_schema.join('.') ?? '';
        if (chunk.offset_index_offset === undefined || chunk.offset_index_length === undefined) {
          return [{ column, bytes: Number(chunk.meta_data?.total_uncompressed_size), split: false }];
        }
        const view = new DataView(buffer, Number(chunk.offset_index_offset), chunk.offset_index_length);
        return readOffsetIndex({ view, offset: 0 }).page_locations.map((page) => ({ column, bytes: page.compressed_page_size, split: true }));
      }),
    ),
  };
};

describe('Security Lake writer: pages and row groups within AWS limits', () => {
  it('a page holds at most its target plus one row, which one SQS message bounds: under 1 MB', () => {
    expect(PAGE_TARGET_BYTES + MAX_MESSAGE_BYTES).toBeLessThanOrEqual(MAX_PAGE_BYTES);
  });

  it('splits a column of several MB into pages under 1 MB', () => {
    // Prepare: 1000 rows (the deployed batch size) with a 4 KB incompressible message each: a 4 MB column.
    const records = Array.from({ length: 1_000 }, (_, index) => {
      const record = structuredClone(authentication[index % authentication.length]!);
      return { ...record, message: randomBytes(2_048).toString('hex'), metadata: { ...record.metadata, uid: `uid-${index}` } };
    });

    // Act
    const { metadata, pages } = pagesOf(encodeParquet(OcsfClass.Authentication, records));

    // Assess
    const messagePages = pages.filter((page) => page.column === 'message');
    expect(messagePages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page.bytes, page.column).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    expect(metadata.row_groups).toHaveLength(1);
  });

  it('writes the largest batch an SQS event source can hand it as one row group far under 256 MB', () => {
    // Prepare
    const records = Array.from({ length: MAX_BATCH }, (_, index) => {
      const record = authentication[index % authentication.length]!;
      return { ...record, metadata: { ...record.metadata, uid: `uid-${index}` } };
    });

    // Act
    const { metadata } = pagesOf(encodeParquet(OcsfClass.Authentication, records));

    // Assess
    expect(ROW_GROUP_ROWS).toBeGreaterThanOrEqual(MAX_BATCH);
    expect(metadata.row_groups).toHaveLength(1);
    for (const group of metadata.row_groups) expect(Number(group.total_byte_size)).toBeLessThanOrEqual(MAX_ROW_GROUP_BYTES);
  });
});
