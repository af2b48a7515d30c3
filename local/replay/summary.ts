/** The readable summary of a replay: per trigger, what was processed and decided, and what each sink got. */
import { Outcome } from '../../lib/auth-event/schema.ts';
import { triggerNameFor } from '../../lib/cognito/trigger-sources.ts';
import type { ReplayResult } from './replay.ts';
import { CLOUDTRAIL_SOURCE_PREFIX } from '../../lib/cloudtrail/normalize.ts';
import { COGNITO_LOG_SOURCE_PREFIX } from '../../lib/cognito-logs/normalize.ts';

/**
 * The outcomes a trigger can decide. `failed` is inferred downstream from the bus
 * (lib/inference/), never by a trigger, and would clash with the column counting
 * failed files.
 */
const OUTCOMES = Object.values(Outcome).filter((outcome) => outcome !== Outcome.Failed);

export interface SummaryRow {
  trigger: string;
  processed: number;
  failed: number;
  outcomes: Record<(typeof OUTCOMES)[number], number>;
}

/** The row of inputs that are not trigger payloads (local/replay/inputs.ts): by the prefix of their trigger.source. */
const sourceRowOf = (source: string): string | undefined =>
  source.startsWith(CLOUDTRAIL_SOURCE_PREFIX) ? 'cloudtrail' : source.startsWith(COGNITO_LOG_SOURCE_PREFIX) ? 'cognito-log' : undefined;

export const summarize = (results: readonly ReplayResult[]): SummaryRow[] => {
  const rows = new Map<string, SummaryRow>();
  for (const result of results) {
    const trigger = (result.trigger && (triggerNameFor(result.trigger) ?? sourceRowOf(result.trigger))) ?? 'unrecognised';
    const row = rows.get(trigger) ?? {
      trigger,
      processed: 0,
      failed: 0,
      outcomes: Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as SummaryRow['outcomes'],
    };
    row.processed += 1;
    if (!result.ok) row.failed += 1;
    for (const event of result.events) if (event.outcome !== Outcome.Failed) row.outcomes[event.outcome] += 1;
    rows.set(trigger, row);
  }
  return [...rows.values()].sort((a, b) => a.trigger.localeCompare(b.trigger));
};

const table = (header: string[], rows: string[][]): string => {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
};

export const formatSummary = (
  results: readonly ReplayResult[],
  sinks: readonly { name: string; events: number; location: string }[],
  stage: string,
): string => {
  const rows = summarize(results);
  const failed = results.filter((result) => !result.ok);
  const lines = [
    `authtrail replay · stage ${stage} · ${results.length} file(s)`,
    '',
    table(
      ['trigger', 'processed', ...OUTCOMES, 'failed'],
      rows.map((row) => [
        row.trigger,
        String(row.processed),
        ...OUTCOMES.map((outcome) => String(row.outcomes[outcome])),
        String(row.failed),
      ]),
    ),
    '',
    table(
      ['sink', 'events', 'where'],
      sinks.map((sink) => [sink.name, String(sink.events), sink.location]),
    ),
  ];
  if (failed.length > 0) {
    lines.push('', `${failed.length} file(s) failed:`);
    for (const result of failed) lines.push(`  ${result.file}: ${result.error?.code} ${result.error?.message}`);
  }
  return `${lines.join('\n')}\n`;
};
