/**
 * Reflector: keeps a store (the DeltaFIFO) equal to the server's state of one resource, by
 * listing and then watching (client-go's reflector.go), written as kube-rs writes its watcher:
 * one type of states and one function, `transition`, holding every transition.
 *
 * ```
 *  state          one step                               next state
 *  Empty          choose how to list                     ListingPages | StreamingList
 *  ListingPages   LIST one page (limit 500; `continue`   ListingPages (more pages)
 *                 pins the first page's revision)        Listed (last page: store.replace)
 *                                                        Backoff → Empty (failure, expired token)
 *  StreamingList  read one initial event                 StreamingList
 *                                                        Watching (initial-events-end bookmark:
 *                                                          store.replace; same stream goes on)
 *                                                        Empty (4xx: paged LISTs from now on)
 *                                                        Backoff → Empty (failure, early end)
 *  Listed         open a watch from the resourceVersion  Watching
 *  Watching       apply one event or bookmark            Watching
 *                                                        Listed (the watch ended normally)
 *                                                        Backoff → Listed (failed, silent, short)
 *                                                        Backoff → Empty (410: relist)
 *  Backoff        sleep (jittered, exponential)          the state it holds
 *  any            an unexpected error (a store or key    Backoff → Empty
 *                 function that throws on listed items)
 *  any            the signal aborted                     Stopped
 * ```
 *
 * - A watch starts from the list's resourceVersion, with bookmarks on and a random timeout of
 *   5–10 minutes, and is re-opened from the last resourceVersion seen (events and bookmarks) when
 *   it ends; a watch that fails is re-opened the same way after a backoff.
 * - Once listed, only 410 Gone/Expired (the resourceVersion was compacted away) relists, and
 *   every list is a consistent read (no resourceVersion): never older than what the cache had.
 * - Every failure goes through Backoff: jittered exponential, reset after a stable period. A
 *   watch that ends within a second without an event counts as a failure (a server that closes
 *   watches at once would otherwise be hammered).
 * - A watch silent for longer than `watchInactivityTimeoutMs` is cut and re-opened: a bookmark
 *   arrives about every minute on a healthy one, so silence means a dead connection.
 * - Resync (optional) re-delivers the store's content through `store.resync()` on a timer; it
 *   never talks to the server, so it is not a protocol state.
 *
 * ```ts
 * const fifo = new DeltaFIFO<Pod>({ knownObjects: indexer });
 * const reflector = new Reflector(listWatchFromClient(client.resource<Pod>(podsGvr)), fifo, { name: 'v1/pods' });
 * void reflector.run(signal);
 * ```
 */
import { ApiError, isResourceExpired } from '@keelson/apimachinery';
import { PageRequest } from '@keelson/client';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Backoff, type BackoffOptions } from './backoff.js';
import { metaNamespaceKeyFunc, type KeyFunc } from './keys.js';
import type { ListerWatcher, ObjectList, WatchEvent, WatchOptions } from './list-watch.js';
import { defaultLogger } from './logger.js';
import { informerMetrics, type InformerMetrics } from './metrics.js';
import type { KubeObject } from './object.js';
import { sleep } from './wait.js';

/** Where a Reflector writes: client-go's Store as the Reflector uses it (a DeltaFIFO in an informer). */
export interface ReflectorStore<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  /** The result of a (re)list, at `resourceVersion`. */
  replace(list: T[], resourceVersion: string): void;
  resync(): void;
}

