// An in-memory API for one resource that the tests control: revisions, paged lists at a fixed
// revision, watches from a revision (replaying history), streaming lists, bookmarks, compaction
// (410 for older revisions and continue tokens), cut watches, injected failures. Every object
// it hands out is a copy, so nothing the informer does can change its state.
import { fieldForbidden, newInvalid, newResourceExpired } from '@keelson/apimachinery';
import type { ListerWatcher, ListOptions, ObjectList, WatchEvent, WatchOptions } from '../src/index.js';

export interface TestObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string }[];
  };
  spec?: { nodeName?: string; value?: number; tags?: string[] };
}

type Stored = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rev: number; key: string; obj: TestObject };

interface Watcher {
  queue: WatchEvent<TestObject>[];
  ended: boolean;
  error?: unknown;
  wake?: () => void;
}

export const keyOf = (o: TestObject): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);
const clone = <T>(o: T): T => structuredClone(o);

export class FakeApi implements ListerWatcher<TestObject> {
  rev = 0;
  compacted = 0;
  readonly objects = new Map<string, TestObject>();
  readonly history: Stored[] = [];
  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: WatchOptions[] = [];
  /** When false, a watch with sendInitialEvents is refused with 422 Invalid, as kube-apiserver without WatchList does. */
  supportsWatchList = true;
  /** Errors thrown by the next list / watch calls, in order. */
  readonly listErrors: unknown[] = [];
  readonly watchErrors: unknown[] = [];
  /** Called before a list page is answered (to write between pages). */
  beforeListPage?: (opts: ListOptions) => void;
  /**
   * When true, a list calls `onMetadata` with the page's metadata and answers a macrotask later,
   * as Keelson's client does when a page's head arrives before its body.
   */
  announceMetadata = false;
  /** List calls in flight now, and the most at once. */
  listsInFlight = 0;
  maxListsInFlight = 0;
  private readonly watchers = new Set<Watcher>();
  private uid = 0;

  get activeWatches(): number {
    return this.watchers.size;
  }

  // ---- writes ----

  create(namespace: string | undefined, name: string, spec: TestObject['spec'] = {}, extra: Partial<TestObject['metadata']> = {}): TestObject {
    const obj: TestObject = { apiVersion: 'v1', kind: 'Thing', metadata: { ...extra, name, uid: `uid-${++this.uid}` }, spec };
    if (namespace) obj.metadata.namespace = namespace;
    const key = keyOf(obj);
    if (this.objects.has(key)) throw new Error(`fake: ${key} exists`);
    return this.write('ADDED', key, obj);
  }

  update(key: string, mutate: (o: TestObject) => void): TestObject {
    const cur = this.objects.get(key);
    if (!cur) throw new Error(`fake: ${key} does not exist`);
    const next = clone(cur);
    mutate(next);
    return this.write('MODIFIED', key, next);
  }

  remove(key: string): TestObject {
    const cur = this.objects.get(key);
    if (!cur) throw new Error(`fake: ${key} does not exist`);
    return this.write('DELETED', key, clone(cur));
  }

