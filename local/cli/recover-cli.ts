/** The recover command: re-publish spilled events of a stage found in CloudWatch Logs. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { assertStageName } from '../../lib/config/load.ts';
import { messageOf } from '../../lib/errors.ts';
import { UsageError } from './args.ts';
import { createBusPublisher } from '../../lib/publish/eventbridge.ts';
import { findSpills, parseTimeArg, republish, spillLogGroups } from '../../lib/recover/recover.ts';
import { namesFor } from '../../lib/naming.ts';

interface Writable {
  write(text: string): unknown;
}

export interface RecoverCliOptions {
  stage: string;
  since: string;
  until?: string | undefined;
  busName?: string | undefined;
  dryRun: boolean;
  stdout: Writable;
  stderr: Writable;
  now?: Date;
}

/** Per PutEvents round trip when recovering: no sign-in is waiting, so be patient. */
const RECOVER_DEADLINE_MS = 20_000;

export const runRecoverCli = async (options: RecoverCliOptions): Promise<number> => {
  const now = options.now ?? new Date();
  let window;
  try {
    assertStageName(options.stage);
    window = {
      since: parseTimeArg(options.since, now, 'since'),
      until: options.until === undefined ? now : parseTimeArg(options.until, now, 'until'),
    };
    if (window.since >= window.until) throw new UsageError('--since must be before --until');
  } catch (error) {
    options.stderr.write(`${messageOf(error)}\n`);
    return 2;
  }
  const logGroups = spillLogGroups(options.stage);
  const busName = options.busName ?? namesFor(options.stage).busName;
  options.stderr.write(
    `searching ${logGroups.length} log groups for spilled events from ${window.since.toISOString()} to ${window.until.toISOString()}\n`,
  );
  try {
    const found = await findSpills(new CloudWatchLogsClient({}), logGroups, window);
    for (const group of found.missingLogGroups) options.stderr.write(`note: log group ${group} does not exist (never invoked?)\n`);
    if (options.dryRun) {
      const ids = new Set(found.records.map((record) => record.event.id));
      options.stdout.write(`${JSON.stringify({ dryRun: true, found: found.records.length, unique: ids.size })}\n`);
      return 0;
    }
    const publisher = createBusPublisher({ busName, deadlineMs: RECOVER_DEADLINE_MS });
    const report = await republish(found, publisher, now, (done, total) =>
      options.stderr.write(`re-published ${done}/${total}\n`),
    );
    options.stdout.write(`${JSON.stringify(report)}\n`);
    return report.failed === 0 ? 0 : 1;
  } catch (error) {
    options.stderr.write(`recover failed: ${(error as Error).name}: ${messageOf(error)}\n`);
    return 1;
  }
};
