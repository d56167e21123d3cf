// Randomized chaos against the FakeApi: a seeded stream of creates, updates and deletes mixed
// with cut watches, 410 ERROR frames, compaction, bookmarks and failing lists and watches, with
// a fast and a slow handler attached. Afterwards the cache equals the API's state exactly (keys
// and resourceVersions), each handler's view (built only from its notifications) equals it too,
// every notification was consistent with the one before it, and every key deleted meanwhile
// reached the handlers as a delete. Prints its seed; KEELSON_SEED=<n> replays the operations.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newInternalError, newResourceExpired } from '@keelson/apimachinery';
import { DeletedFinalStateUnknown, SharedIndexInformer, type ResourceEventHandler } from '../src/index.js';
import { FakeApi, keyOf, type TestObject } from './fake-api.js';
import { eventually, fastBackoff, newRegistry, pick, rng, silentLogger, testSeed } from './helpers.js';

const seed = testSeed();
console.log(`informer chaos: seed ${seed} (rerun with KEELSON_SEED=${seed})`);

/** A handler that rebuilds the state from its notifications and checks each against it. */
class ViewHandler implements ResourceEventHandler<TestObject> {
  readonly view = new Map<string, string>();
  readonly violations: string[] = [];
  readonly deletedKeys = new Set<string>();
  tombstones = 0;
  constructor(private readonly delay?: () => number) {}
  async onAdd(o: TestObject): Promise<void> {
    const k = keyOf(o);
    if (this.view.has(k)) this.violations.push(`add of ${k}, which the handler already has`);
    this.view.set(k, o.metadata.resourceVersion!);
    await this.pause();
  }
  async onUpdate(old: TestObject, o: TestObject): Promise<void> {
    const k = keyOf(o);
    if (this.view.get(k) !== old.metadata.resourceVersion) {
      this.violations.push(`update of ${k} from ${old.metadata.resourceVersion}, handler had ${this.view.get(k)}`);
    }
    if (Number(o.metadata.resourceVersion) < Number(old.metadata.resourceVersion)) this.violations.push(`update of ${k} went back in time`);
    this.view.set(k, o.metadata.resourceVersion!);
    await this.pause();
  }
  async onDelete(o: TestObject | DeletedFinalStateUnknown<TestObject>): Promise<void> {
    const k = o instanceof DeletedFinalStateUnknown ? o.key : keyOf(o);
    if (o instanceof DeletedFinalStateUnknown) this.tombstones++;
    if (!this.view.has(k)) this.violations.push(`delete of ${k}, which the handler does not have`);
    this.view.delete(k);
    this.deletedKeys.add(k);
    await this.pause();
  }
  private async pause(): Promise<void> {
    const ms = this.delay?.() ?? 0;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}

async function chaosRun(runSeed: number, useWatchList: boolean): Promise<{ relists: number; tombstones: number }> {
  const r = rng(runSeed);
  const api = new FakeApi();
  const informer = new SharedIndexInformer<TestObject>(api, {
    name: 'chaos',
    logger: silentLogger,
    registry: newRegistry(),
    indexers: { byNode: (o) => (o.spec?.nodeName ? [o.spec.nodeName] : []) },
    reflector: { backoff: fastBackoff, useWatchList },
  });
  const fast = new ViewHandler();
  const slowRng = rng(runSeed + 1);
  const slow = new ViewHandler(() => (slowRng() < 0.02 ? 2 : 0));
  informer.addEventHandler(fast, { name: 'fast' });
  informer.addEventHandler(slow, { name: 'slow' });
  const ac = new AbortController();
  const done = informer.run(ac.signal);

  const names = Array.from({ length: 80 }, (_, i) => `o${i}`);
  const namespaces = ['a', 'b', 'c'];
  const everDeleted = new Set<string>();
  let relists = 0;
  const OPS = 1500;
  for (let op = 0; op < OPS; op++) {
    const k = `${pick(r, namespaces)}/${pick(r, names)}`;
    const roll = r();
    if (roll < 0.88) {
      if (!api.objects.has(k)) {
        const [ns, name] = k.split('/');
        api.create(ns, name, { nodeName: pick(r, ['n1', 'n2', 'n3']) });
      } else if (r() < 0.6) api.update(k, (o) => (o.spec = { nodeName: pick(r, ['n1', 'n2', 'n3']), value: op }));
      else {
        api.remove(k);
        everDeleted.add(k);
      }
    } else if (roll < 0.91) api.cutWatches();
    else if (roll < 0.93) {
      api.cutWatches(newResourceExpired('too old resource version'));
      relists++;
    } else if (roll < 0.95) {
      // A restart with compaction: the resumed watch answers 410.
      api.cutWatches();
      api.compact();
    } else if (roll < 0.98) api.bookmark();
    else if (roll < 0.99) api.listErrors.push(newInternalError(new Error('list failed')));
    else api.watchErrors.push(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    // Let the informer run in between, for a random while.
    if (r() < 0.1) await new Promise((res) => setTimeout(res, Math.floor(r() * 3)));
  }
  api.listErrors.length = 0;
  api.watchErrors.length = 0;

  const want = Object.fromEntries([...api.objects].map(([k, o]) => [k, o.metadata.resourceVersion!]).sort());
  const cache = (): Record<string, string> =>
    Object.fromEntries(informer.getIndexer().list().map((o) => [keyOf(o), o.metadata.resourceVersion!]).sort());
  await eventually(() => assert.deepEqual(cache(), want), 10_000, 'cache equals the API');
  await eventually(() => assert.deepEqual(Object.fromEntries([...fast.view].sort()), want), 10_000, 'fast handler view');
  await eventually(() => assert.deepEqual(Object.fromEntries([...slow.view].sort()), want), 10_000, 'slow handler view');
  assert.deepEqual(fast.violations, []);
  assert.deepEqual(slow.violations, []);

  // Every key deleted in the API and absent now was delivered as a delete, if the handler ever had it.
  for (const k of everDeleted) {
    if (api.objects.has(k)) continue;
    assert.ok(!fast.view.has(k) && !slow.view.has(k), `${k} still in a handler's view`);
  }
  // The indexer agrees with a scan.
  for (const node of ['n1', 'n2', 'n3']) {
    const scan = informer.getIndexer().list().filter((o) => o.spec?.nodeName === node).map(keyOf).sort();
    assert.deepEqual(informer.getIndexer().indexKeys('byNode', node).sort(), scan);
  }
  ac.abort();
  await done;
  assert.equal(api.activeWatches, 0);
  return { relists, tombstones: fast.tombstones };
}

describe('informer chaos (seeded)', () => {
  for (const useWatchList of [false, true]) {
    it(`cache and handlers converge to the API under chaos (${useWatchList ? 'streaming list' : 'paged list'})`, async () => {
      let tombstones = 0;
      for (let i = 0; i < 3; i++) {
        const res = await chaosRun(seed + i * 7919 + (useWatchList ? 1 : 0), useWatchList);
        tombstones += res.tombstones;
      }
      console.log(`  ${useWatchList ? 'streaming' : 'paged'}: ${tombstones} tombstones delivered over 3 runs`);
    });
  }
});
