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

/**
 * The package's index.json as it is on disk: a JSON array with one quoted domain
 * per line, in sorted order. It is read on the first sign-up that needs it, which
 * is on the sign-up path of a cold start, so it is not parsed: JSON.parse plus a
 * Set of 120,000 strings took ~30 ms there (mostly allocation and GC), while
 * reading the bytes and noting where each line starts takes ~8 ms, and bisecting
 * the lines costs 17 comparisons a lookup. The text is kept as latin1, one
 * character per byte of UTF-8, so that string order is the file's byte order
 * (code point order) for the dozen non-ASCII domains too.
 */
interface DisposableList {
  text: string;
  /** Where each domain's line starts in `text`, in list order. */
  lineStarts: Uint32Array;
  wildcard: ReadonlySet<string>;
}

let cached: DisposableList | undefined;

const packageFile = (file: string): Buffer => readFileSync(require.resolve(`disposable-email-domains/${file}`));

const disposableList = (): DisposableList => {
  if (cached === undefined) {
    const text = packageFile('index.json').toString('latin1');
    const starts: number[] = [];
    // Line 0 is "[" and the last one "]": the domains are on the lines in between.
    for (let newline = text.indexOf('\n'); newline !== -1 && newline + 1 < text.length; newline = text.indexOf('\n', newline + 1)) {
      starts.push(newline + 1);
    }
    if (text.slice(starts.at(-1) ?? 0).trim() === ']') starts.pop();
    cached = {
      text,
      lineStarts: Uint32Array.from(starts),
      wildcard: new Set(JSON.parse(packageFile('wildcard.json').toString('utf8')) as string[]),
    };
  }
  return cached;
};

const domainOnLine = ({ text, lineStarts }: DisposableList, line: number): string => {
  const start = lineStarts[line] as number;
  const open = text.indexOf('"', start);
  const close = text.indexOf('"', open + 1);
  const end = text.indexOf('\n', start);
  if (open < 0 || close < 0 || (end >= 0 && close > end)) {
    throw new Error(`disposable-email-domains/index.json is no longer one quoted domain per line (line ${line + 2})`);
  }
  return text.slice(open + 1, close);
};

const ASCII = /^[\x00-\x7f]*$/;

const isListed = (list: DisposableList, domain: string): boolean => {
  const wanted = ASCII.test(domain) ? domain : Buffer.from(domain, 'utf8').toString('latin1');
  let low = 0;
  let high = list.lineStarts.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = domainOnLine(list, middle);
    if (candidate === wanted) return true;
    if (candidate < wanted) low = middle + 1;
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
  const list = disposableList();
  return domainAndParents(domain).some((candidate) => list.wildcard.has(candidate) || isListed(list, candidate));
};
