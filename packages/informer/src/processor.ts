/**
 * The fan-out from one informer to its handlers (client-go's sharedProcessor and
 * processorListener). Every handler has its own unbounded buffer and its own delivery loop, so
 * a handler that takes 50 ms per event delays only its own events; what it has not yet consumed
 * is visible as `informer_handler_buffered_events` and `informer_handler_lag_seconds`.
 *
 * A handler sees the notifications of one informer in order, one at a time: a returned promise
 * is awaited before the next call. An error it throws (or a promise that rejects) is counted
 * (`informer_handler_errors_total`) and logged, and delivery goes on; a handler that needs
 * retries puts keys on a workqueue instead of doing the work inline.
 */
import type { Logger } from 'pino';
import type { DeletedFinalStateUnknown } from './keys.js';
import type { InformerMetrics } from './metrics.js';
import { Queue } from './internal/queue.js';

/**
 * Callbacks for the changes of an informer's objects. Any of them may return a promise, which is
 * awaited before this handler gets its next notification.
 *
 * - `onAdd(obj, isInInitialList)`: an object appeared; `isInInitialList` while the initial list
 *   (or, for a handler added late, the cache's content) is being delivered.
 * - `onUpdate(oldObj, newObj)`: an object changed, or a resync re-delivers it (then old === new).
 * - `onDelete(obj)`: an object is gone; a DeletedFinalStateUnknown when the delete happened
 *   while no watch ran (found by a relist), carrying the last state the cache knew.
 */
export interface ResourceEventHandler<T> {
  onAdd?(obj: T, isInInitialList: boolean): void | Promise<void>;
  onUpdate?(oldObj: T, newObj: T): void | Promise<void>;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void | Promise<void>;
}

export type Notification<T> =
  | { type: 'add'; obj: T; isInInitialList: boolean; at: number }
  | { type: 'update'; oldObj: T; obj: T; at: number }
  | { type: 'delete'; obj: T | DeletedFinalStateUnknown<T>; at: number };

// A run of synchronous handler calls yields to the event loop this often, so that a handler
// that never awaits cannot keep I/O (the watch itself) waiting through a 50k-object initial list.
const YIELD_EVERY = 256;

export class ProcessorListener<T> {
  /** Resync period of this handler in ms (0: never) and when it is next due. */
  resyncPeriod: number;
  nextResync = 0;
  private readonly buffer = new Queue<Notification<T>>();
  private pendingInitial = 0;
  private loop?: Promise<void>;
  private stopped = false;
  private lastErrorMessage = '';
  private readonly bufferedGauge;
  private readonly lagHistogram;
  private readonly errorCounter;

  constructor(
    readonly name: string,
    private readonly handler: ResourceEventHandler<T>,
    resyncPeriod: number,
    private readonly informerName: string,
    metrics: InformerMetrics,
    private readonly log: Logger,
  ) {
    this.resyncPeriod = resyncPeriod;
    this.nextResync = performance.now() + resyncPeriod;
    this.bufferedGauge = metrics.handlerBuffered.labels(informerName, name);
    this.lagHistogram = metrics.handlerLag.labels(informerName, name);
    this.errorCounter = metrics.handlerErrors.labels(informerName, name);
    this.bufferedGauge.set(0);
  }

  /** Queues a notification; delivery starts on a later microtask, never inside the caller. */
  add(n: Notification<T>): void {
    if (this.stopped) return;
    this.buffer.push(n);
    this.bufferedGauge.inc();
    if (n.type === 'add' && n.isInInitialList) this.pendingInitial++;
    if (!this.loop) this.loop = this.deliver();
  }

  /** Notifications of the initial list (or of the cache, for a late handler) not yet handled. */
  get pendingInitialNotifications(): number {
    return this.pendingInitial;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Stops delivery: buffered notifications are dropped, the one being handled completes. */
  stop(): void {
    this.stopped = true;
    this.buffer.clear();
    this.pendingInitial = 0;
    this.bufferedGauge.set(0);
  }

  /** Resolves once no handler call is running. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async deliver(): Promise<void> {
    await undefined; // off the distributor's stack
    let sinceYield = 0;
    try {
      while (!this.stopped && this.buffer.length > 0) {
        const n = this.buffer.shift()!;
        this.bufferedGauge.dec();
        this.lagHistogram.observe((performance.now() - n.at) / 1000);
        try {
          const r: unknown = this.call(n);
          if (isThenable(r)) {
            await r;
            sinceYield = 0;
          }
        } catch (err) {
          this.failed(n, err);
        } finally {
          if (n.type === 'add' && n.isInInitialList && this.pendingInitial > 0) this.pendingInitial--;
        }
        if (++sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.loop = undefined;
    }
  }

  private call(n: Notification<T>): void | Promise<void> {
    switch (n.type) {
      case 'add':
        return this.handler.onAdd?.(n.obj, n.isInInitialList);
      case 'update':
        return this.handler.onUpdate?.(n.oldObj, n.obj);
      case 'delete':
        return this.handler.onDelete?.(n.obj);
    }
  }

  private failed(n: Notification<T>, err: unknown): void {
    this.errorCounter.inc();
    const message = err instanceof Error ? err.message : String(err);
    const fields = { informer: this.informerName, handler: this.name, event: n.type, err: message };
    if (message !== this.lastErrorMessage) this.log.error(fields, 'event handler failed');
    else this.log.debug(fields, 'event handler failed again');
    this.lastErrorMessage = message;
  }
}

/** The handlers of one informer, and which of them are due for a resync. */
export class SharedProcessor<T> {
  private readonly listeners = new Set<ProcessorListener<T>>();
  private readonly syncing = new Set<ProcessorListener<T>>();

  add(listener: ProcessorListener<T>): void {
    this.listeners.add(listener);
  }

  remove(listener: ProcessorListener<T>): void {
    this.listeners.delete(listener);
    this.syncing.delete(listener);
    listener.stop();
  }

  get size(): number {
    return this.listeners.size;
  }

  /** To every handler, or (for resync notifications) to those whose resync is due. */
  distribute(n: Notification<T>, isSync: boolean): void {
    for (const l of isSync ? this.syncing : this.listeners) l.add(n);
  }

  /** Marks the handlers whose resync period has elapsed; true when there is at least one. */
  shouldResync(): boolean {
    const now = performance.now();
    this.syncing.clear();
    for (const l of this.listeners) {
      if (l.resyncPeriod > 0 && now >= l.nextResync) {
        this.syncing.add(l);
        l.nextResync = now + l.resyncPeriod;
      }
    }
    return this.syncing.size > 0;
  }

  stop(): void {
    for (const l of this.listeners) l.stop();
  }

  async idle(): Promise<void> {
    await Promise.all(Array.from(this.listeners, (l) => l.idle()));
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}
