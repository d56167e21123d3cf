// The informer against Keelson's real API server (in this process, over HTTPS with a bearer
// token) through @keelson/client:
// - add/update/delete reach every handler in order, with streaming lists and with paged lists;
// - indexers (namespace, spec.nodeName) agree with a fresh list after thousands of random
//   changes to label-selected Pods;
// - chaos, with several seeds: random writes, server restarts (which cut every watch), deletes
//   made while the server is down and compaction forcing 410. Afterwards the cache equals a
//   fresh list exactly (keys and resourceVersions), each handler's view equals it, and every
//   deleted key reached the handlers as a delete; those deleted while no watch ran, as
//   DeletedFinalStateUnknown tombstones.
// Prints its seed; KEELSON_SEED=<n> replays the operations.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAlreadyExists, isNotFound, type GroupVersionResource } from '@keelson/apimachinery';
import { Client, type ResourceClient } from '@keelson/client';
import {
  DeletedFinalStateUnknown,
  NamespaceIndex,
  SharedInformerFactory,
  type KubeObject,
  type ResourceEventHandler,
} from '../../src/index.js';
import { startInProcess, type InProcessServer } from '../../../apiserver/test/integration/in-process.js';
import { eventually, metricValue, newRegistry, pick, rng, silentLogger, testSeed } from '../helpers.js';

const seed = testSeed();
console.log(`informer integration: seed ${seed} (rerun with KEELSON_SEED=${seed})`);

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers: { name: string; image: string }[] };
}

const configmaps: GroupVersionResource = { group: '', version: 'v1', resource: 'configmaps' };
const pods: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const namespaces: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces' };

let srv: InProcessServer;
let client: Client;
const stops: (() => Promise<void>)[] = [];

before(async () => {
  srv = await startInProcess({ storage: 'memory' });
  // qps 0: the suite writes thousands of objects; client-side rate limiting is not under test.
  client = Client.fromKubeconfig({ path: srv.kubeconfig, inCluster: false, qps: 0 });
  const ns = client.resource(namespaces);
  for (const name of ['inf-order', 'inf-index-a', 'inf-index-b', 'inf-index-c', 'inf-chaos-0', 'inf-chaos-1', 'inf-chaos-2']) {
    await ns.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
});

after(async () => {
  for (const stop of stops.splice(0)) await stop();
  client?.close();
  await srv?.stop();
});

const keyOf = (o: KubeObject): string => `${o.metadata!.namespace}/${o.metadata!.name}`;
const rvOf = (o: KubeObject): string => o.metadata!.resourceVersion!;
const sortedEntries = (m: Iterable<[string, string]>): Record<string, string> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

/** A factory whose informers stop when the suite ends. */
function newFactory(opts: ConstructorParameters<typeof SharedInformerFactory>[1] = {}): { factory: SharedInformerFactory; signal: AbortSignal } {
  const ac = new AbortController();
  const factory = new SharedInformerFactory(client, { logger: silentLogger, registry: newRegistry(), ...opts });
  stops.push(async () => {
    ac.abort();
    await factory.shutdown();
  });
  return { factory, signal: ac.signal };
}

/**
 * A write right after a restart can go out on a pooled keep-alive connection the old server
 * closed; Node reports "socket hang up" and the client (rightly) does not retry a POST on its
 * own. Retry it here; a create that did land answers AlreadyExists the second time.
 */
async function write<T>(f: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt < 3 && code === 'ECONNRESET') continue;
      if (attempt > 0 && (isAlreadyExists(err) || isNotFound(err))) return undefined;
      throw err;
    }
  }
}

