/**
 * The local SIEM: an HTTP server on loopback that takes what a real SIEM would
 * take, for local runs (`npm run siem`), tests and benchmarks.
 *
 * - Verifies Standard Webhooks signatures against its secrets, rejecting missing,
 *   wrong and stale ones (timestamp more than 5 minutes off) with 401.
 * - Accepts every registered format (lib/siem/formats/, read by ./decode.ts), checks
 *   `Authorization: Splunk <token>` on HEC bodies when it was given a HEC token.
 * - Stores each AuthEvent id once: a record whose id it already has is counted as
 *   a duplicate and dropped. Stored records are appended to `storeFile`
 *   (`.authtrail/<stage>/siem/received.ndjson`), whose ids it reads back on
 *   start, so a restarted receiver still deduplicates.
 * - Misbehaves on request, for fault tests: answer a status (with Retry-After),
 *   answer late, drop the connection before or after storing. Faults are planned
 *   one per request, then a fallback, through `setFaults` or `POST /_admin/faults`
 *   (`{"plan": [Fault…], "then": Fault}`); `GET /_admin/stats` gives the counts.
 * - Safe to leave running (it listens on loopback, but any local process and any
 *   web page the user opens can reach loopback): at most `maxConnections`
 *   connections; signature headers checked and the body's size capped before a
 *   byte of it is buffered; headers and body must arrive within their timeouts;
 *   the admin endpoint answers only with `adminToken` (Bearer, compared in
 *   constant time), only `application/json`, and only same-origin, so a page's
 *   cross-origin `text/plain` POST cannot switch faults on. Without `adminToken`
 *   it is off. The HMAC is computed over the bytes received.
 * - Stored means in the file: records are written (every write checked) before
 *   the 200 and before their ids count; a full disk answers 503 and takes no id;
 *   a torn last line is cut off on start; the file is synced on close.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNdjsonFile, StoreWriteError, type StoreFs } from '../sinks/local-store.ts';
import * as z from 'zod';
import { messageOf } from '../../lib/errors.ts';
import { parseJson } from '../../lib/json-parse.ts';
import { DecodeError, decodeBody, type DecodedRecord } from './decode.ts';
import { SIEM_FORMATS, siemFormat, type SiemFormat } from '../../lib/siem/formats/index.ts';
import { DEFAULT_TOLERANCE_SECONDS, checkSignatureHeaders, sameToken, secretKey, verifySignature } from '../../lib/siem/signing.ts';
import { HEC_CHANNEL_HEADER, HecCode } from '../../lib/siem/hec.ts';

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
  /** Records of requests answered 503 because the store file could not take them (a full disk). */
  notStored: number;
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
  /** Largest body taken (default 4 MB; the CLI passes the stage's siem.batch.maxBytes): a bigger one is refused before it is read. */
  maxBodyBytes?: number;
  /** Connections held at once (default 32); more are closed at accept. */
  maxConnections?: number;
  /** Time for a request's headers to arrive (default 10 s). */
  headersTimeoutMs?: number;
  /** Time for a whole request, body included, to arrive (default 30 s). */
  requestTimeoutMs?: number;
  /** Bearer token of the `/_admin/` endpoints; without it they are off. */
  adminToken?: string | undefined;
  /** File-system calls of the store file, for fault tests (default node:fs). */
  fs?: StoreFs | undefined;
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

/** The body's bytes, or undefined as soon as it passes `limit` (a declared Content-Length over it: before reading any). */
const readBody = (request: IncomingMessage, limit: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
      // A line edited by hand into something else is not ours; a torn last line was cut off on open.
    }
  }
  return ids;
};

