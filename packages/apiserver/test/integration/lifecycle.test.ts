// Object lifecycle over real HTTPS: deletion propagation through ownerReferences (background,
// foreground with blockOwnerDeletion, orphan), deletecollection, generation on spec changes only,
// a CRD with two served versions and one storage version, deleting a CRD deleting its objects,
// and watch timeoutSeconds and bookmarks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startInProcess, type InProcessServer } from './in-process.js';

let srv: InProcessServer;

interface Reply {
  status: number;
  body: any;
}

function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { Authorization: `Bearer ${srv.token}` };
  if (payload !== undefined) {
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, srv.url), { method, headers, ca: srv.caCertPem }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
  const r = await call(method, path, body, contentType);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

const gone = (path: string) => async () => (await call('GET', path)).status === 404;

const NS = '/api/v1/namespaces/life';
const cm = (name: string, owners: any[] = [], data: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ownerReferences: owners.length ? owners : undefined },
  data,
});
const ref = (o: any, extra: Record<string, unknown> = {}) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, ...extra });

before(async () => {
  srv = await startInProcess({ storage: 'sqlite' });
  await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'life' } });
});

after(async () => {
  await srv?.stop();
});

describe('garbage collection through ownerReferences', () => {
  test('background: dependents whose owners are all gone are deleted; a dependent with a live owner stays, minus the dangling reference', async () => {
    const owner = await ok('POST', `${NS}/configmaps`, cm('bg-owner'));
    const other = await ok('POST', `${NS}/configmaps`, cm('bg-other'));
    await ok('POST', `${NS}/configmaps`, cm('bg-child', [ref(owner)]));
    await ok('POST', `${NS}/configmaps`, cm('bg-shared', [ref(owner), ref(other)]));
    const del = await ok('DELETE', `${NS}/configmaps/bg-owner`, { propagationPolicy: 'Background' });
    assert.equal(del.kind, 'Status');
    await eventually('bg-child deleted', gone(`${NS}/configmaps/bg-child`));
    await eventually('bg-shared loses its dangling reference', async () => {
      const s = await ok('GET', `${NS}/configmaps/bg-shared`);
      return JSON.stringify(s.metadata.ownerReferences?.map((r: any) => r.name)) === '["bg-other"]';
    });
  });

  test('a chain is deleted transitively', async () => {
    const a = await ok('POST', `${NS}/configmaps`, cm('chain-a'));
    const b = await ok('POST', `${NS}/configmaps`, cm('chain-b', [ref(a)]));
    await ok('POST', `${NS}/configmaps`, cm('chain-c', [ref(b)]));
    await ok('DELETE', `${NS}/configmaps/chain-a`);
    await eventually('chain-c deleted', gone(`${NS}/configmaps/chain-c`));
  });

  test('foreground: the owner waits (deletionTimestamp, foregroundDeletion) until blocking dependents are gone', async () => {
    const owner = await ok('POST', `${NS}/configmaps`, cm('fg-owner'));
    // The blocking dependent holds a finalizer, so the owner must wait for it.
    const child = cm('fg-child', [ref(owner, { blockOwnerDeletion: true })]);
    (child.metadata as any).finalizers = ['example.com/hold'];
    await ok('POST', `${NS}/configmaps`, child);
    const del = await ok('DELETE', `${NS}/configmaps/fg-owner`, { propagationPolicy: 'Foreground' });
    assert.ok(del.metadata.deletionTimestamp, 'the owner is marked, not removed');
    assert.ok(del.metadata.finalizers.includes('foregroundDeletion'));
    await eventually('the dependent is being deleted', async () => !!(await ok('GET', `${NS}/configmaps/fg-child`)).metadata.deletionTimestamp);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await call('GET', `${NS}/configmaps/fg-owner`)).status, 200, 'the owner waits for its blocking dependent');
    await ok('PATCH', `${NS}/configmaps/fg-child`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    await eventually('fg-child gone', gone(`${NS}/configmaps/fg-child`));
    await eventually('fg-owner gone', gone(`${NS}/configmaps/fg-owner`));
  });

  test('orphan: dependents stay and lose the reference, then the owner goes', async () => {
    const owner = await ok('POST', `${NS}/configmaps`, cm('or-owner'));
    await ok('POST', `${NS}/configmaps`, cm('or-child', [ref(owner)]));
    await ok('DELETE', `${NS}/configmaps/or-owner`, { propagationPolicy: 'Orphan' });
    await eventually('or-owner gone', gone(`${NS}/configmaps/or-owner`));
    const child = await ok('GET', `${NS}/configmaps/or-child`);
    assert.equal(child.metadata.ownerReferences, undefined);
  });

  test('a dependent created after its owner is gone is collected', async () => {
    const owner = await ok('POST', `${NS}/configmaps`, cm('late-owner'));
    await ok('DELETE', `${NS}/configmaps/late-owner`);
    await ok('POST', `${NS}/configmaps`, cm('late-child', [ref(owner)]));
    await eventually('late-child deleted', gone(`${NS}/configmaps/late-child`));
  });
});

