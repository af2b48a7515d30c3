#!/usr/bin/env node
/**
 * How the Security Lake sink runs: the SQS-batched writer function (as deployed)
 * against Firehose with record format conversion, measured where it can be here and
 * modelled where it cannot (no AWS from this machine). Three parts:
 *
 * - latency: the writer step over the real SDK and a loopback S3
 *   (test/helpers/fake-s3.ts), from a batch entering writeLakeMessages to each of
 *   its objects arriving, for the batch sizes the stack can hand it; plus the
 *   batching window of the rendered template (the dominant term);
 * - fidelity: over the pipeline corpus, how many events an arrival-time prefix
 *   (Firehose without dynamic partitioning) files under another eventDay than
 *   their own, for delivery delays from a buffer flush to a next-day replay; and
 *   Parquet size per codec with our writer (Firehose writes SNAPPY, GZIP or none);
 * - cost per million events: record sizes from the corpus, Parquet bytes from the
 *   real writer, step time measured; prices from AWS pricing pages where the
 *   stored pages have them, else marked `assumption` in the output.
 *
 * `node bench/security-lake-cost.ts [--quick] [--json]`; also part of `npm run bench`.
 * docs/security-lake.md keeps the numbers.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { AuthEvent } from '../lib/auth-event/schema.ts';
import { toBusEnvelope } from '../lib/routing/bus-entry.ts';
import { matchesEventPattern } from '../lib/routing/event-pattern.ts';
import { loadRules, RuleTarget } from '../lib/routing/rules.ts';
import { DEFAULT_SOURCES, eventDayOf, securityLakeObjects } from '../lib/security-lake/objects.ts';
import { encodeParquet, type ParquetCodec } from '../lib/security-lake/parquet.ts';
import { s3PutObject, writeLakeMessages } from '../lib/security-lake/writer.ts';
import { toOcsf } from '../lib/siem/ocsf.ts';
import { startFakeS3 } from '../test/helpers/fake-s3.ts';
import { pipelineEvents } from '../test/siem/pipeline-events.ts';
import { PRICES_USD } from './cost.ts';
import { round, summarize } from './lib/stats.ts';

/** The deployed event source mapping and function (serverless.yml, checked by test/stack/security-lake.test.ts). */
export const DEPLOYED = { batchSize: 10_000, batchingWindowS: 300, memoryMb: 512, sources: 2 } as const;

/** Lambda's synchronous payload limit, which ends a batch before BatchSize when the messages add up to it. */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The batch the writer step is measured at; the step is CPU-bound and linear in events, so a full batch scales from it. */
const MEASURED_BATCH = 1_000;

/**
 * Prices in USD (us-east-1 list prices, on demand, no free tier). Each with where it
 * was read, seen 2026-11-30 through the stored pages; `assumption: true` where the
 * stored pages have the pricing structure but not the figure.
 */
export const LAKE_PRICES = {
  // bench/cost.ts PRICES_USD (Lambda arm: $0.20 / 1M requests, $0.0000133334 / GB-s):
  // https://git.mcrn.ar/mariano/lambda_local_runner/.../lambda-13-cost.md and https://cloudchipr.com/blog/aws-lambda-pricing (US East).
  lambdaRequestPerMillion: { usd: PRICES_USD.lambdaRequestPerMillion, assumption: false },
  lambdaArmGbSecond: { usd: PRICES_USD.lambdaArmGbSecond, assumption: false },
  // SQS standard, $0.40 / 1M requests, each 64 KB chunk a request: https://cloudburn.io/blog/amazon-sqs-pricing (us-east-1, March 2026).
  sqsRequestPerMillion: { usd: PRICES_USD.sqsRequestPerMillion, assumption: false },
  // S3 Standard PUT, $0.005 / 1000: https://c3x.dev/blog/s3-request-fees-explained (https://aws.amazon.com/s3/pricing was stored without its figures).
  s3PutPerThousand: { usd: 0.005, assumption: false },
  // Firehose: the stored AWS pricing pages (https://aws.amazon.com/de/kinesis/data-firehose/pricing/, .../jp/..., .../ru/...) give the
  // structure (Direct PUT ingestion per GB in 5 KB increments per record; format conversion per GB ingested in 5 KB increments;
  // dynamic partitioning per GB delivered, per object, optionally per JQ hour) but not the figures: these are assumptions.
  firehoseIngestPerGb: { usd: 0.029, assumption: true },
  firehoseFormatConversionPerGb: { usd: 0.018, assumption: true },
  firehoseDynamicPartitioningPerGb: { usd: 0.02, assumption: true },
  firehoseDynamicPartitioningPerThousandObjects: { usd: 0.005, assumption: true },
} as const;

