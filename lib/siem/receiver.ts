/**
 * The local SIEM: an HTTP server on loopback that takes what a real SIEM would
 * take, for local runs (`npm run siem`), tests and benchmarks.
 *
 * - Verifies Standard Webhooks signatures against its secrets, rejecting missing,
 *   wrong and stale ones (timestamp more than 5 minutes off) with 401.
 * - Accepts all four formats (./decode.ts), checks `Authorization: Splunk <token>`
 *   on HEC bodies when it was given a HEC token.
 * - Stores each AuthEvent id once: a record whose id it already has is counted as
 *   a duplicate and dropped. Stored records are appended to `storeFile`
 *   (`.authtrail/<stage>/siem/received.ndjson`), whose ids it reads back on
 *   start, so a restarted receiver still deduplicates.
 * - Misbehaves on request, for fault tests: answer a status (with Retry-After),
 *   answer late, drop the connection before or after storing. Faults are planned
 *   one per request, then a fallback, through `setFaults` or `POST /_admin/faults`
 *   (`{"plan": [Fault…], "then": Fault}`); `GET /_admin/stats` gives the counts.
 *   The admin endpoint has no authentication: the server listens on loopback only.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { messageOf } from '../errors.ts';
import { DecodeError, decodeBody, type DecodedRecord } from './decode.ts';
import { SIEM_FORMATS, SiemFormat } from './formats.ts';
import { DEFAULT_TOLERANCE_SECONDS, secretKey, verifySignature } from './signing.ts';
import { HEC_CHANNEL_HEADER, HecCode } from './hec.ts';

const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('accept') }),
  z.strictObject({
    kind: z.literal('status'),
    status: z.int().min(300).max(599),
    retryAfter: z.string().optional(),
    body: z.string().optional(),
  }),
  z.strictObject({ kind: z.literal('delay'), ms: z.int().min(0).max(600_000) }),
  z.strictObject({ kind: z.literal('drop'), afterStore: z.boolean().default(false) }),
  /** Splunk HEC refusing one event of a batch: stores the records before `index`, answers 400 with `invalid-event-number`. */
  z.strictObject({ kind: z.literal('hec-invalid-event'), index: z.int().min(0) }),
]);
export type Fault = z.input<typeof FaultSchema>;

const FaultPlanSchema = z.strictObject({ plan: z.array(FaultSchema).default([]), then: FaultSchema.optional() });

/** Where the receiver of a stage keeps what it received. */
export const receivedFile = (storeDir: string, stage: string): string => join(storeDir, stage, 'siem', 'received.ndjson');