/** The annotation of the bookmark that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export interface ReflectorOptions<T> {
  /** Names the reflector in logs and metrics (`v1/pods`). Default `reflector`. */
  name?: string;
  /** Default metaNamespaceKeyFunc; used to collect a streaming list's objects. */
  keyFunc?: KeyFunc<T>;
  /** LIST page size. Default 500: client-go's pager; pages of ~1 MB of typical objects. */
  pageSize?: number;
  /**
   * Start with a streaming list (WatchList, KEP-3157) instead of paged LISTs. Default true
   * (client-go turned it on in 1.35): against Keelson's server, which streams the initial state a
   * page per write, a 10k-Pod sync takes ~1.0 s streamed against ~1.4 s paged (bench/informer),
   * and a kube-apiserver builds no large LIST response for it. A server that refuses it with a
   * 4xx, or whose streams break off three times in a row, is asked with paged LISTs from then on.
   */
  useWatchList?: boolean;
  /**
   * Watches ask for a timeout picked at random in [min, 2×min]. Default 300 s (so 5–10 minutes):
   * client-go's; spreads reconnects of many clients over time.
   */
  minWatchTimeoutSeconds?: number;
  /**
   * A watch with no event (bookmarks count) for this long is cut and re-opened. Default 120 s:
   * servers send a bookmark about every 60 s, so this tolerates one late bookmark and bounds a
   * silently dead connection to two minutes. 0 disables it.
   */
  watchInactivityTimeoutMs?: number;
  /** Backoff after failures, or its options. Default: 800 ms doubling to 30 s, reset after 2 min. */
  backoff?: Backoff | BackoffOptions;
  /**
   * Applied to every object as it arrives (each listed item as its page comes in, each watch
   * event's object), before the store sees it. Applying it per page instead of once the whole
   * list is in means the fields it drops die young: with the default stripManagedFields, a
   * paged 10k-Pod list no longer holds every page's managedFields until the last page
   * (bench/informer, 10k Pods: scavenge time ~600 → ~320 ms, peak heap 138 → ~80 MB, sync
   * ~0.25 s shorter). Must be idempotent, as a DeltaFIFO's.
   */
  transform?: (obj: T) => T;
  /** Resync period in ms; 0 (default) never resyncs. */
  resyncPeriod?: number;
  /** Asked at every resync tick; false skips that resync. Default: always resync. */
  shouldResync?: () => boolean;
  logger?: Logger;
  /** Registry for the reflector_* metrics. Default: prom-client's global registry. */
  registry?: Registry;
  /** Called on every change of state kind (not on every event while Watching). For tests and debugging. */
  onTransition?: (from: ReflectorStateKind, to: ReflectorStateKind, cause?: unknown) => void;
}

/** The states of a Reflector. Each state holds exactly what its next step needs. */
export type ReflectorState<T> =
  /** Nothing usable: the next step starts a (re)list. */
  | { kind: 'Empty' }
  /** Paging through a LIST at one resourceVersion (fixed by the first page, carried by `continue`). */
  | { kind: 'ListingPages'; request: PageRequest<ObjectList<T>>; abort: AbortController; items: T[]; startedAt: number }
  /** Reading a streaming list's initial events until the bookmark that ends them. */
  | { kind: 'StreamingList'; watch: WatchSession<T>; items: Map<string, T>; startedAt: number }
  /** The store holds the state at `resourceVersion`; the next step opens a watch from it. */
  | { kind: 'Listed'; resourceVersion: string }
  /** Applying a watch's events; `resourceVersion` is the last one seen. */
  | { kind: 'Watching'; watch: WatchSession<T>; resourceVersion: string }
  /** Waiting `delayMs` after a failure, then going on with `then`. */
  | { kind: 'Backoff'; delayMs: number; then: ReflectorState<T>; cause: unknown }
  | { kind: 'Stopped' };

export type ReflectorStateKind = ReflectorState<unknown>['kind'];

const STOPPED = { kind: 'Stopped' } as const;

/** Streaming lists that may fail in a row before paged lists take over. */
const STREAMING_LIST_ATTEMPTS = 3;

/** What a failure means for the protocol. */
type Failure = 'stopped' | 'expired' | 'refused' | 'failed';

