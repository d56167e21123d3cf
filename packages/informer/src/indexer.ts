/**
 * Indexer: a ThreadSafeStore addressed by object instead of key (client-go's cache.Indexer over
 * cache.NewIndexer). It is the informer's cache; listers read from it.
 *
 * ```ts
 * const pods = new Indexer<Pod>({ indexers: { [NamespaceIndex]: metaNamespaceIndexFunc, byNode } });
 * pods.add(pod);
 * pods.byIndex(NamespaceIndex, 'default');   // every Pod in "default"
 * pods.getByKey('default/web-0');
 * ```
 */
import type { KubeObject } from './object.js';
import { DeletedFinalStateUnknown, metaNamespaceKeyFunc, type KeyFunc } from './keys.js';
import { ThreadSafeStore, type IndexFunc, type Indexers } from './thread-safe-store.js';

/** The name of the index every informer has: objects by namespace ('' for cluster-scoped ones). */
export const NamespaceIndex = 'namespace';

/** Indexes an object under its namespace (client-go's MetaNamespaceIndexFunc). */
export const metaNamespaceIndexFunc: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

/** What a DeltaFIFO needs of the cache behind it: which keys it holds, and their objects. */
export interface KeyListerGetter<T> {
  listKeys(): string[];
  getByKey(key: string): T | undefined;
}

export interface IndexerOptions<T> {
  /** Default: metaNamespaceKeyFunc (`namespace/name`). */
  keyFunc?: KeyFunc<T>;
  /** Default: none. SharedIndexInformer adds the namespace index itself. */
  indexers?: Indexers<T>;
}

export class Indexer<T extends KubeObject = KubeObject> implements KeyListerGetter<T> {
  readonly keyFunc: KeyFunc<T>;
  private readonly store: ThreadSafeStore<T>;

  constructor(opts: IndexerOptions<T> = {}) {
    this.keyFunc = opts.keyFunc ?? (metaNamespaceKeyFunc as KeyFunc<T>);
    this.store = new ThreadSafeStore<T>(opts.indexers ?? {});
  }

  add(obj: T): void {
    this.store.add(this.keyFunc(obj), obj);
  }

  update(obj: T): void {
    this.store.update(this.keyFunc(obj), obj);
  }

  /** Deletes by the object's key; a tombstone deletes its key. */
  delete(obj: T | DeletedFinalStateUnknown<T>): void {
    this.store.delete(this.keyFunc(obj));
  }

  /** The stored object with the same key as `obj`. */
  get(obj: T | DeletedFinalStateUnknown<T>): T | undefined {
    return this.store.get(this.keyFunc(obj));
  }

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return this.store.list();
  }

  listKeys(): string[] {
    return this.store.listKeys();
  }

  get size(): number {
    return this.store.size;
  }

  /** Replaces the whole content. `resourceVersion` is accepted for client-go's Store shape and unused. */
  replace(list: T[], _resourceVersion?: string): void {
    this.store.replace(list.map((o) => [this.keyFunc(o), o] as [string, T]));
  }

  index(indexName: string, obj: T): T[] {
    return this.store.index(indexName, obj);
  }

  indexKeys(indexName: string, indexedValue: string): string[] {
    return this.store.indexKeys(indexName, indexedValue);
  }

  byIndex(indexName: string, indexedValue: string): T[] {
    return this.store.byIndex(indexName, indexedValue);
  }

  listIndexFuncValues(indexName: string): string[] {
    return this.store.listIndexFuncValues(indexName);
  }

  getIndexers(): Indexers<T> {
    return this.store.getIndexers();
  }

  addIndexers(indexers: Indexers<T>): void {
    this.store.addIndexers(indexers);
  }
}
