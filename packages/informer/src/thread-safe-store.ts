/**
 * ThreadSafeStore: objects by key, plus named secondary indices kept up to date on every write
 * (client-go's thread_safe_store.go). The name is client-go's; in Node "thread-safe" means no
 * method awaits, so every read sees a state between two whole writes.
 *
 * An index maps each value its IndexFunc returns for an object (a namespace, a node name, an
 * owner UID) to the set of keys of the objects that return it. Sets that become empty are
 * dropped, so `listIndexFuncValues` never answers a value no object has.
 *
 * ```ts
 * const store = new ThreadSafeStore<Pod>({ byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
 * store.add('default/web-0', pod);
 * store.byIndex('byNode', 'node-a'); // [pod]
 * ```
 *
 * Objects are returned as stored, never copied: callers must treat them as read-only.
 */

/** The values an object is indexed under (none, one or several). */
export type IndexFunc<T> = (obj: T) => string[];

/** Index functions by index name. */
export type Indexers<T> = Record<string, IndexFunc<T>>;

type Index = Map<string, Set<string>>;

export class ThreadSafeStore<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Index>();

  constructor(indexers: Indexers<T> = {}) {
    for (const [name, fn] of Object.entries(indexers)) {
      this.indexers.set(name, fn);
      this.indices.set(name, new Map());
    }
  }

  /** Adds or replaces the object stored under `key`. */
  add(key: string, obj: T): void {
    const old = this.items.get(key);
    this.items.set(key, obj);
    this.updateIndices(key, old, obj);
  }

  /** Same as add: the store does not distinguish a first write from a later one. */
  update(key: string, obj: T): void {
    this.add(key, obj);
  }

  /** Removes the object under `key`; a missing key is not an error. */
  delete(key: string): void {
    const old = this.items.get(key);
    if (old === undefined) return;
    this.items.delete(key);
    this.updateIndices(key, old, undefined);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  get size(): number {
    return this.items.size;
  }

  list(): T[] {
    return Array.from(this.items.values());
  }

  listKeys(): string[] {
    return Array.from(this.items.keys());
  }

  /** Replaces the whole content and rebuilds every index. */
  replace(items: Iterable<[string, T]>): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
    for (const [key, obj] of items) {
      this.items.set(key, obj);
      this.updateIndices(key, undefined, obj);
    }
  }

  /** The objects that share at least one value of index `indexName` with `obj`. */
  index(indexName: string, obj: T): T[] {
    const fn = this.indexFunc(indexName);
    const idx = this.indices.get(indexName)!;
    const values = fn(obj);
    if (values.length === 1) return this.objectsOf(idx.get(values[0]));
    const keys = new Set<string>();
    for (const v of values) for (const k of idx.get(v) ?? []) keys.add(k);
    return this.objectsOf(keys);
  }

  /** The keys of the objects indexed under `indexedValue`. */
  indexKeys(indexName: string, indexedValue: string): string[] {
    this.indexFunc(indexName);
    const set = this.indices.get(indexName)!.get(indexedValue);
    return set ? Array.from(set) : [];
  }

  /** The objects indexed under `indexedValue`. */
  byIndex(indexName: string, indexedValue: string): T[] {
    this.indexFunc(indexName);
    return this.objectsOf(this.indices.get(indexName)!.get(indexedValue));
  }

  /** Every value at least one object is indexed under. */
  listIndexFuncValues(indexName: string): string[] {
    this.indexFunc(indexName);
    return Array.from(this.indices.get(indexName)!.keys());
  }

  getIndexers(): Indexers<T> {
    return Object.fromEntries(this.indexers);
  }

  /** Adds indices, built at once from the objects already stored. A name already in use is an error. */
  addIndexers(newIndexers: Indexers<T>): void {
    for (const name of Object.keys(newIndexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer conflict: an index named "${name}" already exists`);
    }
    for (const [name, fn] of Object.entries(newIndexers)) {
      const idx: Index = new Map();
      this.indexers.set(name, fn);
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(idx, v, key);
    }
  }

  private indexFunc(indexName: string): IndexFunc<T> {
    const fn = this.indexers.get(indexName);
    if (!fn) throw new Error(`index with name "${indexName}" does not exist`);
    return fn;
  }

  private objectsOf(keys: Set<string> | undefined): T[] {
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) out.push(this.items.get(k)!);
    return out;
  }

  private updateIndices(key: string, oldObj: T | undefined, newObj: T | undefined): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      const oldValues = oldObj === undefined ? [] : fn(oldObj);
      const newValues = newObj === undefined ? [] : fn(newObj);
      // The common case (one value, unchanged: a namespace) touches nothing.
      if (oldValues.length === 1 && newValues.length === 1 && oldValues[0] === newValues[0]) continue;
      for (const v of oldValues) if (!newValues.includes(v)) removeFrom(idx, v, key);
      for (const v of newValues) addTo(idx, v, key);
    }
  }
}

function addTo(idx: Index, value: string, key: string): void {
  let set = idx.get(value);
  if (!set) idx.set(value, (set = new Set()));
  set.add(key);
}

function removeFrom(idx: Index, value: string, key: string): void {
  const set = idx.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) idx.delete(value);
}
