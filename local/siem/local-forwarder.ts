/**
 * The forwarder of local runs: reads the local store's SIEM queue file (one
 * EventBridge envelope per line, as the in-process bus appends them) and
 * delivers it with the same code as the Lambda forwarder (./forward.ts).
 *
 * - A cursor file (`queues/siem.cursor.json`, the byte offset of the first line
 *   not yet handled) makes a re-run send only new lines. It moves after each
 *   chunk is settled, so a crash resends at most one chunk, and the receiver
 *   drops those repeats by AuthEvent id.
 * - Rejected and failed lines go to the local DLQ file (`queues/siem-dlq.ndjson`,
 *   `{failedAt, reason, retryable, body}` per line). Locally nothing redelivers,
 *   so a line the SIEM did not take after the in-run retries is dead-lettered at
 *   once (an SQS queue would first redeliver it up to maxReceiveCount times).
 *   `npm run redrive -- --local` puts them back on the queue.
 * - When the SIEM stops taking batches, the lines after the failing chunk stay
 *   on the queue (cursor not moved past them) for the next run.
 * One local forwarder per stage at a time.
 */
import type { StageConfig } from '../../lib/config/schema.ts';
import { StageConfigSchema } from '../../lib/config/schema.ts';
import { createNdjsonFile, siemStorePaths } from '../sinks/local-store.ts';
import { linesFrom, readCursor, writeCursor, type Line } from '../sinks/ndjson-cursor.ts';
import {
  EventStatus,
  createSiemSender,
  sinkFromConfig,
  systemDeliveryIo,
  type Attempt,
  type DeliveryIo,
  type SiemCredentials,
  type SiemSender,
} from '../../lib/siem/delivery.ts';
import type { SiemFormat } from '../../lib/siem/formats/index.ts';
import { forwardMessages } from '../../lib/siem/forward.ts';
import { createHttpTransport } from '../../lib/siem/http.ts';
import { credentialsFromEnv } from '../../lib/siem/secrets.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface LocalDeadLetter {
  failedAt: string;
  reason: string;
  /** false: the SIEM refused it (4xx, invalid); true: it was down or slow. */
  retryable: boolean;
  /** The queue line, as it was. */
  body: string;
}

export interface LocalSenderOptions {
  url: string;
  /** The stage's `siem` config; defaults when absent. */
  siem?: StageConfig['siem'] | undefined;
  format?: SiemFormat | undefined;
  /** Default: from the environment (AUTHTRAIL_SIEM_SECRET…, else the built-in local secret). */
  credentials?: SiemCredentials | undefined;
  env?: Env;
  io?: Partial<DeliveryIo>;
  onAttempt?: (attempt: Attempt) => void;
}

export interface LocalSender {
  sender: SiemSender;
  /** True when signing with the public built-in local secret. */
  builtInSecret: boolean;
  /** Closes the keep-alive sockets. */
  close(): void;
}

/** A sender for local runs and replay (`--siem-url`): stage settings, env secrets, keep-alive HTTP. */
export const createLocalSiemSender = (options: LocalSenderOptions): LocalSender => {
  const siem = options.siem ?? StageConfigSchema.parse({}).siem;
  const fromEnv = options.credentials === undefined ? credentialsFromEnv(options.env ?? process.env) : undefined;
  const transport = createHttpTransport();
  const sender = createSiemSender({
    sink: sinkFromConfig(siem, options.url, { format: options.format }),
    credentials: options.credentials ?? (fromEnv?.credentials as SiemCredentials),
    io: { ...systemDeliveryIo(transport.send), ...options.io },
    ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
  });
  return { sender, builtInSecret: fromEnv?.builtIn ?? false, close: transport.close };
};

export interface LocalDeliveryOptions extends LocalSenderOptions {
  stage: string;
  storeDir: string;
  /** Lines per deliver() call; the cursor moves after each. */
  chunkLines?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
}

export interface LocalDeliveryReport {
  /** Lines read from the queue this run. */
  read: number;
  delivered: number;
  skipped: number;
  rejected: number;
  failed: number;
  /** Lines still on the queue after the cursor (the SIEM stopped taking them). */
  pending: number;
  requests: number;
  queueFile: string;
  dlqFile: string;
}

/** Delivers the local SIEM queue's new lines to `url`. */
export const deliverLocalQueue = async (options: LocalDeliveryOptions): Promise<LocalDeliveryReport> => {
  const paths = siemStorePaths(options.storeDir, options.stage);
  const lines = linesFrom(paths.queue, readCursor(paths.cursor));
  const report: LocalDeliveryReport = {
    read: 0,
    delivered: 0,
    skipped: 0,
    rejected: 0,
    failed: 0,
    pending: 0,
    requests: 0,
    queueFile: paths.queue,
    dlqFile: paths.dlq,
  };
  if (lines.length === 0) return report;
  const local = createLocalSiemSender(options);
  const dlq = createNdjsonFile(paths.dlq);
  const chunkLines = options.chunkLines ?? 1_000;
  try {
    for (let first = 0; first < lines.length; first += chunkLines) {
      const chunk = lines.slice(first, first + chunkLines);
      const summary = await forwardMessages(
        chunk.map((line, index) => ({ messageId: String(first + index), body: line.text })),
        local.sender,
      );
      const failedAt = new Date().toISOString();
      dlq.append(
        summary.verdicts.flatMap((verdict): LocalDeadLetter[] =>
          verdict.result.status === EventStatus.Rejected || verdict.result.status === EventStatus.Failed
            ? [{ failedAt, reason: verdict.result.reason, retryable: verdict.result.status === EventStatus.Failed, body: verdict.body }]
            : [],
        ),
      );
      writeCursor(paths.cursor, (chunk[chunk.length - 1] as Line).end);
      report.read += chunk.length;
      report.delivered += summary.delivered;
      report.skipped += summary.skipped;
      report.rejected += summary.rejected;
      report.failed += summary.failed;
      report.requests += summary.requests;
      options.onProgress?.({ done: report.read, total: lines.length });
      if (summary.failed > 0) break;
    }
  } finally {
    local.close();
    dlq.close();
  }
  report.pending = lines.length - report.read;
  return report;
};
