/**
 * SharedInformerFactory: one informer per resource, namespace and selector set, however many
 * controllers ask for it (client-go's informers.SharedInformerFactory, over GVRs as its dynamic
 * factory). One watch per resource instead of one per consumer is what keeps memory and API
 * load flat as controllers are added.
 *
 * ```ts
 * const factory = new SharedInformerFactory(client, { defaultResync: 0 });
 * const pods = factory.forResource({ group: '', version: 'v1', resource: 'pods' });
 * pods.addEventHandler({ onAdd, onUpdate, onDelete });
 * await factory.start(signal);
 * await factory.waitForCacheSync(signal);
 * ```
 */
import type { GroupVersionResource } from '@keelson/apimachinery';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { listWatchFor, type ListerWatcher } from './list-watch.js';
import { defaultLogger } from './logger.js';
import type { KubeObject } from './object.js';
import { SharedIndexInformer, type InformerReflectorOptions } from './shared-informer.js';
import type { Indexers } from './thread-safe-store.js';
import type { TransformFunc } from './transform.js';

/**
 * Where the factory gets a resource's list and watch calls: a client with
 * `resource(gvr, namespace?)` answering a ResourceClient (Keelson's Client), or a function doing
 * the same. `namespace` undefined means all namespaces (and cluster-scoped resources).
 */
export type ListerWatcherSource =
  | { resource(gvr: GroupVersionResource, namespace?: string): ListerWatcher<any> }
  | ((gvr: GroupVersionResource, namespace?: string) => ListerWatcher<any>);

export interface SharedInformerFactoryOptions {
  /** Resync period in ms for informers created without their own; 0 (default) never resyncs. */
  defaultResync?: number;
  /** Restricts every informer to one namespace (client-go's WithNamespace). Default: all. */
  namespace?: string;
  /** Selectors every informer's list and watch carry (client-go's WithTweakListOptions). */
  labelSelector?: string;
  fieldSelector?: string;
  /** Transform of every informer. Default stripManagedFields; null: none. */
  transform?: TransformFunc<KubeObject> | null;
  reflector?: InformerReflectorOptions;
  logger?: Logger;
  registry?: Registry;
}

export interface ForResourceOptions<T> {
  /** Overrides the factory's namespace for this informer. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Resync period in ms of this informer's handlers; default the factory's defaultResync. */
  resyncPeriod?: number;
  /** Extra indexers; added to the informer if it exists already (names it lacks). */
  indexers?: Indexers<T>;
  /** Used only when this call creates the informer. */
  transform?: TransformFunc<T> | null;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedIndexInformer<any>>();
  private readonly runs = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private signal?: AbortSignal;

  constructor(
    private readonly source: ListerWatcherSource,
    private readonly opts: SharedInformerFactoryOptions = {},
  ) {
    this.log = (opts.logger ?? defaultLogger()).child({ component: 'informer-factory' });
  }

  /**
   * The informer of `gvr` with these namespace and selectors, created on first request. After
   * `start`, a new informer starts at once (client-go's factory would wait for another Start).
   */
  forResource<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, opts: ForResourceOptions<T> = {}): SharedIndexInformer<T> {
    const namespace = opts.namespace ?? this.opts.namespace;
    const labelSelector = opts.labelSelector ?? this.opts.labelSelector;
    const fieldSelector = opts.fieldSelector ?? this.opts.fieldSelector;
    const key = informerKey(gvr, namespace, labelSelector, fieldSelector);
    const existing = this.informers.get(key) as SharedIndexInformer<T> | undefined;
    if (existing) {
      if (opts.indexers) {
        const have = existing.getIndexer().getIndexers();
        const missing = Object.fromEntries(Object.entries(opts.indexers).filter(([name]) => !(name in have)));
        if (Object.keys(missing).length) existing.addIndexers(missing);
      }
      return existing;
    }
    const client = typeof this.source === 'function' ? this.source(gvr, namespace) : this.source.resource(gvr, namespace);
    const informer = new SharedIndexInformer<T>(listWatchFor<T>(client, { labelSelector, fieldSelector }), {
      name: key,
      defaultResync: opts.resyncPeriod ?? this.opts.defaultResync ?? 0,
      indexers: opts.indexers,
      transform: opts.transform !== undefined ? opts.transform : (this.opts.transform as TransformFunc<T> | null | undefined),
      reflector: this.opts.reflector,
      logger: this.opts.logger,
      registry: this.opts.registry,
    });
    this.informers.set(key, informer);
    if (this.signal) this.startOne(key, informer, this.signal);
    return informer;
  }

  /** Starts every informer not started yet; they run until `signal` aborts. Returns once they are started. */
  async start(signal: AbortSignal): Promise<void> {
    this.signal ??= signal;
    for (const [key, informer] of this.informers) if (!informer.isStarted) this.startOne(key, informer, signal);
  }

  /**
   * Resolves true once every started informer has synced, false if `signal` aborts first
   * (client-go's WaitForCacheSync, answering for all of them at once).
   */
  async waitForCacheSync(signal: AbortSignal): Promise<boolean> {
    const started = Array.from(this.informers.values()).filter((i) => i.isStarted);
    const results = await Promise.all(started.map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Which informers have synced, by name. */
  syncStatus(): Map<string, boolean> {
    return new Map(Array.from(this.informers, ([key, i]) => [key, i.hasSynced()]));
  }

  /** Every informer made so far. */
  list(): SharedIndexInformer<any>[] {
    return Array.from(this.informers.values());
  }

  /** Resolves once every started informer has stopped (after the start signal aborted). */
  async shutdown(): Promise<void> {
    await Promise.all(this.runs.values());
  }

  private startOne(key: string, informer: SharedIndexInformer<any>, signal: AbortSignal): void {
    const run = informer.run(signal).catch((err: unknown) => {
      this.log.error({ informer: key, err: err instanceof Error ? err.message : String(err) }, 'informer ended with an error');
    });
    this.runs.set(key, run);
  }
}

/** `v1/pods`, `apps/v1/deployments ns=prod labels=app=web`: the informer's identity and its metrics name. */
export function informerKey(gvr: GroupVersionResource, namespace?: string, labelSelector?: string, fieldSelector?: string): string {
  let key = gvr.group ? `${gvr.group}/${gvr.version}/${gvr.resource}` : `${gvr.version}/${gvr.resource}`;
  if (namespace) key += ` ns=${namespace}`;
  if (labelSelector) key += ` labels=${labelSelector}`;
  if (fieldSelector) key += ` fields=${fieldSelector}`;
  return key;
}