export const LAKE_ASSUMPTIONS = {
  /** One PutObject round trip in the region (loopback here is ~1 ms). */
  s3PutRoundTripMs: 30,
  /**
   * Lambda gives one vCPU at 1769 MB (https://git.mcrn.ar/.../lambda-13-cost.md: "configured at 1 769 MB gets a full
   * vCPU"); the writer at 512 MB gets ~0.29 of one, so CPU time measured here is scaled by 1769 / 512.
   */
  cpuScale: 1_769 / DEPLOYED.memoryMb,
  /** Lambda's SQS pollers long-poll an idle queue: ~5 pollers x one 20 s ReceiveMessage each, a month. */
  idlePollRequestsPerMonth: 5 * 3 * 60 * 24 * 30,
  /** Firehose: the buffer interval at its maximum (900 s), one object per source per flush (format conversion's 64 MiB minimum buffer is never reached here). */
  firehoseBufferS: 900,
  /** Firehose's transformation Lambda (toOcsf; Firehose converts only records already in the table's shape): 1 MB per invocation, 60 s at most. */
  firehoseTransformBatchBytes: 1_000_000,
  firehoseTransformWindowS: 60,
  firehoseTransformMemoryMb: 256,
} as const;

const GB = 2 ** 30;
const MONTH_S = 30 * 86_400;
const KB5 = 5 * 1_024;

/** The corpus the lake sees: the pipeline's AuthEvents the siem-events rule selects (as local/security-lake/local-sink.ts). */
const lakeCorpus = async (): Promise<AuthEvent[]> => {
  const rules = loadRules().filter((rule) => rule.target === RuleTarget.SiemQueue);
  return (await pipelineEvents())
    .map(({ event }) => event)
    .filter((event) => rules.some((rule) => matchesEventPattern(rule.pattern, toBusEnvelope(event, '123456789012', event.userPool.region))));
};

/** Live traffic of one stage: the corpus events with fresh (valid) ids, in one region and one day, a millisecond apart. */
const liveEvents = (corpus: readonly AuthEvent[], count: number, dayStart: number, salt = ''): AuthEvent[] =>
  Array.from({ length: count }, (_, index) => {
    const event = structuredClone(corpus[index % corpus.length]!);
    const at = new Date(dayStart + 3_600_000 + index).toISOString();
    return {
      ...event,
      id: createHash('sha256').update(`${event.id}-${index}-${salt}`).digest('hex').slice(0, 32),
      time: at,
      userPool: { ...event.userPool, region: 'eu-west-1' },
      ...(event.cognitoLog === undefined ? {} : { cognitoLog: { ...event.cognitoLog, at } }),
    } as AuthEvent;
  });

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/** Parquet bytes of the same objects per codec, through our writer and schema; NDJSON for scale. */
const bytesPerCodec = (events: readonly AuthEvent[]) => {
  const { objects } = securityLakeObjects(events, { sources: DEFAULT_SOURCES, accountId: '111122223333' });
  const sized = (codec: ParquetCodec) => objects.reduce((sum, object) => sum + encodeParquet(object.classUid, object.records, codec).byteLength, 0);
  const ndjson = objects.reduce((sum, object) => sum + object.records.reduce((bytes, record) => bytes + Buffer.byteLength(JSON.stringify(record)) + 1, 0), 0);
  return { objects: objects.length, zstd: sized('ZSTD'), snappy: sized('SNAPPY'), gzip: sized('GZIP'), ndjson };
};

/**
 * Fidelity of an arrival-time prefix: per delivery delay, the corpus events whose
 * arrival day is not their own OCSF day. The corpus's own lag (Cognito logs read
 * after they were logged: `processed_time`) is counted as measured.
 */
