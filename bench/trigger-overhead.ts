/**
 * Warm, in-process cost of each trigger handler: normalize, enrich, policy, PII,
 * schema check and serialization, with the publisher writing to an in-memory
 * sink. One sample per invocation, over every fixture of the trigger in turn.
 */
import type { Context } from 'aws-lambda';
import type { AuthEvent } from '../lib/auth-event/schema.ts';
import { TriggerName } from '../lib/cognito/trigger-sources.ts';
import { loadStageConfigFile } from '../lib/config/load.ts';
import { isDisposableDomain } from '../lib/policy/disposable-domains.ts';
import { collectFixtureFiles, readFixture } from '../local/replay/fixture-file.ts';
import { type TriggerRuntime, SILENT_LOGGER } from '../lib/runtime/handler.ts';
import { triggerHandlersFor } from '../local/triggers/all.ts';
import { PIPELINE_VERSION } from '../lib/version.ts';
import { summarize } from './lib/stats.ts';


export const benchRuntime = (sink: (events: readonly AuthEvent[]) => void): TriggerRuntime => {
  const config = loadStageConfigFile('config/dev.json');
  return {
    stage: 'dev',
    config,
    piiKey: 'bench-pii-key-0123456789abcdef',
    clock: () => new Date(),
    pipeline: { version: PIPELINE_VERSION, piiKeyId: config.pii.keyId },
    isDisposableDomain,
    logger: SILENT_LOGGER,
    spill: () => undefined,
    sink: { publish: async (events) => sink(events) },
  };
};

export const fixturesFor = (trigger: TriggerName): unknown[] =>
  collectFixtureFiles([`events/${trigger}`]).map((file) => readFixture(file));

export interface OverheadResult {
  trigger: TriggerName;
  invocations: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
}

export const measureTriggerOverhead = async (invocations = 20_000, warmup = 2_000): Promise<OverheadResult[]> => {
  let published = 0;
  // The sink keeps nothing: publishing cost is measured by the deadline benchmark.
  const handlers = triggerHandlersFor(benchRuntime((events) => void (published += events.length)));
  const context = {} as Context;
  const results: OverheadResult[] = [];
  for (const trigger of Object.values(TriggerName)) {
    const payloads = fixturesFor(trigger);
    const handler = handlers[trigger];
    const run = async (index: number) => {
      try {
        await handler(structuredClone(payloads[index % payloads.length]), context);
      } catch {
        // denied sign-ups throw on purpose
      }
    };
    for (let index = 0; index < warmup; index += 1) await run(index);
    const samples: number[] = [];
    for (let index = 0; index < invocations; index += 1) {
      const started = process.hrtime.bigint();
      await run(index);
      samples.push(Number(process.hrtime.bigint() - started) / 1_000);
    }
    const stats = summarize(samples);
    results.push({ trigger, invocations, p50_us: stats.p50, p99_us: stats.p99, mean_us: stats.mean });
  }
  if (published === 0) throw new Error('benchmark published nothing: the handlers did not run');
  return results;
};
