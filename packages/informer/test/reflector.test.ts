// Reflector against the in-memory FakeApi: paged lists at one resourceVersion, streaming lists
// and their fallback, watches resumed from the last resourceVersion, bookmarks, relist on 410,
// backoff on failures, short and silent watches, resync, stop.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, newInternalError, newResourceExpired, newTooManyRequests } from '@keelson/apimachinery';
import { Reflector, type ReflectorOptions, type ReflectorStateKind, type ReflectorStore } from '../src/index.js';
import { FakeApi, keyOf, type TestObject } from './fake-api.js';
import { eventually, fastBackoff, metricValue, newRegistry, silentLogger } from './helpers.js';

/** A store that records what the Reflector did to it and keeps the resulting state. */
class RecordingStore implements ReflectorStore<TestObject> {
  ops: string[] = [];
  state = new Map<string, TestObject>();
  add(o: TestObject): void {
    this.ops.push(`add ${keyOf(o)}@${o.metadata.resourceVersion}`);
    this.state.set(keyOf(o), o);
  }
  update(o: TestObject): void {
    this.ops.push(`update ${keyOf(o)}@${o.metadata.resourceVersion}`);
    this.state.set(keyOf(o), o);
  }
  delete(o: TestObject): void {
    this.ops.push(`delete ${keyOf(o)}@${o.metadata.resourceVersion}`);
    this.state.delete(keyOf(o));
  }
  replace(list: TestObject[], rv: string): void {
    this.ops.push(`replace ${list.length}@${rv}`);
    this.state = new Map(list.map((o) => [keyOf(o), o]));
  }
  resync(): void {
    this.ops.push('resync');
  }
  rvs(): Record<string, string> {
    return Object.fromEntries([...this.state].map(([k, o]) => [k, o.metadata.resourceVersion!]).sort());
  }
}

const expected = (api: FakeApi): Record<string, string> =>
  Object.fromEntries([...api.objects].map(([k, o]) => [k, o.metadata.resourceVersion!]).sort());

interface Harness {
  api: FakeApi;
  store: RecordingStore;
  reflector: Reflector<TestObject>;
  transitions: string[];
  registry: ReturnType<typeof newRegistry>;
  done: Promise<void>;
  stop(): Promise<void>;
}

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.stop();
});

function start(api: FakeApi, opts: ReflectorOptions<TestObject> = {}): Harness {
  const store = new RecordingStore();
  const registry = newRegistry();
  const transitions: string[] = [];
  const reflector = new Reflector<TestObject>(api, store, {
    name: 'things',
    logger: silentLogger,
    registry,
    backoff: fastBackoff,
    onTransition: (from: ReflectorStateKind, to: ReflectorStateKind) => transitions.push(`${from}->${to}`),
    ...opts,
  });
  const ac = new AbortController();
  const done = reflector.run(ac.signal);
  const h: Harness = {
    api,
    store,
    reflector,
    transitions,
    registry,
    done,
    async stop() {
      ac.abort();
      await done;
    },
  };
  running.push(h);
  return h;
}

function seed(api: FakeApi, n: number, ns = 'default'): void {
  for (let i = 0; i < n; i++) api.create(ns, `obj-${String(i).padStart(5, '0')}`, { value: i });
}