describe('collections and generation', () => {
  test('deletecollection honours the label selector', async () => {
    for (const [name, tier] of [['dc-1', 'x'], ['dc-2', 'x'], ['dc-3', 'y']]) {
      await ok('POST', `${NS}/configmaps`, { ...cm(name), metadata: { name, labels: { tier } } });
    }
    const out = await ok('DELETE', `${NS}/configmaps?labelSelector=tier%3Dx`);
    assert.deepEqual(out.items.map((i: any) => i.metadata.name).sort(), ['dc-1', 'dc-2']);
    const left = await ok('GET', `${NS}/configmaps?labelSelector=tier`);
    assert.deepEqual(left.items.map((i: any) => i.metadata.name), ['dc-3']);
  });

  test('generation moves on spec changes only; a no-op update keeps the resourceVersion', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gen' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'gen' } }, template: { metadata: { labels: { app: 'gen' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    };
    const created = await ok('POST', '/apis/apps/v1/namespaces/life/deployments', dep);
    assert.equal(created.metadata.generation, 1);
    const labelled = await ok('PATCH', '/apis/apps/v1/namespaces/life/deployments/gen', { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.equal(labelled.metadata.generation, 1, 'metadata changes do not bump generation');
    const status = await ok('PATCH', '/apis/apps/v1/namespaces/life/deployments/gen/status', { status: { replicas: 1 } }, 'application/merge-patch+json');
    assert.equal(status.metadata.generation, 1, 'status changes do not bump generation');
    const scaled = await ok('PATCH', '/apis/apps/v1/namespaces/life/deployments/gen', { spec: { replicas: 3 } }, 'application/merge-patch+json');
    assert.equal(scaled.metadata.generation, 2);
    const same = await ok('PATCH', '/apis/apps/v1/namespaces/life/deployments/gen', { spec: { replicas: 3 } }, 'application/merge-patch+json');
    assert.equal(same.metadata.resourceVersion, scaled.metadata.resourceVersion, 'a no-op writes nothing');
  });
});

describe('CRDs', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gizmos.life.example.com' },
    spec: {
      group: 'life.example.com',
      scope: 'Namespaced',
      names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo' },
      versions: [
        { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } },
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string', default: 'red' } } } } } } },
      ],
    },
  };

  test('two served versions share one storage version; each reads the object in its own apiVersion', async () => {
    const made = await ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.deepEqual(made.status.storedVersions, ['v1']);
    const g = await ok('POST', '/apis/life.example.com/v1beta1/namespaces/life/gizmos', { apiVersion: 'life.example.com/v1beta1', kind: 'Gizmo', metadata: { name: 'g1' }, spec: { size: 2 } });
    assert.equal(g.apiVersion, 'life.example.com/v1beta1');
    const asV1 = await ok('GET', '/apis/life.example.com/v1/namespaces/life/gizmos/g1');
    assert.equal(asV1.apiVersion, 'life.example.com/v1');
    assert.equal(asV1.spec.color, 'red', 'v1 defaults apply when read through v1');
    assert.equal(asV1.metadata.uid, g.metadata.uid);
    const list = await ok('GET', '/apis/life.example.com/v1beta1/gizmos');
    assert.equal(list.apiVersion, 'life.example.com/v1beta1');
    assert.equal(list.items[0].apiVersion, 'life.example.com/v1beta1');
  });

  test('deleting a CRD deletes its objects, then stops serving it', async () => {
    await ok('POST', '/apis/life.example.com/v1/namespaces/life/gizmos', { apiVersion: 'life.example.com/v1', kind: 'Gizmo', metadata: { name: 'g2' }, spec: { size: 1 } });
    await ok('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.life.example.com');
    await eventually('the CRD is gone', gone('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.life.example.com'));
    const r = await call('GET', '/apis/life.example.com/v1/namespaces/life/gizmos');
    assert.equal(r.status, 404, 'no longer served');
    // Created again, it starts empty: the objects were deleted, not hidden.
    await ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    const again = await ok('GET', '/apis/life.example.com/v1/namespaces/life/gizmos');
    assert.deepEqual(again.items, []);
  });
});

