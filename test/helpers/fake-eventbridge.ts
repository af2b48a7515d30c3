/**
 * An EventBridge PutEvents endpoint on loopback that misbehaves on request:
 * throttles, fails some entries, stalls, answers slowly, resets connections.
 * The AWS SDK talks to it over real HTTP (endpoint override), so its retries,
 * timeouts and abort signals are exercised as they are against AWS.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { behaviourPlan, listenOnLoopback } from './loopback.ts';
import { text } from 'node:stream/consumers';
import { randomUUID } from 'node:crypto';

export type Behaviour =
  | { kind: 'accept' }
  | { kind: 'throttle' }
  | { kind: 'server-error' }
  | { kind: 'fail-entries'; indexes: number[] }
  | { kind: 'stall' }
  | { kind: 'slow'; ms: number }
  | { kind: 'reset' };

export interface ReceivedEntry {
  EventBusName?: string;
  Source: string;
  DetailType: string;
  Detail: string;
}

export interface FakeEventBridge {
  endpoint: string;
  /** Entries accepted (answered without an ErrorCode). */
  accepted: ReceivedEntry[];
  /** Every PutEvents call, in order, with its entries. */
  calls: ReceivedEntry[][];
  /** Behaviour for the next requests, one per request; then `fallback`. */
  plan(behaviours: Behaviour[], fallback?: Behaviour): void;
  close(): Promise<void>;
}

const error = (response: ServerResponse, status: number, type: string, message: string) => {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  response.end(JSON.stringify({ __type: type, message }));
};

export const startFakeEventBridge = async (port = Number(process.env.AUTHTRAIL_TEST_EVENTBRIDGE_PORT ?? 0)): Promise<FakeEventBridge> => {
  const behaviours = behaviourPlan<Behaviour>({ kind: 'accept' });
  const accepted: ReceivedEntry[] = [];
  const calls: ReceivedEntry[][] = [];

  const loopback = await listenOnLoopback(async (request, response) => {
    const body = await text(request);
    const entries = (JSON.parse(body || '{}').Entries ?? []) as ReceivedEntry[];
    calls.push(entries);
    const behaviour = behaviours.next();
    switch (behaviour.kind) {
      case 'throttle':
        return error(response, 400, 'ThrottlingException', 'Rate exceeded');
      case 'server-error':
        return error(response, 500, 'InternalException', 'Internal failure');
      case 'stall':
        return; // accepted the request, never answers
      case 'reset':
        return request.socket.destroy();
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, behaviour.ms));
        if (response.destroyed || request.socket.destroyed) return;
        break;
      default:
        break;
    }
    const failing = behaviour.kind === 'fail-entries' ? behaviour.indexes : [];
    const results = entries.map((entry, index) => {
      if (failing.includes(index)) return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
      accepted.push(entry);
      return { EventId: randomUUID() };
    });
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ FailedEntryCount: failing.filter((index) => index < entries.length).length, Entries: results }));
  }, port);

  return { endpoint: loopback.endpoint, accepted, calls, plan: behaviours.plan, close: loopback.close };
};

/** A loopback port with nothing listening (connections are refused), free for a server to take. */
export const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};
