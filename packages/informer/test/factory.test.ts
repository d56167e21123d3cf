// SharedInformerFactory: one informer per GVR, namespace and selector set; start and
// waitForCacheSync; informers requested after start start at once; selectors reach the API.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupVersionResource } from '@keelson/apimachinery';
import { SharedInformerFactory, informerKey } from '../src/index.js';
import { FakeApi } from './fake-api.js';
import { eventually, fastBackoff, newRegistry, silentLogger } from './helpers.js';

const pods: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const deployments: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'deployments' };

describe('SharedInformerFactory', () => {
  it('shares one informer per resource, namespace and selectors; starts them and waits for their sync', async () => {
    const apis = new Map<string, FakeApi>();
    const asked: string[] = [];
    const source = (gvr: GroupVersionResource, namespace?: string): FakeApi => {
      const k = `${gvr.resource}|${namespace ?? '*'}`;
      asked.push(k);
      if (!apis.has(k)) {
        const api = new FakeApi();
        api.create(namespace ?? 'default', `${gvr.resource}-0`);
        apis.set(k, api);
      }
      return apis.get(k)!;
    };
    const factory = new SharedInformerFactory(source, { logger: silentLogger, registry: newRegistry(), reflector: { backoff: fastBackoff } });
    const a = factory.forResource(pods);
    const b = factory.forResource(pods);
    const c = factory.forResource(pods, { namespace: 'prod' });
    const d = factory.forResource(pods, { labelSelector: 'app=web' });
    const e = factory.forResource(deployments, { indexers: { byName: (o) => [o.metadata!.name!] } });
    const e2 = factory.forResource(deployments, { indexers: { byName: () => [], byUid: (o) => [o.metadata!.uid ?? ''] } });
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(a, d);
    assert.equal(e, e2);
    assert.deepEqual(Object.keys(e.getIndexer().getIndexers()).sort(), ['byName', 'byUid', 'namespace']);
    assert.deepEqual(factory.list().map((i) => i.name), ['v1/pods', 'v1/pods ns=prod', 'v1/pods labels=app=web', 'apps/v1/deployments']);

    const ac = new AbortController();
    await factory.start(ac.signal);
    assert.equal(await factory.waitForCacheSync(ac.signal), true);
    assert.deepEqual([...factory.syncStatus().values()], [true, true, true, true]);
    assert.equal(c.getIndexer().listKeys()[0], 'prod/pods-0');
    // The selector travels with every call of that informer, and only that one.
    const all = apis.get('pods|*')!;
    assert.ok(all.watchCalls.some((w) => w.labelSelector === 'app=web'));
    assert.ok(all.watchCalls.some((w) => w.labelSelector === undefined));

    const late = factory.forResource({ group: '', version: 'v1', resource: 'configmaps' });
    await eventually(() => late.hasSynced(), 3000, 'an informer made after start syncs by itself');
    ac.abort();
    await factory.shutdown();
    for (const i of factory.list()) assert.ok(i.isStopped);
    assert.equal(await factory.waitForCacheSync(ac.signal), true, 'already synced informers answer true');
  });

  it('waitForCacheSync answers false when its signal aborts first', async () => {
    const api = new FakeApi();
    api.listErrors.push(...Array.from({ length: 1000 }, () => new Error('down')));
    api.supportsWatchList = false;
    const factory = new SharedInformerFactory({ resource: () => api }, { logger: silentLogger, registry: newRegistry(), reflector: { backoff: fastBackoff } });
    factory.forResource(pods);
    const run = new AbortController();
    await factory.start(run.signal);
    const wait = new AbortController();
    setTimeout(() => wait.abort(), 50);
    assert.equal(await factory.waitForCacheSync(wait.signal), false);
    run.abort();
    await factory.shutdown();
  });

  it('names informers after their GVR, namespace and selectors', () => {
    assert.equal(informerKey(pods), 'v1/pods');
    assert.equal(informerKey(deployments, 'prod', 'app=web', 'spec.nodeName=n1'), 'apps/v1/deployments ns=prod labels=app=web fields=spec.nodeName=n1');
  });
});
