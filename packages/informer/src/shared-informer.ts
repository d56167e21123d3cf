/**
 * SharedIndexInformer: one Reflector, one DeltaFIFO and one indexed cache for a resource, shared
 * by any number of handlers (client-go's shared_informer.go).
 *
 * The Reflector fills the DeltaFIFO; the processing loop pops one key at a time, applies its
 * deltas to the Indexer and hands the matching notifications to every handler's own buffer. So
 * by the time a handler hears of a change, the cache already shows it.
 *
 * ```ts
 * const informer = new SharedIndexInformer<Pod>(listWatchFor(pods), {
 *   name: 'v1/pods',
 *   indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
 * });
 * const reg = informer.addEventHandler({ onAdd: (p) => queue.add(key(p)) });
 * void informer.run(signal);
 * await waitForCacheSync(signal, reg.hasSynced);
 * informer.getIndexer().byIndex('byNode', 'node-a');
 * ```
 */
import type { KubeObject } from './object.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DeltaFIFO, type Delta } from './delta-fifo.js';
import { Indexer, NamespaceIndex, metaNamespaceIndexFunc } from './indexer.js';
import { metaNamespaceKeyFunc, type KeyFunc } from './keys.js';
import type { ListerWatcher } from './list-watch.js';
import { defaultLogger } from './logger.js';
import { informerMetrics, type InformerMetrics } from './metrics.js';
import { ProcessorListener, SharedProcessor, type ResourceEventHandler } from './processor.js';
import { Reflector, type ReflectorOptions } from './reflector.js';
import type { Indexers } from './thread-safe-store.js';
import { stripManagedFields, type TransformFunc } from './transform.js';

/** Shortest resync period a handler may ask for (client-go's minimumResyncPeriod). */
export const MINIMUM_RESYNC_PERIOD_MS = 1000;

/** Reflector settings an informer passes through. */
export type InformerReflectorOptions = Pick<
  ReflectorOptions<KubeObject>,
  'pageSize' | 'useWatchList' | 'minWatchTimeoutSeconds' | 'watchInactivityTimeoutMs' | 'backoff' | 'onTransition'
>;

export interface SharedIndexInformerOptions<T> {
  /** Names the informer in logs and metrics (`v1/pods`). Default `informer`. */
  name?: string;
  /** Resync period in ms of handlers that do not set their own; 0 (default) never resyncs. */
  defaultResync?: number;
  /** Indexers besides the namespace index (`NamespaceIndex`), which every informer has. */
  indexers?: Indexers<T>;
  /**
   * Applied to every object before it is queued and cached. Default stripManagedFields; null
   * caches objects exactly as served.
   */
  transform?: TransformFunc<T> | null;
  /** Default metaNamespaceKeyFunc. */
  keyFunc?: KeyFunc<T>;
  reflector?: InformerReflectorOptions;
  logger?: Logger;
  /** Registry for the metrics. Default: prom-client's global registry. */
  registry?: Registry;
}

export interface HandlerOptions {
  /** Names the handler in logs and metrics. Default `handler-<n>`. */
  name?: string;
  /** This handler's resync period in ms; default: the informer's defaultResync. */
  resyncPeriod?: number;
}

/** What addEventHandler returns. */
export interface ResourceEventHandlerRegistration {
  readonly name: string;
  /**
   * True once the informer has synced and this handler has handled every notification of the
   * initial list (for a handler added later: of the cache's content when it was added).
   */
  hasSynced: () => boolean;
  /** Stops deliveries to this handler; what its buffer holds is dropped. */
  remove: () => void;
}

