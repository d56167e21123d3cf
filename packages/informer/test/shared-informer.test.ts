// SharedIndexInformer against the FakeApi: ordered delivery to several handlers, per-handler
// buffers (a slow handler delays only itself), hasSynced per handler, late handlers, transforms,
// indexers, tombstones after a relist, resync, handler errors, metrics.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newResourceExpired } from '@keelson/apimachinery';
import {
  DeletedFinalStateUnknown,
  NamespaceIndex,
  SharedIndexInformer,
  waitForCacheSync,
  type ResourceEventHandler,
  type SharedIndexInformerOptions,
} from '../src/index.js';
import { FakeApi, keyOf, type TestObject } from './fake-api.js';
import { eventually, fastBackoff, metricValue, newRegistry, silentLogger } from './helpers.js';

interface Running {
  informer: SharedIndexInformer<TestObject>;
  registry: ReturnType<typeof newRegistry>;
  signal: AbortSignal;
  stop(): Promise<void>;
}

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

function makeInformer(api: FakeApi, opts: SharedIndexInformerOptions<TestObject> = {}): Running {
  const registry = newRegistry();
  const informer = new SharedIndexInformer<TestObject>(api, {
    name: 'things',
    logger: silentLogger,
    registry,
    reflector: { backoff: fastBackoff },
    ...opts,
  });
  const ac = new AbortController();
  let done: Promise<void> | undefined;
  const r: Running = {
    informer,
    registry,
    signal: ac.signal,
    async stop() {
      ac.abort();
      await (done ?? Promise.resolve());
    },
  };
  (r as Running & { run(): void }).run = () => {
    done = informer.run(ac.signal);
  };
  running.push(r);
  return r;
}

function run(r: Running): Running {
  (r as Running & { run(): void }).run();
  return r;
}

/** A handler that records `add ns/name@rv`, `update ns/name@old->new`, `delete ns/name@rv` (`delete~` for tombstones). */
function recorder(log: string[] = [], onEach?: () => Promise<void> | void): ResourceEventHandler<TestObject> & { log: string[] } {
  return {
    log,
    async onAdd(o) {
      log.push(`add ${keyOf(o)}@${o.metadata.resourceVersion}`);
      await onEach?.();
    },
    async onUpdate(old, o) {
      log.push(`update ${keyOf(o)}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`);
      await onEach?.();
    },
    async onDelete(o) {
      if (o instanceof DeletedFinalStateUnknown) log.push(`delete~ ${o.key}@${o.obj.metadata.resourceVersion}`);
      else log.push(`delete ${keyOf(o)}@${o.metadata.resourceVersion}`);
      await onEach?.();
    },
  };
}