describe('watch', () => {
  function openWatch(path: string): Promise<{ lines: any[]; ended: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const req = https.request(new URL(path, srv.url), { headers: { Authorization: `Bearer ${srv.token}` }, ca: srv.caCertPem }, (res) => {
        const lines: any[] = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            lines.push(JSON.parse(buf.slice(0, nl)));
            buf = buf.slice(nl + 1);
          }
        });
        resolve({ lines, ended: new Promise((r) => res.on('end', () => r(Date.now() - t0))) });
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('timeoutSeconds ends the stream cleanly', async () => {
    const list = await ok('GET', `${NS}/configmaps`);
    const w = await openWatch(`${NS}/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=1`);
    const ms = await w.ended;
    assert.ok(ms >= 900, `ended after ${ms} ms`);
  });

  test('sendInitialEvents streams the state, then a bookmark marking its end, then changes', async () => {
    const w = await openWatch(`${NS}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=5`);
    await eventually('initial-events-end bookmark', async () => w.lines.some((l) => l.type === 'BOOKMARK'));
    const at = w.lines.findIndex((l) => l.type === 'BOOKMARK');
    const mark = w.lines[at];
    assert.equal(mark.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    const initial = w.lines.slice(0, at);
    assert.ok(initial.length > 0 && initial.every((l) => l.type === 'ADDED'));
    const list = await ok('GET', `${NS}/configmaps`);
    assert.deepEqual(initial.map((l) => l.object.metadata.name).sort(), list.items.map((i: any) => i.metadata.name).sort());
    await ok('POST', `${NS}/configmaps`, cm('after-mark'));
    await eventually('the change after the bookmark', async () => w.lines.slice(at + 1).some((l) => l.type === 'ADDED' && l.object.metadata.name === 'after-mark'));
  });

  test('a slow reader gets an initial state bigger than a live watcher may fall behind (32 MiB), whole and in order', async () => {
    const ns = '/api/v1/namespaces/bigwatch';
    await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bigwatch' } });
    const big = 'x'.repeat(32 * 1024);
    const names: string[] = [];
    for (let i = 0; i < 1100; i++) names.push(`cm-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => ok('POST', `${ns}/configmaps`, cm(n, [], { big }))));
    const seen: string[] = [];
    let bookmarkAt = -1;
    let bytes = 0;
    const ended = new Promise<void>((resolve, reject) => {
      const url = new URL(`${ns}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=20`, srv.url);
      const req = https.request(url, { headers: { Authorization: `Bearer ${srv.token}` }, ca: srv.caCertPem }, (res) => {
        // Read nothing for a while: the server's writes back up and it must wait, not cut.
        res.pause();
        setTimeout(() => res.resume(), 1500);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          bytes += d.length;
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const e = JSON.parse(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
            if (e.type === 'ADDED') seen.push(e.object.metadata.name);
            else if (e.type === 'BOOKMARK' && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') {
              bookmarkAt = seen.length;
              req.destroy();
              resolve();
            } else reject(new Error(`unexpected ${e.type}: ${JSON.stringify(e.object).slice(0, 300)}`));
          }
        });
        res.on('end', () => reject(new Error(`the watch ended after ${seen.length} ADDED events and ${bytes} bytes, before the initial-events-end bookmark`)));
      });
      req.on('error', (e) => (bookmarkAt < 0 ? reject(e) : undefined));
      req.end();
    });
    await ended;
    assert.ok(bytes > 32 * 1024 * 1024, `${bytes} bytes streamed`);
    assert.equal(bookmarkAt, names.length);
    assert.deepEqual(seen, names, 'every object once, in key order');
  });
});