describe('Reflector: paged LIST then WATCH', () => {
  it('lists in pages of 500 at one resourceVersion, then watches from it with bookmarks and a 5–10 min timeout', async () => {
    const api = new FakeApi();
    seed(api, 1200);
    const listRv = String(api.rev);
    let page = 0;
    api.beforeListPage = () => {
      // Writes between pages must not leak into the list: it is one snapshot.
      if (++page === 2) {
        api.create('default', 'late');
        api.remove('default/obj-00000');
        api.update('default/obj-01199', (o) => (o.spec = { value: -1 }));
      }
    };
    const h = start(api, { useWatchList: false });
    await eventually(() => h.reflector.state === 'Watching' && h.api.activeWatches === 1);
    assert.equal(h.store.ops[0], `replace 1200@${listRv}`);
    assert.deepEqual(
      api.listCalls.map((c) => ({ limit: c.limit, rv: c.resourceVersion, cont: !!c.continue })),
      [
        { limit: 500, rv: undefined, cont: false },
        { limit: 500, rv: undefined, cont: true },
        { limit: 500, rv: undefined, cont: true },
      ],
    );
    const w = api.watchCalls[0];
    assert.equal(w.resourceVersion, listRv);
    assert.equal(w.allowWatchBookmarks, true);
    assert.equal(w.sendInitialEvents, undefined);
    assert.ok(w.timeoutSeconds! >= 300 && w.timeoutSeconds! <= 600, `timeoutSeconds ${w.timeoutSeconds}`);
    await eventually(() => assert.deepEqual(h.store.rvs(), expected(api)));
    assert.deepEqual(h.store.ops.slice(1), [
      `add default/late@${Number(listRv) + 1}`,
      `delete default/obj-00000@${Number(listRv) + 2}`,
      `update default/obj-01199@${Number(listRv) + 3}`,
    ]);
    assert.equal(h.reflector.lastSyncResourceVersion(), String(api.rev));
    assert.equal(await metricValue(h.registry, 'reflector_lists_total'), 1);
    assert.equal(await metricValue(h.registry, 'reflector_items_per_list_count'), 1);
  });

  it('re-watches from the last resourceVersion seen when a watch ends normally, without listing', async () => {
    const api = new FakeApi();
    seed(api, 3);
    const h = start(api, { useWatchList: false });
    await eventually(() => api.activeWatches === 1);
    api.create('default', 'x');
    await eventually(() => h.store.state.has('default/x'));
    const rvAfterX = String(api.rev);
    await new Promise((r) => setTimeout(r, 1050)); // longer than a "short watch"
    api.cutWatches();
    await eventually(() => api.watchCalls.length === 2 && api.activeWatches === 1);
    assert.equal(api.watchCalls[1].resourceVersion, rvAfterX);
    assert.equal(api.listCalls.length, 1, 'no relist');
    api.remove('default/x');
    await eventually(() => !h.store.state.has('default/x'));
    assert.ok(!h.transitions.includes('Watching->Backoff'), 'a normal end is not a failure');
  });

  it('bookmarks advance the resourceVersion the next watch starts from', async () => {
    const api = new FakeApi();
    seed(api, 2);
    const h = start(api, { useWatchList: false });
    await eventually(() => api.activeWatches === 1);
    api.rev += 40; // writes to other resources move the global revision
    api.bookmark();
    await eventually(() => h.reflector.lastSyncResourceVersion() === String(api.rev));
    api.cutWatches(newInternalError(new Error('etcd hiccup')));
    await eventually(() => api.watchCalls.length === 2);
    assert.equal(api.watchCalls[1].resourceVersion, String(api.rev));
    assert.equal(api.listCalls.length, 1);
  });
});

describe('Reflector: relist on 410', () => {
  it('a 410 ERROR frame during a watch relists consistently; deletes missed meanwhile vanish from the replace', async () => {
    const api = new FakeApi();
    seed(api, 10);
    const h = start(api, { useWatchList: false });
    await eventually(() => api.activeWatches === 1);
    api.cutWatches(); // connection lost...
    // ...and before the re-watch, history moved on and was compacted.
    api.remove('default/obj-00003');
    api.create('default', 'born-while-away');
    api.compact();
    // The re-watch from the old resourceVersion answers 410; the reflector relists.
    await eventually(() => api.listCalls.length === 2 && h.reflector.state === 'Watching', 5000, 'relist');
    assert.equal(api.listCalls[1].resourceVersion, undefined, 'consistent list: no resourceVersion');
    assert.deepEqual(h.store.rvs(), expected(api));
    assert.ok(!h.store.state.has('default/obj-00003'));
    assert.equal(await metricValue(h.registry, 'reflector_relists_total', { reason: 'expired' }), 1);
  });

  it('an ERROR frame with 410 in the middle of a watch relists too', async () => {
    const api = new FakeApi();
    seed(api, 5);
    const h = start(api, { useWatchList: false });
    await eventually(() => api.activeWatches === 1);
    api.cutWatches(newResourceExpired('too old resource version: 3 (9)'));
    await eventually(() => api.listCalls.length === 2 && api.activeWatches === 1);
    assert.ok(h.transitions.includes('Watching->Backoff'));
    assert.ok(h.transitions.includes('Backoff->Empty'));
  });

  it('an expired continue token restarts the list from the first page', async () => {
    const api = new FakeApi();
    seed(api, 1100);
    let page = 0;
    api.beforeListPage = () => {
      if (++page === 2) {
        api.create('default', 'during-list');
        api.compact();
      }
    };
    const h = start(api, { useWatchList: false });
    await eventually(() => h.reflector.state === 'Watching');
    // pages: 1 (ok), 2 (410), then 1, 2, 3 of the new list
    assert.equal(api.listCalls.length, 5);
    assert.ok(!api.listCalls[2].continue);
    assert.deepEqual(h.store.rvs(), expected(api));
  });
});

