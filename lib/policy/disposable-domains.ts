/**
 * Disposable (throw-away) email domains, from the `disposable-email-domains`
 * package: about 120,000 domains plus wildcard entries whose every subdomain is
 * disposable. The list is data, not code: bundles keep the package external and
 * ship it beside the function, and it is read once per container, only when the
 * stage's policy blocks disposable domains.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AuthtrailError } from '../errors.ts';
import { domainAndParents, normalizeDomain, unicodeFormOf } from './email-address.ts';

const require = createRequire(import.meta.url);

/**
 * The package's index.json as it is on disk: a JSON array with one quoted domain
 * per line, in sorted order. It is read on the first sign-up that needs it, which
 * is on the sign-up path of a cold start, so it is not parsed: JSON.parse plus a
 * Set of 120,000 strings took 55-68 ms there (mostly allocation and GC), while
 * reading the bytes takes a few, and a lookup bisects the text itself, line by
 * line, in ~17 steps. The text is kept as latin1, one character per byte of
 * UTF-8, so that string order is the file's byte order (code point order) for
 * the dozen non-ASCII domains too.
 */
interface DisposableList {
  text: string;
  /** Where the first domain's line starts, and where the closing "]" line starts. */
  first: number;
  end: number;
  wildcard: ReadonlySet<string>;
}

let cached: DisposableList | undefined;

const packageFile = (file: string): Buffer => readFileSync(require.resolve(`disposable-email-domains/${file}`));

const disposableList = (): DisposableList => {
  if (cached === undefined) {
    const text = packageFile('index.json').toString('latin1');
    cached = {
      text,
      first: text.indexOf('\n') + 1,
      end: text.lastIndexOf('\n', text.lastIndexOf(']')) + 1,
      wildcard: new Set(JSON.parse(packageFile('wildcard.json').toString('utf8')) as string[]),
    };
  }
  return cached;
};

const ASCII = /^[\x00-\x7f]*$/;

/** The installed disposable-email-domains list is not in the shape the bisection reads (a new major version, a damaged install). */
export class DisposableListFormatError extends AuthtrailError {
  readonly code = 'DISPOSABLE_LIST_UNREADABLE' as const;
  constructor(offset: number) {
    super(`disposable-email-domains/index.json is no longer one quoted domain per line (at offset ${offset})`);
    this.name = 'DisposableListFormatError';
  }
}

/** Bisection over the lines between `first` and `end`: each step halves the characters left, whole lines at a time. */
const isListed = ({ text, first, end }: DisposableList, domain: string): boolean => {
  const wanted = ASCII.test(domain) ? domain : Buffer.from(domain, 'utf8').toString('latin1');
  let low = first; // always a line start
  let high = end; // always a line start (just after a newline)
  while (low < high) {
    const middle = (low + high) >>> 1;
    const lineStart = text.lastIndexOf('\n', middle - 1) + 1;
    const lineEnd = text.indexOf('\n', middle);
    const open = text.indexOf('"', lineStart);
    const close = text.indexOf('"', open + 1);
    if (open < 0 || close < 0 || close > lineEnd) {
      throw new DisposableListFormatError(lineStart);
    }
    const candidate = text.slice(open + 1, close);
    if (candidate === wanted) return true;
    if (candidate < wanted) low = lineEnd + 1;
    else high = lineStart;
  }
  return false;
};

/**
 * Whether a domain, or a parent of it, is disposable, however it is spelled: the
 * domain is normalized (lib/policy/email-address.ts) and looked up in ASCII
 * form, which is how the list spells its 872 IDNs (`5801000.xn--p1ai`), and in
 * Unicode form, which is how it spells a dozen others (`gmaıl.net`).
 */
export const isDisposableDomain = (domain: string): boolean => {
  const list = disposableList();
  const normalized = normalizeDomain(domain);
  if (normalized === undefined) return false;
  const candidates = domainAndParents(normalized);
  return candidates.some((candidate) => {
    const unicode = unicodeFormOf(candidate);
    return list.wildcard.has(candidate) || isListed(list, candidate) || (unicode !== candidate && (list.wildcard.has(unicode) || isListed(list, unicode)));
  });
};