export class SharedIndexInformer<T extends KubeObject = KubeObject> {
  readonly name: string;
  private readonly indexer: Indexer<T>;
  private readonly processor = new SharedProcessor<T>();
  private readonly keyFunc: KeyFunc<T>;
  private transform: TransformFunc<T> | undefined;
  private readonly defaultResync: number;
  private resyncCheckPeriod: number;
  private readonly reflectorOptions: InformerReflectorOptions;
  private readonly log: Logger;
  private readonly logger: Logger;
  private readonly registry?: Registry;
  private readonly metrics: InformerMetrics;
  private fifo?: DeltaFIFO<T>;
  private reflector?: Reflector<T>;
  private started = false;
  private stopped = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private handlerCount = 0;

  constructor(
    private readonly lw: ListerWatcher<T>,
    opts: SharedIndexInformerOptions<T> = {},
  ) {
    this.name = opts.name ?? 'informer';
    this.keyFunc = opts.keyFunc ?? (metaNamespaceKeyFunc as KeyFunc<T>);
    this.indexer = new Indexer<T>({
      keyFunc: this.keyFunc,
      indexers: { [NamespaceIndex]: metaNamespaceIndexFunc as (o: T) => string[], ...opts.indexers },
    });
    this.transform = opts.transform === null ? undefined : (opts.transform ?? stripManagedFields);
    this.defaultResync = opts.defaultResync ?? 0;
    this.resyncCheckPeriod = this.defaultResync;
    this.reflectorOptions = opts.reflector ?? {};
    this.logger = opts.logger ?? defaultLogger();
    this.log = this.logger.child({ component: 'informer', name: this.name });
    this.registry = opts.registry;
    this.metrics = informerMetrics(opts.registry);
  }

  /**
   * Adds a handler. Before `run`, it will see the initial list; after, it first gets an `onAdd`
   * (with isInInitialList true) for every object in the cache, then the changes. A handler added
   * to a stopped informer is an error.
   */
  addEventHandler(handler: ResourceEventHandler<T>, opts: HandlerOptions = {}): ResourceEventHandlerRegistration {
    if (this.stopped) throw new Error(`informer ${this.name} has stopped; a handler added now would never be called`);
    const name = opts.name ?? `handler-${++this.handlerCount}`;
    const resyncPeriod = this.handlerResyncPeriod(name, opts.resyncPeriod ?? this.defaultResync);
    const listener = new ProcessorListener<T>(name, handler, resyncPeriod, this.name, this.metrics, this.log);
    this.processor.add(listener);
    if (this.started) {
      const at = performance.now();
      for (const obj of this.indexer.list()) listener.add({ type: 'add', obj, isInInitialList: true, at });
    }
    return {
      name,
      hasSynced: () => this.hasSynced() && listener.pendingInitialNotifications === 0,
      remove: () => this.processor.remove(listener),
    };
  }

  /** The cache. Objects in it are shared: read them, never modify them. */
  getIndexer(): Indexer<T> {
    return this.indexer;
  }

  /** client-go's name for the same cache. */
  getStore(): Indexer<T> {
    return this.indexer;
  }

