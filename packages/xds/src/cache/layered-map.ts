/**
 * An immutable map that changes cheaply: a flat base plus the changes made since, copied on
 * every change (they are few), folded into a new flat base when they grow past 1/32 of it.
 * LinearCache hands a new map to its streams on every change (streams share maps, never copy
 * them: ClientView) and used to copy all of it: at 10k resources, ~1.5 ms and a 10k-entry Map of
 * garbage per endpoint change, which with the GCs it caused was most of a change's latency.
 *
 * Iteration: the base's order (a replaced entry keeps its place), then entries added since.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly size: number;

  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    /** Since `base`: the new value, or null for a deletion. */
    private readonly changes: ReadonlyMap<K, V | null>,
    size: number,
  ) {
    this.size = size;
  }

  static from<K, V>(map: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return map instanceof LayeredMap ? (map as LayeredMap<K, V>) : new LayeredMap(map, new Map(), map.size);
  }

  /** A new map: this one with `updates` set and `deletes` removed. This one is unchanged. */
  with(updates: Iterable<[K, V]>, deletes: Iterable<K> = []): LayeredMap<K, V> {
    const changes = new Map(this.changes);
    let size = this.size;
    const present = (k: K): boolean => (changes.has(k) ? changes.get(k) !== null : this.base.has(k));
    for (const [k, v] of updates) {
      if (!present(k)) size++;
      changes.set(k, v);
    }
    for (const k of deletes) {
      if (!present(k)) continue;
      size--;
      if (this.base.has(k)) changes.set(k, null);
      else changes.delete(k);
    }
    const next = new LayeredMap(this.base, changes, size);
    return changes.size > Math.max(64, this.base.size >> 5) ? new LayeredMap(new Map(next), new Map(), size) : next;
  }

  get(key: K): V | undefined {
    const c = this.changes.get(key);
    if (c !== undefined) return c ?? undefined;
    return this.base.get(key);
  }

  has(key: K): boolean {
    const c = this.changes.get(key);
    if (c !== undefined) return c !== null;
    return this.base.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    const changes = this.changes;
    if (changes.size === 0) {
      yield* this.base.entries();
      return;
    }
    for (const e of this.base) {
      const c = changes.get(e[0]);
      if (c === undefined) yield e;
      else if (c !== null) yield [e[0], c];
    }
    for (const [k, c] of changes) if (c !== null && !this.base.has(k)) yield [k, c];
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
