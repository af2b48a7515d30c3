/**
 * Local replay throughput on one core: the fixtures, repeated, through the
 * replayer with the in-process bus and the real local store files (in a temp
 * folder), as `npm start` runs them. Payloads are read once; the figure is the
 * pipeline's, not the disk's read speed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStageConfigFile } from '../lib/config/load.ts';
import { isDisposableDomain } from '../lib/policy/disposable-domains.ts';
import { collectFixtureFiles, readFixture } from '../local/replay/fixture-file.ts';
import { createLocalInvoker } from '../local/replay/local-invoker.ts';
import { createReplayer } from '../local/replay/replay.ts';
import { SILENT_LOGGER } from '../lib/runtime/handler.ts';
import { createLocalStageSinks } from '../local/sinks/local-stage.ts';


export const measureReplayThroughput = async (minEvents = 100_000) => {
  const store = mkdtempSync(join(tmpdir(), 'authtrail-bench-'));
  try {
    const sinks = createLocalStageSinks(store, 'dev');
    const replayer = createReplayer(
      createLocalInvoker({
        stage: 'dev',
        config: loadStageConfigFile('config/dev.json'),
        piiKey: 'bench-pii-key-0123456789abcdef',
        sink: sinks.bus,
        spill: sinks.spill,
        logger: SILENT_LOGGER,
        isDisposableDomain,
      }),
    );
    const fixtures = collectFixtureFiles(['events']).map((file) => ({ file, payload: readFixture(file) }));
    let events = 0;
    const started = performance.now();
    for (let index = 0; events < minEvents; index += 1) {
      const fixture = fixtures[index % fixtures.length] as (typeof fixtures)[number];
      // replayPayload copies the payload (it adds the replay marker), so it can be shared.
      const result = await replayer.replayPayload(fixture.file, fixture.payload);
      if (!result.ok) throw new Error(`${fixture.file}: ${result.error?.message}`);
      events += result.events.length;
    }
    sinks.close();
    const seconds = (performance.now() - started) / 1_000;
    return { events, seconds, replay_events_per_s: events / seconds, delivered: { ...sinks.bus.delivered } };
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
};
