// The client against the real ApiServer in this process, over HTTPS with the kubeconfig it
// writes (CA data, bearer token): typed and dynamic CRUD, errors as ApiError, paging, watches
// (events in order, initial events, bookmarks, timeouts, 410 for a compacted resourceVersion),
// server-side apply creating what is missing, discovery and the RESTMapper finding a CRD created
// at runtime, a CONNECT proxy, and a watch cut by a server restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound, isResourceExpired } from '@keelson/apimachinery';
import { startInProcess, type InProcessServer } from '../../../apiserver/test/integration/in-process.js';
import { Client } from '../../src/client.js';
import { ConnectionError } from '../../src/errors.js';
import { loadKubeconfig } from '../../src/kubeconfig.js';
import { isNoMatchError } from '../../src/rest-mapper.js';
import type { ObjectList, Unstructured, WatchEvent } from '../../src/types.js';

let srv: InProcessServer;
let client: Client;
const NS = 'client-it';

before(async () => {
  srv = await startInProcess({ storage: 'memory' });
  client = Client.fromKubeconfig({ path: srv.kubeconfig, qps: 0 });
  await client.coreV1.namespaces().create({ metadata: { name: NS } });
});

after(async () => {
  client?.close();
  await srv?.stop();
});

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('kubeconfig and typed CRUD', () => {
  test('the kubeconfig the server wrote: HTTPS with its CA and token', () => {
    const c = loadKubeconfig({ path: srv.kubeconfig });
    assert.equal(c.host, srv.url);
    assert.ok(c.tls?.caData?.includes('BEGIN CERTIFICATE'));
    assert.equal(c.bearerToken, srv.token);
    assert.equal(client.namespace, 'default');
  });

  test('ConfigMaps: create, get, update, three patch types, list by label, delete; errors are ApiErrors', async () => {
    const cms = client.coreV1.configMaps(NS);
    const created = await cms.create({ metadata: { name: 'a', labels: { app: 'x' } }, data: { k: '1' } });
    assert.equal(created.kind, 'ConfigMap');
    assert.ok(created.metadata?.uid && created.metadata.resourceVersion);
    const got = await cms.get('a');
    assert.deepEqual(got.data, { k: '1' });

    got.data = { k: '2' };
    const updated = await cms.update(got);
    assert.equal(updated.data?.k, '2');
    assert.notEqual(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);

    // A stale resourceVersion is a Conflict.
    const stale: ConfigMap = { ...created, data: { k: 'stale' } };
    const conflict = await rejection(cms.update(stale));
    assert.ok(isConflict(conflict));
    assert.equal(conflict.code, 409);

    assert.equal((await cms.patch('a', { data: { m: 'merge' } }, 'merge')).data?.m, 'merge');
    assert.equal((await cms.patch('a', [{ op: 'add', path: '/data/j', value: 'json' }], 'json')).data?.j, 'json');
    const s = await cms.patch('a', { data: { s: 'strategic' } }, 'strategic');
    assert.deepEqual(s.data, { k: '2', m: 'merge', j: 'json', s: 'strategic' });

    await cms.create({ metadata: { name: 'b', labels: { app: 'y' } } });
    const xs = await cms.list({ labelSelector: 'app=x' });
    assert.deepEqual(xs.items.map((i) => i.metadata?.name), ['a']);
    assert.equal(xs.kind, 'ConfigMapList');
    assert.ok(xs.metadata.resourceVersion);

    assert.ok(isAlreadyExists(await rejection(cms.create({ metadata: { name: 'a' } }))));
    await cms.delete('a');
    await cms.delete('b', { propagationPolicy: 'Background', gracePeriodSeconds: 0 });
    const nf = await rejection(cms.get('a'));
    assert.ok(isNotFound(nf));
    assert.equal(nf.message, 'configmaps "a" not found');
    assert.equal(nf.status.details?.kind, 'configmaps');
  });

  test('dry run does not persist; deleteCollection by label; a stale delete precondition is a Conflict', async () => {
    const cms = client.coreV1.configMaps(NS);
    const dry = await cms.create({ metadata: { name: 'dry' } }, { dryRun: true });
    assert.equal(dry.metadata?.name, 'dry');
    assert.ok(isNotFound(await rejection(cms.get('dry'))));

    for (const n of ['c1', 'c2', 'c3']) await cms.create({ metadata: { name: n, labels: { batch: n === 'c3' ? 'keep' : 'drop' } } });
    await cms.deleteCollection({ labelSelector: 'batch=drop' });
    assert.deepEqual((await cms.list({ labelSelector: 'batch' })).items.map((i) => i.metadata?.name), ['c3']);
    const c3 = await cms.get('c3');
    const err = await rejection(cms.delete('c3', { preconditions: { resourceVersion: '1' } }));
    assert.ok(isConflict(err), err.message);
    await cms.delete('c3', { preconditions: { uid: c3.metadata!.uid! } });
  });

  test('Deployments: updateStatus and a status patch touch only status', async () => {
    const deps = client.appsV1.deployments(NS);
    const d = await deps.create({
      metadata: { name: 'web' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const withStatus: Deployment = { ...d, spec: { ...d.spec!, replicas: 5 }, status: { replicas: 2, readyReplicas: 1 } };
    const st = await deps.updateStatus(withStatus);
    assert.equal(st.status?.readyReplicas, 1);
    assert.equal(st.spec?.replicas, 2, 'the status subresource ignores spec');
    const p = await deps.patch('web', { status: { readyReplicas: 2 } }, 'merge', { subresource: 'status' });
    assert.equal(p.status?.readyReplicas, 2);
  });

  test('dynamic client: unstructured namespaces (cluster-scoped) and objects whose namespace comes from metadata', async () => {
    const nss = client.resource({ group: '', version: 'v1', resource: 'namespaces' });
    const ns = await nss.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dyn-ns' } });
    assert.equal(ns.metadata?.name, 'dyn-ns');
    const all = await client.coreV1.namespaces().list();
    assert.ok(all.items.some((n: Namespace) => n.metadata?.name === 'dyn-ns'));

    const anyNs = client.resource({ group: '', version: 'v1', resource: 'configmaps' });
    const obj = await anyNs.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'u', namespace: 'dyn-ns' }, data: { x: 'y' } });
    assert.deepEqual(obj.data, { x: 'y' }, 'unstructured fields are reachable');
    const across = await anyNs.list({ fieldSelector: 'metadata.name=u' });
    assert.deepEqual(across.items.map((i) => i.metadata?.namespace), ['dyn-ns']);
  });
});

