/**
 * A stream's queue of types with something to send. It holds no responses, only which names of
 * which type need a look since when; the response is computed at the moment the transport can
 * take it. Marking a type twice before it is sent merges the two (superseded versions coalesce
 * into the latest), and a slow client gets one response built from the latest state.
 *
 * Drain order is make-before-break: every type's upsert phase in push order (secrets, clusters,
 * endpoints, listeners, routes), then removals in the reverse order. A mark arriving mid-drain
 * is picked up in that order on the next step.
 */
import { pushRank } from '../resource-types.js';
import type { Phase } from './diff.js';
import { mergeCandidates, type Candidates } from './subscription.js';

export type PushReason = 'change' | 'request';

/** Responses above this size yield the event loop before the stream continues (see run). */
const YIELD_AFTER_BYTES = 64 * 1024;

export interface PendingPush {
  candidates: Candidates;
  /** performance.now() of the earliest change merged into this entry (push latency). */
  since: number;
  reason: PushReason;
}

export interface SendQueueSink {
  /** Computes and writes the response for one type and phase; returns the bytes written (0: nothing to send). */
  flush(typeUrl: string, phase: Phase, pending: PendingPush): number;
  /** A promise when the transport is full (resolves when it drained), else undefined. */
  waitWritable(): Promise<void> | undefined;
  /** Called when flush throws; the queue stops. */
  fail(err: unknown): void;
  /** Called when the queue runs out of work (or closes). */
  idle?(): void;
}

export class SendQueue {
  private readonly upsert = new Map<string, PendingPush>();
  private readonly remove = new Map<string, PendingPush>();
  private running = false;
  private scheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  /** `scheduler`: where queues take turns starting to drain (TurnScheduler); default a microtask each. */
  constructor(
    private readonly sink: SendQueueSink,
    private readonly scheduler?: { schedule(task: () => void): void },
  ) {}

  /** Something about `names` of `typeUrl` may need sending. */
  mark(typeUrl: string, names: Candidates, reason: PushReason, since = performance.now()): void {
    if (this.closed) return;
    if (names !== 'all' && names.size === 0) return;
    this.merge(this.upsert, typeUrl, names, reason, since);
    this.merge(this.remove, typeUrl, names, reason, since);
    this.schedule();
  }

  private merge(map: Map<string, PendingPush>, typeUrl: string, names: Candidates, reason: PushReason, since: number): void {
    const prev = map.get(typeUrl);
    if (!prev) map.set(typeUrl, { candidates: names, since, reason });
    else {
      prev.candidates = mergeCandidates(prev.candidates, names);
      prev.since = Math.min(prev.since, since);
      if (reason === 'change') prev.reason = 'change';
    }
  }

  /** Types waiting to be looked at. */
  get pending(): number {
    return new Set([...this.upsert.keys(), ...this.remove.keys()]).size;
  }

  /** Resolves once nothing is pending (tests, benchmarks). */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.upsert.size === 0 && this.remove.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.upsert.clear();
    this.remove.clear();
    this.wakeIdle();
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // A cache update marks several types synchronously; they drain together, right after (in the
    // next turn of the scheduler, else in a microtask).
    const start = (): void => {
      this.scheduled = false;
      void this.run();
    };
    if (this.scheduler) this.scheduler.schedule(start);
    else queueMicrotask(start);
  }

  private next(): { typeUrl: string; phase: Phase } | undefined {
    let best: string | undefined;
    for (const t of this.upsert.keys()) if (best === undefined || pushRank(t) < pushRank(best)) best = t;
    if (best !== undefined) return { typeUrl: best, phase: 'upsert' };
    for (const t of this.remove.keys()) if (best === undefined || pushRank(t) > pushRank(best)) best = t;
    if (best !== undefined) return { typeUrl: best, phase: 'remove' };
    return undefined;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed) {
        const wait = this.sink.waitWritable();
        if (wait) {
          await wait;
          continue;
        }
        const step = this.next();
        if (!step) break;
        const map = step.phase === 'upsert' ? this.upsert : this.remove;
        const pending = map.get(step.typeUrl)!;
        map.delete(step.typeUrl);
        const written = this.sink.flush(step.typeUrl, step.phase, pending);
        // After a large response, let the event loop run (other streams' requests, keepalive
        // pings): a thousand streams resuming in one microtask chain, each copying megabytes,
        // would hold it for seconds.
        if (written > YIELD_AFTER_BYTES) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      this.close();
      this.sink.fail(err);
    } finally {
      this.running = false;
      if (!this.closed && (this.upsert.size > 0 || this.remove.size > 0)) this.schedule();
      else {
        this.sink.idle?.();
        this.wakeIdle();
      }
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
