/**
 * A record's own value for a key that comes from a payload. Plain `record[key]`
 * would also find inherited properties, so a client id or provider name such as
 * "toString" or "constructor" would read a function from Object.prototype.
 */
export const own = <V>(record: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;
