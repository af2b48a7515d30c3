/**
 * Cutting an ordered list into batches bounded by count and by size, in order,
 * each batch as full as the limits allow. Both senders use it: PutEvents calls
 * (10 entries, 256 KB) and SIEM requests (siem.batch.maxEvents, a body size
 * that includes the format's framing).
 */
export const packBatches = <T extends { bytes: number }>(
  items: readonly T[],
  maxItems: number,
  /** Whether a batch of `count` items holding `bytes` bytes of them fits. */
  fits: (count: number, bytes: number) => boolean,
): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  // Running total of the current batch's bytes: no re-adding per item.
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxItems || !fits(current.length + 1, bytes + item.bytes))) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};