const DELAYS_S = { 'buffer flush (300 s x 1.5)': 450, 'buffer flush (900 s x 1.5)': 1_350, 'recovery after a 1 h outage': 3_600, 'recovery after a 6 h outage': 21_600, 'replay or redrive next day': 86_400 } as const;
const arrivalFidelity = (corpus: readonly AuthEvent[]) => {
  const records = corpus.map(toOcsf);
  const moved = (delayS: number) => records.filter((record) => eventDayOf(record.time) !== eventDayOf(record.time + delayS * 1_000)).length;
  const ownLag = records.filter((record) => record.metadata.processed_time !== undefined && eventDayOf(record.time) !== eventDayOf(record.metadata.processed_time)).length;
  return {
    events: records.length,
    withProcessedTime: records.filter((record) => record.metadata.processed_time !== undefined).length,
    movedByOwnLag: ownLag,
    movedByDelay: Object.fromEntries(Object.entries(DELAYS_S).map(([label, delayS]) => [label, moved(delayS)])),
    /** Traffic spread evenly over the day: the share a delay moves to the next day's partition. */
    shareMovedUniform: Object.fromEntries(Object.entries(DELAYS_S).map(([label, delayS]) => [label, round(Math.min(1, delayS / 86_400), 4)])),
  };
};

/**
 * The writer step over the real SDK and a loopback S3: per batch size, the time
 * from the batch entering writeLakeMessages to its last object arriving at S3 (every
 * event of the batch waits at most this after the batching window), and the step's
 * whole duration (what Lambda bills, less S3's real round trip).
 */
const measureStep = async (corpus: readonly AuthEvent[], sizes: readonly number[], rounds: number) => {
  const s3 = await startFakeS3();
  const dayStart = Date.parse('2026-11-30T00:00:00Z');
  try {
    const put = s3PutObject(s3.client(), 'aws-security-data-lake-eu-west-1-bench');
    const deps = { put, target: { sources: DEFAULT_SOURCES, accountId: '111122223333' }, deadLetters: async () => [], maxAttempts: 3, maxReceives: 5, baseDelayMs: 200, putTimeoutMs: 10_000, deadlineAt: Number.MAX_SAFE_INTEGER };
    const rows = [];
    for (const size of sizes) {
      const toLastObject: number[] = [];
      const step: number[] = [];
      let objects = 0;
      for (let round = -1; round < rounds; round += 1) {
        const messages = liveEvents(corpus, size, dayStart, String(round)).map((event, index) => ({
          messageId: `m-${round}-${index}`,
          body: JSON.stringify(toBusEnvelope(event, '123456789012', 'eu-west-1')),
          receiveCount: 1,
        }));
        const before = s3.received.length;
        const started = performance.now();
        const result = await writeLakeMessages(messages, deps);
        const ended = performance.now();
        if (round < 0) continue; // warm-up: JIT, the SDK's first connection
        if (result.objects === 0 || result.retry.length + result.deadLettered > 0) throw new Error(`bench batch not written: ${result.reasons.join('; ')}`);
        objects = result.objects;
        step.push(ended - started);
        toLastObject.push(Math.max(...s3.received.slice(before).map((object) => object.receivedAt)) - started);
      }
      const stepStats = summarize(step);
      const lastStats = summarize(toLastObject);
      rows.push({ batch: size, objects, step_ms_p50: round(stepStats.p50), step_ms_max: round(stepStats.max), to_last_object_ms_p50: round(lastStats.p50), to_last_object_ms_max: round(lastStats.max) });
    }
    return rows;
  } finally {
    await s3.close();
  }
};

/** toOcsf per event (what Firehose's transformation Lambda would run), in microseconds. */
const measureToOcsfUs = (corpus: readonly AuthEvent[], count: number): number => {
  for (let index = 0; index < 2_000; index += 1) toOcsf(corpus[index % corpus.length]!);
  const started = performance.now();
  for (let index = 0; index < count; index += 1) toOcsf(corpus[index % corpus.length]!);
  return ((performance.now() - started) * 1_000) / count;
};

