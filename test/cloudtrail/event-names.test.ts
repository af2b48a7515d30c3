import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../lib/cloudtrail/kinds.ts';
import { ROOT } from '../helpers/fixtures.ts';

describe('CloudTrail: the event names the stack rule matches', () => {
  it('are exactly the names the function maps (lib/cloudtrail/event-names.json, read by serverless.yml)', () => {
    // Prepare
    const file = JSON.parse(readFileSync(join(ROOT, 'lib', 'cloudtrail', 'event-names.json'), 'utf8')) as { eventNames: string[] };

    // Act / Assess
    expect([...file.eventNames].sort()).toEqual(Object.keys(KINDS).sort());
  });
});