export interface StoredRecord {
  id: string;
  format: SiemFormat;
  receivedAt: string;
  webhookId: string;
  record: Record<string, unknown>;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface ReceiverStats {
  requests: number;
  /** Records stored (first time their id was seen). */
  stored: number;
  duplicates: number;
  rejectedSignature: number;
  rejectedBody: number;
  faulted: number;
  byFormat: Record<SiemFormat, number>;
  /** Requests to /services/collector/ack. */
  ackPolls: number;
}

export interface ReceiverOptions {
  /** 0 (default): an ephemeral port. */
  port?: number;
  secrets: readonly string[];
  storeFile?: string | undefined;
  hecToken?: string | undefined;
  toleranceSeconds?: number;
  maxBodyBytes?: number;
  /** Epoch ms; the signature timestamps are checked against it. */
  now?: () => number;
  /** Keep every request (headers, body) in `requests`, for tests. */
  recordRequests?: boolean;
  /** Keep every stored record in `stored`, for tests; a long-running receiver leaves it off so its memory stays flat. */
  keepRecords?: boolean;
  /** Splunk HEC indexer acknowledgment, as a token with it enabled behaves (./hec.ts). */
  hecAck?: HecAckSimulation | undefined;
  log?: (line: string) => void;
}

export interface SiemReceiver {
  url: string;
  port: number;
  stats: ReceiverStats;
  /** Records stored by this process, in arrival order (with `keepRecords` only). */
  stored: StoredRecord[];
  requests: ReceivedRequest[];
  /** Every id held (from the store file and this process). */
  has(id: string): boolean;
  setFaults(plan: readonly Fault[], then?: Fault): void;
  close(): Promise<void>;
}

export interface HecAckSimulation {
  /** Ack polls an ackId answers false to before it answers true; -1: never (an indexer that lost the batch). */
  pollsBeforeAck: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The HEC channel of a request: the header, else the `channel` query parameter (both are Splunk's). */
const hecChannelOf = (request: IncomingMessage): string | undefined => {
  const header = request.headers[HEC_CHANNEL_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  return new URL(request.url ?? '/', 'http://receiver').searchParams.get('channel') ?? undefined;
};

const readBody = (request: IncomingMessage, limit: number): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

/** One line of the store file: the StoredRecord as JSON, with `record` last. */
const storedLine = (item: StoredRecord, recordText: string | undefined): string =>
  recordText === undefined
    ? JSON.stringify(item)
    : `{"id":${JSON.stringify(item.id)},"format":${JSON.stringify(item.format)},"receivedAt":${JSON.stringify(item.receivedAt)},"webhookId":${JSON.stringify(item.webhookId)},"record":${recordText}}`;

const loadIds = (file: string | undefined): Set<string> => {
  const ids = new Set<string>();
  if (file === undefined || !existsSync(file)) return ids;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // A torn last line (killed mid-write) is ignored; its record is redelivered and stored again.
    }
  }
  return ids;
};

export const startSiemReceiver = async (options: ReceiverOptions): Promise<SiemReceiver> => {
  const keys = options.secrets.map((secret) => secretKey(secret));
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const ids = loadIds(options.storeFile);
  const stored: StoredRecord[] = [];
  const requests: ReceivedRequest[] = [];
  const stats: ReceiverStats = {
    requests: 0,
    stored: 0,
    duplicates: 0,
    rejectedSignature: 0,
    rejectedBody: 0,
    faulted: 0,
    byFormat: Object.fromEntries(SIEM_FORMATS.map((format) => [format, 0])) as Record<SiemFormat, number>,
    ackPolls: 0,
  };
  // HEC indexer acknowledgment: per channel, the next ackId and the polls each pending ackId has had.
  const hecChannels = new Map<string, { nextAckId: number; polls: Map<number, number> }>();
  const hecChannel = (channel: string) => {
    let state = hecChannels.get(channel);
    if (state === undefined) hecChannels.set(channel, (state = { nextAckId: 0, polls: new Map() }));
    return state;
  };
  let plan: Fault[] = [];
  let fallback: Fault = { kind: 'accept' };
  const sockets = new Set<Socket>();
  if (options.storeFile !== undefined) mkdirSync(dirname(options.storeFile), { recursive: true });

  const store = (records: readonly DecodedRecord[], webhookId: string): { fresh: number; duplicates: number } => {
    const receivedAt = new Date(now()).toISOString();
    const fresh: StoredRecord[] = [];
    let lines = '';
    for (const { id, format, record, text } of records) {
      stats.byFormat[format] += 1;
      if (ids.has(id)) continue;
      ids.add(id);
      const item = { id, format, receivedAt, webhookId, record };
      fresh.push(item);
      // The record's own text, when the body had it, instead of serializing the parsed copy again: the same JSON, half the work.
      if (options.storeFile !== undefined) lines += `${storedLine(item, text)}\n`;
    }
    if (options.storeFile !== undefined && fresh.length > 0) appendFileSync(options.storeFile, lines);
    if (options.keepRecords) stored.push(...fresh);
    stats.stored += fresh.length;
    stats.duplicates += records.length - fresh.length;
    return { fresh: fresh.length, duplicates: records.length - fresh.length };
  };

  const admin = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    if (path === '/_admin/stats' && request.method === 'GET') return json(response, 200, { ...stats, held: ids.size });
    if (path === '/_admin/faults' && request.method === 'POST') {
      const parsed = FaultPlanSchema.safeParse(JSON.parse((await readBody(request, 64 * 1024)) || '{}'));
      if (!parsed.success) return json(response, 400, { error: parsed.error.issues.map((issue) => issue.message).join('; ') });
      plan = parsed.data.plan;
      fallback = parsed.data.then ?? { kind: 'accept' };
      return json(response, 200, { planned: plan.length });
    }
    return json(response, 404, { error: 'unknown admin endpoint' });
  };