export const startSiemReceiver = async (options: ReceiverOptions): Promise<SiemReceiver> => {
  const keys = options.secrets.map((secret) => secretKey(secret));
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  // Opened (a torn last line cut off) before its ids are read back. Written before each 200, synced at
  // close: an fsync per request cost a third of the receiver's throughput (npm run bench:siem, batched:
  // 8483 -> 5757 events/s) to guard against a power cut on a test machine.
  const storeFile =
    options.storeFile === undefined
      ? undefined
      : createNdjsonFile(options.storeFile, {
          serialize: (line) => line as string,
          openNow: true,
          ...(options.fs === undefined ? {} : { fs: options.fs }),
        });
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
    notStored: 0,
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

  /** Stores the records whose ids are new; throws StoreWriteError (nothing of the batch stored, no id taken) when the file cannot take them. */
  const store = (records: readonly DecodedRecord[], webhookId: string): { fresh: number; duplicates: number } => {
    const receivedAt = new Date(now()).toISOString();
    const fresh: StoredRecord[] = [];
    const lines: string[] = [];
    const batchIds = new Set<string>();
    for (const { id, format, record, text } of records) {
      if (ids.has(id) || batchIds.has(id)) continue;
      batchIds.add(id);
      const item = { id, format, receivedAt, webhookId, record };
      fresh.push(item);
      // The record's own text, when the body had it, instead of serializing the parsed copy again: the same JSON, half the work.
      if (storeFile !== undefined) lines.push(storedLine(item, text));
    }
    // Written (and synced) before any id is taken or counted: what the stats say stored is what the file holds.
    if (storeFile !== undefined && lines.length > 0) storeFile.append(lines);
    for (const { format } of records) stats.byFormat[format] += 1;
    for (const id of batchIds) ids.add(id);
    if (options.keepRecords) stored.push(...fresh);
    stats.stored += fresh.length;
    stats.duplicates += records.length - fresh.length;
    return { fresh: fresh.length, duplicates: records.length - fresh.length };
  };

  /** Why an admin request is refused, or undefined when it may go on. */
  const adminRefusal = (request: IncomingMessage): { status: number; error: string } | undefined => {
    if (options.adminToken === undefined) return { status: 404, error: 'the admin endpoint is off (start the receiver with an admin token)' };
    const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined || !sameToken(presented, options.adminToken)) return { status: 401, error: 'admin token missing or wrong' };
    // A browser sends Origin (and Sec-Fetch-Site) on a page's cross-origin request: only our own origin may come through.
    const { origin } = request.headers;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) return { status: 403, error: 'cross-origin admin request' };
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return { status: 403, error: 'cross-origin admin request' };
    }
    if (request.method === 'POST' && !/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
      return { status: 415, error: 'admin requests are application/json' };
    }
    return undefined;
  };

  const admin = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    const refusal = adminRefusal(request);
    if (refusal !== undefined) {
      response.setHeader('connection', 'close');
      return json(response, refusal.status, { error: refusal.error });
    }
    if (path === '/_admin/stats' && request.method === 'GET') return json(response, 200, { ...stats, held: ids.size });
    if (path === '/_admin/faults' && request.method === 'POST') {
      const bytes = await readBody(request, 64 * 1024);
      if (bytes === undefined) return json(response, 413, { error: 'fault plan over 64 KB' }, { connection: 'close' });
      let posted: unknown;
      try {
        posted = parseJson(bytes.toString('utf8') || '{}', 'the fault plan');
      } catch (error) {
        return json(response, 400, { error: messageOf(error) });
      }
      const parsed = FaultPlanSchema.safeParse(posted);
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
    if (options.hecToken !== undefined && !sameToken(request.headers.authorization ?? '', `Splunk ${options.hecToken}`)) {
      return json(response, 401, { text: 'Invalid token', code: 4 });
    }
    if (options.hecAck === undefined) return json(response, 400, { text: 'ACK is disabled', code: HecCode.AckDisabled });
    const channel = hecChannelOf(request);
    if (channel === undefined) return json(response, 400, { text: 'Data channel is missing', code: HecCode.DataChannelMissing });
    const state = hecChannels.get(channel);
    if (state === undefined) return json(response, 400, { text: 'Invalid data channel', code: HecCode.InvalidDataChannel });
    let ids: unknown;
    try {
      ids = (JSON.parse((await readBody(request, 64 * 1024))?.toString('utf8') ?? '') as { acks?: unknown }).acks;
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
    // Before the body: an unsigned or stale request is refused without buffering a byte of it.
    const headerCheck = checkSignatureHeaders({
      headers: request.headers,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    });
    if (!headerCheck.ok) {
      stats.rejectedSignature += 1;
      log(`POST ${path} 401 ${headerCheck.reason}`);
      return json(response, 401, { error: headerCheck.reason }, { connection: 'close' });
    }
    const bytes = await readBody(request, maxBodyBytes);
    let body = '';
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      if (options.recordRequests) requests.push({ path, headers: request.headers, body, status });
      json(response, status, payload, headers);
    };
    if (bytes === undefined) {
      stats.rejectedBody += 1;
      log(`POST ${path} 413 body over ${maxBodyBytes} bytes`);
      // The rest of the body is not read: the connection closes after the answer.
      return answer(413, { error: `body over ${maxBodyBytes} bytes` }, { connection: 'close' });
    }
    // What `requests` records; decoded strictly below, before anything trusts it.
    body = bytes.toString('utf8');

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
      body: bytes,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    });
    if (!verification.ok) {
      stats.rejectedSignature += 1;
      log(`POST ${path} 401 ${verification.reason}`);
      return answer(401, { error: verification.reason });
    }
    try {
      body = utf8.decode(bytes);
    } catch {
      stats.rejectedBody += 1;
      log(`POST ${path} 400 body is not UTF-8`);
      return answer(400, { error: 'body is not valid UTF-8' });
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
    // Splunk's protocol (token, channel, acks), for bodies of a format that speaks it: a capability of the format, not its name.
    const isHec = records.some((record) => siemFormat(record.format).hecProtocol === true);
    if (options.hecToken !== undefined && isHec) {
      const presented = /^Splunk (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (presented === undefined || !sameToken(presented, options.hecToken)) {
        stats.rejectedSignature += 1;
        log(`POST ${path} 401 HEC token missing or wrong`);
        return answer(401, { text: 'Invalid token', code: 4 });
      }
    }
    const channel = isHec ? hecChannelOf(request) : undefined;
    if (isHec && options.hecAck !== undefined) {
      // A token with indexer acknowledgment takes nothing without a GUID channel.
      if (channel === undefined) return answer(400, { text: 'Data channel is missing', code: HecCode.DataChannelMissing });
      if (!GUID.test(channel)) return answer(400, { text: 'Invalid data channel', code: HecCode.InvalidDataChannel });
    }
    // A full disk leaves the batch unstored and the sender told to retry (503), partial-batch faults included.
    const storeOrRefuse = (batch: typeof records): { fresh: number; duplicates: number } | StoreWriteError => {
      try {
        return store(batch, verification.id);
      } catch (error) {
        if (!(error instanceof StoreWriteError)) throw error;
        stats.notStored += batch.length;
        log(`POST ${path} 503 ${error.message}`);
        return error;
      }
    };
    if (fault.kind === 'hec-invalid-event') {
      stats.faulted += 1;
      const index = Math.min(fault.index, records.length - 1);
      const kept = storeOrRefuse(records.slice(0, index));
      if (kept instanceof StoreWriteError) return answer(503, { error: `not stored (${kept.code})` });
      log(`POST ${path} 400 (fault) · invalid-event-number ${index}: ${kept.fresh} stored before it`);
      return answer(400, { text: 'Invalid data format', code: 6, 'invalid-event-number': index });
    }
    const counts = storeOrRefuse(records);
    // Retryable: the sender keeps the batch and sends it again once the disk has room.
    if (counts instanceof StoreWriteError) return answer(503, { error: `not stored (${counts.code})` });
    const { fresh, duplicates } = counts;
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

  const server = createServer({
    headersTimeout: options.headersTimeoutMs ?? 10_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // How often Node checks the two timeouts above (default 30 s): often enough that they hold to about a second.
    connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs ?? 10_000),
  }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: messageOf(error) });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.maxConnections = options.maxConnections ?? 32;
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
      storeFile?.close();
    },
  };
};
