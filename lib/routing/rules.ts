/**
 * The bus's routing rules, read from rules.json: the one definition that
 * serverless.yml deploys and the local bus evaluates.
 */
import * as z from 'zod';
import rulesFile from './rules.json' with { type: 'json' };
import { validateEventPattern, type EventPattern } from './event-pattern.ts';

export const RuleTarget = { EventsLog: 'events-log', SiemQueue: 'siem-queue' } as const;
export type RuleTarget = (typeof RuleTarget)[keyof typeof RuleTarget];

const RulesFileSchema = z.looseObject({
  rules: z.record(
    z.string().regex(/^[a-z0-9-]+$/),
    z.strictObject({
      description: z.string(),
      target: z.enum([RuleTarget.EventsLog, RuleTarget.SiemQueue]),
      pattern: z.record(z.string(), z.unknown()),
    }),
  ),
});

export interface Rule {
  name: string;
  description: string;
  target: RuleTarget;
  pattern: EventPattern;
}

export const loadRules = (file: unknown = rulesFile): Rule[] =>
  Object.entries(RulesFileSchema.parse(file).rules).map(([name, rule]) => ({
    name,
    description: rule.description,
    target: rule.target,
    pattern: validateEventPattern(rule.pattern),
  }));