describe('paging', () => {
  test('listAll reads every page of one snapshot; 500 a page by default', async () => {
    const cms = client.coreV1.configMaps('paging');
    await client.coreV1.namespaces().create({ metadata: { name: 'paging' } });
    for (let i = 0; i < 23; i++) await cms.create({ metadata: { name: `p${String(i).padStart(2, '0')}` } });
    const seen: ObjectList<ConfigMap>[] = [];
    const pages = await import('../../src/pager.js');
    const all = await pages.listAll(
      async (o) => {
        const l = await cms.list(o);
        seen.push(l);
        return l;
      },
      { pageSize: 5 },
    );
    assert.equal(seen.length, 5);
    assert.equal(all.items.length, 23);
    assert.deepEqual(all.items.map((i) => i.metadata?.name), [...Array(23).keys()].map((i) => `p${String(i).padStart(2, '0')}`));
    assert.equal(all.metadata.resourceVersion, seen[0].metadata.resourceVersion);
    assert.equal(all.metadata.continue, undefined);
    assert.equal((await cms.listAll()).items.length, 23);
  });

  test('onMetadata hands over a page\'s continue token from the head of the answer, before the page resolves', async () => {
    const cms = client.coreV1.configMaps('paging');
    // Big enough that the body arrives in several chunks after the head.
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 3; i++) await cms.create({ metadata: { name: `big-${i}` }, data: { big } });
    const events: string[] = [];
    let token: string | undefined;
    const page = cms.list({
      limit: 2,
      onMetadata: (m) => {
        events.push('metadata');
        token = m.continue;
      },
    });
    void page.then(() => events.push('resolved'));
    const list = await page;
    assert.deepEqual(events, ['metadata', 'resolved']);
    assert.ok(token, 'the head carried the continue token');
    assert.equal(token, list.metadata.continue);
    const rest = await cms.list({ continue: token, limit: 100 });
    assert.equal(list.items.length + rest.items.length, (await cms.listAll()).items.length);
    for (let i = 0; i < 3; i++) await cms.delete(`big-${i}`);
  });

  test('an expired continue token falls back to one full list', async () => {
    const cms = client.coreV1.configMaps('paging');
    const pages = await import('../../src/pager.js');
    let calls = 0;
    const all = await pages.listAll(
      async (o) => {
        calls++;
        if (calls === 2) {
          // Before the second page is asked, history moves on and is compacted.
          await cms.create({ metadata: { name: 'late' } });
          await srv.store.compact(await srv.store.currentRevision());
        }
        return cms.list(o);
      },
      { pageSize: 10 },
    );
    assert.equal(calls, 3, 'first page, expired continue (410), full list');
    assert.equal(all.items.length, 24);
    await cms.delete('late');
  });
});