const price = (key: keyof typeof LAKE_PRICES) => LAKE_PRICES[key].usd;
const lambdaUsd = (invocations: number, billedMs: number, memoryMb: number) =>
  (invocations / 1e6) * price('lambdaRequestPerMillion') + invocations * (billedMs / 1_000) * (memoryMb / 1_024) * price('lambdaArmGbSecond');

export interface LakeCostInputs {
  envelopeBytes: number;
  parquetBytesPerEvent: number;
  /** Writer step ms per event, from a MEASURED_BATCH batch (measured here, CPU-bound). */
  stepMsPerEvent: number;
  objectsPerBatch: number;
  toOcsfUs: number;
}

/** Dollars per million events at a monthly volume, the writer as deployed and Firehose with and without dynamic partitioning. */
export const lakeCostPerMillion = (eventsPerMonth: number, inputs: LakeCostInputs) => {
  const per = (usd: number) => (usd / eventsPerMonth) * 1e6;
  // The writer: a batch per full batch (BatchSize messages or 6 MB, whichever comes first), or per 300 s window at
  // low traffic (never more batches than events).
  const fullBatch = Math.min(DEPLOYED.batchSize, Math.floor(LAMBDA_PAYLOAD_BYTES / inputs.envelopeBytes));
  const windows = MONTH_S / DEPLOYED.batchingWindowS;
  const invocations = Math.min(eventsPerMonth, Math.max(eventsPerMonth / fullBatch, windows));
  const eventsPerInvocation = eventsPerMonth / invocations;
  const objects = invocations * Math.min(inputs.objectsPerBatch, eventsPerInvocation);
  const billedMs = Math.ceil(
    inputs.stepMsPerEvent * eventsPerInvocation * LAKE_ASSUMPTIONS.cpuScale + (objects / invocations) * LAKE_ASSUMPTIONS.s3PutRoundTripMs,
  );
  const writer = {
    lambda: per(lambdaUsd(invocations, billedMs, DEPLOYED.memoryMb)),
    // EventBridge's SendMessage per event, then receive and delete 10 at a time, and the pollers' empty receives.
    sqs: per(((eventsPerMonth + (2 * eventsPerMonth) / 10 + LAKE_ASSUMPTIONS.idlePollRequestsPerMonth) / 1e6) * price('sqsRequestPerMillion')),
    s3Put: per((objects / 1_000) * price('s3PutPerThousand')),
  };
  // Firehose: one stream per custom source; each record billed in 5 KB steps.
  const billedGb = (eventsPerMonth * Math.ceil(inputs.envelopeBytes / KB5) * KB5) / GB;
  const flushes = DEPLOYED.sources * (MONTH_S / LAKE_ASSUMPTIONS.firehoseBufferS);
  const firehoseObjects = Math.min(eventsPerMonth, flushes);
  const transformInvocations = Math.max((eventsPerMonth * inputs.envelopeBytes) / LAKE_ASSUMPTIONS.firehoseTransformBatchBytes, Math.min(eventsPerMonth, MONTH_S / LAKE_ASSUMPTIONS.firehoseTransformWindowS));
  const transformMs = Math.ceil(((eventsPerMonth / transformInvocations) * inputs.toOcsfUs * LAKE_ASSUMPTIONS.cpuScale) / 1_000);
  const firehoseBase = {
    ingestion: per(billedGb * price('firehoseIngestPerGb')),
    formatConversion: per(billedGb * price('firehoseFormatConversionPerGb')),
    transformLambda: per(lambdaUsd(transformInvocations, transformMs, LAKE_ASSUMPTIONS.firehoseTransformMemoryMb)),
    s3Put: per((firehoseObjects / 1_000) * price('s3PutPerThousand')),
  };
  const deliveredGb = (eventsPerMonth * inputs.parquetBytesPerEvent) / GB;
  const dynamicPartitioning = {
    perGb: per(deliveredGb * price('firehoseDynamicPartitioningPerGb')),
    perObject: per((firehoseObjects / 1_000) * price('firehoseDynamicPartitioningPerThousandObjects')),
  };
  const total = (parts: Record<string, number>) => Object.values(parts).reduce((sum, value) => sum + value, 0);
  return {
    eventsPerMonth,
    // Seconds between two objects of one source and day (AWS asks for 5 minutes to 1 day).
    writer: { total: total(writer), ...writer, fullBatch, invocations: Math.round(invocations), billedMs, objectIntervalS: Math.min(DEPLOYED.batchingWindowS, MONTH_S / invocations) },
    firehoseArrivalTime: { total: total(firehoseBase), ...firehoseBase, objectIntervalS: LAKE_ASSUMPTIONS.firehoseBufferS },
    firehoseEventDay: { total: total(firehoseBase) + total(dynamicPartitioning), ...firehoseBase, ...dynamicPartitioning },
  };
};

