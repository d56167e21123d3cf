/**
 * DeltaFIFO: a queue of keys, each with the list of changes ("deltas") seen for it since it was
 * last popped (client-go's delta_fifo.go). The Reflector writes into it; the informer pops one
 * key at a time and applies its deltas, in order, to the cache and the handlers.
 *
 * - A key is queued once however many deltas it collects, so a busy object never starves others
 *   and a consumer sees every intermediate state, not just the latest.
 * - Two deletes in a row collapse into one (a watch DELETED followed by a relist tombstone keeps
 *   the one that knows the final state).
 * - `replace` (a relist) queues `Replaced` for every listed object and a `Deleted` carrying a
 *   DeletedFinalStateUnknown tombstone for every object the cache (`knownObjects`) or the queue
 *   holds that the list no longer has: deletes missed while no watch ran still reach handlers.
 * - `resync` queues `Sync` for every cached object that has nothing queued.
 * - `hasSynced` turns true once everything queued by the first `replace` has been popped and
 *   processed.
 *
 * ```ts
 * const fifo = new DeltaFIFO<Pod>({ knownObjects: indexer });
 * fifo.replace(listedPods, '42');
 * await fifo.pop((deltas) => { for (const d of deltas) apply(d); });
 * ```
 */
import { DeletedFinalStateUnknown, metaNamespaceKeyFunc, type KeyFunc } from './keys.js';
import type { KeyListerGetter } from './indexer.js';
import type { TransformFunc } from './transform.js';
import { Queue } from './internal/queue.js';

export type DeltaType = 'Added' | 'Updated' | 'Deleted' | 'Replaced' | 'Sync';

export interface Delta<T> {
  type: DeltaType;
  object: T | DeletedFinalStateUnknown<T>;
}

/**
 * Processes the deltas of one key, oldest first. `isInInitialList` is true while the items the
 * first `replace` queued are being popped.
 */
export type PopProcessFunc<T> = (deltas: Delta<T>[], isInInitialList: boolean) => void | Promise<void>;

export interface DeltaFIFOOptions<T> {
  /** Default: metaNamespaceKeyFunc. */
  keyFunc?: KeyFunc<T>;
  /** The cache the popped deltas end up in; needed for tombstones on replace and for resync. */
  knownObjects?: KeyListerGetter<T>;
  /** Applied to every object queued, except tombstones and Sync deltas (those come from the cache). */
  transform?: TransformFunc<T> | null;
  /**
   * `replace` queues `Replaced` (true, the default: what shared informers use, so that a relist
   * can tell unchanged objects from changed ones) or `Sync` (false, client-go's legacy default).
   */
  emitDeltaTypeReplaced?: boolean;
  /** Called with the number of queued keys whenever it changes (metrics). */
  onLengthChange?: (length: number) => void;
  /** Called once, when hasSynced turns true. */
  onSynced?: () => void;
}

export class DeltaFIFO<T> {
  private readonly items = new Map<string, Delta<T>[]>();
  private readonly queue = new Queue<string>();
  private readonly keyFunc: KeyFunc<T>;
  private readonly knownObjects?: KeyListerGetter<T>;
  private readonly transform?: TransformFunc<T>;
  private readonly emitReplaced: boolean;
  private readonly onLengthChange?: (length: number) => void;
  private readonly onSynced?: () => void;
  private populated = false;
  private initialPopulationCount = 0;
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(opts: DeltaFIFOOptions<T> = {}) {
    this.keyFunc = opts.keyFunc ?? (metaNamespaceKeyFunc as unknown as KeyFunc<T>);
    this.knownObjects = opts.knownObjects;
    this.transform = opts.transform ?? undefined;
    this.emitReplaced = opts.emitDeltaTypeReplaced ?? true;
    this.onLengthChange = opts.onLengthChange;
    this.onSynced = opts.onSynced;
  }

  /** Number of queued keys. */
  get length(): number {
    return this.queue.length;
  }

  add(obj: T): void {
    this.markPopulated();
    this.queueAction('Added', obj);
  }

  update(obj: T): void {
    this.markPopulated();
    this.queueAction('Updated', obj);
  }

  /**
   * Queues a delete. A key neither cached nor queued is ignored: there is nothing to delete, and
   * a handler must not see a delete without the add before it.
   */
  delete(obj: T | DeletedFinalStateUnknown<T>): void {
    const key = this.keyFunc(obj);
    this.markPopulated();
    if (!this.items.has(key) && (this.knownObjects === undefined || this.knownObjects.getByKey(key) === undefined)) return;
    this.queueAction('Deleted', obj);
  }

