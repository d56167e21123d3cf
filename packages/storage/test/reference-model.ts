// The Store's semantics in the plainest form: a log of every write, and reads that replay it.
// Slow on purpose; the model check runs the real backends against it.
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type WatchEvent,
} from '../src/store.js';

interface Write {
  kv: KeyValue;
  deleted: boolean;
}

export class ReferenceModel {
  /** writes[i] happened at revision i + 1. */
  private readonly writes: Write[] = [];
  compacted = 0;

  get revision(): number {
    return this.writes.length;
  }

  /** The key → value map at `rev`. */
  private stateAt(rev: number): Map<string, KeyValue> {
    const state = new Map<string, KeyValue>();
    for (const w of this.writes.slice(0, rev)) {
      if (w.deleted) state.delete(w.kv.key);
      else state.set(w.kv.key, w.kv);
    }
    return state;
  }

  private readAt(requested: number | undefined): number {
    if (requested === undefined || requested <= 0) return this.revision;
    if (requested > this.revision) throw new FutureRevisionError(requested, this.revision);
    if (requested < this.compacted) throw new CompactedError(requested, this.compacted);
    return requested;
  }

  get(key: string, opts?: { revision?: number }): KeyValue | undefined {
    return this.stateAt(this.readAt(opts?.revision)).get(key);
  }

  list(prefix: string, opts: ListOptions = {}): ListResult {
    const revision = this.readAt(opts.revision);
    const all = [...this.stateAt(revision).values()]
      .filter((kv) => kv.key.startsWith(prefix) && (opts.startKey === undefined || kv.key >= opts.startKey))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : all.length;
    const items = all.slice(0, limit);
    return { items, revision, more: all.length > items.length, remaining: all.length - items.length };
  }

  count(prefix: string): number {
    return this.list(prefix).items.length;
  }

  create(key: string, value: string): KeyValue {
    if (this.stateAt(this.revision).has(key)) throw new KeyExistsError(key);
    const rev = this.revision + 1;
    return this.append({ key, value, createRevision: rev, modRevision: rev }, false);
  }

  update(key: string, value: string, expectedRevision: number): KeyValue {
    const cur = this.current(key, expectedRevision);
    return this.append({ key, value, createRevision: cur.createRevision, modRevision: this.revision + 1 }, false);
  }

  delete(key: string, expectedRevision?: number): KeyValue {
    const cur = this.current(key, expectedRevision);
    return this.append({ key, value: cur.value, createRevision: cur.createRevision, modRevision: this.revision + 1 }, true);
  }

  compact(revision: number): void {
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    this.compacted = Math.max(this.compacted, revision);
  }

  /** The events of keys under prefix with revision in (after, upTo]. */
  events(prefix: string, after: number, upTo = this.revision): WatchEvent[] {
    const out: WatchEvent[] = [];
    const live = this.stateAt(after);
    for (let rev = after + 1; rev <= upTo; rev++) {
      const w = this.writes[rev - 1];
      const prevKv = live.get(w.kv.key);
      if (w.deleted) live.delete(w.kv.key);
      else live.set(w.kv.key, w.kv);
      if (!w.kv.key.startsWith(prefix)) continue;
      const e: WatchEvent = { type: w.deleted ? 'delete' : 'put', kv: w.kv, revision: rev };
      if (prevKv) e.prevKv = prevKv;
      out.push(e);
    }
    return out;
  }

  private current(key: string, expectedRevision: number | undefined): KeyValue {
    const cur = this.stateAt(this.revision).get(key);
    if (!cur) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && cur.modRevision !== expectedRevision) {
      throw new RevisionConflictError(key, expectedRevision, cur);
    }
    return cur;
  }

  private append(kv: KeyValue, deleted: boolean): KeyValue {
    this.writes.push({ kv, deleted });
    return kv;
  }
}
