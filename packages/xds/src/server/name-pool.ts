/**
 * Interning of subscribed-name sets. Proxies of one mesh ask for the same route and endpoint
 * names; a thousand Envoys of a 10k-service mesh each holding their own 20k-entry Set (and their
 * own decoded copies of the strings) cost over a gigabyte (measured: 1.23 GiB of heap). Large sets
 * are pooled by content and shared; a stream that changes its set gets a copy first.
 *
 * The pool holds sets weakly: when no stream uses a set any more, it goes.
 */

/** Sets smaller than this are not worth pooling. */
const MIN_POOLED = 64;

const pool = new Map<string, WeakRef<ReadonlySet<string>>[]>();
/** Sets that are in the pool: interning one again costs a lookup, not a fingerprint of 10,000 names. */
const pooled = new WeakSet<ReadonlySet<string>>();
const cleanup = new FinalizationRegistry<string>((key) => {
  const refs = pool.get(key);
  if (!refs) return;
  const live = refs.filter((r) => r.deref() !== undefined);
  if (live.length === 0) pool.delete(key);
  else pool.set(key, live);
});

/** FNV-1a of a string, 32 bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fingerprint(set: ReadonlySet<string>): string {
  // Order-independent: a sum and an xor of the members' hashes.
  let sum = 0;
  let xor = 0;
  for (const s of set) {
    const h = hashString(s);
    sum = (sum + h) >>> 0;
    xor = (xor ^ Math.imul(h, 0x9e3779b1)) >>> 0;
  }
  return `${set.size}:${sum}:${xor}`;
}

function equal(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const s of a) if (!b.has(s)) return false;
  return true;
}

/** A pooled set with the same members as `set` (itself, when it is the first of its kind). */
export function internNames(set: ReadonlySet<string>): ReadonlySet<string> {
  if (set.size < MIN_POOLED || pooled.has(set)) return set;
  const key = fingerprint(set);
  const refs = pool.get(key) ?? [];
  for (const r of refs) {
    const candidate = r.deref();
    if (candidate === set) return set;
    if (candidate && equal(candidate, set)) return candidate;
  }
  refs.push(new WeakRef(set));
  pooled.add(set);
  pool.set(key, refs);
  cleanup.register(set, key);
  return set;
}

export function isPoolable(set: ReadonlySet<string>): boolean {
  return set.size >= MIN_POOLED;
}
