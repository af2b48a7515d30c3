/** The redrive command: DLQ -> SIEM queue, on AWS (SQS) or in the local store. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { assertStageName } from '../../lib/config/load.ts';
import { messageOf } from '../../lib/errors.ts';
import { UsageError } from '../cli/args.ts';
import { queueUrlOf, redriveLocal, redriveSqs, type RedriveProgress } from './redrive.ts';
import { namesFor } from '../../lib/naming.ts';

interface Writable {
  write(text: string): unknown;
}

export interface RedriveCliOptions {
  stage: string;
  local: boolean;
  storeDir: string;
  max?: string | undefined;
  queueUrl?: string | undefined;
  dlqUrl?: string | undefined;
  stdout: Writable;
  stderr: Writable;
  /** Replaceable for tests; the default uses the default credential chain and region. */
  sqs?: SQSClient;
}

const progressLine = ({ moved, failed, total }: RedriveProgress) =>
  `moved ${moved}${total > 0 ? ` of ~${total}` : ''}${failed > 0 ? ` · ${failed} failed` : ''}\n`;

export const runRedriveCli = async (options: RedriveCliOptions): Promise<number> => {
  const { stdout, stderr } = options;
  let max: number | undefined;
  try {
    assertStageName(options.stage);
    if (options.max !== undefined) {
      max = Number(options.max);
      if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max must be a positive whole number, got "${options.max}"`);
    }
  } catch (error) {
    stderr.write(`${messageOf(error)}\n`);
    return 2;
  }
  const onProgress = (progress: RedriveProgress) => stderr.write(progressLine(progress));
  try {
    if (options.local) {
      const report = redriveLocal({ storeDir: options.storeDir, stage: options.stage, onProgress });
      stdout.write(`${JSON.stringify({ local: true, ...report })}\n`);
      return 0;
    }
    const sqs = options.sqs ?? new SQSClient({});
    const names = namesFor(options.stage);
    const fromUrl = options.dlqUrl ?? (await queueUrlOf(sqs, names.siemDeadLetterQueue));
    const toUrl = options.queueUrl ?? (await queueUrlOf(sqs, names.siemQueue));
    stderr.write(`moving messages from ${fromUrl} to ${toUrl}\n`);
    const report = await redriveSqs({ sqs, fromUrl, toUrl, ...(max === undefined ? {} : { max }), onProgress });
    stdout.write(`${JSON.stringify(report)}\n`);
    return report.failed === 0 ? 0 : 1;
  } catch (error) {
    stderr.write(`redrive failed: ${(error as Error).name}: ${messageOf(error)}\n`);
    return 1;
  }
};
