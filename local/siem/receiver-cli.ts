/** `npm run siem`: the local SIEM receiver in the foreground, with its faults from flags. */
import { existsSync } from 'node:fs';
import { assertStageName, configFileFor, loadStageConfigFile } from '../../lib/config/load.ts';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import { receivedFile, startSiemReceiver, type Fault, type SiemReceiver } from './receiver.ts';
import { webhookSecretsFromEnv } from '../../lib/siem/secrets.ts';

interface Writable {
  write(text: string): unknown;
}

export interface ReceiverCliOptions {
  stage: string;
  storeDir: string;
  port?: string | undefined;
  secretEnv: string;
  hecTokenEnv?: string | undefined;
  /** The variable holding the admin endpoint's token; the endpoint is off when it is unset. */
  adminTokenEnv: string;
  failStatus?: string | undefined;
  failCount?: string | undefined;
  retryAfter?: string | undefined;
  delayMs?: string | undefined;
  dropCount?: string | undefined;
  /** Act as a HEC token with indexer acknowledgment: GUID channel required, ackIds confirmed after `hecAckPolls` polls (-1 never). */
  hecAck?: boolean | undefined;
  hecAckPolls?: string | undefined;
  /** Answer the first HEC batch with a 400 `invalid-event-number` at this index (the events before it stored). */
  hecInvalidEvent?: string | undefined;
  quiet: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stdout: Writable;
  stderr: Writable;
}

const wholeNumber = (flag: string, value: string | undefined, min: number, max: number): number | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`--${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return number;
};

/** The fault plan the flags describe: N failing answers, then N dropped connections, then every answer late (or fine). */
const faultsFromFlags = (options: ReceiverCliOptions): { plan: Fault[]; then: Fault } => {
  const status = wholeNumber('fail-status', options.failStatus, 300, 599);
  const failCount = wholeNumber('fail-count', options.failCount, 1, 1_000_000);
  const dropCount = wholeNumber('drop-count', options.dropCount, 1, 1_000_000) ?? 0;
  const delayMs = wholeNumber('delay-ms', options.delayMs, 0, 600_000);
  if (failCount !== undefined && status === undefined) throw new ConfigError('--fail-count needs --fail-status');
  const failing: Fault | undefined =
    status === undefined ? undefined : { kind: 'status', status, ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }) };
  const healthy: Fault = delayMs === undefined ? { kind: 'accept' } : { kind: 'delay', ms: delayMs };
  const invalidEvent = wholeNumber('hec-invalid-event', options.hecInvalidEvent, 0, 1_000_000);
  const plan: Fault[] = [
    ...(invalidEvent === undefined ? [] : [{ kind: 'hec-invalid-event', index: invalidEvent } as const]),
    ...(failing !== undefined && failCount !== undefined ? Array.from({ length: failCount }, () => failing) : []),
    ...Array.from({ length: dropCount }, (): Fault => ({ kind: 'drop' })),
  ];
  // --fail-status without a count: the SIEM is down until restarted.
  return { plan, then: failing !== undefined && failCount === undefined ? failing : healthy };
};

/** Starts the receiver; resolves with it (the caller keeps the process alive and closes it on a signal). */
export const runReceiverCli = async (options: ReceiverCliOptions): Promise<SiemReceiver | number> => {
  const { stdout, stderr } = options;
  let receiver: SiemReceiver;
  try {
    assertStageName(options.stage);
    const configFile = configFileFor(options.stage, 'config');
    const config = existsSync(configFile) ? loadStageConfigFile(configFile) : undefined;
    const port = wholeNumber('port', options.port, 0, 65_535) ?? config?.siem.local.port ?? 8787;
    const adminToken = options.env[options.adminTokenEnv] || undefined;
    const { secrets, builtIn } = webhookSecretsFromEnv(options.env, options.secretEnv);
    if (builtIn) {
      stderr.write(`note: ${options.secretEnv} is not set: verifying with the built-in local secret (the local forwarder's default)\n`);
    }
    const hecToken = options.hecTokenEnv === undefined ? undefined : options.env[options.hecTokenEnv];
    if (options.hecTokenEnv !== undefined && !hecToken) throw new ConfigError(`${options.hecTokenEnv} is not set`);
    const faults = faultsFromFlags(options);
    const storeFile = receivedFile(options.storeDir, options.stage);
    receiver = await startSiemReceiver({
      port,
      secrets,
      storeFile,
      hecToken,
      ...(options.hecAck ? { hecAck: { pollsBeforeAck: wholeNumber('hec-ack-polls', options.hecAckPolls, -1, 1_000) ?? 1 } } : {}),
      adminToken,
      ...(config === undefined ? {} : { maxBodyBytes: config.siem.batch.maxBytes }),
      log: options.quiet ? undefined : (line) => stdout.write(`${new Date().toISOString()} ${line}\n`),
    });
    receiver.setFaults(faults.plan, faults.then);
    stdout.write(
      `authtrail SIEM receiver · stage ${options.stage} · ${receiver.url} · storing in ${storeFile}` +
        ` · admin endpoint ${adminToken === undefined ? `off (set ${options.adminTokenEnv} to turn it on)` : `on (token from ${options.adminTokenEnv})`}` +
        `${faults.plan.length > 0 || faults.then.kind !== 'accept' ? ` · faults: ${JSON.stringify(faults)}` : ''}\n`,
    );
  } catch (error) {
    stderr.write(`${messageOf(error)}\n`);
    return 2;
  }
  return receiver;
};

export const receiverTotals = (receiver: SiemReceiver): string => {
  const { stats } = receiver;
  return `requests ${stats.requests} · stored ${stats.stored} · duplicates ${stats.duplicates} · bad signature ${stats.rejectedSignature} · bad body ${stats.rejectedBody} · faults ${stats.faulted} · not stored (disk) ${stats.notStored}\n`;
};