  /** Adds indexers; they are built at once from the objects already cached. */
  addIndexers(indexers: Indexers<T>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Replaces the transform (null: none). Only before `run`: cached objects must all have passed the same one. */
  setTransform(transform: TransformFunc<T> | null): void {
    if (this.started) throw new Error(`informer ${this.name} has already started; set its transform before run()`);
    this.transform = transform ?? undefined;
  }

  /** True once the initial list has been applied to the cache (and handed to the handlers' buffers). */
  hasSynced = (): boolean => this.synced;

  /** Resolves true once synced, false if `signal` aborts first. */
  waitForSync(signal: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** The resourceVersion of the last list, event or bookmark the Reflector applied; '' before. */
  lastSyncResourceVersion(): string {
    return this.reflector?.lastSyncResourceVersion() ?? '';
  }

  get isStarted(): boolean {
    return this.started;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Lists, watches and delivers until `signal` aborts. Resolves once the Reflector has ended its
   * requests and no handler call is running; buffered notifications are dropped. Runs once.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer ${this.name} has already been started; an informer runs once`);
    this.started = true;
    const depth = this.metrics.queuedItems.labels(this.name);
    const processing = this.metrics.processingLatency.labels(this.name);
    const fifo = new DeltaFIFO<T>({
      keyFunc: this.keyFunc,
      knownObjects: this.indexer,
      // The Reflector applies the transform, page by page: see ReflectorOptions.transform.
      emitDeltaTypeReplaced: true,
      onLengthChange: (n) => depth.set(n),
      onSynced: () => this.markSynced(),
    });
    this.fifo = fifo;
    this.reflector = new Reflector<T>(this.lw, fifo, {
      ...this.reflectorOptions,
      name: this.name,
      keyFunc: this.keyFunc,
      transform: this.transform,
      resyncPeriod: this.resyncCheckPeriod,
      shouldResync: () => this.processor.shouldResync(),
      logger: this.logger,
      registry: this.registry,
    });

    const close = (): void => fifo.close();
    signal.addEventListener('abort', close, { once: true });
    if (signal.aborted) close();

    const processLoop = async (): Promise<void> => {
      const handle = (deltas: Delta<T>[], isInInitialList: boolean): void => {
        const t0 = performance.now();
        this.handleDeltas(deltas, isInInitialList, t0);
        processing.observe((performance.now() - t0) / 1000);
      };
      for (;;) {
        try {
          if (!(await fifo.pop(handle))) return;
        } catch (err) {
          // An indexer or key function that throws: the key's deltas are lost, the loop is not.
          this.metrics.watchErrorsTotal.labels(this.name, 'ProcessError').inc();
          this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'applying deltas to the cache failed; the key is skipped');
        }
      }
    };

    try {
      await Promise.all([this.reflector.run(signal), processLoop()]);
    } finally {
      signal.removeEventListener('abort', close);
      this.stopped = true;
      this.processor.stop();
      await this.processor.idle();
    }
  }

  /** client-go's processDeltas: cache first, then notifications. */
  private handleDeltas(deltas: Delta<T>[], isInInitialList: boolean, at: number): void {
    for (const d of deltas) {
      if (d.type === 'Deleted') {
        this.indexer.delete(d.object);
        this.processor.distribute({ type: 'delete', obj: d.object, at }, false);
        continue;
      }
      const obj = d.object as T; // only deletes carry tombstones
      const old = this.indexer.get(obj);
      if (old === undefined) {
        this.indexer.add(obj);
        this.processor.distribute({ type: 'add', obj, isInInitialList, at }, false);
        continue;
      }
      this.indexer.update(obj);
      // A resync, or a relist that found the object unchanged, goes only to handlers due for a resync.
      const isSync = d.type === 'Sync' || (d.type === 'Replaced' && old.metadata?.resourceVersion === obj.metadata?.resourceVersion);
      this.processor.distribute({ type: 'update', oldObj: old, obj, at }, isSync);
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  /** client-go's rules: at least a second; before run a shorter period speeds up the resync timer, after run it is raised to it. */
  private handlerResyncPeriod(handler: string, requested: number): number {
    if (requested <= 0) return 0;
    let period = requested;
    if (period < MINIMUM_RESYNC_PERIOD_MS) {
      this.log.warn({ handler, requested }, `resync period raised to the minimum of ${MINIMUM_RESYNC_PERIOD_MS} ms`);
      period = MINIMUM_RESYNC_PERIOD_MS;
    }
    if (this.resyncCheckPeriod === 0 || period < this.resyncCheckPeriod) {
      if (!this.started) this.resyncCheckPeriod = period;
      else if (this.resyncCheckPeriod === 0) {
        this.log.warn({ handler, requested }, 'the informer was started without resync; this handler will not be resynced');
        return 0;
      } else {
        this.log.warn({ handler, requested, period: this.resyncCheckPeriod }, "resync period raised to the running informer's resync check period");
        period = this.resyncCheckPeriod;
      }
    }
    return period;
  }
}