describe('SharedIndexInformer', () => {
  it('delivers add, update and delete to every handler, in order, after the cache shows them', async () => {
    const api = new FakeApi();
    api.create('a', 'one');
    const r = makeInformer(api);
    const h1 = recorder();
    const h2 = recorder();
    const cacheSeen: boolean[] = [];
    r.informer.addEventHandler(h1);
    r.informer.addEventHandler(h2);
    r.informer.addEventHandler({
      onAdd: (o) => void cacheSeen.push(r.informer.getIndexer().getByKey(keyOf(o)) !== undefined),
      onDelete: (o) => void cacheSeen.push(r.informer.getIndexer().getByKey(keyOf(o as TestObject)) === undefined),
    });
    run(r);
    assert.ok(await waitForCacheSync(r.signal, r.informer.hasSynced));
    api.create('a', 'two');
    api.update('a/one', (o) => (o.spec = { value: 1 }));
    api.update('a/two', (o) => (o.spec = { value: 2 }));
    api.remove('a/one');
    const want = ['add a/one@1', 'add a/two@2', 'update a/one@1->3', 'update a/two@2->4', 'delete a/one@5'];
    await eventually(() => assert.deepEqual(h1.log, want));
    await eventually(() => assert.deepEqual(h2.log, want));
    await eventually(() => assert.deepEqual(cacheSeen, [true, true, true]));
    assert.equal(r.informer.lastSyncResourceVersion(), '5');
  });

  it('gives each handler its own buffer: one that takes 50 ms per event does not delay another', async () => {
    const api = new FakeApi();
    const r = run(makeInformer(api));
    const slow = recorder([], () => new Promise((res) => setTimeout(res, 50)));
    const fastTimes: number[] = [];
    const fast = recorder([], () => void fastTimes.push(Date.now()));
    r.informer.addEventHandler(slow, { name: 'slow' });
    r.informer.addEventHandler(fast, { name: 'fast' });
    assert.ok(await r.informer.waitForSync(r.signal));
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) api.create('ns', `o${i}`);
    await eventually(() => fast.log.length === 20, 2000, 'fast handler');
    const fastDone = Date.now() - t0;
    assert.ok(fastDone < 300, `fast handler had all 20 events after ${fastDone} ms (slow would need ~1000 ms)`);
    assert.ok(slow.log.length <= 6, `slow handler is still behind (${slow.log.length} handled)`);
    assert.ok((await metricValue(r.registry, 'informer_handler_buffered_events', { handler: 'slow' })) >= 10);
    assert.equal(await metricValue(r.registry, 'informer_handler_buffered_events', { handler: 'fast' }), 0);
    await eventually(() => slow.log.length === 20, 3000, 'slow handler');
    assert.deepEqual(slow.log, fast.log, 'same events, same order');
    assert.ok((await metricValue(r.registry, 'informer_handler_lag_seconds_count', { handler: 'slow' })) >= 20);
  });

  it('a handler has synced only once it has handled the initial list', async () => {
    const api = new FakeApi();
    for (let i = 0; i < 5; i++) api.create('ns', `o${i}`);
    const r = makeInformer(api);
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const initialFlags: boolean[] = [];
    const reg = r.informer.addEventHandler({
      async onAdd(_o, initial) {
        initialFlags.push(initial);
        await gate;
      },
    });
    const quick = r.informer.addEventHandler({});
    assert.equal(reg.hasSynced(), false);
    run(r);
    assert.ok(await r.informer.waitForSync(r.signal));
    await eventually(() => quick.hasSynced());
    assert.equal(r.informer.hasSynced(), true);
    assert.equal(reg.hasSynced(), false, 'still working through the initial list');
    release();
    await eventually(() => reg.hasSynced());
    api.create('ns', 'after');
    await eventually(() => initialFlags.length === 6);
    assert.deepEqual(initialFlags, [true, true, true, true, true, false]);
  });

  it('a handler added after sync first gets the cache as initial adds, then changes; remove() stops it', async () => {
    const api = new FakeApi();
    api.create('ns', 'a');
    api.create('ns', 'b');
    const r = run(makeInformer(api));
    assert.ok(await r.informer.waitForSync(r.signal));
    const late = recorder();
    const flags: boolean[] = [];
    const reg = r.informer.addEventHandler({ ...late, onAdd: (o, initial) => (flags.push(initial), late.onAdd!(o, initial)) });
    await eventually(() => reg.hasSynced());
    assert.deepEqual([...late.log].sort(), ['add ns/a@1', 'add ns/b@2']);
    assert.deepEqual(flags, [true, true]);
    api.update('ns/a', (o) => (o.spec = { value: 1 }));
    await eventually(() => late.log.length === 3);
    reg.remove();
    api.remove('ns/b');
    await eventually(() => r.informer.getIndexer().getByKey('ns/b') === undefined);
    const other = recorder();
    r.informer.addEventHandler(other);
    await eventually(() => assert.deepEqual(other.log, ['add ns/a@3'])); // the cache replay: just ns/a
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(late.log.length, 3, 'a removed handler hears nothing more');
  });

  it('strips managedFields by default; transform null keeps objects as served; a custom transform applies to everything cached', async () => {
    const api = new FakeApi();
    api.create('ns', 'a', {}, { managedFields: [{ manager: 'kubectl', operation: 'Apply' }] });
    const def = run(makeInformer(api));
    const raw = run(makeInformer(api, { transform: null }));
    const custom = run(makeInformer(api, { transform: (o) => ({ ...o, spec: { value: 42 } }) }));
    for (const r of [def, raw, custom]) assert.ok(await r.informer.waitForSync(r.signal));
    assert.equal(def.informer.getIndexer().getByKey('ns/a')!.metadata.managedFields, undefined);
    assert.equal(raw.informer.getIndexer().getByKey('ns/a')!.metadata.managedFields!.length, 1);
    api.update('ns/a', (o) => (o.metadata.labels = { x: 'y' }));
    await eventually(() => custom.informer.getIndexer().getByKey('ns/a')?.metadata.labels?.x === 'y');
    assert.equal(custom.informer.getIndexer().getByKey('ns/a')!.spec!.value, 42);
    assert.equal(def.informer.getIndexer().getByKey('ns/a')!.metadata.managedFields, undefined);
    assert.throws(() => def.informer.setTransform(null), /already started/);
  });

  it('keeps the namespace index and user indexers right as objects move', async () => {
    const api = new FakeApi();
    api.create('a', 'p1', { nodeName: 'n1' });
    api.create('b', 'p2', { nodeName: 'n1' });
    const r = run(makeInformer(api, { indexers: { byNode: (o) => (o.spec?.nodeName ? [o.spec.nodeName] : []) } }));
    assert.ok(await r.informer.waitForSync(r.signal));
    const idx = r.informer.getIndexer();
    assert.deepEqual(idx.indexKeys('byNode', 'n1').sort(), ['a/p1', 'b/p2']);
    api.update('a/p1', (o) => (o.spec = { nodeName: 'n2' }));
    api.remove('b/p2');
    await eventually(() => idx.indexKeys('byNode', 'n1').length === 0);
    assert.deepEqual(idx.indexKeys('byNode', 'n2'), ['a/p1']);
    assert.deepEqual(idx.listIndexFuncValues(NamespaceIndex), ['a']);
    r.informer.addIndexers({ byName: (o) => [o.metadata.name] });
    assert.deepEqual(idx.indexKeys('byName', 'p1'), ['a/p1']);
  });

  it('after a relist, deletes missed while no watch ran arrive as tombstones; unchanged objects stay quiet', async () => {
    const api = new FakeApi();
    for (const n of ['keep', 'change', 'vanish']) api.create('ns', n);
    const r = run(makeInformer(api, { reflector: { backoff: fastBackoff, useWatchList: false } }));
    const h = recorder();
    r.informer.addEventHandler(h);
    assert.ok(await r.informer.waitForSync(r.signal));
    await eventually(() => h.log.length === 3);
    const before = api.rev;
    api.cutWatches();
    api.remove('ns/vanish');
    api.update('ns/change', (o) => (o.spec = { value: 1 }));
    api.create('ns', 'new');
    api.compact(); // the watch cannot resume: 410, relist
    await eventually(() => h.log.length === 6, 3000, 'relist deliveries');
    assert.deepEqual(h.log.slice(3).sort(), [`add ns/new@${before + 3}`, `delete~ ns/vanish@3`, `update ns/change@2->${before + 2}`].sort());
    assert.deepEqual(
      Object.fromEntries(r.informer.getIndexer().list().map((o) => [keyOf(o), o.metadata.resourceVersion])),
      Object.fromEntries([...api.objects].map(([k, o]) => [k, o.metadata.resourceVersion])),
    );
  });

  it('an ERROR 410 mid-watch with the deleted object: tombstone carries the last known state', async () => {
    const api = new FakeApi();
    api.create('ns', 'x', { value: 1 });
    const r = run(makeInformer(api));
    const deleted: unknown[] = [];
    r.informer.addEventHandler({ onDelete: (o) => void deleted.push(o) });
    assert.ok(await r.informer.waitForSync(r.signal));
    api.cutWatches(newResourceExpired('too old'));
    api.remove('ns/x');
    api.compact();
    await eventually(() => deleted.length === 1);
    assert.ok(deleted[0] instanceof DeletedFinalStateUnknown);
    assert.equal((deleted[0] as DeletedFinalStateUnknown<TestObject>).obj.spec!.value, 1);
  });

  it('resync re-delivers cached objects as updates to the handlers due for it', async () => {
    const api = new FakeApi();
    api.create('ns', 'a');
    const r = makeInformer(api);
    const resynced: string[] = [];
    const quiet: string[] = [];
    r.informer.addEventHandler({ onUpdate: (o, n) => void resynced.push(`${keyOf(n)} same=${o === n}`) }, { resyncPeriod: 1000 });
    r.informer.addEventHandler({ onUpdate: (_o, n) => void quiet.push(keyOf(n)) });
    run(r);
    await eventually(() => resynced.length >= 1, 3000, 'a resync');
    assert.deepEqual(resynced[0], 'ns/a same=true');
    assert.deepEqual(quiet, []);
  });

  it('counts and logs handler errors and keeps delivering', async () => {
    const api = new FakeApi();
    const r = run(makeInformer(api));
    const seen: string[] = [];
    r.informer.addEventHandler(
      {
        onAdd(o) {
          seen.push(o.metadata.name);
          if (o.metadata.name === 'bad') throw new Error('handler bug');
        },
      },
      { name: 'buggy' },
    );
    assert.ok(await r.informer.waitForSync(r.signal));
    api.create('ns', 'bad');
    api.create('ns', 'good');
    await eventually(() => seen.length === 2);
    assert.equal(await metricValue(r.registry, 'informer_handler_errors_total', { handler: 'buggy' }), 1);
  });

  it('runs once, refuses handlers after stop, and reports queue depth', async () => {
    const api = new FakeApi();
    for (let i = 0; i < 50; i++) api.create('ns', `o${i}`);
    const r = run(makeInformer(api));
    assert.ok(await r.informer.waitForSync(r.signal));
    await assert.rejects(r.informer.run(r.signal), /already been started/);
    assert.equal(await metricValue(r.registry, 'informer_queued_items', { name: 'things' }), 0);
    assert.ok((await metricValue(r.registry, 'informer_processing_latency_seconds_count', { name: 'things' })) >= 50);
    await r.stop();
    assert.ok(r.informer.isStopped);
    assert.throws(() => r.informer.addEventHandler({}), /has stopped/);
    assert.equal(api.activeWatches, 0);
  });
});