  private write(type: Stored['type'], key: string, obj: TestObject): TestObject {
    this.rev++;
    obj.metadata.resourceVersion = String(this.rev);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, obj);
    this.history.push({ type, rev: this.rev, key, obj: clone(obj) });
    for (const w of this.watchers) this.push(w, { type, object: clone(obj) });
    return clone(obj);
  }

  // ---- chaos ----

  /** Forgets history up to `rev`: watches and continue tokens from before it answer 410. */
  compact(rev = this.rev): void {
    this.compacted = Math.max(this.compacted, rev);
  }

  /** Ends every watch: normally (a closed connection), or by throwing `err` (an ERROR frame). Undelivered events are lost. */
  cutWatches(err?: unknown): void {
    for (const w of this.watchers) {
      w.queue.length = 0;
      w.ended = true;
      w.error = err;
      w.wake?.();
    }
    this.watchers.clear();
  }

  /** A bookmark at the current revision to every watch. */
  bookmark(): void {
    for (const w of this.watchers) this.push(w, { type: 'BOOKMARK', object: this.bookmarkObject(false) });
  }

  /** The state at `rev`, from history. */
  stateAt(rev: number): Map<string, TestObject> {
    if (rev >= this.rev) return new Map(this.objects);
    const m = new Map<string, TestObject>();
    for (const h of this.history) {
      if (h.rev > rev) break;
      if (h.type === 'DELETED') m.delete(h.key);
      else m.set(h.key, h.obj);
    }
    return m;
  }

  // ---- ListerWatcher ----

  async list(opts: ListOptions): Promise<ObjectList<TestObject>> {
    this.listsInFlight++;
    this.maxListsInFlight = Math.max(this.maxListsInFlight, this.listsInFlight);
    try {
      const out = await this.answerList(opts);
      if (this.announceMetadata) {
        opts.onMetadata?.({ ...out.metadata });
        await new Promise((r) => setImmediate(r));
        if (opts.signal?.aborted) throw opts.signal.reason;
      }
      return out;
    } finally {
      this.listsInFlight--;
    }
  }

  private async answerList(opts: ListOptions): Promise<ObjectList<TestObject>> {
    this.listCalls.push({ ...opts, signal: undefined, onMetadata: undefined });
    await Promise.resolve();
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (this.listErrors.length) throw this.listErrors.shift();
    this.beforeListPage?.(opts);
    let rev = this.rev;
    let after = '';
    if (opts.continue) {
      const tok = JSON.parse(Buffer.from(opts.continue, 'base64').toString('utf8')) as { rev: number; after: string };
      if (tok.rev < this.compacted) throw newResourceExpired('The provided continue parameter is too old to display a consistent list result.');
      rev = tok.rev;
      after = tok.after;
    } else if (opts.resourceVersion && opts.resourceVersion !== '0' && opts.resourceVersionMatch === 'Exact') {
      rev = Number(opts.resourceVersion);
      if (rev < this.compacted) throw newResourceExpired(`too old resource version: ${rev} (${this.compacted})`);
    }
    const keys = Array.from(this.stateAt(rev).entries())
      .filter(([k]) => k > after)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : keys.length;
    const page = keys.slice(0, limit);
    const out: ObjectList<TestObject> = { metadata: { resourceVersion: String(rev) }, items: page.map(([, o]) => clone(o)) };
    if (keys.length > limit) out.metadata.continue = Buffer.from(JSON.stringify({ rev, after: page[page.length - 1][0] })).toString('base64');
    return out;
  }

  watch(opts: WatchOptions): AsyncIterable<WatchEvent<TestObject>> {
    this.watchCalls.push({ ...opts, signal: undefined });
    return { [Symbol.asyncIterator]: () => this.stream(opts) };
  }

  private async *stream(opts: WatchOptions): AsyncGenerator<WatchEvent<TestObject>> {
    const signal = opts.signal;
    if (this.watchErrors.length) throw this.watchErrors.shift();
    if (opts.sendInitialEvents !== undefined && !this.supportsWatchList) {
      throw newInvalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled')]);
    }
    const w: Watcher = { queue: [], ended: false };
    let from: number;
    if (opts.sendInitialEvents) {
      for (const o of this.objects.values()) w.queue.push({ type: 'ADDED', object: clone(o) });
      w.queue.push({ type: 'BOOKMARK', object: this.bookmarkObject(true) });
      from = this.rev;
    } else {
      from = opts.resourceVersion ? Number(opts.resourceVersion) : this.rev;
      if (from < this.compacted) throw newResourceExpired(`too old resource version: ${from} (${this.compacted})`);
      for (const h of this.history) if (h.rev > from) w.queue.push({ type: h.type, object: clone(h.obj) });
    }
    this.watchers.add(w);
    try {
      for (;;) {
        while (w.queue.length) yield w.queue.shift()!;
        if (w.ended) {
          if (w.error !== undefined) throw w.error;
          return;
        }
        if (signal?.aborted) throw signal.reason;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            signal?.removeEventListener('abort', done);
            w.wake = undefined;
            resolve();
          };
          w.wake = done;
          signal?.addEventListener('abort', done, { once: true });
        });
      }
    } finally {
      this.watchers.delete(w);
    }
  }

  private push(w: Watcher, e: WatchEvent<TestObject>): void {
    if (w.ended) return;
    w.queue.push(e);
    w.wake?.();
  }

  private bookmarkObject(initialEnd: boolean): TestObject {
    const metadata: TestObject['metadata'] = { name: '', resourceVersion: String(this.rev) };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    return { apiVersion: 'v1', kind: 'Thing', metadata };
  }
}
