/**
 * Security Lake writer: time and size of one Parquet object of N OCSF records
 * (the pipeline's own records, repeated with fresh ids), per class, ZSTD.
 * `node bench/security-lake.ts [records]` (default 10000). docs/security-lake.md
 * keeps the numbers.
 */
import type { AuthEvent } from '../lib/auth-event/schema.ts';
import { securityLakeObjects, DEFAULT_SOURCES } from '../lib/security-lake/objects.ts';
import { encodeParquet } from '../lib/security-lake/parquet.ts';
import { pipelineEvents } from '../test/siem/pipeline-events.ts';

const count = Number(process.argv[2] ?? 10_000);
const corpus = (await pipelineEvents()).map(({ event }) => event);
const events: AuthEvent[] = Array.from({ length: count }, (_, index) => {
  const event = corpus[index % corpus.length] as AuthEvent;
  return { ...event, id: `${event.id}-${index}` };
});
const { objects } = securityLakeObjects(events, { sources: DEFAULT_SOURCES, accountId: '000000000000' });
for (const object of objects) encodeParquet(object.classUid, object.records.slice(0, 100)); // warm-up
const started = performance.now();
let bytes = 0;
let json = 0;
for (const object of objects) {
  bytes += encodeParquet(object.classUid, object.records).byteLength;
  json += object.records.reduce((sum, record) => sum + JSON.stringify(record).length + 1, 0);
}
const ms = performance.now() - started;
console.log(`${count} records in ${objects.length} objects: ${ms.toFixed(0)} ms (${((count / ms) * 1000).toFixed(0)} records/s), ${(bytes / 1024).toFixed(0)} KiB Parquet+ZSTD vs ${(json / 1024).toFixed(0)} KiB NDJSON`);