describe('Reflector: pages asked ahead', () => {
  it('asks for the next page as soon as a page\'s metadata shows its continue token, one page ahead at most', async () => {
    const api = new FakeApi();
    api.announceMetadata = true;
    seed(api, 1700);
    const listRv = String(api.rev);
    const h = start(api, { useWatchList: false });
    await eventually(() => h.reflector.state === 'Watching');
    assert.equal(h.store.ops[0], `replace 1700@${listRv}`);
    assert.equal(api.listCalls.length, 4, 'four pages, each asked once');
    assert.deepEqual(api.listCalls.map((c) => !!c.continue), [false, true, true, true]);
    assert.equal(api.maxListsInFlight, 2, 'page n+1 is in flight while page n finishes, never more');
    assert.deepEqual(h.store.rvs(), expected(api));
  });

  it('a page asked ahead that fails (410) restarts the list, and nothing of the failed list is kept', async () => {
    const api = new FakeApi();
    api.announceMetadata = true;
    seed(api, 1100);
    let page = 0;
    api.beforeListPage = () => {
      if (++page === 2) {
        api.create('default', 'during-list');
        api.compact();
      }
    };
    const h = start(api, { useWatchList: false });
    await eventually(() => h.reflector.state === 'Watching');
    // pages: 1 (ok), 2 (asked ahead: 410), then 1, 2, 3 of the new list
    assert.deepEqual(api.listCalls.map((c) => !!c.continue), [false, true, false, true, true]);
    assert.deepEqual(h.store.ops.filter((o) => o.startsWith('replace')), [`replace 1101@${api.rev}`]);
    assert.deepEqual(h.store.rvs(), expected(api));
  });
});

describe('Reflector: streaming list (WatchList)', () => {
  it('streams the initial state, replaces at the initial-events-end bookmark and keeps watching on the same stream', async () => {
    const api = new FakeApi();
    seed(api, 700);
    const h = start(api, { useWatchList: true });
    await eventually(() => h.reflector.state === 'Watching');
    assert.equal(api.listCalls.length, 0);
    const w = api.watchCalls[0];
    assert.equal(w.sendInitialEvents, true);
    assert.equal(w.resourceVersionMatch, 'NotOlderThan');
    assert.equal(w.allowWatchBookmarks, true);
    assert.equal(w.resourceVersion, undefined);
    assert.equal(h.store.ops[0], `replace 700@${api.rev}`);
    api.update('default/obj-00001', (o) => (o.spec = { value: 99 }));
    await eventually(() => h.store.state.get('default/obj-00001')?.spec?.value === 99);
    assert.equal(api.watchCalls.length, 1, 'the stream that listed is the one that watches');
    assert.equal(h.reflector.usesWatchList, true);
    assert.equal(await metricValue(h.registry, 'reflector_watchLists_total'), 1);
  });

  it('is the default: a Reflector without options starts with a streaming list', async () => {
    const api = new FakeApi();
    seed(api, 5);
    const h = start(api);
    await eventually(() => h.reflector.state === 'Watching');
    assert.equal(api.listCalls.length, 0);
    assert.equal(api.watchCalls[0].sendInitialEvents, true);
    assert.deepEqual(h.store.rvs(), expected(api));
  });

  it('falls back to paged LIST+WATCH for good when the server refuses it with a 4xx', async () => {
    const api = new FakeApi();
    api.supportsWatchList = false;
    seed(api, 3);
    const h = start(api, { useWatchList: true });
    await eventually(() => h.reflector.state === 'Watching' && api.activeWatches === 1);
    assert.equal(h.reflector.usesWatchList, false);
    assert.equal(api.watchCalls[0].sendInitialEvents, true);
    assert.equal(api.listCalls.length, 1);
    assert.equal(api.watchCalls[1].sendInitialEvents, undefined);
    assert.deepEqual(h.transitions.slice(0, 3), ['Empty->StreamingList', 'StreamingList->Empty', 'Empty->ListingPages']);
    // A later relist pages directly.
    api.cutWatches(newResourceExpired('gone'));
    await eventually(() => api.listCalls.length === 2 && api.activeWatches === 1);
    assert.equal(api.watchCalls.filter((c) => c.sendInitialEvents).length, 1);
  });

  it('a stream that ends before the initial-events-end bookmark is a failure, retried', async () => {
    const api = new FakeApi();
    seed(api, 3);
    const realStream = api.watch.bind(api);
    let first = true;
    api.watch = (opts) => {
      if (!first) return realStream(opts);
      first = false;
      api.watchCalls.push(opts);
      return (async function* () {
        yield { type: 'ADDED' as const, object: structuredClone(api.objects.get('default/obj-00000')!) };
      })();
    };
    const h = start(api, { useWatchList: true });
    await eventually(() => h.reflector.state === 'Watching');
    assert.ok(h.transitions.includes('StreamingList->Backoff'));
    assert.deepEqual(h.store.rvs(), expected(api));
    assert.equal(h.store.ops.filter((o) => o.startsWith('replace')).length, 1, 'the partial stream never replaced');
  });

  it('streams cut before their end three times in a row: paged lists take over for good', async () => {
    const api = new FakeApi();
    seed(api, 3);
    const realStream = api.watch.bind(api);
    api.watch = (opts) => {
      if (!opts.sendInitialEvents) return realStream(opts);
      api.watchCalls.push(opts);
      return (async function* () {
        yield { type: 'ADDED' as const, object: structuredClone(api.objects.get('default/obj-00000')!) };
        throw newInternalError(new Error('stream cut by a proxy'));
      })();
    };
    const h = start(api, { useWatchList: true });
    await eventually(() => h.reflector.state === 'Watching');
    assert.equal(api.watchCalls.filter((c) => c.sendInitialEvents).length, 3);
    assert.equal(api.listCalls.length, 1);
    assert.equal(h.reflector.usesWatchList, false);
    assert.deepEqual(h.store.rvs(), expected(api));
    assert.equal(await metricValue(h.registry, 'reflector_watchLists_total'), 3);
    assert.equal(await metricValue(h.registry, 'reflector_lists_total'), 1);
  });
});

