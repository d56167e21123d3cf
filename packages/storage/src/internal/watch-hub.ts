import {
  CompactedError,
  StoreClosedError,
  type WatchEvent,
  type WatchHandle,
  type WatchListener,
} from '../store.js';
import { prefixEnd } from './keys.js';

/** What a backend gives the hub so that it can replay history. */
export interface HistorySource {
  /**
   * The events of keys in [prefix, end) with `after < revision <= upTo`, in revision order.
   * Synchronous, so that no write can slip between the read and the hub's bookkeeping.
   */
  readHistory(prefix: string, end: string | undefined, after: number, upTo: number): WatchEvent[];
  currentRevision(): number;
  compactedRevision(): number;
}

/**
 * Revisions read per replay step. A step is one synchronous read; stepping through long
 * histories in windows of this size keeps each step at a millisecond or two, so a watch that
 * replays 100k revisions does not stall the event loop.
 */
const REPLAY_WINDOW = 1000;

/**
 * A watcher's life:
 *
 *   replaying ──(history up to the revision current at watch() time delivered)──▶ live
 *   replaying | live ──(cancel(), listener error, store closed, compacted under replay)──▶ ended
 *
 * Writes committed while replaying are buffered and delivered right after the replay, so the
 * replay (revisions <= upTo) and the live stream (revisions > upTo) meet with no gap and no
 * duplicate: upTo is taken synchronously in watch(), and every later commit is published to
 * the hub synchronously by the write that made it.
 */
type WatcherState = 'replaying' | 'live' | 'ended';

class Watcher implements WatchHandle {
  state: WatcherState;
  /** Highest revision already delivered or scanned. */
  cursor: number;
  /** Events committed during the replay (all > upTo). */
  buffered: WatchEvent[] = [];
  /** Live events not yet delivered. */
  pending: WatchEvent[] = [];
  /** Set when the watch ends with an error; delivered after `pending`. */
  endError: Error | undefined;
  readonly end: string | undefined;

  constructor(
    private readonly hub: WatchHub,
    readonly prefix: string,
    readonly afterRevision: number,
    /** The last revision the replay covers. */
    readonly upTo: number,
    readonly listener: WatchListener,
  ) {
    this.end = prefixEnd(prefix);
    this.cursor = afterRevision;
    this.state = afterRevision < upTo ? 'replaying' : 'live';
  }

  matches(key: string): boolean {
    return key >= this.prefix && (this.end === undefined || key < this.end);
  }

  cancel(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.buffered = [];
    this.pending = [];
    this.endError = undefined;
    this.hub.forget(this);
  }
}

/**
 * Fans committed writes out to watchers: replays kept history first, then live events, each
 * watcher's events in revision order and delivered asynchronously (never inside the write's
 * call stack). Events that pile up between two turns of the event loop go out as one batch.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  /** Watchers with something to deliver at the next flush. */
  private readonly dirty = new Set<Watcher>();
  private flushScheduled = false;
  private closedWith: Error | undefined;

  constructor(private readonly source: HistorySource) {}

  /** Starts a watch; the caller has checked that the store is open. */
  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    if (this.closedWith) throw new StoreClosedError();
    const compacted = this.source.compactedRevision();
    if (afterRevision < compacted) throw new CompactedError(afterRevision, compacted);
    const w = new Watcher(this, prefix, afterRevision, this.source.currentRevision(), listener);
    this.watchers.add(w);
    if (w.state === 'replaying') setImmediate(() => this.replayStep(w));
    return w;
  }

  /** Called by the backend right after a write commits, in revision order. */
  publish(event: WatchEvent): void {
    for (const w of this.watchers) {
      if (!w.matches(event.kv.key) || event.revision <= w.afterRevision) continue;
      if (w.state === 'replaying') {
        w.buffered.push(event);
      } else {
        w.pending.push(event);
        this.markDirty(w);
      }
    }
  }

  /** Ends every watch with StoreClosedError: live ones after their queued events. */
  close(): void {
    if (this.closedWith) return;
    this.closedWith = new StoreClosedError();
    for (const w of [...this.watchers]) {
      if (w.state === 'replaying') {
        // The replay cannot read the closed store; what it buffered comes after what it lacks.
        w.buffered = [];
      }
      w.state = 'live';
      w.endError = this.closedWith;
      this.markDirty(w);
    }
  }

  /** @internal Called by Watcher.cancel(). */
  forget(w: Watcher): void {
    this.watchers.delete(w);
    this.dirty.delete(w);
  }

  private markDirty(w: Watcher): void {
    this.dirty.add(w);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const w of batch) {
      if (w.state !== 'live') continue; // ended since it was marked
      const events = w.pending;
      w.pending = [];
      if (events.length > 0 && !this.deliver(w, events)) continue;
      if (w.endError && w.state === 'live') this.end(w, w.endError);
    }
  }

  private replayStep(w: Watcher): void {
    if (w.state !== 'replaying') return;
    if (this.closedWith) return this.end(w, this.closedWith);
    const compacted = this.source.compactedRevision();
    if (compacted > w.cursor) {
      // A compaction passed this replay: the values between cursor and compacted are gone.
      return this.end(w, new CompactedError(w.cursor, compacted));
    }
    const stepUpTo = Math.min(w.upTo, w.cursor + REPLAY_WINDOW);
    let events: WatchEvent[];
    try {
      events = this.source.readHistory(w.prefix, w.end, w.cursor, stepUpTo);
    } catch (err) {
      return this.end(w, err as Error);
    }
    w.cursor = stepUpTo;
    if (events.length > 0 && !this.deliver(w, events)) return;
    if (w.state !== 'replaying') return; // cancelled by the listener
    if (w.cursor < w.upTo) {
      setImmediate(() => this.replayStep(w));
      return;
    }
    w.state = 'live';
    w.pending = w.buffered;
    w.buffered = [];
    if (w.pending.length > 0) this.markDirty(w);
  }

  /** Calls the listener; false (and the watch ended) when it threw. */
  private deliver(w: Watcher, events: WatchEvent[]): boolean {
    try {
      w.listener.onEvents(events);
      return true;
    } catch (err) {
      this.end(w, err as Error, true);
      return false;
    }
  }

  private end(w: Watcher, err: Error, fromListener = false): void {
    if (w.state === 'ended') return;
    w.cancel();
    if (w.listener.onError) {
      w.listener.onError(err);
    } else if (fromListener) {
      // Nobody asked to hear about errors: a listener that throws is a bug, so surface it the
      // way an unhandled error would surface, instead of swallowing it.
      process.nextTick(() => {
        throw err;
      });
    }
  }
}
