/**
 * Sign-in latency when the EventBridge endpoint accepts connections and never
 * answers: a local TCP server that stalls. The post-authentication handler runs
 * with the real publisher, SDK client and deadline; each sample is one whole
 * invocation, spill included.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { createBusPublisher } from '../lib/publish/eventbridge.ts';
import { createTriggerHandler } from '../lib/runtime/handler.ts';
import { postAuthentication } from '../lib/triggers/post-authentication.ts';
import { PUBLISH_DEADLINE_MS } from '../lib/runtime/lambda.ts';
import { benchRuntime, fixturesFor } from './trigger-overhead.ts';
import { summarize } from './lib/stats.ts';

export const measureDeadlineLatency = async (invocations = 20, deadlineMs: number = PUBLISH_DEADLINE_MS.default) => {
  const sockets = new Set<Socket>();
  // Accepts every connection and reads nothing back: the worst kind of unreachable.
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const [key, value] of Object.entries({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCALBENCH', AWS_SECRET_ACCESS_KEY: 'local' })) {
    process.env[key] ??= value;
  }
  let spilled = 0;
  const runtime = {
    ...benchRuntime(() => undefined),
    spill: (events: readonly unknown[]) => void (spilled += events.length),
    sink: createBusPublisher({ busName: 'authtrail-dev', deadlineMs, endpoint }),
  };
  const handler = createTriggerHandler(postAuthentication, runtime);
  const payload = fixturesFor('post-authentication')[0];
  const samples: number[] = [];
  try {
    for (let index = 0; index < invocations; index += 1) {
      const started = performance.now();
      await handler(structuredClone(payload), {} as Context);
      samples.push(performance.now() - started);
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (spilled !== invocations) throw new Error(`expected every event spilled, got ${spilled} of ${invocations}`);
  const stats = summarize(samples);
  return { deadline_ms: deadlineMs, invocations, deadline_latency_ms_p50: stats.p50, deadline_latency_ms_p99: stats.p99 };
};
