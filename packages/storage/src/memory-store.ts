import {
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchHandle,
  type WatchListener,
} from './store.js';
import { checkKey, prefixEnd, rangeStart, readRevision } from './internal/keys.js';
import { SortedStrings } from './internal/sorted-strings.js';
import { WatchHub } from './internal/watch-hub.js';

/** One value of a key; a tombstone keeps the deleted value, with the deletion's revision. */
interface Version {
  kv: KeyValue;
  deleted: boolean;
}

/**
 * The Store in process memory: every key keeps its versions (oldest first) until compaction,
 * and a log holds the event of every revision after the compacted one, for watch replay.
 * Nothing survives close(). For tests, `keelson up --store memory` and as the model the SQLite
 * backend is checked against.
 *
 * Returned KeyValues and delivered events are frozen and shared: treat them as read-only
 * (both backends freeze them, so code that works on one works on the other).
 *
 * ```ts
 * const store = new MemoryStore();
 * const a = await store.create('/registry/pods/default/a', '{}');
 * await store.update(a.key, '{"x":1}', a.modRevision);
 * const { items } = await store.list('/registry/pods/');
 * ```
 */
export class MemoryStore implements Store {
  readonly backend = 'memory';
  private versions = new Map<string, Version[]>();
  /** Keys with at least one kept version (needed to list at old revisions). */
  private allKeys = new SortedStrings();
  /** Keys that exist at the current revision. */
  private liveKeys = new SortedStrings();
  /** log[i] is the event of revision logBase + 1 + i: every revision after the compacted one. */
  private log: WatchEvent[] = [];
  private logBase = 0;
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly hub: WatchHub;
  /** Compactions run one after the other. */
  private compaction: Promise<void> = Promise.resolve();

