/**
 * The PII hash key of a log-first trigger, without the AWS SDK and without ever
 * holding up a sign-in.
 *
 * On AWS the key is an SSM SecureString read through the AWS Parameters and
 * Secrets Lambda Extension (a layer): an HTTP GET on localhost, authenticated by
 * the function's session token, which the extension answers from its cache or
 * with one GetParameter call made with the function's role.
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html
 * The extension answers only during invocations, never during init, so the
 * first invocation of a container asks, and every later one reuses the key.
 *
 * An invocation waits for the key at most `waitMs`. A read still running then
 * goes on in the background (bounded by `requestTimeoutMs`) and serves the next
 * invocation; a failed read is tried again on the next invocation after
 * `retryAfterMs`. Meanwhile the caller gets `undefined` and emits its event with
 * every hashed field dropped (./key-unavailable.ts): never in clear, never lost.
 */
import { request } from 'node:http';
import type { StageConfig } from '../config/schema.ts';
import type { ProcessContext } from './process.ts';
import { AuthtrailError, ProblemCode } from '../errors.ts';

/** AWS's default port of the extension's HTTP server (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT changes it). */
export const EXTENSION_DEFAULT_PORT = 2773;

/** Bounds of the waits, in ms: far inside Cognito's 5 s, whatever the extension or SSM do. */
export const PII_KEY_WAIT_MS = { default: 500, min: 10, max: 2000 } as const;
const REQUEST_TIMEOUT_MS = 3_000;
const RETRY_AFTER_MS = 1_000;
/** The shortest PII hash key accepted, from any source (env, SSM, the extension). */
export const MIN_PII_KEY_LENGTH = 16;

/** The env schemas' rule (./trigger-lambda.ts, ./lambda.ts): one of the two names the key, the parameter (deployed) or the key itself (offline runs, tests). */
export const PII_KEY_ONE_OF = {
  variables: ['AUTHTRAIL_PII_HASH_KEY_PARAMETER', 'AUTHTRAIL_PII_HASH_KEY'],
  message: `Set AUTHTRAIL_PII_HASH_KEY_PARAMETER (an SSM SecureString name) or AUTHTRAIL_PII_HASH_KEY (at least ${MIN_PII_KEY_LENGTH} characters)`,
} as const;

/** Why the key is not there: names the failure, never a value. */
export class PiiKeyUnavailableError extends AuthtrailError {
  readonly code = ProblemCode.PiiKeyUnavailable;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PiiKeyUnavailableError';
  }
}

export interface ExtensionKeyOptions {
  parameter: string;
  /** The function's AWS_SESSION_TOKEN: the extension refuses requests without it. */
  sessionToken: string;
  port?: number;
  host?: string;
  requestTimeoutMs?: number;
}

/** One read of the parameter through the extension; rejects with PiiKeyUnavailableError. */
export const readKeyFromExtension = (options: ExtensionKeyOptions): Promise<string> =>
  new Promise((resolve, reject) => {
    const path = `/systemsmanager/parameters/get?name=${encodeURIComponent(options.parameter)}&withDecryption=true`;
    const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const fail = (message: string, cause?: unknown) =>
      reject(new PiiKeyUnavailableError(`PII hash key ${options.parameter}: ${message}`, cause === undefined ? undefined : { cause }));
    const outgoing = request(
      {
        host: options.host ?? 'localhost',
        port: options.port ?? EXTENSION_DEFAULT_PORT,
        path,
        method: 'GET',
        headers: { 'X-Aws-Parameters-Secrets-Token': options.sessionToken },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => fail('the extension\'s answer broke off', error));
        response.on('end', () => {
          // The body of an error answer is not kept: only its status names the failure.
          if (response.statusCode !== 200) return fail(`the extension answered ${response.statusCode ?? 'without a status'}`);
          let value: unknown;
          try {
            value = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Parameter?: { Value?: unknown } }).Parameter?.Value;
          } catch {
            return fail('the extension answered with something that is not JSON');
          }
          if (typeof value !== 'string' || value.length < MIN_PII_KEY_LENGTH) {
            return fail(`the parameter is missing a value of at least ${MIN_PII_KEY_LENGTH} characters`);
          }
          resolve(value);
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new PiiKeyUnavailableError(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', (error) => fail(error instanceof PiiKeyUnavailableError ? error.message : `request failed (${error.name})`, error));
    outgoing.end();
  });

export interface PiiKeySource {
  /** The key, or undefined when it is not there within the wait; `onFailure` hears why. */
  keyFor(): Promise<string | undefined>;
}

/** A key known at cold start (AUTHTRAIL_PII_HASH_KEY: offline runs, tests). */
export const fixedKey = (key: string): PiiKeySource => ({ keyFor: async () => key });

export interface CachedKeyOptions {
  read: () => Promise<string>;
  waitMs: number;
  retryAfterMs?: number;
  onFailure: (error: unknown) => void;
  now?: () => number;
}

/** Reads once, keeps the key for the container's life, waits each invocation at most `waitMs`. */
export const cachedKey = (options: CachedKeyOptions): PiiKeySource => {
  const now = options.now ?? (() => performance.now());
  const retryAfterMs = options.retryAfterMs ?? RETRY_AFTER_MS;
  let key: string | undefined;
  let reading: Promise<string | undefined> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  const startRead = (): Promise<string | undefined> =>
    options.read().then(
      (value) => {
        key = value;
        reading = undefined;
        return value;
      },
      (error: unknown) => {
        failedAt = now();
        reading = undefined;
        options.onFailure(error);
        return undefined;
      },
    );

  return {
    keyFor: async () => {
      if (key !== undefined) return key;
      if (reading === undefined) {
        if (now() - failedAt < retryAfterMs) return undefined;
        reading = startRead();
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, options.waitMs, undefined);
      });
      try {
        return await Promise.race([reading, waited]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
};

/**
 * `pipeline.piiKeyId` of an event emitted while the key could not be read: no
 * field in it is hashed, every field the policy hashes was dropped instead.
 * Consumers see the mark and that the identifying fields are absent; the event
 * id, outcome, client and the rest are there.
 */
export const PII_KEY_UNAVAILABLE = 'unavailable' as const;

/** The context an invocation runs in without its key: hashing turned into dropping, and the events marked. */
export const withoutPiiKey = <C extends Pick<ProcessContext, 'config' | 'pipeline' | 'piiKey'>>(context: C): C => {
  const fields = Object.fromEntries(
    Object.entries(context.config.pii.fields).map(([field, action]) => [field, action === 'hash' ? 'drop' : action]),
  ) as StageConfig['pii']['fields'];
  return {
    ...context,
    piiKey: '',
    config: { ...context.config, pii: { ...context.config.pii, fields } },
    pipeline: { ...context.pipeline, piiKeyId: PII_KEY_UNAVAILABLE },
  };
};