describe('watch', () => {
  test('ADDED, MODIFIED, DELETED in order with their resourceVersions', async () => {
    const cms = client.coreV1.configMaps(NS);
    const start = (await cms.list()).metadata.resourceVersion;
    const ac = new AbortController();
    const events: WatchEvent<ConfigMap>[] = [];
    const done = (async () => {
      try {
        for await (const e of cms.watch({ resourceVersion: start, signal: ac.signal })) events.push(e);
      } catch (e) {
        if (!ac.signal.aborted) throw e;
      }
    })();
    const c = await cms.create({ metadata: { name: 'w' }, data: { v: '1' } });
    const m = await cms.patch('w', { data: { v: '2' } }, 'merge');
    await cms.delete('w');
    await waitFor(() => events.length >= 3, 'three events');
    ac.abort();
    await done;
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata?.name, e.object.data?.v]), [
      ['ADDED', 'w', '1'],
      ['MODIFIED', 'w', '2'],
      ['DELETED', 'w', '2'],
    ]);
    assert.equal(events[0].object.metadata?.resourceVersion, c.metadata?.resourceVersion);
    assert.equal(events[1].object.metadata?.resourceVersion, m.metadata?.resourceVersion);
  });

  test('sendInitialEvents: the state as ADDED, then the initial-events-end bookmark; timeoutSeconds ends the iterator', async () => {
    const cms = client.coreV1.configMaps('paging');
    const events: WatchEvent<ConfigMap>[] = [];
    const t0 = Date.now();
    for await (const e of cms.watch({ sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true, timeoutSeconds: 1 })) events.push(e);
    const ms = Date.now() - t0;
    assert.ok(ms >= 900 && ms < 5000, `ended after ${ms} ms`);
    const added = events.filter((e) => e.type === 'ADDED');
    assert.equal(added.length, 23);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    assert.equal(bookmark?.object.metadata?.annotations?.['k8s.io/initial-events-end'], 'true');
    assert.ok(bookmark?.object.metadata?.resourceVersion);
  });

  test('a compacted resourceVersion is thrown as ApiError 410 Expired', async () => {
    const cms = client.coreV1.configMaps(NS);
    const old = (await cms.list()).metadata.resourceVersion;
    await cms.create({ metadata: { name: 'bump' } });
    await cms.delete('bump');
    await srv.store.compact(await srv.store.currentRevision());
    const seen: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const e of cms.watch({ resourceVersion: old })) seen.push(e.type);
      })(),
    );
    assert.equal(err.code, 410);
    assert.equal(err.reason, 'Expired');
    assert.ok(isResourceExpired(err));
    assert.match(err.message, /too old resource version/);
    assert.deepEqual(seen, []);
  });

  test('breaking out of the loop closes the watch; a server restart cuts a watch with a ConnectionError', async () => {
    const cms = client.coreV1.configMaps(NS);
    await cms.create({ metadata: { name: 'stay' } });
    for await (const e of cms.watch()) {
      assert.equal(e.type, 'ADDED');
      break;
    }
    const it = cms.watch({ resourceVersion: (await cms.list()).metadata.resourceVersion })[Symbol.asyncIterator]();
    const next = it.next();
    await new Promise((r) => setTimeout(r, 100));
    await srv.restart();
    await assert.rejects(next, (e: unknown) => (e instanceof ConnectionError && e.code === 'ECONNRESET') || assert.fail(String(e)));
    // The client keeps working against the restarted server (a fresh connection).
    assert.equal((await cms.get('stay')).metadata?.name, 'stay');
    await cms.delete('stay');
  });
});

