/**
 * Interning of long resource-name lists, at the wire. The proxies of one mesh send the same list
 * of route and endpoint names: every Envoy of a 10k-service mesh subscribes to the same 10,000
 * names, and every SotW ACK repeats its list. Decoding those strings once per request, then
 * hashing and comparing them per stream, was the largest cost of a first sync after the bytes
 * themselves (about 4 ms per stream and type at 10k names).
 *
 * A run of name fields is looked up by its raw bytes: equal bytes mean an equal list, so the
 * request gets the very array (and, through `nameSetOf`, the very Set) earlier requests got. A
 * hit costs a memcmp against the runs of the same length; the strings are never decoded again.
 *
 * Interned arrays are frozen: requests carry them to callbacks, which must not change them.
 */

/** Lists shorter than this are decoded as usual: interning would cost more than it saves. */
export const MIN_INTERNED_NAMES = 64;
/** Bounds of the table: past either, the oldest lists go first. */
const MAX_LISTS = 256;
const MAX_BYTES = 64 * 1024 * 1024;

interface Entry {
  /** A copy of the run's bytes, compared with memcmp (no string made per lookup). */
  bytes: Buffer;
  names: readonly string[];
}

/** Runs by byte length (equal lists have equal lengths), most recently used last. */
const table = new Map<number, Entry[]>();
let tableLists = 0;
let tableBytes = 0;
/** Every list the table handed out (also after eviction): identity says "interned". */
const interned = new WeakSet<readonly string[]>();
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The lists used last, most recent first: a request's run is tried against these before it is scanned. */
const recent: Entry[] = [];
const RECENT = 8;

function touch(e: Entry): void {
  const i = recent.indexOf(e);
  if (i === 0) return;
  if (i > 0) recent.splice(i, 1);
  recent.unshift(e);
  if (recent.length > RECENT) recent.pop();
}

/**
 * A recently used list whose run is at `buf[start, …)`: the run's bytes match and the field after
 * them (if any) is not another name (`tag`, the names' one-byte field tag). Spares the scan of
 * 10,000 fields that finding the run's end costs (every SotW ACK of a large Envoy repeats its list).
 */
export function recentNameRunAt(buf: Buffer, start: number, end: number, tag: number): { names: readonly string[]; end: number } | undefined {
  for (const e of recent) {
    const runEnd = start + e.bytes.length;
    if (runEnd > end || (runEnd < end && buf[runEnd] === tag)) continue;
    if (buf.compare(e.bytes, 0, e.bytes.length, start, runEnd) === 0) {
      touch(e);
      return { names: e.names, end: runEnd };
    }
  }
  return undefined;
}

/**
 * The names of a run of `count` length-delimited fields in `buf[start, end)` (all of the same
 * field number), interned when the run is long. `decode` reads the run's strings in order.
 */
export function internNameRun(buf: Buffer, start: number, end: number, count: number, decode: () => string[]): readonly string[] {
  if (count < MIN_INTERNED_NAMES) return decode();
  const length = end - start;
  const bucket = table.get(length);
  if (bucket) {
    for (let i = bucket.length - 1; i >= 0; i--) {
      const e = bucket[i];
      if (buf.compare(e.bytes, 0, length, start, end) === 0) {
        if (i !== bucket.length - 1) bucket.push(...bucket.splice(i, 1));
        touch(e);
        return e.names;
      }
    }
  }
  const names = Object.freeze(decode());
  interned.add(names);
  const entry = { bytes: Buffer.from(buf.subarray(start, end)), names };
  if (bucket) bucket.push(entry);
  else table.set(length, [entry]);
  touch(entry);
  tableLists++;
  tableBytes += length;
  // Past the bounds, drop from the bucket least recently added to (coarse, and enough: a mesh
  // has a handful of distinct lists).
  while (tableLists > MAX_LISTS || tableBytes > MAX_BYTES) {
    const [len, entries] = table.entries().next().value as [number, Entry[]];
    const dropped = entries.shift()!;
    const r = recent.indexOf(dropped);
    if (r >= 0) recent.splice(r, 1);
    tableLists--;
    tableBytes -= dropped.bytes.length;
    if (entries.length === 0) table.delete(len);
    else {
      // Move the bucket to the back: it was just trimmed.
      table.delete(len);
      table.set(len, entries);
    }
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