  constructor() {
    this.hub = new WatchHub({
      readHistory: (prefix, end, after, upTo) => this.readHistory(prefix, end, after, upTo),
      currentRevision: () => this.revision,
      compactedRevision: () => this.compacted,
    });
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined> {
    this.checkOpen();
    const rev = readRevision(opts?.revision, this.revision, this.compacted);
    const v = this.versionAt(key, rev);
    return v && !v.deleted ? v.kv : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const rev = readRevision(opts.revision, this.revision, this.compacted);
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const start = rangeStart(prefix, opts.startKey);
    const end = prefixEnd(prefix);
    const items: KeyValue[] = [];
    if (rev === this.revision) {
      // The live-key index answers both the page and the remaining count without a full scan.
      this.liveKeys.forEachFrom(start, (key) => {
        if (end !== undefined && key >= end) return false;
        if (items.length === limit) return false;
        const vs = this.versions.get(key)!;
        items.push(vs[vs.length - 1].kv);
        return true;
      });
      const remaining = this.liveKeys.countRange(start, end) - items.length;
      return { items, revision: rev, more: remaining > 0, remaining };
    }
    let remaining = 0;
    this.allKeys.forEachFrom(start, (key) => {
      if (end !== undefined && key >= end) return false;
      const v = this.versionAt(key, rev);
      if (v && !v.deleted) {
        if (items.length < limit) items.push(v.kv);
        else remaining++;
      }
      return true;
    });
    return { items, revision: rev, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.liveKeys.countRange(prefix, prefixEnd(prefix));
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    let vs = this.versions.get(key);
    const last = vs?.[vs.length - 1];
    if (last && !last.deleted) throw new KeyExistsError(key);
    const rev = this.revision + 1;
    const kv = keyValue(key, value, rev, rev);
    if (!vs) {
      vs = [];
      this.versions.set(key, vs);
      this.allKeys.add(key);
    }
    vs.push({ kv, deleted: false });
    this.liveKeys.add(key);
    this.commit(Object.freeze({ type: 'put', kv, revision: rev }));
    return kv;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    const { vs, last } = this.liveVersion(key, expectedRevision);
    const rev = this.revision + 1;
    const kv = keyValue(key, value, last.kv.createRevision, rev);
    vs.push({ kv, deleted: false });
    this.commit(Object.freeze({ type: 'put', kv, prevKv: last.kv, revision: rev }));
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    const { vs, last } = this.liveVersion(key, expectedRevision);
    const rev = this.revision + 1;
    const kv = keyValue(key, last.kv.value, last.kv.createRevision, rev);
    vs.push({ kv, deleted: true });
    this.liveKeys.delete(key);
    this.commit(Object.freeze({ type: 'delete', kv, prevKv: last.kv, revision: rev }));
    return kv;
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    this.checkOpen();
    return this.hub.watch(prefix, afterRevision, listener);
  }

  /**
   * Records `revision` as the compacted revision (reads below it fail from now on), then drops,
   * for every key written since the last compaction, the versions a read at `revision` cannot
   * see and tombstones at or below it, COMPACT_WINDOW revisions per step with a turn of the
   * event loop in between; finally drops the log up to `revision`. Reads at exactly `revision`
   * still work. At or below the compacted revision: nothing to do.
   */
  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    const run = this.compaction.then(() => this.runCompaction(revision));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    this.versions = new Map();
    this.allKeys = new SortedStrings();
    this.liveKeys = new SortedStrings();
    this.log = [];
  }

  private async runCompaction(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.compacted) return;
    const from = this.compacted;
    this.compacted = revision;
    // Only keys written after the previous compaction can have something new to drop: the
    // others were trimmed to their state at that compaction, which is still their state.
    for (let lo = from; lo < revision; lo += COMPACT_WINDOW) {
      if (lo > from) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.checkOpen();
      }
      const touched = new Set<string>();
      const hi = Math.min(lo + COMPACT_WINDOW, revision);
      for (let rev = lo + 1; rev <= hi; rev++) touched.add(this.log[rev - this.logBase - 1].kv.key);
      for (const key of touched) this.trim(key, revision);
    }
    this.log.splice(0, revision - this.logBase);
    this.logBase = revision;
  }

  /** Keeps of `key` the version a read at `revision` sees (unless a tombstone) and later ones. */
  private trim(key: string, revision: number): void {
    const vs = this.versions.get(key);
    if (!vs) return;
    let j = vs.length - 1;
    while (j >= 0 && vs[j].kv.modRevision > revision) j--;
    if (j < 0) return;
    const drop = vs[j].deleted ? j + 1 : j;
    if (drop === 0) return;
    vs.splice(0, drop);
    if (vs.length === 0) {
      this.versions.delete(key);
      this.allKeys.delete(key);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private commit(event: WatchEvent): void {
    this.revision = event.revision;
    this.log.push(event);
    this.hub.publish(event);
  }

  /** The key's current version, checked against `expectedRevision` when given. */
  private liveVersion(key: string, expectedRevision: number | undefined): { vs: Version[]; last: Version } {
    const vs = this.versions.get(key);
    const last = vs?.[vs.length - 1];
    if (!vs || !last || last.deleted) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && last.kv.modRevision !== expectedRevision) {
      throw new RevisionConflictError(key, expectedRevision, last.kv);
    }
    return { vs, last };
  }

  /** The version of `key` a read at `rev` sees (maybe a tombstone), or undefined. */
  private versionAt(key: string, rev: number): Version | undefined {
    const vs = this.versions.get(key);
    if (!vs) return undefined;
    const last = vs[vs.length - 1];
    if (last.kv.modRevision <= rev) return last;
    // Binary search for the last version with modRevision <= rev.
    let lo = 0;
    let hi = vs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (vs[mid].kv.modRevision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? vs[lo - 1] : undefined;
  }

  private readHistory(prefix: string, end: string | undefined, after: number, upTo: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let rev = after + 1; rev <= upTo; rev++) {
      const e = this.log[rev - this.logBase - 1];
      const key = e.kv.key;
      if (key >= prefix && (end === undefined || key < end)) out.push(e);
    }
    return out;
  }
}

/**
 * Revisions handled per compaction step: ~5 ms of work, so a compaction of a busy hour does not
 * stall the event loop.
 */
const COMPACT_WINDOW = 10_000;

function keyValue(key: string, value: string, createRevision: number, modRevision: number): KeyValue {
  return Object.freeze({ key, value, createRevision, modRevision });
}
