/**
 * What the loopback fakes of AWS endpoints share (fake-eventbridge.ts, fake-s3.ts,
 * fake-parameters-extension.ts): a server on 127.0.0.1 whose close also ends the
 * connections still open (a request the fake was told to stall holds one), and a
 * plan of behaviours, one per request, then a fallback.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  close(): Promise<void>;
}

export const listenOnLoopback = async (listener: RequestListener, port = 0): Promise<LoopbackServer> => {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    endpoint: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets and stalled requests alike: close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
};

export interface BehaviourPlan<B> {
  /** The behaviour for the request now arriving. */
  next(): B;
  /** Behaviours for the next requests, one per request; then `fallback` (by default the fake's normal answer). */
  plan(behaviours: B[], fallback?: B): void;
}

export const behaviourPlan = <B>(normal: B): BehaviourPlan<B> => {
  let queue: B[] = [];
  let fallback = normal;
  return {
    next: () => queue.shift() ?? fallback,
    plan: (behaviours, next = normal) => {
      queue = [...behaviours];
      fallback = next;
    },
  };
};
