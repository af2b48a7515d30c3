/**
 * Keeps every bus entry inside EventBridge's 256 KB limit without dropping the
 * event. Size is counted as EventBridge counts it: the UTF-8 bytes of Source,
 * DetailType and Detail, plus 14 bytes for Time.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 *
 * The trimming rule (docs/delivery.md), applied only while the entry is too
 * large, each step marked in `pipeline.trimmed`:
 *   1. `clientContext` is removed (untrusted client data, the least valuable);
 *   2. `groups` is cut to the longest prefix that fits;
 *   3. the `token` name lists are emptied (version and source stay).
 * Our own caps (512-char fields, 100 groups, 50 dropped keys) keep real events
 * far below the limit; this is the guarantee for what we did not foresee. An
 * event that still does not fit is spilled, never dropped.
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import { toBusEntry, type BusEntry } from '../routing/bus-entry.ts';

export const MAX_ENTRY_BYTES = 256 * 1024;
const TIME_BYTES = 14;

export const entryBytes = (entry: Pick<BusEntry, 'Source' | 'DetailType' | 'Detail'>): number =>
  Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail) + TIME_BYTES;

export interface Fitted {
  event: AuthEvent;
  entry: BusEntry;
  bytes: number;
}

const measure = (event: AuthEvent): Fitted => {
  const entry = toBusEntry(event);
  return { event, entry, bytes: entryBytes(entry) };
};

const marked = (event: AuthEvent, step: NonNullable<AuthEvent['pipeline']['trimmed']>[number]): AuthEvent => ({
  ...event,
  pipeline: { ...event.pipeline, trimmed: [...(event.pipeline.trimmed ?? []), step] },
});

/** The event as a bus entry, trimmed by the documented rule when over `limit`; `bytes` > limit means it still does not fit. */
export const fitEntry = (event: AuthEvent, limit = MAX_ENTRY_BYTES): Fitted => {
  let fitted = measure(event);
  if (fitted.bytes <= limit) return fitted;

  if (fitted.event.clientContext !== undefined) {
    const { clientContext: _, ...rest } = fitted.event;
    fitted = measure(marked(rest, 'clientContext'));
    if (fitted.bytes <= limit) return fitted;
  }

  if (fitted.event.groups.length > 0) {
    const base = marked(fitted.event, 'groups');
    const withGroups = (count: number) => measure({ ...base, groups: fitted.event.groups.slice(0, count) });
    let low = 0;
    let high = fitted.event.groups.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (withGroups(middle).bytes <= limit) low = middle;
      else high = middle - 1;
    }
    fitted = withGroups(low);
    if (fitted.bytes <= limit) return fitted;
  }

  if (fitted.event.token !== undefined) {
    const token = { ...fitted.event.token, claimsAdded: [], claimsSuppressed: [], scopesAdded: [], scopesSuppressed: [] };
    fitted = measure(marked({ ...fitted.event, token }, 'token'));
  }
  return fitted;
};