describe('server-side apply', () => {
  test('apply creates the object when it is missing, then updates it', async () => {
    const cms = client.coreV1.configMaps(NS);
    const created = await cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } }, { fieldManager: 'keelson-test' });
    assert.equal(created.metadata?.name, 'applied');
    assert.deepEqual(created.data, { a: '1' });
    const again = await cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1', b: '2' } }, { fieldManager: 'keelson-test', force: true });
    assert.deepEqual(again.data, { a: '1', b: '2' });
    const dry = await cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied-dry' } }, { fieldManager: 'keelson-test', dryRun: true });
    assert.equal(dry.metadata?.name, 'applied-dry');
    assert.ok(isNotFound(await rejection(cms.get('applied-dry'))));
    await assert.rejects(cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, { fieldManager: '' }), /fieldManager/);
  });
});

describe('discovery and the RESTMapper', () => {
  const GROUP = 'client.keelson.test';

  test('aggregated discovery of the built-ins', async () => {
    const d = await client.discovery.serverGroupsAndResources();
    assert.equal(d.source, 'aggregated');
    assert.equal(d.groups[0].name, '');
    const deploy = await client.restMapper.parseResourceArg('deploy');
    assert.deepEqual(deploy.gvr, { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.equal((await client.restMapper.restMapping({ group: '', kind: 'Namespace' })).scope, 'Cluster');
    assert.equal((await client.discovery.serverVersion()).major, '1');
  });

  test('a CRD created at runtime is found on the next lookup, and its objects served through the mapping', async () => {
    await assert.rejects(client.forKind({ group: GROUP, kind: 'Gizmo' }), (e: unknown) => isNoMatchError(e));
    const loadsBefore = client.restMapper.loads;
    await client.apiextensionsV1.customResourceDefinitions().create({
      metadata: { name: `gizmos.${GROUP}` },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo', shortNames: ['gz'], categories: ['all'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } }, status: { type: 'object', properties: { ok: { type: 'boolean' } } } } } },
          },
        ],
      },
    });
    // The CRD is established asynchronously; a lookup that misses refreshes discovery (at most once a second).
    const t0 = Date.now();
    let gizmos!: Awaited<ReturnType<typeof client.forKind<Unstructured>>>;
    for (;;) {
      try {
        gizmos = await client.forKind({ apiVersion: `${GROUP}/v1`, kind: 'Gizmo' }, NS);
        break;
      } catch (e) {
        if (!isNoMatchError(e) || Date.now() - t0 > 5000) throw e;
      }
    }
    assert.ok(client.restMapper.loads > loadsBefore, 'discovery was refreshed');
    const m = await client.restMapper.parseResourceArg('gz');
    assert.deepEqual(m.gvk, { group: GROUP, version: 'v1', kind: 'Gizmo' });
    assert.equal(m.scope, 'Namespaced');

    const g = await gizmos.create({ apiVersion: `${GROUP}/v1`, kind: 'Gizmo', metadata: { name: 'g1' }, spec: { size: 3 } });
    assert.deepEqual(g.spec, { size: 3 });
    const st = await gizmos.updateStatus({ ...g, status: { ok: true } });
    assert.deepEqual(st.status, { ok: true });
    const applied = await gizmos.apply({ apiVersion: `${GROUP}/v1`, kind: 'Gizmo', metadata: { name: 'g2' }, spec: { size: 1 } }, { fieldManager: 'keelson-test' });
    assert.equal(applied.metadata?.name, 'g2');
    assert.deepEqual((await gizmos.list()).items.map((i) => i.metadata?.name), ['g1', 'g2']);
    const invalid = await rejection(gizmos.create({ apiVersion: `${GROUP}/v1`, kind: 'Gizmo', metadata: { name: 'bad' }, spec: { size: 'big' } }));
    assert.equal(invalid.reason, 'Invalid');
  });
});

describe('proxy-url', () => {
  test('requests go through an HTTP CONNECT proxy, TLS verified end to end', async () => {
    const connects: string[] = [];
    const proxy = http.createServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      connects.push(`${req.url} ${req.headers['proxy-authorization'] ?? ''}`);
      const [host, port] = req.url!.split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://user:p%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const c = new Client({ ...loadKubeconfig({ path: srv.kubeconfig }), proxyUrl, qps: 0 });
    try {
      const ns = await c.coreV1.namespaces().get('default');
      assert.equal(ns.metadata?.name, 'default');
      await c.coreV1.namespaces().get('kube-system');
      const target = new URL(srv.url);
      assert.deepEqual(connects, [`${target.hostname}:${target.port} Basic ${Buffer.from('user:p@ss').toString('base64')}`], 'one tunnel, kept alive for both requests');
    } finally {
      c.close();
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });
});
