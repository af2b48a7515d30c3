/**
 * Disposable (throw-away) email domains, from the `disposable-email-domains`
 * package: about 120,000 domains plus wildcard entries whose every subdomain is
 * disposable. The list is data, not code: bundles keep the package external and
 * ship it beside the function, and it is read once per container, only when the
 * stage's policy blocks disposable domains.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let cached: ReadonlySet<string> | undefined;

export const disposableDomains = (): ReadonlySet<string> => {
  if (cached === undefined) {
    const exact = require('disposable-email-domains') as string[];
    const wildcard = require('disposable-email-domains/wildcard.json') as string[];
    cached = new Set([...exact, ...wildcard]);
  }
  return cached;
};

/** The domain itself and each parent domain: a.b.example.com -> [a.b.example.com, b.example.com, example.com]. */
export const domainAndParents = (domain: string): string[] => {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, index) => labels.slice(index).join('.'));
};

export const isDisposableDomain = (domain: string): boolean =>
  domainAndParents(domain).some((candidate) => disposableDomains().has(candidate));
