/**
 * rules.json is read by both the stack and the local bus, and a pattern that
 * leaves out a category drops those events silently: nothing fails, the SIEM
 * just never sees them. These checks turn that into a test failure, for every
 * Category and for every trigger's real output (test/golden).
 */
import { describe, expect, it } from 'vitest';
import { Category } from '../../lib/auth-event/schema.ts';
import { TriggerName, triggerNameFor } from '../../lib/cognito/trigger-sources.ts';
import { toBusEnvelope } from '../../lib/routing/bus-entry.ts';
import { matchesEventPattern } from '../../lib/routing/event-pattern.ts';
import { RuleTarget, loadRules } from '../../lib/routing/rules.ts';
import { goldenEvents } from '../helpers/fixtures.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

const targetsOf = (event: Parameters<typeof toBusEnvelope>[0]): string[] =>
  loadRules()
    .filter((rule) => matchesEventPattern(rule.pattern, toBusEnvelope(event, ACCOUNT, REGION)))
    .map((rule) => rule.target);

describe('Routing: rules.json sends every AuthEvent to the log and the SIEM', () => {
  it.each(Object.values(Category))('routes a %s event to the events log and the SIEM queue', (category) => {
    // Prepare
    const event = { ...goldenEvents()[0]!, category };

    // Act
    const targets = targetsOf(event);

    // Assess
    expect(targets.sort()).toEqual([RuleTarget.EventsLog, RuleTarget.SiemQueue].sort());
  });

  it.each(Object.values(TriggerName))('routes every golden event of %s to the events log and the SIEM queue', (trigger) => {
    // Prepare
    const events = goldenEvents().filter((event) => triggerNameFor(event.trigger.source) === trigger);

    // Act
    const targets = events.map((event) => targetsOf(event).sort());

    // Assess
    expect(events.length).toBeGreaterThan(0);
    for (const eventTargets of targets) expect(eventTargets).toEqual([RuleTarget.EventsLog, RuleTarget.SiemQueue].sort());
  });
});
