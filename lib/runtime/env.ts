/** Numeric settings from the environment, checked once at cold start: a bad value fails the deploy, naming the variable. */
import { ConfigError } from '../errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface WholeNumberSetting {
  default: number;
  min: number;
  max: number;
}

export const wholeNumberFrom = (env: Env, name: string, bounds: WholeNumberSetting): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return bounds.default;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    // The value is quoted cut short: a setting is no secret, but it may be long.
    throw new ConfigError(`${name} must be a whole number from ${bounds.min} to ${bounds.max}, got "${raw.slice(0, 20)}"`);
  }
  return value;
};
