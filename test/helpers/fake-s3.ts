/**
 * An S3 PutObject endpoint on loopback (path-style, as an S3Client with
 * `forcePathStyle` and an endpoint override sends it) that accepts, answers slowly
 * or stalls on request. The AWS SDK talks to it over real HTTP, so its abort
 * signals and timeouts are exercised as against S3. Records what it took, and when.
 */
import { buffer } from 'node:stream/consumers';
import { behaviourPlan, listenOnLoopback } from './loopback.ts';
import { S3Client } from '@aws-sdk/client-s3';

export type S3Behaviour = { kind: 'accept' } | { kind: 'slow'; ms: number } | { kind: 'stall' };

export interface ReceivedObject {
  bucket: string;
  key: string;
  bytes: number;
  /** performance.now() when the body was complete (before any answer delay). */
  receivedAt: number;
}

export interface FakeS3 {
  endpoint: string;
  /** Objects whose body arrived, whatever the answer was. */
  received: ReceivedObject[];
  /** A client for this endpoint with static credentials. */
  client(): S3Client;
  plan(behaviours: S3Behaviour[], fallback?: S3Behaviour): void;
  close(): Promise<void>;
}

export const startFakeS3 = async (): Promise<FakeS3> => {
  const received: ReceivedObject[] = [];
  const behaviours = behaviourPlan<S3Behaviour>({ kind: 'accept' });
  const loopback = await listenOnLoopback(async (request, response) => {
    const body = await buffer(request);
    const [, bucket = '', ...key] = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).split('/');
    received.push({ bucket, key: key.join('/'), bytes: body.byteLength, receivedAt: performance.now() });
    const behaviour = behaviours.next();
    if (behaviour.kind === 'stall') return; // never answers: only the client's abort ends it
    if (behaviour.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, behaviour.ms));
    if (response.destroyed) return;
    response.writeHead(200, { ETag: '"fake"', 'x-amz-request-id': 'fake' }).end();
  });
  // As S3 answers: no Nagle delay on loopback, which would add ~40 ms per small response.
  loopback.server.on('connection', (socket) => socket.setNoDelay(true));
  const { endpoint } = loopback;
  return {
    endpoint,
    received,
    client: () =>
      new S3Client({
        endpoint,
        region: 'eu-west-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
        // One request per attempt: the writer does its own retries.
        maxAttempts: 1,
      }),
    plan: behaviours.plan,
    close: loopback.close,
  };
};