  /** POST /services/collector/ack: `{"acks":[id…]}` on a channel -> `{"acks":{"id":bool…}}`, as Splunk answers. */
  const hecAckEndpoint = async (request: IncomingMessage, response: ServerResponse) => {
    stats.ackPolls += 1;
    if (options.hecToken !== undefined && request.headers.authorization !== `Splunk ${options.hecToken}`) {
      return json(response, 401, { text: 'Invalid token', code: 4 });
    }
    if (options.hecAck === undefined) return json(response, 400, { text: 'ACK is disabled', code: HecCode.AckDisabled });
    const channel = hecChannelOf(request);
    if (channel === undefined) return json(response, 400, { text: 'Data channel is missing', code: HecCode.DataChannelMissing });
    const state = hecChannels.get(channel);
    if (state === undefined) return json(response, 400, { text: 'Invalid data channel', code: HecCode.InvalidDataChannel });
    let ids: unknown;
    try {
      ids = (JSON.parse((await readBody(request, 64 * 1024)) ?? '') as { acks?: unknown }).acks;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id))) return json(response, 400, { text: 'Invalid data format', code: 6 });
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const polls = state.polls.get(id);
      const confirmed = polls !== undefined && options.hecAck.pollsBeforeAck >= 0 && polls >= options.hecAck.pollsBeforeAck;
      if (polls !== undefined) state.polls.set(id, polls + 1);
      acks[String(id)] = confirmed;
    }
    return json(response, 200, { acks });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://receiver').pathname;
    if (path.startsWith('/_admin/')) return admin(request, response, path);
    if (path.endsWith('/services/collector/ack') && request.method === 'POST') return hecAckEndpoint(request, response);
    if (request.method !== 'POST') return json(response, 405, { error: 'POST events here' });
    stats.requests += 1;
    const body = await readBody(request, maxBodyBytes);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      if (options.recordRequests) requests.push({ path, headers: request.headers, body: body ?? '', status });
      json(response, status, payload, headers);
    };
    if (body === undefined) return answer(413, { error: `body over ${maxBodyBytes} bytes` });

    const fault = plan.shift() ?? fallback;
    if (fault.kind === 'status') {
      stats.faulted += 1;
      log(`POST ${path} ${fault.status} (fault)`);
      return answer(fault.status, { error: fault.body ?? 'fault injected' }, fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
    }
    if (fault.kind === 'drop' && !fault.afterStore) {
      stats.faulted += 1;
      log(`POST ${path} dropped (fault)`);
      request.socket.destroy();
      return;
    }
    if (fault.kind === 'delay') {
      stats.faulted += 1;
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      if (request.socket.destroyed) return;
    }

    const verification = verifySignature({
      keys,
      headers: request.headers,
      body,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    });
    if (!verification.ok) {
      stats.rejectedSignature += 1;
      log(`POST ${path} 401 ${verification.reason}`);
      return answer(401, { error: verification.reason });
    }
    let records: DecodedRecord[];
    try {
      records = decodeBody(body);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      stats.rejectedBody += 1;
      log(`POST ${path} 400 ${error.message}`);
      return answer(400, { error: error.message });
    }
    if (options.hecToken !== undefined && records.some((record) => record.format === SiemFormat.SplunkHec)) {
      if (request.headers.authorization !== `Splunk ${options.hecToken}`) {
        stats.rejectedSignature += 1;
        log(`POST ${path} 401 HEC token missing or wrong`);
        return answer(401, { text: 'Invalid token', code: 4 });
      }
    }
    const isHec = records.some((record) => record.format === SiemFormat.SplunkHec);
    const channel = isHec ? hecChannelOf(request) : undefined;
    if (isHec && options.hecAck !== undefined) {
      // A token with indexer acknowledgment takes nothing without a GUID channel.
      if (channel === undefined) return answer(400, { text: 'Data channel is missing', code: HecCode.DataChannelMissing });
      if (!GUID.test(channel)) return answer(400, { text: 'Invalid data channel', code: HecCode.InvalidDataChannel });
    }
    if (fault.kind === 'hec-invalid-event') {
      stats.faulted += 1;
      const index = Math.min(fault.index, records.length - 1);
      const kept = store(records.slice(0, index), verification.id);
      log(`POST ${path} 400 (fault) · invalid-event-number ${index}: ${kept.fresh} stored before it`);
      return answer(400, { text: 'Invalid data format', code: 6, 'invalid-event-number': index });
    }
    const { fresh, duplicates } = store(records, verification.id);
    log(
      `POST ${path} 200 · ${records.length} ${records[0]?.format ?? ''} record(s): ${fresh} new, ${duplicates} duplicate · ${ids.size} held`,
    );
    if (fault.kind === 'drop') {
      // Stored, but the sender never hears so: it resends, and the ids collapse here.
      stats.faulted += 1;
      request.socket.destroy();
      return;
    }
    if (isHec && options.hecAck !== undefined && channel !== undefined) {
      const state = hecChannel(channel);
      const ackId = state.nextAckId;
      state.nextAckId += 1;
      state.polls.set(ackId, 0);
      return answer(200, { text: 'Success', code: 0, ackId, stored: fresh, duplicates });
    }
    answer(200, { text: 'Success', code: 0, stored: fresh, duplicates });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: messageOf(error) });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    stats,
    stored,
    requests,
    has: (id) => ids.has(id),
    setFaults: (next, then = { kind: 'accept' }) => {
      plan = next.map((fault) => FaultSchema.parse(fault));
      fallback = FaultSchema.parse(then);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
