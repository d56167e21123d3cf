// @kubernetes/client-node 1.x (the line that runs on Node 20; 2.x needs Node 22.19+) against the real ApiServer in this process (HTTPS, bearer token,
// kubeconfig loaded by the client): the generated APIs on built-ins, custom resources through
// CustomObjectsApi and KubernetesObjectApi, the informer (events in order, cache equal to the
// server), the informer's recovery after 410 when its watch was cut and history compacted, and
// the raw Watch class (frames, and the ERROR event for a compacted resourceVersion).
//
// What client-node sends, as it matters here: generated patch methods pick the first JSON-like
// type of the OpenAPI list, i.e. application/json-patch+json, unless the caller overrides the
// header (setHeaderOptions('Content-Type', PatchStrategy.X)); CustomObjectsApi patch the same
// (json-patch or merge-patch only); KubernetesObjectApi.patch defaults to strategic merge patch.
// Errors throw ApiException whose `body` is the raw response text (our Status JSON). Every call
// sends `Accept: application/json, */*;q=0.8`; deletes without a body still send
// `Content-Type: application/json` and an empty body; watches are `?watch=true&resourceVersion=N`
// (plus labelSelector/fieldSelector) with `Accept: */*`, no timeoutSeconds, no bookmarks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startInProcess, type InProcessServer } from './in-process.js';

let srv: InProcessServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let ext: k8s.ApiextensionsV1Api;
let custom: k8s.CustomObjectsApi;
let objects: k8s.KubernetesObjectApi;
const informers: { stop(): Promise<void> }[] = [];

const NS = 'cn-crud';

before(async () => {
  srv = await startInProcess({ storage: 'memory' });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(srv.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const name of [NS, 'cn-crd', 'cn-informer', 'cn-watch']) await core.createNamespace({ body: { metadata: { name } } });
});

after(async () => {
  for (const i of informers) await i.stop();
  await srv?.stop();
});

/** Awaits `p`, which must fail with client-node's ApiException carrying a Status of this code and reason. */
async function expectStatus(p: Promise<unknown>, code: number, reason: string): Promise<any> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof k8s.ApiException, `expected an ApiException ${code} ${reason}, got ${String(err)}`);
  assert.equal(err.code, code);
  // Generated APIs keep the raw body text; KubernetesObjectApi does the same.
  const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
  assert.equal(body.kind, 'Status');
  assert.equal(body.apiVersion, 'v1');
  assert.equal(body.status, 'Failure');
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  assert.equal(typeof body.message, 'string');
  return body;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