  /**
   * The result of a (re)list: `Replaced` for every object of `list`, then a tombstone delete for
   * every key queued or cached that `list` lacks. `resourceVersion` is the list's; kept for
   * client-go's Store shape, the Reflector tracks it itself.
   */
  replace(list: T[], _resourceVersion?: string): void {
    const listed = new Set<string>();
    const type: DeltaType = this.emitReplaced ? 'Replaced' : 'Sync';
    for (const obj of list) {
      listed.add(this.keyFunc(obj));
      this.queueAction(type, obj);
    }

    // Keys queued but gone: the newest queued state is the last one known.
    const handled = new Set<string>();
    const gone: [string, T][] = [];
    for (const [key, deltas] of this.items) {
      if (listed.has(key)) continue;
      handled.add(key);
      const newest = deltas[deltas.length - 1];
      if (newest.type === 'Deleted') continue;
      gone.push([key, unwrap(newest.object)]);
    }
    // Keys cached but gone: the cached state is the last one known.
    if (this.knownObjects) {
      for (const key of this.knownObjects.listKeys()) {
        if (listed.has(key) || handled.has(key)) continue;
        const known = this.knownObjects.getByKey(key);
        if (known !== undefined) gone.push([key, known]);
      }
    }
    for (const [key, last] of gone) this.queueAction('Deleted', new DeletedFinalStateUnknown(key, last));

    if (!this.populated) {
      this.populated = true;
      this.initialPopulationCount = this.queue.length;
      if (this.initialPopulationCount === 0) this.onSynced?.();
    }
  }

  /** Queues `Sync` for every cached object that has nothing queued (a resync re-delivers the cache, it never lists). */
  resync(): void {
    if (!this.knownObjects) return;
    for (const key of this.knownObjects.listKeys()) {
      if (this.items.has(key)) continue;
      const obj = this.knownObjects.getByKey(key);
      if (obj !== undefined) this.queueAction('Sync', obj);
    }
  }

  /**
   * Waits for a key, removes it with its deltas and calls `process` with them (awaiting it when
   * it returns a promise). Resolves true after processing, false once the queue is closed. An
   * error from `process` rejects the pop; the key's deltas are not requeued.
   */
  async pop(process: PopProcessFunc<T>): Promise<boolean> {
    while (this.queue.length === 0) {
      if (this.closed) return false;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.closed) return false;
    const key = this.queue.shift()!;
    const deltas = this.items.get(key)!;
    this.items.delete(key);
    this.onLengthChange?.(this.queue.length);
    const initial = this.initialPopulationCount > 0;
    try {
      const r: unknown = process(deltas, initial);
      if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<void>).then === 'function') await r;
    } finally {
      // Counted down after processing, so hasSynced never claims an item the cache lacks.
      if (initial && --this.initialPopulationCount === 0) this.onSynced?.();
    }
    return true;
  }

  /** True once the first replace (or any add/update/delete before it) happened and its items were popped. */
  hasSynced(): boolean {
    return this.populated && this.initialPopulationCount === 0;
  }

  /** Wakes every pending pop, which resolves false; later pops resolve false at once. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queued keys, oldest first. */
  listKeys(): string[] {
    return Array.from(this.queue);
  }

  /** A copy of the deltas queued for `key`. */
  getByKey(key: string): Delta<T>[] | undefined {
    const d = this.items.get(key);
    return d ? d.slice() : undefined;
  }

  // A write before any replace populates the queue with nothing initial: synced at once.
  private markPopulated(): void {
    if (this.populated) return;
    this.populated = true;
    this.onSynced?.();
  }

  private queueAction(type: DeltaType, obj: T | DeletedFinalStateUnknown<T>): void {
    if (this.transform && type !== 'Sync' && !(obj instanceof DeletedFinalStateUnknown)) obj = this.transform(obj);
    const key = this.keyFunc(obj);
    const existing = this.items.get(key);
    const delta: Delta<T> = { type, object: obj };
    if (existing) {
      existing.push(delta);
      dedupDeletes(existing);
      return;
    }
    this.items.set(key, [delta]);
    this.queue.push(key);
    this.onLengthChange?.(this.queue.length);
    if (this.queue.length === 1) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Two deletes in a row say the same thing once: keep the one that carries the real final state
 * (a watch DELETED) over a tombstone; between two of the same sort, the newer.
 */
function dedupDeletes<T>(deltas: Delta<T>[]): void {
  const n = deltas.length;
  if (n < 2) return;
  const older = deltas[n - 2];
  const newer = deltas[n - 1];
  if (older.type !== 'Deleted' || newer.type !== 'Deleted') return;
  const keep = newer.object instanceof DeletedFinalStateUnknown && !(older.object instanceof DeletedFinalStateUnknown) ? older : newer;
  deltas.splice(n - 2, 2, keep);
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}
