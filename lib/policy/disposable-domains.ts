/**
 * Disposable (throw-away) email domains, from the `disposable-email-domains`
 * package: about 120,000 domains plus wildcard entries whose every subdomain is
 * disposable. The list is data, not code: bundles keep the package external and
 * ship it beside the function, and it is read once per container, only when the
 * stage's policy blocks disposable domains.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface DisposableList {
  /** Sorted, searched by bisection. */
  exact: readonly string[];
  wildcard: ReadonlySet<string>;
}

let cached: DisposableList | undefined;

const isSorted = (list: readonly string[]): boolean => {
  for (let index = 1; index < list.length; index += 1) if ((list[index - 1] as string) > (list[index] as string)) return false;
  return true;
};

/**
 * Read on the first sign-up that needs it, on the sign-up path of a cold start:
 * a Set of 120,000 domains took ~20 ms more to build than the file takes to
 * parse, while bisecting the (already sorted) list costs 17 comparisons a lookup.
 */
const disposableList = (): DisposableList => {
  if (cached === undefined) {
    const read = (id: string) => JSON.parse(readFileSync(require.resolve(id), 'utf8')) as string[];
    const exact = read('disposable-email-domains');
    cached = {
      exact: isSorted(exact) ? exact : exact.toSorted(),
      wildcard: new Set(read('disposable-email-domains/wildcard.json')),
    };
  }
  return cached;
};

const includesSorted = (sorted: readonly string[], value: string): boolean => {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = sorted[middle] as string;
    if (candidate === value) return true;
    if (candidate < value) low = middle + 1;
    else high = middle - 1;
  }
  return false;
};

/** The domain itself and each parent domain: a.b.example.com -> [a.b.example.com, b.example.com, example.com]. */
export const domainAndParents = (domain: string): string[] => {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, index) => labels.slice(index).join('.'));
};

export const isDisposableDomain = (domain: string): boolean => {
  const { exact, wildcard } = disposableList();
  return domainAndParents(domain).some((candidate) => wildcard.has(candidate) || includesSorted(exact, candidate));
};
