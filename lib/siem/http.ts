/**
 * The one HTTP POST delivery needs, over node:http(s) with keep-alive agents:
 * a warm Lambda container or a long local run reuses its TLS connections to the
 * SIEM instead of paying a handshake per batch. Delivery receives it as a
 * function (HttpSend), so tests and benchmarks can swap it.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AuthtrailError } from '../errors.ts';

export interface HttpRequest {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  /** Aborts the request (timeout or deadline); the promise then rejects. */
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /**
   * The first KB of the body, for callers that read the SIEM's answer (e.g. an
   * ack id). Never logged nor put in a reason: a SIEM may echo our headers in it.
   */
  body: string;
  /** Bytes of the whole body (`body` keeps at most the first KB); what reasons and logs say of it. */
  bodyBytes?: number;
}

const isSuccess = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;

export type HttpSend = (request: HttpRequest) => Promise<HttpResponse>;

const MAX_ERROR_BODY = 1024;

/** Hosts that never leave this machine: a receiver there is a local one (offline runs, tests, `npm run siem`). */
const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1). */
export const isLoopbackUrl = (url: URL): boolean => LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);

export interface HttpTransport {
  send: HttpSend;
  /** Closes idle keep-alive sockets, so a CLI or a test ends promptly. */
  close(): void;
}

/** A SIEM URL this transport cannot send to (neither http: nor https:). */
export class UnsupportedSchemeError extends AuthtrailError {
  readonly code = 'UNSUPPORTED_URL_SCHEME' as const;
  constructor(protocol: string) {
    super(`unsupported URL scheme ${protocol}`);
    this.name = 'UnsupportedSchemeError';
  }
}

export const createHttpTransport = (options: { maxSockets?: number } = {}): HttpTransport => {
  const maxSockets = options.maxSockets ?? 16;
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets });
  const send: HttpSend = (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const url = new URL(request.url);
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') {
        reject(new UnsupportedSchemeError(url.protocol));
        return;
      }
      const body = Buffer.from(request.body, 'utf8');
      const outgoing = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: { ...request.headers, 'content-length': String(body.length) },
          signal: request.signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          let total = 0;
          const answer = (): HttpResponse => ({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY),
            bodyBytes: total,
          });
          // A 2xx status line is the SIEM's confirmation: a body that is slow to follow, or cut by our
          // timeout, does not turn a delivered batch into a retry (and, out of retries, a dead letter).
          if (isSuccess(response.statusCode)) confirmed = answer;
          response.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (kept < MAX_ERROR_BODY) {
              chunks.push(chunk);
              kept += chunk.length;
            }
          });
          response.on('end', () => resolve(answer()));
          response.on('error', failed);
        },
      );
      let confirmed: (() => HttpResponse) | undefined;
      const failed = (error: unknown) => (confirmed === undefined ? reject(error) : resolve(confirmed()));
      outgoing.on('error', failed);
      outgoing.end(body);
    });
  return {
    send,
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
};
