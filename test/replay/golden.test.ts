/**
 * Every fixture under events/ replayed through the trigger handlers, compared
 * with its checked-in golden result in test/golden/ (same relative path).
 * After an intended change: `npx vitest run test/replay/golden.test.ts -u`, then
 * review the diff of test/golden/ like code.
 */
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { collectFixtureFiles } from '../../local/replay/fixture-file.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { fixtureReplayer } from '../siem/pipeline-events.ts';


describe('Replay: fixtures against golden AuthEvents', () => {
  const files = collectFixtureFiles(['events']).map((file) => relative(ROOT, file) || file);
  const replayer = fixtureReplayer();

  it('finds a fixture for every trigger source authtrail supports', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s', async (file) => {
    // Act
    const result = await replayer.replayFile(file);

    // Assess
    expect(result.ok).toBe(true);
    for (const event of result.events) expect(AuthEventSchema.parse(event)).toEqual(event);
    await expect(`${JSON.stringify({ response: result.response, events: result.events }, null, 2)}\n`).toMatchFileSnapshot(
      `../golden/${file.replace(/^events\//, '')}`,
    );
  });
});