/** A handler that rebuilds the state from its notifications and checks each against it. */
class ViewHandler<T extends KubeObject> implements ResourceEventHandler<T> {
  readonly log: string[] = [];
  readonly view = new Map<string, string>();
  readonly violations: string[] = [];
  readonly tombstoned = new Set<string>();
  readonly deleted = new Set<string>();
  constructor(private readonly delayMs = 0) {}
  async onAdd(o: T): Promise<void> {
    const k = keyOf(o);
    if (this.view.has(k)) this.violations.push(`add of ${k}, already present`);
    this.view.set(k, rvOf(o));
    this.log.push(`add ${k}@${rvOf(o)}`);
    await this.pause();
  }
  async onUpdate(old: T, o: T): Promise<void> {
    const k = keyOf(o);
    if (this.view.get(k) !== rvOf(old)) this.violations.push(`update of ${k} from ${rvOf(old)}, handler had ${this.view.get(k)}`);
    this.view.set(k, rvOf(o));
    this.log.push(`update ${k}@${rvOf(old)}->${rvOf(o)}`);
    await this.pause();
  }
  async onDelete(o: T | DeletedFinalStateUnknown<T>): Promise<void> {
    const k = o instanceof DeletedFinalStateUnknown ? o.key : keyOf(o);
    if (!this.view.has(k)) this.violations.push(`delete of ${k}, not present`);
    if (o instanceof DeletedFinalStateUnknown) this.tombstoned.add(k);
    this.view.delete(k);
    this.deleted.add(k);
    this.log.push(`delete ${k}`);
    await this.pause();
  }
  private async pause(): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
  }
}