export class Reflector<T extends KubeObject = KubeObject> {
  readonly name: string;
  private readonly keyFunc: KeyFunc<T>;
  private readonly pageSize: number;
  private readonly minWatchTimeoutSeconds: number;
  private readonly inactivityMs: number;
  private readonly backoff: Backoff;
  private readonly resyncPeriod: number;
  private readonly shouldResync: () => boolean;
  private readonly log: Logger;
  private readonly metrics: InformerMetrics;
  private readonly onTransition?: ReflectorOptions<T>['onTransition'];
  private readonly transform?: (obj: T) => T;
  private useWatchList: boolean;
  private lastSyncRV = '';
  private listedOnce = false;
  private current: ReflectorStateKind = 'Empty';
  private running = false;
  private lastErrorMessage = '';
  /** Why the next Empty → list is a relist: `expired` (410), `watchlist-refused`, `watchlist-failing` or `error`. */
  private relistReason = 'error';
  /** Streaming lists that failed in a row (reset by a complete one). */
  private streamingListFailures = 0;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly store: ReflectorStore<T>,
    opts: ReflectorOptions<T> = {},
  ) {
    this.name = opts.name ?? 'reflector';
    this.keyFunc = opts.keyFunc ?? (metaNamespaceKeyFunc as KeyFunc<T>);
    this.pageSize = opts.pageSize ?? 500;
    this.useWatchList = opts.useWatchList ?? true;
    this.minWatchTimeoutSeconds = opts.minWatchTimeoutSeconds ?? 300;
    this.inactivityMs = opts.watchInactivityTimeoutMs ?? 120_000;
    this.backoff = opts.backoff instanceof Backoff ? opts.backoff : new Backoff(opts.backoff);
    this.resyncPeriod = opts.resyncPeriod ?? 0;
    this.shouldResync = opts.shouldResync ?? (() => true);
    this.log = (opts.logger ?? defaultLogger()).child({ component: 'reflector', name: this.name });
    this.metrics = informerMetrics(opts.registry);
    this.onTransition = opts.onTransition;
    this.transform = opts.transform;
  }

  /** The resourceVersion of the last list, event or bookmark applied; '' before the first list. */
  lastSyncResourceVersion(): string {
    return this.lastSyncRV;
  }

  /** The kind of the current state. */
  get state(): ReflectorStateKind {
    return this.current;
  }

  /** Whether the server refused streaming lists and this reflector pages LISTs instead. */
  get usesWatchList(): boolean {
    return this.useWatchList;
  }

  /** Lists and watches until `signal` aborts; resolves once every request it made has ended. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`reflector ${this.name} is already running; a Reflector runs once at a time`);
    this.running = true;
    const stopResync = this.startResync(signal);
    let state: ReflectorState<T> = { kind: 'Empty' };
    try {
      while (state.kind !== 'Stopped') {
        const next: ReflectorState<T> = signal.aborted ? STOPPED : await this.step(state, signal);
        if (next.kind !== state.kind) {
          if (next.kind === 'Stopped' && (state.kind === 'Watching' || state.kind === 'StreamingList')) this.closeWatch(state.watch);
          this.current = next.kind;
          this.log.debug({ from: state.kind, to: next.kind }, 'reflector state');
          this.onTransition?.(state.kind, next.kind, next.kind === 'Backoff' ? next.cause : undefined);
        }
        state = next;
      }
    } finally {
      stopResync();
      this.current = 'Stopped';
      this.running = false;
    }
  }

  /** One transition, with the net every state shares: an unexpected error backs off and starts over. */
  private async step(s: ReflectorState<T>, signal: AbortSignal): Promise<ReflectorState<T>> {
    try {
      return await this.transition(s, signal);
    } catch (err) {
      // Anything unexpected (a key function or store that throws on a list's items): start over.
      if (s.kind === 'Watching' || s.kind === 'StreamingList') this.closeWatch(s.watch);
      if (s.kind === 'ListingPages') s.abort.abort();
      return this.fail(err, signal, s.kind, { kind: 'Empty' });
    }
  }

  /** Every transition of the protocol. Performs the I/O of `s` and answers the state that follows. */
  private async transition(s: ReflectorState<T>, signal: AbortSignal): Promise<ReflectorState<T>> {
    switch (s.kind) {
      case 'Empty': {
        if (this.listedOnce) this.metrics.relistsTotal.labels(this.name, this.relistReason).inc();
        this.relistReason = 'error';
        if (this.useWatchList) {
          this.metrics.watchListsTotal.labels(this.name).inc();
          const watch = this.openWatch(signal, { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
          return { kind: 'StreamingList', watch, items: new Map(), startedAt: performance.now() };
        }
        this.metrics.listsTotal.labels(this.name).inc();
        // One controller for the pages of this list: a failure also cancels the page asked ahead.
        const abort = new AbortController();
        const pages = AbortSignal.any([signal, abort.signal]);
        return { kind: 'ListingPages', request: new PageRequest<ObjectList<T>>((o) => this.lw.list(o), { limit: this.pageSize, signal: pages }), abort, items: [], startedAt: performance.now() };
      }

      case 'ListingPages': {
        let page: ObjectList<T>;
        try {
          page = await s.request.page;
        } catch (err) {
          // An expired continue token (410) or any other failure: start the list over.
          s.abort.abort();
          return this.fail(err, signal, 'list', { kind: 'Empty' });
        }
        const transform = this.transform;
        for (const item of page.items) s.items.push(transform ? transform(item) : item);
        if (page.metadata.continue) return { ...s, request: s.request.next(page.metadata.continue) };
        const rv = page.metadata.resourceVersion;
        this.store.replace(s.items, rv);
        this.listed(rv, s.items.length, s.startedAt);
        return { kind: 'Listed', resourceVersion: rv };
      }

      case 'StreamingList': {
        let r: IteratorResult<WatchEvent<T>>;
        try {
          r = await s.watch.next();
        } catch (err) {
          this.closeWatch(s.watch);
          if (classify(err, signal) === 'refused') {
            // The server does not do streaming lists (or not with these options): page from now on.
            this.useWatchList = false;
            this.log.warn({ err: errorText(err) }, 'the server refused a streaming list (sendInitialEvents); using paged LIST+WATCH from now on');
            this.relistReason = 'watchlist-refused';
            return { kind: 'Empty' };
          }
          return this.streamingListFailed(err, signal);
        }
        if (r.done) {
          this.closeWatch(s.watch);
          return this.streamingListFailed(new Error(`the server ended the streaming list before its ${INITIAL_EVENTS_END_ANNOTATION} bookmark`), signal);
        }
        const { type, object } = r.value;
        if (type === 'ADDED' || type === 'MODIFIED') s.items.set(this.keyFunc(object), this.transform ? this.transform(object) : object);
        else if (type === 'DELETED') s.items.delete(this.keyFunc(object));
        else if (type === 'BOOKMARK' && object.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION] === 'true') {
          const rv = object.metadata.resourceVersion ?? '';
          const items = Array.from(s.items.values());
          this.streamingListFailures = 0;
          this.store.replace(items, rv);
          this.listed(rv, items.length, s.startedAt);
          // The same stream goes on with the changes after the initial state.
          return { kind: 'Watching', watch: s.watch, resourceVersion: rv };
        }
        return s;
      }

      case 'Listed': {
        const watch = this.openWatch(signal, { resourceVersion: s.resourceVersion });
        return { kind: 'Watching', watch, resourceVersion: s.resourceVersion };
      }

      case 'Watching': {
        let r: IteratorResult<WatchEvent<T>>;
        try {
          r = await s.watch.next();
        } catch (err) {
          this.closeWatch(s.watch);
          // 410: the resourceVersion is gone from the server's history; only a relist recovers.
          if (classify(err, signal) === 'expired') {
            this.relistReason = 'expired';
            return this.fail(err, signal, 'watch', { kind: 'Empty' });
          }
          // A cut connection, a stalled watch, a 5xx: resume from the last resourceVersion seen.
          const cause = s.watch.inactive ? new Error(`watch silent for ${this.inactivityMs} ms (no event, no bookmark); reconnecting`) : err;
          return this.fail(cause, signal, 'watch', { kind: 'Listed', resourceVersion: s.resourceVersion }, s.watch.inactive ? 'Inactivity' : undefined);
        }
        if (r.done) {
          this.closeWatch(s.watch);
          if (s.watch.events === 0 && performance.now() - s.watch.startedAt < 1000) {
            this.metrics.shortWatchesTotal.labels(this.name).inc();
            const err = new Error('very short watch: the server ended it within a second without any event');
            return this.fail(err, signal, 'watch', { kind: 'Listed', resourceVersion: s.resourceVersion }, 'ShortWatch');
          }
          // The server's timeout or a normal close: watch again from where this one stopped.
          return { kind: 'Listed', resourceVersion: s.resourceVersion };
        }
        const rv = this.apply(r.value) ?? s.resourceVersion;
        s.resourceVersion = rv;
        return s;
      }

      case 'Backoff':
        return (await sleep(s.delayMs, signal)) ? s.then : STOPPED;

      case 'Stopped':
        return s;
    }
  }

  /** Applies one watch event to the store; answers the resourceVersion it carries. */
  private apply(event: WatchEvent<T>): string | undefined {
    const { type, object } = event;
    try {
      switch (type) {
        case 'ADDED':
          this.store.add(this.transform ? this.transform(object) : object);
          break;
        case 'MODIFIED':
          this.store.update(this.transform ? this.transform(object) : object);
          break;
        case 'DELETED':
          this.store.delete(this.transform ? this.transform(object) : object);
          break;
        case 'BOOKMARK':
          break;
        default:
          throw new Error(`unexpected watch event type ${JSON.stringify(type)}`);
      }
    } catch (err) {
      // One object the store cannot take (no name, a transform that throws) must not stop the
      // resource: as client-go, count it, say which, and go on with the next event.
      this.metrics.watchErrorsTotal.labels(this.name, 'StoreError').inc();
      this.log.error({ err: errorText(err), type, object: describe(object) }, 'watch event could not be applied to the store; skipped');
    }
    const rv = object?.metadata?.resourceVersion;
    if (rv) this.setLastSyncRV(rv);
    return rv || undefined;
  }

  /**
   * The state after a failure: Stopped when the signal fired, else a Backoff into `then`. Counts
   * it, and logs it at warn once per distinct message (repeats at debug, with the attempt count).
   */
  private fail(err: unknown, signal: AbortSignal, during: string, then: ReflectorState<T>, reason?: string): ReflectorState<T> {
    if (classify(err, signal) === 'stopped') return STOPPED;
    const why = reason ?? reasonOf(err);
    this.metrics.watchErrorsTotal.labels(this.name, why).inc();
    const delayMs = this.backoff.next();
    const message = errorText(err);
    const fields = { during, reason: why, err: message, retryInMs: Math.round(delayMs), next: then.kind };
    if (message !== this.lastErrorMessage) this.log.warn(fields, `${during} failed`);
    else this.log.debug(fields, `${during} failed again`);
    this.lastErrorMessage = message;
    return { kind: 'Backoff', delayMs, then, cause: err };
  }

  /**
   * A streaming list that broke off (not refused). A server that keeps cutting them (a proxy
   * with a response size or time limit, a server that drops slow watchers) would never let the
   * cache sync; after a few in a row, paged lists take over, as after a refusal.
   */
  private streamingListFailed(err: unknown, signal: AbortSignal): ReflectorState<T> {
    const next = this.fail(err, signal, 'watchlist', { kind: 'Empty' });
    if (next.kind === 'Stopped') return next;
    if (++this.streamingListFailures >= STREAMING_LIST_ATTEMPTS) {
      this.useWatchList = false;
      this.relistReason = 'watchlist-failing';
      this.log.warn({ attempts: this.streamingListFailures }, 'streaming lists keep failing; using paged LIST+WATCH from now on');
    }
    return next;
  }

  private listed(rv: string, items: number, startedAt: number): void {
    this.setLastSyncRV(rv);
    this.listedOnce = true;
    this.lastErrorMessage = '';
    this.metrics.listDuration.labels(this.name).observe((performance.now() - startedAt) / 1000);
    this.metrics.itemsPerList.labels(this.name).observe(items);
    this.log.debug({ resourceVersion: rv, items }, 'listed');
  }

  private setLastSyncRV(rv: string): void {
    this.lastSyncRV = rv;
    const n = Number(rv);
    if (Number.isFinite(n)) this.metrics.lastResourceVersion.labels(this.name).set(n);
  }

  private openWatch(signal: AbortSignal, opts: WatchOptions): WatchSession<T> {
    this.metrics.watchesTotal.labels(this.name).inc();
    const timeoutSeconds = Math.floor(this.minWatchTimeoutSeconds * (1 + Math.random()));
    return new WatchSession(this.lw, { ...opts, allowWatchBookmarks: true, timeoutSeconds }, signal, this.inactivityMs);
  }

  private closeWatch(watch: WatchSession<T>): void {
    if (!watch.close()) return;
    this.metrics.watchDuration.labels(this.name).observe((performance.now() - watch.startedAt) / 1000);
    this.metrics.itemsPerWatch.labels(this.name).observe(watch.events);
  }

  private startResync(signal: AbortSignal): () => void {
    if (this.resyncPeriod <= 0) return () => {};
    const timer = setInterval(() => {
      if (signal.aborted || !this.shouldResync()) return;
      this.log.debug('resync');
      this.store.resync();
    }, this.resyncPeriod);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/**
 * One watch request: its iterator, an AbortController linked to the run's signal (cut on stop,
 * on inactivity and when the reflector leaves the watch), and the counts metrics want.
 */
export class WatchSession<T> {
  readonly startedAt = performance.now();
  events = 0;
  /** True once the inactivity timer cut this watch. */
  inactive = false;
  private readonly controller = new AbortController();
  private readonly iterator: AsyncIterator<WatchEvent<T>>;
  private readonly unlink: () => void;
  private timer?: NodeJS.Timeout;
  private lastEventAt = performance.now();
  private closed = false;

  constructor(lw: ListerWatcher<T>, opts: WatchOptions, parent: AbortSignal, private readonly inactivityMs: number) {
    const onAbort = (): void => this.controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => parent.removeEventListener('abort', onAbort);
    try {
      this.iterator = lw.watch({ ...opts, signal: this.controller.signal })[Symbol.asyncIterator]();
    } catch (err) {
      // A watch() that throws at once fails the first next(), like a request that failed.
      this.iterator = { next: () => Promise.reject(err) };
    }
    if (inactivityMs > 0) this.arm(inactivityMs);
  }

  async next(): Promise<IteratorResult<WatchEvent<T>>> {
    const r = await this.iterator.next();
    this.lastEventAt = performance.now();
    if (!r.done) this.events++;
    return r;
  }

  /** Ends the request; answers false when it was already closed. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    clearTimeout(this.timer);
    this.unlink();
    this.controller.abort();
    // Let the iterator run its cleanup; whatever it throws now is of no interest.
    this.iterator.return?.().catch(() => {});
    return true;
  }

  // One timer per watch, re-armed for the remaining time instead of reset on every event.
  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const idle = performance.now() - this.lastEventAt;
      if (idle < this.inactivityMs) return this.arm(this.inactivityMs - idle);
      this.inactive = true;
      this.controller.abort(new Error('watch inactive'));
    }, ms);
    this.timer.unref();
  }
}

function classify(err: unknown, signal: AbortSignal): Failure {
  if (signal.aborted) return 'stopped';
  if (isResourceExpired(err)) return 'expired';
  if (err instanceof ApiError && err.code >= 400 && err.code < 500 && err.code !== 429) return 'refused';
  return 'failed';
}

function reasonOf(err: unknown): string {
  if (err instanceof ApiError) return err.reason || String(err.code);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return 'Network';
  return 'Error';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(obj: unknown): string {
  const m = (obj as KubeObject | undefined)?.metadata;
  return m ? `${m.namespace ? m.namespace + '/' : ''}${m.name ?? '?'}@${m.resourceVersion ?? '?'}` : String(obj);
}