describe('generated APIs on built-in kinds', () => {
  test('namespaces: create, read, list by label, delete (terminating, then gone)', async () => {
    const created = await core.createNamespace({ body: { metadata: { name: 'cn-ns-a', labels: { team: 'a' } } } });
    assert.equal(created.metadata?.name, 'cn-ns-a');
    assert.ok(created.metadata?.uid);
    assert.ok(created.metadata?.creationTimestamp instanceof Date, 'creationTimestamp parses as a date');
    assert.equal(created.status?.phase, 'Active');
    assert.deepEqual(created.spec?.finalizers, ['kubernetes']);
    const read = await core.readNamespace({ name: 'cn-ns-a' });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    const listed = await core.listNamespace({ labelSelector: 'team=a' });
    assert.deepEqual(listed.items.map((n) => n.metadata?.name), ['cn-ns-a']);
    assert.ok(listed.metadata?.resourceVersion);
    const all = await core.listNamespace();
    for (const n of ['default', 'kube-system', NS]) assert.ok(all.items.some((x) => x.metadata?.name === n), n);
    // A namespace has a finalizer: kube answers the delete with the terminating Namespace, which
    // the generated client (typed V1Status) squeezes into a V1Status: kind and status survive.
    const del: any = await core.deleteNamespace({ name: 'cn-ns-a' });
    assert.equal(del.kind, 'Namespace');
    assert.deepEqual(del.status, { phase: 'Terminating' });
    await srv.server.settle();
    await waitFor(async () => !(await core.listNamespace({ fieldSelector: 'metadata.name=cn-ns-a' })).items.length, 'namespace gone');
    await expectStatus(core.readNamespace({ name: 'cn-ns-a' }), 404, 'NotFound');
  });

  test('configmaps: create, read, replace, patch (json, merge, strategic), delete returns Status', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'cfg', labels: { app: 'web' } }, data: { a: '1', b: '2' } },
    });
    assert.equal(cm.kind, 'ConfigMap');
    assert.equal(cm.apiVersion, 'v1');
    assert.equal(cm.metadata?.namespace, NS);
    assert.deepEqual(cm.data, { a: '1', b: '2' });

    const read = await core.readNamespacedConfigMap({ name: 'cfg', namespace: NS });
    assert.equal(read.metadata?.resourceVersion, cm.metadata?.resourceVersion);

    read.data = { ...read.data, c: '3' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: read });
    assert.deepEqual(replaced.data, { a: '1', b: '2', c: '3' });
    assert.notEqual(replaced.metadata?.resourceVersion, cm.metadata?.resourceVersion);

    // No override: client-node sends application/json-patch+json, so the body is an RFC 6902 array.
    const jp = await core.patchNamespacedConfigMap({
      name: 'cfg',
      namespace: NS,
      body: [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: 'one' },
        { op: 'remove', path: '/data/b' },
      ],
    });
    assert.deepEqual(jp.data, { a: 'one', c: '3' });
    // A failed `test` op rejects the whole patch.
    await expectStatus(
      core.patchNamespacedConfigMap({ name: 'cfg', namespace: NS, body: [{ op: 'test', path: '/data/a', value: 'nope' }, { op: 'remove', path: '/data/c' }] }),
      422,
      'Invalid',
    );

    const mp = await core.patchNamespacedConfigMap({ name: 'cfg', namespace: NS, body: { data: { c: null, d: '4' }, metadata: { labels: { tier: 'x' } } } }, merge);
    assert.deepEqual(mp.data, { a: 'one', d: '4' });
    assert.deepEqual(mp.metadata?.labels, { app: 'web', tier: 'x' });

    const sp = await core.patchNamespacedConfigMap({ name: 'cfg', namespace: NS, body: { data: { e: '5' }, metadata: { labels: { tier: null } } } }, strategic);
    assert.deepEqual(sp.data, { a: 'one', d: '4', e: '5' });
    assert.deepEqual(sp.metadata?.labels, { app: 'web' });

    const status = await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: NS });
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Success');
    assert.equal(status.details?.name, 'cfg');
    assert.equal(status.details?.kind, 'configmaps');
    assert.equal(status.details?.uid, cm.metadata?.uid);
    await expectStatus(core.readNamespacedConfigMap({ name: 'cfg', namespace: NS }), 404, 'NotFound');
  });

  test('list with labelSelector, fieldSelector, and limit + continue paging', async () => {
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `page-${i}`, labels: { paged: 'yes', parity: i % 2 ? 'odd' : 'even' } } } });
    }
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'unpaged', labels: { paged: 'no' } } } });

    const odd = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'paged=yes,parity in (odd)' });
    assert.deepEqual(odd.items.map((c) => c.metadata?.name), ['page-1', 'page-3']);
    const notPaged = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'paged,paged!=yes' });
    assert.deepEqual(notPaged.items.map((c) => c.metadata?.name), ['unpaged']);
    const byName = await core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'metadata.name=page-2' });
    assert.deepEqual(byName.items.map((c) => c.metadata?.name), ['page-2']);
    const across = await core.listConfigMapForAllNamespaces({ fieldSelector: `metadata.namespace=${NS},metadata.name!=unpaged`, labelSelector: 'paged' });
    assert.equal(across.items.length, 5);
    await expectStatus(core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'data.x=1' }), 400, 'BadRequest');

    const names: string[] = [];
    const rvs = new Set<string>();
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'paged=yes', limit: 2, _continue: cont });
      pages++;
      assert.ok(page.items.length <= 2);
      names.push(...page.items.map((c) => c.metadata!.name!));
      rvs.add(page.metadata!.resourceVersion!);
      cont = page.metadata?._continue || undefined;
      // kube counts the remaining items only for lists without selectors.
      assert.equal(page.metadata?.remainingItemCount, undefined);
      // A write between pages must not show up: every page is served at the first page's revision.
      if (pages === 1) await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'page-9', labels: { paged: 'yes' } } } });
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    assert.equal(rvs.size, 1, 'all pages at one resourceVersion');

    const first = await core.listNamespacedConfigMap({ namespace: NS, limit: 3 });
    const total = (await core.listNamespacedConfigMap({ namespace: NS })).items.length;
    assert.equal(first.items.length, 3);
    assert.equal(first.metadata?.remainingItemCount, total - 3);
    await expectStatus(core.listNamespacedConfigMap({ namespace: NS, limit: 3, _continue: 'not-a-token' }), 400, 'BadRequest');
  });

  test('secrets: stringData is folded into data; type field selector', async () => {
    const s = await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'creds' }, type: 'Opaque', stringData: { password: 'hunter2' }, data: { user: Buffer.from('admin').toString('base64') } } });
    assert.equal(s.stringData, undefined);
    assert.deepEqual(s.data, { user: Buffer.from('admin').toString('base64'), password: Buffer.from('hunter2').toString('base64') });
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'tok' }, type: 'example.com/token', data: {} } });
    const opaque = await core.listNamespacedSecret({ namespace: NS, fieldSelector: 'type=Opaque' });
    assert.deepEqual(opaque.items.map((x) => x.metadata?.name), ['creds']);
    const read = await core.readNamespacedSecret({ name: 'creds', namespace: NS });
    assert.equal(Buffer.from(read.data!.password, 'base64').toString(), 'hunter2');
    const st = await core.deleteNamespacedSecret({ name: 'creds', namespace: NS });
    assert.equal(st.status, 'Success');
  });

  test('services: clusterIP allocated and kept across replace', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    const ip = svc.spec?.clusterIP;
    assert.match(ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(svc.spec?.type, 'ClusterIP');
    assert.deepEqual(svc.spec?.clusterIPs, [ip]);
    assert.equal(svc.spec?.ports?.[0].targetPort, 8080);
    const cur = await core.readNamespacedService({ name: 'web', namespace: NS });
    delete cur.spec!.clusterIP;
    delete cur.spec!.clusterIPs;
    cur.spec!.ports!.push({ name: 'https', port: 443, targetPort: 'https' });
    const replaced = await core.replaceNamespacedService({ name: 'web', namespace: NS, body: cur });
    assert.equal(replaced.spec?.clusterIP, ip);
    assert.deepEqual(replaced.spec?.ports?.map((p) => p.targetPort), [8080, 'https']);
    const list = await core.listNamespacedService({ namespace: NS, fieldSelector: `spec.clusterIP=${ip}` });
    assert.deepEqual(list.items.map((x) => x.metadata?.name), ['web']);
  });

  test('pods: create, fieldSelector on spec.nodeName, strategic patch of containers, delete', async () => {
    const pod = await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'p1', labels: { app: 'web' } },
        spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'nginx:1' }, { name: 'side', image: 'busybox:1' }] },
      },
    });
    assert.equal(pod.spec?.containers.length, 2);
    await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'p2' }, spec: { containers: [{ name: 'main', image: 'nginx:1' }] } } });
    const onA = await core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.nodeName=node-a' });
    assert.deepEqual(onA.items.map((p) => p.metadata?.name), ['p1']);
    const unscheduled = await core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.nodeName=' });
    assert.deepEqual(unscheduled.items.map((p) => p.metadata?.name), ['p2']);

    // Strategic merge: containers merge by name, so `side` survives.
    const sp = await core.patchNamespacedPod({ name: 'p1', namespace: NS, body: { spec: { containers: [{ name: 'main', image: 'nginx:2' }] } } }, strategic);
    assert.deepEqual(sp.spec?.containers.map((c) => [c.name, c.image]), [['main', 'nginx:2'], ['side', 'busybox:1']]);

    const st = await core.patchNamespacedPodStatus({ name: 'p1', namespace: NS, body: { status: { phase: 'Running' } } }, merge);
    assert.equal(st.status?.phase, 'Running');
    const running = await core.listNamespacedPod({ namespace: NS, fieldSelector: 'status.phase=Running' });
    assert.deepEqual(running.items.map((p) => p.metadata?.name), ['p1']);

    // Pods answer a delete with the pod itself (kube does, for graceful deletion).
    const del: any = await core.deleteNamespacedPod({ name: 'p2', namespace: NS });
    assert.equal(del.kind, 'Pod');
    assert.equal(del.metadata?.name, 'p2');
  });

  test('deployments: CRUD, scale subresource read/replace/patch, strategic vs merge patch', async () => {
    const d = await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx:1' }, { name: 'side', image: 'busybox:1' }] } },
        },
      },
    });
    assert.equal(d.kind, 'Deployment');
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.spec?.replicas, 2);
    assert.equal(d.metadata?.generation, 1);

    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: NS });
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.spec?.replicas, 2);
    assert.equal(scale.status?.selector, 'app=web');

    scale.spec = { replicas: 5 };
    const scaled = await apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: NS, body: scale });
    assert.equal(scaled.spec?.replicas, 5);
    const after5 = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    assert.equal(after5.spec?.replicas, 5);
    assert.equal(after5.metadata?.generation, 2);
    // A Scale carrying an old resourceVersion conflicts.
    await expectStatus(apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: NS, body: { ...scale, spec: { replicas: 1 } } }), 409, 'Conflict');
    const patchedScale = await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: NS, body: { spec: { replicas: 3 } } }, merge);
    assert.equal(patchedScale.spec?.replicas, 3);
    await expectStatus(apps.patchNamespacedDeploymentScale({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: -1 }] }), 422, 'Invalid');

    const sp = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:2' }] } } } } },
      strategic,
    );
    assert.deepEqual(sp.spec?.template.spec?.containers.map((c) => [c.name, c.image]), [['main', 'nginx:2'], ['side', 'busybox:1']]);
    // JSON merge patch replaces lists whole.
    const mp = await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:3' }] } } } } }, merge);
    assert.deepEqual(mp.spec?.template.spec?.containers.map((c) => [c.name, c.image]), [['main', 'nginx:3']]);

    const list = await apps.listNamespacedDeployment({ namespace: NS });
    assert.deepEqual(list.items.map((x) => x.metadata?.name), ['web']);
    const st = await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
    assert.equal(st.status, 'Success');
    await expectStatus(apps.readNamespacedDeployment({ name: 'web', namespace: NS }), 404, 'NotFound');
  });

  test('errors arrive as ApiException with our Status: 404, 409 AlreadyExists, 409 Conflict, 422 Invalid', async () => {
    const nf = await expectStatus(core.readNamespacedConfigMap({ name: 'missing', namespace: NS }), 404, 'NotFound');
    assert.equal(nf.message, 'configmaps "missing" not found');
    assert.deepEqual(nf.details, { name: 'missing', kind: 'configmaps' });

    const body = { metadata: { name: 'dup' }, data: { k: 'v' } };
    const first = await core.createNamespacedConfigMap({ namespace: NS, body });
    const ae = await expectStatus(core.createNamespacedConfigMap({ namespace: NS, body }), 409, 'AlreadyExists');
    assert.equal(ae.details?.name, 'dup');
    assert.equal(ae.details?.kind, 'configmaps');

    const updated = await core.replaceNamespacedConfigMap({ name: 'dup', namespace: NS, body: { ...first, data: { k: 'v2' } } });
    assert.equal(updated.data?.k, 'v2');
    const conflict = await expectStatus(core.replaceNamespacedConfigMap({ name: 'dup', namespace: NS, body: { ...first, data: { k: 'stale' } } }), 409, 'Conflict');
    assert.match(conflict.message, /the object has been modified/);
    assert.equal((await core.readNamespacedConfigMap({ name: 'dup', namespace: NS })).data?.k, 'v2');

    const inv = await expectStatus(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'Bad_Name' } } }), 422, 'Invalid');
    assert.equal(inv.details?.kind, 'ConfigMap');
    assert.equal(inv.details?.name, 'Bad_Name');
    assert.ok(inv.details?.causes?.some((c: any) => c.field === 'metadata.name'), JSON.stringify(inv.details));
    const badKey = await expectStatus(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'bad-key' }, data: { 'no spaces!': 'x' } } }), 422, 'Invalid');
    assert.ok(badKey.details?.causes?.some((c: any) => String(c.field).startsWith('data')), JSON.stringify(badKey.details));

    await expectStatus(core.createNamespacedConfigMap({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }), 404, 'NotFound');
    await expectStatus(core.patchNamespacedConfigMap({ name: 'missing', namespace: NS, body: { data: { a: 'b' } } }, merge), 404, 'NotFound');
  });
});