describe('informer against the Keelson API server', () => {
  for (const useWatchList of [true, false]) {
    it(`delivers add, update and delete to every handler in order (${useWatchList ? 'streaming list' : 'paged list'})`, async () => {
      const cms: ResourceClient<ConfigMap> = client.resource<ConfigMap>(configmaps, 'inf-order');
      const pre = await cms.create({ metadata: { name: `pre-${useWatchList}` }, data: { v: '0' } });
      const { factory, signal } = newFactory({ namespace: 'inf-order', reflector: { useWatchList } });
      const informer = factory.forResource<ConfigMap>(configmaps);
      const handlers = [new ViewHandler<ConfigMap>(), new ViewHandler<ConfigMap>(2), new ViewHandler<ConfigMap>()];
      for (const h of handlers) informer.addEventHandler(h);
      await factory.start(signal);
      assert.ok(await factory.waitForCacheSync(signal));

      const x = `x-${useWatchList}`;
      const y = `y-${useWatchList}`;
      const x1 = await cms.create({ metadata: { name: x }, data: { v: '1' } });
      const x2 = await cms.patch(x, { data: { v: '2' } }, 'merge');
      const y1 = await cms.create({ metadata: { name: y }, data: { v: '1' } });
      const x3 = await cms.patch(x, { data: { v: '3' } }, 'merge');
      await cms.delete(x);
      const y2 = await cms.patch(y, { data: { v: '2' } }, 'merge');
      await cms.delete(y);
      const want = [
        `add inf-order/${x}@${rvOf(x1)}`,
        `update inf-order/${x}@${rvOf(x1)}->${rvOf(x2)}`,
        `add inf-order/${y}@${rvOf(y1)}`,
        `update inf-order/${x}@${rvOf(x2)}->${rvOf(x3)}`,
        `delete inf-order/${x}`,
        `update inf-order/${y}@${rvOf(y1)}->${rvOf(y2)}`,
        `delete inf-order/${y}`,
      ];
      for (const h of handlers) {
        await eventually(() => assert.deepEqual(h.log.filter((l) => !l.includes('/pre-')).slice(-want.length), want), 10_000, 'ordered delivery');
        assert.ok(h.log.includes(`add inf-order/pre-${useWatchList}@${rvOf(pre)}`), 'the initial list arrived as adds');
        assert.deepEqual(h.violations, []);
      }
      assert.equal(informer.getIndexer().getByKey(`inf-order/${x}`), undefined);
    });
  }

  it('keeps the namespace and spec.nodeName indices equal to a fresh list after thousands of random changes', async () => {
    const r = rng(seed);
    const nss = ['inf-index-a', 'inf-index-b', 'inf-index-c'];
    const nodes = ['node-1', 'node-2', 'node-3', 'node-4'];
    const names = Array.from({ length: 120 }, (_, i) => `p${i}`);
    const { factory, signal } = newFactory({ labelSelector: 'suite=index' });
    const informer = factory.forResource<Pod>(pods, { indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) } });
    const handler = new ViewHandler<Pod>();
    informer.addEventHandler(handler);
    await factory.start(signal);
    assert.ok(await factory.waitForCacheSync(signal));

    // A Pod without the label: the selector must keep it out of the cache.
    await client.resource<Pod>(pods, 'inf-index-a').create({ metadata: { name: 'unlabelled' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } });

    const live = new Set<string>();
    const OPS = 2500;
    for (let op = 0; op < OPS; op++) {
      const ns = pick(r, nss);
      const name = pick(r, names);
      const k = `${ns}/${name}`;
      const rc = client.resource<Pod>(pods, ns);
      if (!live.has(k)) {
        await rc.create({ metadata: { name, labels: { suite: 'index' } }, spec: { nodeName: pick(r, nodes), containers: [{ name: 'c', image: 'busybox' }] } });
        live.add(k);
      } else if (r() < 0.65) {
        await rc.patch(name, { spec: { nodeName: pick(r, nodes) }, metadata: { annotations: { op: String(op) } } }, 'merge');
      } else {
        await rc.delete(name);
        live.delete(k);
      }
    }

    const fresh = await client.resource<Pod>(pods).list({ labelSelector: 'suite=index' });
    const want = sortedEntries(fresh.items.map((p) => [keyOf(p), rvOf(p)]));
    const idx = informer.getIndexer();
    await eventually(() => assert.deepEqual(sortedEntries(idx.list().map((p) => [keyOf(p), rvOf(p)])), want), 20_000, 'cache equals a fresh list');
    for (const node of nodes) {
      const scan = fresh.items.filter((p) => p.spec?.nodeName === node).map(keyOf).sort();
      assert.deepEqual(idx.indexKeys('byNode', node).sort(), scan, `byNode=${node}`);
      assert.deepEqual(idx.byIndex('byNode', node).map(keyOf).sort(), scan);
    }
    for (const ns of nss) {
      assert.deepEqual(idx.indexKeys(NamespaceIndex, ns).sort(), fresh.items.filter((p) => p.metadata!.namespace === ns).map(keyOf).sort(), `namespace=${ns}`);
    }
    assert.equal(idx.getByKey('inf-index-a/unlabelled'), undefined);
    await eventually(() => assert.deepEqual(sortedEntries(handler.view), want), 10_000, 'handler view');
    assert.deepEqual(handler.violations, []);
    assert.equal(idx.list()[0]?.metadata?.managedFields, undefined, 'managedFields dropped by the default transform');
  });

  it('recovers from restarts, cut watches and 410 (several seeds): cache equals a fresh list, every delete delivered', async () => {
    let tombstones = 0;
    let relists = 0;
    for (let run = 0; run < 3; run++) {
      const runSeed = seed + run;
      const r = rng(runSeed);
      const ns = `inf-chaos-${run}`;
      const cms = client.resource<ConfigMap>(configmaps, ns);
      const registry = newRegistry();
      const { factory, signal } = newFactory({ namespace: ns, registry, reflector: { useWatchList: run % 2 === 0, backoff: { initialMs: 100, maxMs: 2000 } } });
      const informer = factory.forResource<ConfigMap>(configmaps);
      const fast = new ViewHandler<ConfigMap>();
      const slow = new ViewHandler<ConfigMap>(1);
      informer.addEventHandler(fast, { name: 'fast' });
      informer.addEventHandler(slow, { name: 'slow' });
      await factory.start(signal);
      assert.ok(await factory.waitForCacheSync(signal));

      const names = Array.from({ length: 40 }, (_, i) => `cm${i}`);
      const live = new Set<string>();
      const deletedWhileDown = new Set<string>();
      const everDeleted = new Set<string>();
      for (let round = 0; round < 6; round++) {
        for (let op = 0; op < 80; op++) {
          const name = pick(r, names);
          if (!live.has(name)) {
            await write(() => cms.create({ metadata: { name }, data: { round: String(round), op: String(op) } }));
            live.add(name);
          } else if (r() < 0.6) {
            await write(() => cms.patch(name, { data: { op: String(op) } }, 'merge'));
          } else {
            await write(() => cms.delete(name));
            live.delete(name);
            everDeleted.add(`${ns}/${name}`);
          }
        }
        const cached = (): Record<string, string> => sortedEntries(informer.getIndexer().list().map((o) => [keyOf(o), rvOf(o)]));
        if (round % 3 === 0) {
          // The informer caught up, then a restart; while the server is down (no watch can see
          // it) a few objects are deleted in storage and history is compacted: the informer's
          // resourceVersion is gone, only a relist recovers, and only tombstones can tell.
          const now = (await write(() => cms.list()))!;
          await eventually(() => assert.deepEqual(cached(), sortedEntries(now.items.map((o) => [keyOf(o), rvOf(o)]))), 20_000, `seed ${runSeed}: caught up`);
          const gone: string[] = [];
          await srv.restart(async () => {
            for (const name of [...live].filter(() => r() < 0.2).slice(0, 5)) {
              await srv.store.delete(`/registry/configmaps/${ns}/${name}`);
              live.delete(name);
              gone.push(`${ns}/${name}`);
              everDeleted.add(`${ns}/${name}`);
            }
            await srv.store.compact(await srv.store.currentRevision());
          });
          // Let the relist find them gone before a later write may re-create one (a delete and
          // re-create both missed would be, as in client-go, an update).
          await eventually(() => gone.every((k) => !informer.getIndexer().getByKey(k)), 20_000, `seed ${runSeed}: relist after 410`);
          for (const k of gone) deletedWhileDown.add(k);
        } else if (round % 3 === 1) {
          // A restart in the middle of the stream (the informer lags the writes) with compaction:
          // 410, relist, and whatever was deleted in the lag arrives as tombstones.
          await srv.restart(async () => srv.store.compact(await srv.store.currentRevision()));
        } else {
          // A plain restart: every watch is cut and resumes from its resourceVersion.
          await srv.restart();
        }
      }

      const fresh = (await write(() => cms.list()))!;
      const want = sortedEntries(fresh.items.map((o) => [keyOf(o), rvOf(o)]));
      assert.deepEqual(Object.keys(want).sort(), [...live].map((n) => `${ns}/${n}`).sort());
      await eventually(() => assert.deepEqual(sortedEntries(informer.getIndexer().list().map((o) => [keyOf(o), rvOf(o)])), want), 30_000, `seed ${runSeed}: cache equals a fresh list`);
      for (const h of [fast, slow]) {
        await eventually(() => assert.deepEqual(sortedEntries(h.view), want), 20_000, `seed ${runSeed}: handler view`);
        assert.deepEqual(h.violations, [], `seed ${runSeed}`);
        for (const k of everDeleted) if (!want[k]) assert.ok(h.deleted.has(k), `seed ${runSeed}: ${k} was deleted but never delivered as a delete`);
        for (const k of deletedWhileDown) assert.ok(h.tombstoned.has(k), `seed ${runSeed}: ${k}, deleted while no watch ran, did not arrive as a tombstone`);
      }
      tombstones += fast.tombstoned.size;
      relists += await metricValue(registry, 'reflector_relists_total', { reason: 'expired' });
    }
    console.log(`  chaos: ${tombstones} tombstones, ${relists} relists after 410 over 3 seeds`);
    assert.ok(relists >= 3, 'compaction forced relists');
    assert.ok(tombstones > 0, 'deletes missed while down arrived as tombstones');
  });
});
