/**
 * A CloudWatch Logs FilterLogEvents endpoint on loopback, holding log lines per
 * group. There is no local CloudWatch Logs emulator, so this stands in at the
 * HTTP boundary: the SDK (and the recover CLI process) talk to it for real. It
 * pages two events at a time to exercise nextToken, and answers
 * ResourceNotFoundException for unknown groups.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

export interface LogLine {
  timestamp: number;
  message: string;
}

export interface FakeCloudWatchLogs {
  endpoint: string;
  groups: Map<string, LogLine[]>;
  requests: { logGroupName: string; filterPattern?: string; startTime?: number; endTime?: number }[];
  close(): Promise<void>;
}

const PAGE_SIZE = 2;

export interface FakeCloudWatchLogsOptions {
  /** Events per page (default 2, to exercise nextToken). */
  pageSize?: number;
  /** Time to answer each request, as the service takes (default 0). */
  latencyMs?: number;
}

export const startFakeCloudWatchLogs = async (port = 0, options: FakeCloudWatchLogsOptions = {}): Promise<FakeCloudWatchLogs> => {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const groups = new Map<string, LogLine[]>();
  const requests: FakeCloudWatchLogs['requests'] = [];
  const server = createServer((request, response) => {
    void text(request).then(async (body) => {
      if ((options.latencyMs ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      const input = JSON.parse(body || '{}');
      requests.push(input);
      const lines = groups.get(input.logGroupName);
      if (lines === undefined) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ResourceNotFoundException' });
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' }));
        return;
      }
      // The only pattern authtrail uses selects spill lines; match on its marker.
      const marker = /\$\.authtrail = "([^"]+)"/.exec(input.filterPattern ?? '')?.[1];
      const matching = lines.filter(
        (line) =>
          (input.startTime === undefined || line.timestamp >= input.startTime) &&
          (input.endTime === undefined || line.timestamp <= input.endTime) &&
          (marker === undefined || line.message.includes(`"authtrail":"${marker}"`)),
      );
      const offset = Number(input.nextToken ?? 0);
      const page = matching.slice(offset, offset + pageSize);
      const next = offset + pageSize < matching.length ? String(offset + pageSize) : undefined;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          events: page.map((line, index) => ({ ...line, logStreamName: 'stream', eventId: String(offset + index) })),
          ...(next === undefined ? {} : { nextToken: next }),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    groups,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