const GROUP = 'stable.keelson.test';
const CR_NS = 'cn-crd';

describe('custom resources', () => {
  before(async () => {
    const t0 = Date.now();
    const crd = await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${GROUP}` },
        spec: {
          group: GROUP,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } },
                    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    assert.equal(crd.metadata?.name, `widgets.${GROUP}`);
    // Served within 1 s of creation: poll a list until it answers.
    for (;;) {
      try {
        await custom.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: CR_NS, plural: 'widgets' });
        break;
      } catch (e) {
        if (Date.now() - t0 > 1000) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    assert.ok(Date.now() - t0 <= 1000, 'CRD served within 1 s');
    const established = await ext.readCustomResourceDefinition({ name: `widgets.${GROUP}` });
    assert.equal(established.status?.conditions?.find((c) => c.type === 'Established')?.status, 'True');
  });

  test('CustomObjectsApi: create, get, replace, patch (json, merge; strategic is 415), status, list, delete', async () => {
    const base = { group: GROUP, version: 'v1', namespace: CR_NS, plural: 'widgets' };
    const w: any = await custom.createNamespacedCustomObject({
      ...base,
      body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w1', labels: { color: 'red' } }, spec: { size: 1, color: 'red', tags: ['a', 'b'] } },
    });
    assert.equal(w.kind, 'Widget');
    assert.equal(w.metadata.namespace, CR_NS);
    assert.equal(w.metadata.generation, 1);
    assert.ok(w.metadata.uid);

    const got: any = await custom.getNamespacedCustomObject({ ...base, name: 'w1' });
    assert.deepEqual(got.spec, { size: 1, color: 'red', tags: ['a', 'b'] });

    got.spec.size = 2;
    const replaced: any = await custom.replaceNamespacedCustomObject({ ...base, name: 'w1', body: got });
    assert.equal(replaced.spec.size, 2);
    assert.equal(replaced.metadata.generation, 2);
    await expectStatus(custom.replaceNamespacedCustomObject({ ...base, name: 'w1', body: { ...got, spec: { size: 9 } } }), 409, 'Conflict');

    // Default content type for CustomObjectsApi patch: application/json-patch+json.
    const jp: any = await custom.patchNamespacedCustomObject({ ...base, name: 'w1', body: [{ op: 'add', path: '/spec/tags/-', value: 'c' }] });
    assert.deepEqual(jp.spec.tags, ['a', 'b', 'c']);
    const mp: any = await custom.patchNamespacedCustomObject({ ...base, name: 'w1', body: { spec: { color: null, tags: ['z'] } } }, merge);
    assert.deepEqual(mp.spec, { size: 2, tags: ['z'] });
    await expectStatus(custom.patchNamespacedCustomObject({ ...base, name: 'w1', body: { spec: { size: 3 } } }, strategic), 415, 'UnsupportedMediaType');

    const inv = await expectStatus(custom.patchNamespacedCustomObject({ ...base, name: 'w1', body: { spec: { size: 0 } } }, merge), 422, 'Invalid');
    assert.ok(inv.details?.causes?.some((c: any) => c.field === 'spec.size'), JSON.stringify(inv.details));
    await expectStatus(
      custom.createNamespacedCustomObject({ ...base, body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w-bad' }, spec: { size: 'big' } } }),
      422,
      'Invalid',
    );

    // Status goes through the status subresource only.
    const st: any = await custom.patchNamespacedCustomObjectStatus({ ...base, name: 'w1', body: { status: { ready: true }, spec: { size: 7 } } }, merge);
    assert.equal(st.status.ready, true);
    assert.equal(st.spec.size, 2);

    await custom.createNamespacedCustomObject({ ...base, body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w2', labels: { color: 'blue' } }, spec: { size: 4 } } });
    const blue: any = await custom.listNamespacedCustomObject({ ...base, labelSelector: 'color=blue' });
    assert.equal(blue.kind, 'WidgetList');
    assert.deepEqual(blue.items.map((i: any) => [i.kind, i.apiVersion, i.metadata.name]), [['Widget', `${GROUP}/v1`, 'w2']]);
    const page: any = await custom.listNamespacedCustomObject({ ...base, limit: 1 });
    assert.equal(page.items.length, 1);
    assert.ok(page.metadata.continue);
    const all: any = await custom.listClusterCustomObject({ group: GROUP, version: 'v1', plural: 'widgets', fieldSelector: 'metadata.name=w1' });
    assert.deepEqual(all.items.map((i: any) => i.metadata.name), ['w1']);

    const del: any = await custom.deleteNamespacedCustomObject({ ...base, name: 'w2' });
    assert.equal(del.metadata.name, 'w2');
    await expectStatus(custom.getNamespacedCustomObject({ ...base, name: 'w2' }), 404, 'NotFound');
  });

  test('KubernetesObjectApi resolves kinds through discovery: create, read, patch, list, delete', async () => {
    const spec = { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'ko1', namespace: CR_NS, labels: { via: 'object-api' } }, spec: { size: 1 } };
    const created: any = await objects.create(spec);
    assert.equal(created.kind, 'Widget');
    assert.equal(created.metadata.name, 'ko1');
    const read: any = await objects.read({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'ko1', namespace: CR_NS } });
    assert.deepEqual(read.spec, { size: 1 });
    // Its default patch type is strategic merge, which custom resources refuse.
    await expectStatus(objects.patch({ ...spec, spec: { size: 2 } }), 415, 'UnsupportedMediaType');
    const patched: any = await objects.patch({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'ko1', namespace: CR_NS }, spec: { size: 2 } }, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch);
    assert.equal(patched.spec.size, 2);
    const listed = await objects.list(`${GROUP}/v1`, 'Widget', CR_NS, undefined, undefined, undefined, undefined, 'via=object-api');
    assert.deepEqual(listed.items.map((i) => i.metadata?.name), ['ko1']);
    // replace sends what it is given: the copy read before the patch is stale.
    read.spec.size = 3;
    await expectStatus(objects.replace(read), 409, 'Conflict');
    const fresh: any = await objects.read({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'ko1', namespace: CR_NS } });
    fresh.spec.size = 3;
    const replaced: any = await objects.replace(fresh);
    assert.equal(replaced.spec.size, 3);
    await objects.delete({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'ko1', namespace: CR_NS } });
    await expectStatus(objects.read({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'ko1', namespace: CR_NS } }), 404, 'NotFound');

    // Built-ins through the same API: its default strategic merge patch applies.
    const cm: any = await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ko-cm', namespace: CR_NS }, data: { a: '1' } });
    assert.equal(cm.kind, 'ConfigMap');
    const pcm: any = await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ko-cm', namespace: CR_NS }, data: { b: '2' } });
    assert.deepEqual(pcm.data, { a: '1', b: '2' });
    const dep: any = await objects.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ko-dep', namespace: CR_NS },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    assert.equal(dep.spec.replicas, 1);
    const st: any = await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ko-cm', namespace: CR_NS } });
    assert.equal(st.status, 'Success');
    const bin: any = await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ko-bin', namespace: CR_NS }, binaryData: { b: Buffer.from([0, 255]).toString('base64') } });
    assert.deepEqual(Buffer.from(bin.binaryData.b, 'base64'), Buffer.from([0, 255]));
  });
});

type Ev = [verb: string, name: string, data?: Record<string, string>];

describe('informer', () => {
  test('makeInformer on configmaps: add, update, delete in order; cache equals the server', async () => {
    const ns = 'cn-informer';
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'pre' }, data: { v: '0' } } });
    let lists = 0;
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: ns });
    });
    informers.push(informer);
    const events: Ev[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => events.push(['add', o.metadata!.name!, o.data]));
    informer.on('update', (o) => events.push(['update', o.metadata!.name!, o.data]));
    informer.on('delete', (o) => events.push(['delete', o.metadata!.name!, o.data]));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    assert.deepEqual(events, [['add', 'pre', { v: '0' }]]);

    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'a', namespace: ns, body: { data: { v: '2' } } }, merge);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' }, data: { v: '1' } } });
    await core.deleteNamespacedConfigMap({ name: 'a', namespace: ns });
    const bLast = await core.patchNamespacedConfigMap({ name: 'b', namespace: ns, body: [{ op: 'replace', path: '/data/v', value: '3' }] });
    // Another namespace's changes never reach this informer.
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'elsewhere' } } });

    await waitFor(() => events.length >= 6, 'six informer events');
    assert.deepEqual(events, [
      ['add', 'pre', { v: '0' }],
      ['add', 'a', { v: '1' }],
      ['update', 'a', { v: '2' }],
      ['add', 'b', { v: '1' }],
      ['delete', 'a', { v: '2' }],
      ['update', 'b', { v: '3' }],
    ]);
    assert.equal(informer.get('b', ns)?.metadata?.resourceVersion, bLast.metadata?.resourceVersion);

    const server = await core.listNamespacedConfigMap({ namespace: ns });
    const key = (o: k8s.V1ConfigMap): string => `${o.metadata?.name}@${o.metadata?.resourceVersion}=${JSON.stringify(o.data)}`;
    assert.deepEqual(informer.list(ns).map(key).sort(), server.items.map(key).sort());
    assert.equal(informer.get('b', ns)?.data?.v, '3');
    assert.equal(informer.get('a', ns), undefined);
    assert.equal(lists, 1);
    assert.deepEqual(errors, []);
    await informer.stop();
  });
});

/** A Watch that logs what the informer asks for and what it gets. */
class RecordingWatch extends k8s.Watch {
  readonly log: string[] = [];
  override async watch(path: string, params: Record<string, string | number | boolean | undefined>, cb: (phase: string, obj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
    this.log.push(`watch rv=${String(params.resourceVersion)}`);
    return super.watch(
      path,
      params,
      (phase, obj, raw) => {
        if (phase === 'ERROR') this.log.push(`ERROR ${obj.code} ${obj.reason}`);
        cb(phase, obj, raw);
      },
      (err) => {
        this.log.push(err ? `done ${err.name}: ${err.message} ${err.code ?? err.cause?.code ?? ''}` : 'done');
        done(err);
      },
    );
  }
}

describe('informer recovery after 410', () => {
  let srv2: InProcessServer;
  before(async () => {
    srv2 = await startInProcess({ storage: 'sqlite' });
  });
  after(async () => {
    await srv2?.stop();
  });

  test('watch cut while history is compacted: the informer relists and converges, deletes delivered', async (t) => {
    const kc2 = new k8s.KubeConfig();
    kc2.loadFromFile(srv2.kubeconfig);
    const core2 = kc2.makeApiClient(k8s.CoreV1Api);
    const ns = 'cn-relist';
    await core2.createNamespace({ body: { metadata: { name: ns } } });
    for (const name of ['keep', 'change', 'gone']) await core2.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { v: '1' } } });

    let lists = 0;
    const listed: string[] = [];
    const watch = new RecordingWatch(kc2);
    // What makeInformer builds, with a Watch that records the requests.
    const informer = new k8s.ListWatch<k8s.V1ConfigMap>(
      `/api/v1/namespaces/${ns}/configmaps`,
      watch,
      async () => {
        lists++;
        const l = await core2.listNamespacedConfigMap({ namespace: ns });
        listed.push(l.metadata!.resourceVersion!);
        watch.log.push(`list rv=${l.metadata!.resourceVersion}`);
        return l;
      },
      false,
    );
    let stopped = false;
    t.after(async () => {
      stopped = true;
      await informer.stop();
    });
    const events: Ev[] = [];
    informer.on('add', (o) => events.push(['add', o.metadata!.name!, o.data]));
    informer.on('update', (o) => events.push(['update', o.metadata!.name!, o.data]));
    informer.on('delete', (o) => events.push(['delete', o.metadata!.name!, o.data]));
    // An informer stops on a connection error; applications restart it (client-node's README
    // pattern). start() keeps the last resourceVersion, so the restart re-watches from it.
    let restarts = 0;
    informer.on('error', () => {
      if (stopped) return;
      restarts++;
      setTimeout(() => void informer.start(), 100);
    });
    await informer.start();
    await core2.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'seen' }, data: { v: '1' } } });
    await waitFor(() => events.length === 4, 'initial adds and one watched add');
    const lastSeen = informer.latestResourceVersion();
    assert.ok(Number(lastSeen) > Number(listed[0]));
    events.length = 0;

    // Cut every connection; while nothing serves, change the store and compact it past the
    // informer's resourceVersion, then serve the same store on the same port again.
    const old = srv2.server;
    await srv2.restart(async () => {
      const cms = old.registry.get('', 'v1', 'configmaps')!;
      const cur = await old.objects.get(cms, ns, 'change');
      await old.objects.update(cms, ns, 'change', { ...cur, data: { v: '2' } });
      await old.objects.delete(cms, ns, 'gone');
      await old.objects.create(cms, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: ns }, data: { v: '1' } });
      await srv2.store.compact(await srv2.store.currentRevision());
    });

    const key = (o: k8s.V1ConfigMap): string => `${o.metadata?.name}@${o.metadata?.resourceVersion}=${JSON.stringify(o.data)}`;
    let serverKeys: string[] = [];
    await waitFor(
      async () => {
        serverKeys = (await core2.listNamespacedConfigMap({ namespace: ns })).items.map(key).sort();
        return JSON.stringify(informer.list(ns).map(key).sort()) === JSON.stringify(serverKeys);
      },
      'informer cache equal to the server after the relist',
      10_000,
    );
    assert.deepEqual(serverKeys.map((k) => k.split('@')[0]), ['change', 'keep', 'new', 'seen']);
    assert.equal(lists, 2, `one relist (log: ${watch.log.join(' | ')})`);
    // The cut ends the watch with a socket error (node-fetch: "Premature close"), the informer stops, the
    // application restarts it; it re-watches from its last resourceVersion (retrying while the
    // port is closed), gets ERROR 410 Expired, and the end of that stream makes it relist.
    const log = watch.log;
    const why = log.join(' | ');
    assert.deepEqual(log.slice(0, 2), [`list rv=${listed[0]}`, `watch rv=${listed[0]}`], why);
    assert.deepEqual(log.slice(-5), [`watch rv=${lastSeen}`, 'ERROR 410 Expired', 'done', `list rv=${listed[1]}`, `watch rv=${listed[1]}`], why);
    const gap = log.slice(2, -5);
    assert.ok(gap.length >= 1 && gap[0].startsWith('done ') && gap[0].length > 'done '.length, why);
    for (const e of gap) assert.ok(e.startsWith('done ') || e === `watch rv=${lastSeen}`, why);
    assert.equal(restarts, gap.filter((e) => e.startsWith('done ')).length, why);
    // The relist diffs by name: deletes for vanished objects first, then the list in order.
    assert.deepEqual(events, [
      ['delete', 'gone', { v: '1' }],
      ['update', 'change', { v: '2' }],
      ['add', 'new', { v: '1' }],
    ]);

    // And it keeps watching on the new server.
    events.length = 0;
    await core2.deleteNamespacedConfigMap({ name: 'keep', namespace: ns });
    await waitFor(() => events.length === 1, 'delete after recovery');
    assert.deepEqual(events, [['delete', 'keep', { v: '1' }]]);
  });
});

describe('raw Watch', () => {
  test('ADDED, MODIFIED, DELETED frames; a compacted resourceVersion gets ERROR 410 Expired', async () => {
    const ns = 'cn-watch';
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const start = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const watch = new k8s.Watch(kc);
    const got: { type: string; obj: any }[] = [];
    let ended: unknown = 'not yet';
    const ctl = await watch.watch(path, { resourceVersion: start }, (type, obj) => got.push({ type, obj }), (err) => (ended = err));

    const c = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w' }, data: { v: '1' } } });
    const m = await core.patchNamespacedConfigMap({ name: 'w', namespace: ns, body: { data: { v: '2' } } }, merge);
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: ns });
    await waitFor(() => got.length >= 3, 'three watch events');
    assert.deepEqual(got.map((e) => [e.type, e.obj.kind, e.obj.apiVersion, e.obj.metadata.name, e.obj.data]), [
      ['ADDED', 'ConfigMap', 'v1', 'w', { v: '1' }],
      ['MODIFIED', 'ConfigMap', 'v1', 'w', { v: '2' }],
      ['DELETED', 'ConfigMap', 'v1', 'w', { v: '2' }],
    ]);
    assert.equal(got[0].obj.metadata.resourceVersion, c.metadata?.resourceVersion);
    assert.equal(got[1].obj.metadata.resourceVersion, m.metadata?.resourceVersion);
    assert.ok(Number(got[2].obj.metadata.resourceVersion) > Number(m.metadata?.resourceVersion), 'DELETED carries the deletion revision');
    assert.equal(got[2].obj.metadata.uid, c.metadata?.uid);
    assert.equal(ended, 'not yet');
    ctl.abort();

    // Without a resourceVersion the watch starts with the current state as ADDED.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    const initial: string[] = [];
    const ctl2 = await watch.watch(path, {}, (type, obj) => initial.push(`${type} ${obj.metadata.name}`), () => {});
    await waitFor(() => initial.length >= 1, 'synthetic ADDED');
    assert.deepEqual(initial, ['ADDED x']);
    ctl2.abort();

    await srv.store.compact(await srv.store.currentRevision());
    const expired: { type: string; obj: any }[] = [];
    let done: unknown = 'not yet';
    await watch.watch(path, { resourceVersion: start }, (type, obj) => expired.push({ type, obj }), (err) => (done = err));
    await waitFor(() => done !== 'not yet', 'the server to close the expired watch');
    assert.equal(done, null, 'closed cleanly after the ERROR event');
    assert.equal(expired.length, 1);
    assert.equal(expired[0].type, 'ERROR');
    assert.equal(expired[0].obj.kind, 'Status');
    assert.equal(expired[0].obj.status, 'Failure');
    assert.equal(expired[0].obj.code, 410);
    assert.equal(expired[0].obj.reason, 'Expired');
    assert.match(expired[0].obj.message, /too old resource version/);
  });
});