describe('Reflector: failures and backoff', () => {
  it('retries failed lists with growing backoff, then proceeds', async () => {
    const api = new FakeApi();
    seed(api, 2);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    api.listErrors.push(newInternalError(new Error('db down')), refused, newTooManyRequests('slow down', 1));
    const h = start(api, { useWatchList: false });
    await eventually(() => h.reflector.state === 'Watching');
    assert.equal(api.listCalls.length, 4);
    assert.equal(h.transitions.filter((t) => t === 'ListingPages->Backoff').length, 3);
    assert.equal(await metricValue(h.registry, 'reflector_watch_errors_total', { reason: 'InternalError' }), 1);
    assert.equal(await metricValue(h.registry, 'reflector_watch_errors_total', { reason: 'Network' }), 1);
    assert.equal(await metricValue(h.registry, 'reflector_watch_errors_total', { reason: 'TooManyRequests' }), 1);
  });

  it('a failed watch start resumes from the same resourceVersion after a backoff', async () => {
    const api = new FakeApi();
    seed(api, 2);
    const rv = String(api.rev);
    api.watchErrors.push(new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 503, reason: 'ServiceUnavailable' }));
    const h = start(api, { useWatchList: false });
    await eventually(() => api.activeWatches === 1);
    assert.deepEqual(api.watchCalls.map((c) => c.resourceVersion), [rv, rv]);
    assert.equal(api.listCalls.length, 1);
    assert.ok(h.transitions.includes('Watching->Backoff') && h.transitions.includes('Backoff->Listed'));
  });

  it('counts a watch that ends at once without events as short, and backs off', async () => {
    const api = new FakeApi();
    seed(api, 1);
    const real = api.watch.bind(api);
    let calls = 0;
    api.watch = (opts) => {
      if (++calls > 2) return real(opts);
      api.watchCalls.push(opts);
      return (async function* () {})();
    };
    const h = start(api, { useWatchList: false });
    await eventually(() => api.activeWatches === 1);
    assert.equal(await metricValue(h.registry, 'reflector_short_watches_total'), 2);
    assert.equal(h.transitions.filter((t) => t === 'Watching->Backoff').length, 2);
  });

  it('cuts a watch silent for longer than the inactivity timeout and resumes it', async () => {
    const api = new FakeApi();
    seed(api, 1);
    const h = start(api, { useWatchList: false, watchInactivityTimeoutMs: 60 });
    await eventually(() => api.watchCalls.length >= 2, 3000, 'a second watch');
    assert.equal(api.listCalls.length, 1);
    assert.ok((await metricValue(h.registry, 'reflector_watch_errors_total', { reason: 'Inactivity' })) >= 1);
    // Events keep a watch alive.
    const calls = api.watchCalls.length;
    for (let i = 0; i < 6; i++) {
      api.bookmark();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(api.watchCalls.length <= calls + 1, 'bookmarks every 20 ms keep a 60 ms inactivity timer quiet');
  });

  it('a list the store cannot take backs off and lists again', async () => {
    const api = new FakeApi();
    seed(api, 3);
    const store = new RecordingStore();
    const original = store.replace.bind(store);
    let failures = 1;
    store.replace = (list, rv) => {
      if (failures-- > 0) throw new Error('index function threw');
      original(list, rv);
    };
    const transitions: string[] = [];
    const reflector = new Reflector<TestObject>(api, store, {
      logger: silentLogger,
      registry: newRegistry(),
      backoff: fastBackoff,
      useWatchList: false,
      onTransition: (f, t) => transitions.push(`${f}->${t}`),
    });
    const ac = new AbortController();
    const done = reflector.run(ac.signal);
    await eventually(() => reflector.state === 'Watching');
    assert.deepEqual(transitions.slice(0, 4), ['Empty->ListingPages', 'ListingPages->Backoff', 'Backoff->Empty', 'Empty->ListingPages']);
    assert.equal(store.state.size, 3);
    ac.abort();
    await done;
  });

  it('skips an event the store cannot take, counts it and goes on', async () => {
    const api = new FakeApi();
    const store = new RecordingStore();
    const original = store.add.bind(store);
    store.add = (o) => {
      if (o.metadata.name === 'poison') throw new Error('cannot key this');
      original(o);
    };
    const registry = newRegistry();
    const reflector = new Reflector<TestObject>(api, store, { logger: silentLogger, registry, useWatchList: false, backoff: fastBackoff });
    const ac = new AbortController();
    const done = reflector.run(ac.signal);
    await eventually(() => api.activeWatches === 1);
    api.create('default', 'poison');
    api.create('default', 'fine');
    await eventually(() => store.state.has('default/fine'));
    assert.equal(await metricValue(registry, 'reflector_watch_errors_total', { reason: 'StoreError' }), 1);
    ac.abort();
    await done;
  });
});