export const measureSecurityLake = async (quick: boolean) => {
  const corpus = await lakeCorpus();
  const envelopes = corpus.map((event) => Buffer.byteLength(JSON.stringify(toBusEnvelope(event, '123456789012', event.userPool.region))));
  const ocsfJson = corpus.map((event) => Buffer.byteLength(JSON.stringify(toOcsf(event))));
  const live = liveEvents(corpus, MEASURED_BATCH, Date.parse('2026-11-30T00:00:00Z'));
  const codecs = bytesPerCodec(live);
  const step = await measureStep(corpus, [10, 100, MEASURED_BATCH], quick ? 3 : 15);
  const measuredStep = step.find((row) => row.batch === MEASURED_BATCH)!;
  const inputs: LakeCostInputs = {
    envelopeBytes: mean(envelopes),
    parquetBytesPerEvent: codecs.zstd / MEASURED_BATCH,
    stepMsPerEvent: measuredStep.step_ms_p50 / MEASURED_BATCH,
    objectsPerBatch: measuredStep.objects,
    toOcsfUs: measureToOcsfUs(corpus, quick ? 5_000 : 50_000),
  };
  return {
    corpus_events: corpus.length,
    record_bytes: {
      envelope_mean: Math.round(mean(envelopes)),
      envelope_max: Math.max(...envelopes),
      ocsf_json_mean: Math.round(mean(ocsfJson)),
      ocsf_json_max: Math.max(...ocsfJson),
      firehose_billed_per_record: Math.ceil(mean(envelopes) / KB5) * KB5,
    },
    parquet_bytes_per_1000_events: codecs,
    latency: { batching_window_s: DEPLOYED.batchingWindowS, firehose_buffer_s: '0-900 (DP: no zero buffering; up to 1.5x the hint)', step },
    fidelity: arrivalFidelity(corpus),
    to_ocsf_us: round(inputs.toOcsfUs, 2),
    cost_per_million_usd: [1e6, 1e7, 1e8].map((volume) => roundDeep(lakeCostPerMillion(volume, inputs))),
    prices: LAKE_PRICES,
    assumptions: LAKE_ASSUMPTIONS,
  };
};

const roundDeep = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value, (_, child) => (typeof child === 'number' && !Number.isInteger(child) ? Number(child.toPrecision(3)) : child))) as T;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const figures = await measureSecurityLake(values.quick);
  const lines = [
    `corpus: ${figures.corpus_events} events the siem-events rule selects; bytes per record ${JSON.stringify(figures.record_bytes)}`,
    `Parquet per 1000 live events (${figures.parquet_bytes_per_1000_events.objects} objects): ${JSON.stringify(figures.parquet_bytes_per_1000_events)}`,
    `writer step over loopback S3 (+ the ${figures.latency.batching_window_s} s batching window): ${JSON.stringify(figures.latency.step)}`,
    `fidelity, arrival-time prefix: ${JSON.stringify(figures.fidelity)}`,
    `toOcsf: ${figures.to_ocsf_us} us/event`,
    ...figures.cost_per_million_usd.map((row) => `cost per million at ${row.eventsPerMonth.toExponential(0)} events/month: ${JSON.stringify({ writer: row.writer, firehoseArrivalTime: row.firehoseArrivalTime, firehoseEventDay: row.firehoseEventDay })}`),
    `prices marked assumption (not in the stored pricing pages): ${Object.entries(LAKE_PRICES).filter(([, entry]) => entry.assumption).map(([key]) => key).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}
