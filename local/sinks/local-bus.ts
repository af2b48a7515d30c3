/**
 * The in-process event bus of local runs: wraps each AuthEvent in the envelope
 * EventBridge would deliver, evaluates the same rules the stack deploys
 * (lib/routing/rules.json), and hands matches to the rule's target.
 */
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { toBusEnvelope, type BusEnvelope } from '../../lib/routing/bus-entry.ts';
import { matchesEventPattern } from '../../lib/routing/event-pattern.ts';
import type { Rule, RuleTarget } from '../../lib/routing/rules.ts';
import type { EventSink } from '../../lib/sinks/sink.ts';

export interface LocalTarget {
  deliver(envelopes: readonly BusEnvelope[]): void;
}

export interface LocalBus extends EventSink {
  /** Envelopes delivered per target since the bus was created. */
  readonly delivered: Readonly<Record<string, number>>;
}

export interface LocalBusOptions {
  rules: readonly Rule[];
  targets: Readonly<Record<RuleTarget, LocalTarget>>;
  account?: string;
  region?: string;
}

export const createLocalBus = ({ rules, targets, account = '000000000000', region = 'local' }: LocalBusOptions): LocalBus => {
  const delivered: Record<string, number> = Object.fromEntries(Object.keys(targets).map((name) => [name, 0]));
  return {
    delivered,
    publish: async (events: readonly AuthEvent[]) => {
      const envelopes = events.map((event) => toBusEnvelope(event, account, region));
      for (const rule of rules) {
        const matched = envelopes.filter((envelope) => matchesEventPattern(rule.pattern, envelope));
        if (matched.length === 0) continue;
        targets[rule.target].deliver(matched);
        delivered[rule.target] = (delivered[rule.target] ?? 0) + matched.length;
      }
    },
  };
};