describe('Reflector: resync and stop', () => {
  it('resyncs the store on its period when asked to', async () => {
    const api = new FakeApi();
    seed(api, 1);
    let allow = false;
    const h = start(api, { useWatchList: false, resyncPeriod: 15, shouldResync: () => allow });
    await eventually(() => api.activeWatches === 1);
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(!h.store.ops.includes('resync'), 'shouldResync false skips');
    allow = true;
    await eventually(() => h.store.ops.filter((o) => o === 'resync').length >= 2);
  });

  it('stops promptly in every state, leaving no watch open', async () => {
    for (const stopIn of ['Watching', 'Backoff', 'StreamingList'] as const) {
      const api = new FakeApi();
      seed(api, 3);
      if (stopIn === 'Backoff') api.listErrors.push(newInternalError(new Error('x')));
      const opts: ReflectorOptions<TestObject> = { useWatchList: stopIn === 'StreamingList', backoff: { initialMs: 60_000 } };
      if (stopIn === 'StreamingList') {
        // A stream that never reaches its end bookmark.
        api.watch = (o) => {
          api.watchCalls.push(o);
          return (async function* () {
            yield { type: 'ADDED' as const, object: structuredClone(api.objects.get('default/obj-00000')!) };
            await new Promise((_r, reject) => o.signal!.addEventListener('abort', () => reject(o.signal!.reason)));
          })();
        };
      }
      if (stopIn === 'Backoff') opts.useWatchList = false;
      const h = start(api, opts);
      await eventually(() => h.reflector.state === stopIn, 3000, stopIn);
      const t0 = Date.now();
      await h.stop();
      assert.ok(Date.now() - t0 < 500, `stopped from ${stopIn} in ${Date.now() - t0} ms`);
      assert.equal(h.reflector.state, 'Stopped');
      assert.equal(api.activeWatches, 0);
    }
  });

  it('refuses to run twice at once', async () => {
    const api = new FakeApi();
    const h = start(api, { useWatchList: true });
    await assert.rejects(h.reflector.run(new AbortController().signal), /already running/);
  });
});
