/**
 * `npm start`'s SIEM leg in one call: a local receiver in-process on an
 * ephemeral loopback port, the local forwarder delivering the stage's SIEM queue
 * to it, and the receiver closed again. Events land in
 * `.authtrail/<stage>/siem/received.ndjson`, so the main job shows them arriving
 * in a SIEM without a second terminal. (`npm run siem` is the same receiver as a
 * long-running process, for replay --siem-url and fault experiments.)
 */
import type { StageConfig } from '../../lib/config/schema.ts';
import type { SiemCredentials } from '../../lib/siem/delivery.ts';
import type { SiemFormat } from '../../lib/siem/formats/index.ts';
import { deliverLocalQueue, type LocalDeliveryReport } from './local-forwarder.ts';
import { receivedFile, startSiemReceiver, type ReceiverStats } from './receiver.ts';
import { credentialsFromEnv } from '../../lib/siem/secrets.ts';

export interface LocalSiemResult {
  delivery: LocalDeliveryReport;
  received: ReceiverStats;
  /** Where the receiver keeps what it stored. */
  storeFile: string;
  /** True when signing and verifying with the public built-in local secret. */
  builtInSecret: boolean;
}

export const deliverToLocalReceiver = async (options: {
  stage: string;
  storeDir: string;
  siem?: StageConfig['siem'];
  format?: SiemFormat;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<LocalSiemResult> => {
  const { credentials, builtIn } = credentialsFromEnv(options.env ?? process.env);
  const storeFile = receivedFile(options.storeDir, options.stage);
  const receiver = await startSiemReceiver({
    secrets: credentials.webhookSecrets,
    storeFile,
    ...(options.siem === undefined ? {} : { maxBodyBytes: options.siem.batch.maxBytes }),
    ...(credentials.hecToken === undefined ? {} : { hecToken: credentials.hecToken }),
  });
  try {
    const delivery = await deliverLocalQueue({
      stage: options.stage,
      storeDir: options.storeDir,
      url: receiver.url,
      siem: options.siem,
      format: options.format,
      credentials: credentials satisfies SiemCredentials,
    });
    return { delivery, received: { ...receiver.stats }, storeFile, builtInSecret: builtIn };
  } finally {
    await receiver.close();
  }
};
