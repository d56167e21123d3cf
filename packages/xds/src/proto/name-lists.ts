/**
 * Interning of long resource-name lists, at the wire. The proxies of one mesh send the same list
 * of route and endpoint names: every Envoy of a 10k-service mesh subscribes to the same 10,000
 * names, and every SotW ACK repeats its list. Decoding those strings once per request, then
 * hashing and comparing them per stream, was the largest cost of a first sync after the bytes
 * themselves (about 4 ms per stream and type at 10k names).
 *
 * A run of name fields is looked up by its raw bytes: equal bytes mean an equal list, so the
 * request gets the very array (and, through `nameSetOf`, the very Set) earlier requests got. A
 * hit costs one copy of the run into a string and a memcmp; the strings are never decoded again.
 *
 * Interned arrays are frozen: requests carry them to callbacks, which must not change them.
 */

/** Lists shorter than this are decoded as usual: interning would cost more than it saves. */
export const MIN_INTERNED_NAMES = 64;
/** Bounds of the table: past either, the oldest lists go first. */
const MAX_LISTS = 256;
const MAX_BYTES = 64 * 1024 * 1024;

interface Entry {
  names: readonly string[];
  bytes: number;
}

/** Raw bytes of a run (as a latin1 string: one byte per char, compared with memcmp) → the list. */
const table = new Map<string, Entry>();
let tableBytes = 0;
/** Every list the table handed out (also after eviction): identity says "interned". */
const interned = new WeakSet<readonly string[]>();
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * The names of a run of `count` length-delimited fields in `buf[start, end)` (all of the same
 * field number), interned when the run is long. `decode` reads the run's strings in order.
 */
export function internNameRun(buf: Buffer, start: number, end: number, count: number, decode: () => string[]): readonly string[] {
  if (count < MIN_INTERNED_NAMES) return decode();
  const key = buf.toString('latin1', start, end);
  const hit = table.get(key);
  if (hit) {
    // Most recently used last: eviction takes from the front.
    table.delete(key);
    table.set(key, hit);
    return hit.names;
  }
  const names = Object.freeze(decode());
  interned.add(names);
  const entry = { names, bytes: end - start };
  table.set(key, entry);
  tableBytes += entry.bytes;
  while (table.size > MAX_LISTS || tableBytes > MAX_BYTES) {
    const [oldest, e] = table.entries().next().value as [string, Entry];
    table.delete(oldest);
    tableBytes -= e.bytes;
  }
  return names;
}

/** Whether `names` came out of the intern table (so equal lists are the same array). */
export function isInternedNameList(names: readonly string[]): boolean {
  return interned.has(names);
}

/**
 * The Set of an interned list's names, built once per list and shared by every stream that
 * subscribes with it. Undefined for a list that was not interned.
 */
export function nameSetOf(names: readonly string[]): ReadonlySet<string> | undefined {
  if (!isInternedNameList(names)) return undefined;
  let set = sets.get(names);
  if (!set) sets.set(names, (set = new Set(names)));
  return set;
}
