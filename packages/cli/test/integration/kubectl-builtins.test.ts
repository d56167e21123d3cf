// The real kubectl 1.32 against `keelson up` (the CLI, SQLite storage) on built-in kinds:
// discovery, version, apply, every common `get` output, selectors, watch, describe, patch
// (json, merge, strategic), edit, scale, label, annotate, server-side apply, diff, server
// dry-run, and the imperative generators (protobuf request bodies).
// Custom resources, finalizers, wait and namespace cascading are in kubectl-crd.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKeelson, type Keelson } from './harness.js';
import { applyYaml, fails, follow, names, ok, parseTable, rowOf, writeScript } from './kubectl-helpers.js';

let k: Keelson;

before(async () => {
  k = await startKeelson();
});

after(async () => {
  await k?.dispose();
});

describe('discovery, version and health', () => {
  it('api-resources lists built-in resources with short names, group/version, scope and kind', async () => {
    const t = parseTable(await ok(k, ['api-resources']));
    assert.deepEqual(t.headers, ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const expect: [string, string, string, string, string][] = [
      ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
      ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
      ['pods', 'po', 'v1', 'true', 'Pod'],
      ['secrets', '', 'v1', 'true', 'Secret'],
      ['services', 'svc', 'v1', 'true', 'Service'],
      ['nodes', 'no', 'v1', 'false', 'Node'],
      ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
      ['customresourcedefinitions', 'crd,crds', 'apiextensions.k8s.io/v1', 'false', 'CustomResourceDefinition'],
    ];
    for (const [name, short, gv, namespaced, kind] of expect) {
      assert.deepEqual(rowOf(t, name), { NAME: name, SHORTNAMES: short, APIVERSION: gv, NAMESPACED: namespaced, KIND: kind });
    }
    const clusterScoped = names(await ok(k, ['api-resources', '--namespaced=false', '-o', 'name']));
    assert.ok(clusterScoped.includes('namespaces'), clusterScoped.join(' '));
    assert.ok(!clusterScoped.includes('configmaps'), clusterScoped.join(' '));
    const apps = names(await ok(k, ['api-resources', '--api-group=apps', '-o', 'name']));
    assert.deepEqual(apps, ['daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps']);
  });

  it('api-versions lists v1, apps/v1 and apiextensions.k8s.io/v1', async () => {
    const versions = names(await ok(k, ['api-versions']));
    for (const v of ['v1', 'apps/v1', 'apiextensions.k8s.io/v1']) assert.ok(versions.includes(v), versions.join(' '));
  });

  it('version prints the server version', async () => {
    const out = await ok(k, ['version']);
    assert.match(out, /^Server Version: v1\.\d+\.\d+\S*$/m);
    const json = JSON.parse(await ok(k, ['version', '-o', 'json']));
    assert.equal(json.serverVersion.major, '1');
    assert.match(json.serverVersion.gitVersion, /^v1\.\d+\.\d+/);
  });

  it('get --raw /readyz and /livez answer ok', async () => {
    assert.equal(await ok(k, ['get', '--raw', '/readyz']), 'ok');
    assert.equal(await ok(k, ['get', '--raw', '/livez']), 'ok');
    assert.equal(await ok(k, ['get', '--raw', '/readyz/etcd']), 'ok');
    const verbose = await ok(k, ['get', '--raw', '/readyz?verbose']);
    assert.match(verbose, /^\[\+\]ping ok$/m);
    assert.match(verbose, /^\[\+\]etcd ok$/m);
    assert.match(verbose, /\nreadyz check passed\n?$/);
    const unknown = await fails(k, ['get', '--raw', '/readyz/no-such-check']);
    assert.match(unknown.stderr, /\(NotFound\)/);
    const ns = JSON.parse(await ok(k, ['get', '--raw', '/api/v1/namespaces/default']));
    assert.equal(ns.metadata.name, 'default');
  });
});

const APPLY_MANIFEST = (value: string): string => `
apiVersion: v1
kind: Namespace
metadata: {name: applied}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: applied}
data: {mode: "${value}", level: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: applied}
type: Opaque
data: {password: aHVudGVyMg==}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: applied, labels: {app: app}}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: main
        image: nginx:1.25
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: applied}
spec:
  selector: {app: app}
  ports: [{port: 80, targetPort: 8080}]
`;

describe('apply (client-side)', () => {
  it('creates, then reports unchanged, then configures only what changed', async () => {
    const first = await applyYaml(k, APPLY_MANIFEST('a'));
    assert.deepEqual(first.trim().split('\n'), [
      'namespace/applied created',
      'configmap/app-config created',
      'secret/app-secret created',
      'deployment.apps/app created',
      'service/app created',
    ]);
    const second = await applyYaml(k, APPLY_MANIFEST('a'));
    assert.deepEqual(second.trim().split('\n'), [
      'namespace/applied unchanged',
      'configmap/app-config unchanged',
      'secret/app-secret unchanged',
      'deployment.apps/app unchanged',
      'service/app unchanged',
    ]);
    const third = await applyYaml(k, APPLY_MANIFEST('b'));
    assert.match(third, /^configmap\/app-config configured$/m);
    assert.match(third, /^deployment\.apps\/app unchanged$/m);
    assert.equal(await ok(k, ['get', 'cm', 'app-config', '-n', 'applied', '-o', 'jsonpath={.data.mode}']), 'b');
    // The Service got its defaults from the server and still applies cleanly.
    const svc = JSON.parse(await ok(k, ['get', 'svc', 'app', '-n', 'applied', '-o', 'json']));
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.match(svc.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(svc.spec.ports[0].targetPort, 8080);
  });
});

const SHOP = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: sel-a, namespace: shop, labels: {app: web, tier: front}}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: sel-b, namespace: shop, labels: {app: web, tier: back}}
data: {a: "10"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: sel-c, namespace: shop, labels: {app: db}}
data: {a: "100", b: "x", c: "y"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: sel-d, namespace: shop, labels: {env: dev}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: elsewhere, namespace: default, labels: {app: web}}
data: {z: "z"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
type: Opaque
data: {user: YWRtaW4=, pass: c2VjcmV0}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.25", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: p-pending, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: p-running, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, image: busybox}]
`;

describe('get', () => {
  before(async () => {
    await applyYaml(k, SHOP);
    await ok(k, ['patch', 'pod', 'p-running', '-n', 'shop', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","podIP":"10.244.0.7"}}']);
    await ok(k, [
      'patch', 'deploy', 'web', '-n', 'shop', '--subresource=status', '--type=merge',
      '-p', '{"status":{"replicas":2,"updatedReplicas":2,"readyReplicas":1,"availableReplicas":1,"unavailableReplicas":1}}',
    ]);
  });

  it('prints ConfigMaps as a table with DATA counts', async () => {
    const t = parseTable(await ok(k, ['get', 'configmaps', '-n', 'shop']));
    assert.deepEqual(t.headers, ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(t.rows.map((r) => [r.NAME, r.DATA]), [['sel-a', '2'], ['sel-b', '1'], ['sel-c', '3'], ['sel-d', '0']]);
    for (const r of t.rows) assert.match(r.AGE, /^\d+[smhd]\S*$/);
  });

  it('prints Deployments with READY, UP-TO-DATE and AVAILABLE from status', async () => {
    const t = parseTable(await ok(k, ['get', 'deploy', '-n', 'shop']));
    assert.deepEqual(t.headers, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    const r = rowOf(t, 'web');
    assert.deepEqual([r.READY, r['UP-TO-DATE'], r.AVAILABLE], ['1/2', '2', '1']);
  });

  it('prints Services, Secrets and Pods with their columns', async () => {
    const svc = rowOf(parseTable(await ok(k, ['get', 'svc', '-n', 'shop'])), 'web');
    assert.equal(svc.TYPE, 'ClusterIP');
    assert.match(svc['CLUSTER-IP'], /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(svc['EXTERNAL-IP'], '<none>');
    assert.equal(svc['PORT(S)'], '80/TCP');
    const secret = rowOf(parseTable(await ok(k, ['get', 'secret', 'creds', '-n', 'shop'])), 'creds');
    assert.deepEqual([secret.TYPE, secret.DATA], ['Opaque', '2']);
    const pods = parseTable(await ok(k, ['get', 'pods', '-n', 'shop']));
    assert.deepEqual(pods.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.deepEqual(
      pods.rows.map((r) => [r.NAME, r.READY, r.STATUS, r.RESTARTS]),
      [['p-pending', '0/1', 'Pending', '0'], ['p-running', '0/1', 'Running', '0']],
    );
  });

  it('-o wide adds the wide columns', async () => {
    const d = parseTable(await ok(k, ['get', 'deploy', 'web', '-n', 'shop', '-o', 'wide']));
    assert.deepEqual(d.headers, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const r = rowOf(d, 'web');
    assert.deepEqual([r.CONTAINERS, r.IMAGES, r.SELECTOR], ['nginx', 'nginx:1.25', 'app=web']);
    const p = parseTable(await ok(k, ['get', 'pods', '-n', 'shop', '-o', 'wide']));
    assert.deepEqual(p.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.equal(rowOf(p, 'p-running').IP, '10.244.0.7');
    assert.equal(rowOf(p, 'p-pending').IP, '<none>');
  });

  it('-o yaml and -o json print the stored object', async () => {
    const yaml = await ok(k, ['get', 'cm', 'sel-a', '-n', 'shop', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: v1$/m);
    assert.match(yaml, /^kind: ConfigMap$/m);
    assert.match(yaml, /^data:\n {2}a: "1"\n {2}b: "2"$/m);
    assert.match(yaml, /^ {2}name: sel-a$/m);
    assert.match(yaml, /^ {2}namespace: shop$/m);
    assert.match(yaml, /^ {2}resourceVersion: "\d+"$/m);
    assert.match(yaml, /^ {2}uid: [0-9a-f-]{36}$/m);
    assert.match(yaml, /^ {2}creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/m);
    const obj = JSON.parse(await ok(k, ['get', 'cm', 'sel-c', '-n', 'shop', '-o', 'json']));
    assert.equal(obj.kind, 'ConfigMap');
    assert.deepEqual(obj.data, { a: '100', b: 'x', c: 'y' });
    assert.deepEqual(obj.metadata.labels, { app: 'db' });
    const list = JSON.parse(await ok(k, ['get', 'cm', '-n', 'shop', '-o', 'json']));
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i: any) => i.metadata.name), ['sel-a', 'sel-b', 'sel-c', 'sel-d']);
  });

  it('-o jsonpath evaluates templates over the list and one object', async () => {
    assert.equal(await ok(k, ['get', 'cm', '-n', 'shop', '-o', 'jsonpath={.items[*].metadata.name}']), 'sel-a sel-b sel-c sel-d');
    assert.equal(
      await ok(k, ['get', 'cm', '-n', 'shop', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.data.a}{"\\n"}{end}']),
      'sel-a=1\nsel-b=10\nsel-c=100\nsel-d=\n',
    );
    assert.equal(await ok(k, ['get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.25');
    assert.equal(await ok(k, ['get', 'pods', '-n', 'shop', '-o', 'jsonpath={.items[?(@.status.phase=="Running")].metadata.name}']), 'p-running');
  });

  it('-A lists across namespaces with a NAMESPACE column', async () => {
    const t = parseTable(await ok(k, ['get', 'cm', '-A']));
    assert.deepEqual(t.headers, ['NAMESPACE', 'NAME', 'DATA', 'AGE']);
    const pairs = t.rows.map((r) => `${r.NAMESPACE}/${r.NAME}`);
    for (const want of ['default/elsewhere', 'shop/sel-a', 'shop/sel-d', 'applied/app-config']) assert.ok(pairs.includes(want), pairs.join(' '));
    const ns = parseTable(await ok(k, ['get', 'ns']));
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'shop']) assert.equal(rowOf(ns, n).STATUS, 'Active');
  });

  it('--show-labels adds a LABELS column', async () => {
    const t = parseTable(await ok(k, ['get', 'cm', '-n', 'shop', '--show-labels']));
    assert.deepEqual(t.headers, ['NAME', 'DATA', 'AGE', 'LABELS']);
    assert.equal(rowOf(t, 'sel-a').LABELS, 'app=web,tier=front');
    assert.equal(rowOf(t, 'sel-d').LABELS, 'env=dev');
  });

  it('-l filters with =, !=, in, notin, exists and !key', async () => {
    const sel = async (s: string): Promise<string[]> => names(await ok(k, ['get', 'cm', '-n', 'shop', '-l', s, '-o', 'name']));
    // Independent reads: run them side by side.
    const cases: [string, string[]][] = [
      ['app=web', ['configmap/sel-a', 'configmap/sel-b']],
      ['app!=web', ['configmap/sel-c', 'configmap/sel-d']],
      ['tier in (front,middle)', ['configmap/sel-a']],
      ['tier notin (front)', ['configmap/sel-b', 'configmap/sel-c', 'configmap/sel-d']],
      ['tier', ['configmap/sel-a', 'configmap/sel-b']],
      ['!tier', ['configmap/sel-c', 'configmap/sel-d']],
      ['app=web,tier=back', ['configmap/sel-b']],
    ];
    const got = await Promise.all(cases.map(([s]) => sel(s)));
    cases.forEach(([s, want], i) => assert.deepEqual(got[i], want, s));
    const none = await ok(k, ['get', 'cm', '-n', 'shop', '-l', 'app=nothing']);
    assert.equal(none, '');
    const bad = await fails(k, ['get', 'cm', '-n', 'shop', '-l', 'app==>x']);
    assert.match(bad.stderr, /Error from server \(BadRequest\): .*unable to parse requirement: found '>', expected: identifier/);
  });

  it('--field-selector filters on metadata.name and on pod status.phase', async () => {
    const cases: [string[], string[]][] = [
      [['cm', '-n', 'shop', '--field-selector', 'metadata.name=sel-b'], ['configmap/sel-b']],
      [['cm', '-A', '--field-selector', 'metadata.namespace=default'], ['configmap/elsewhere']],
      [['pods', '-n', 'shop', '--field-selector', 'status.phase=Pending'], ['pod/p-pending']],
      [['pods', '-n', 'shop', '--field-selector', 'status.phase!=Pending'], ['pod/p-running']],
      [['pods', '-n', 'shop', '--field-selector', 'status.phase=Running', '-l', 'app=web'], ['pod/p-running']],
      [['pods', '-n', 'shop', '--field-selector', 'status.phase=Running,metadata.name=p-pending'], []],
    ];
    const got = await Promise.all(cases.map(async ([args]) => names(await ok(k, ['get', ...args, '-o', 'name']))));
    cases.forEach(([args, want], i) => assert.deepEqual(got[i], want, args.join(' ')));
    const bad = await fails(k, ['get', 'cm', '-n', 'shop', '--field-selector', 'data.a=1']);
    assert.match(bad.stderr, /BadRequest.*field label not supported: data\.a/);
  });

  it('get -w prints the existing object, then a change made afterwards', async () => {
    await applyYaml(k, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: shop}\ndata: {one: "1"}\n');
    const w = follow(k, ['get', 'cm', 'watched', '-n', 'shop', '-w']);
    try {
      await w.waitForLine(/^NAME\s+DATA\s+AGE$/);
      await w.waitForLine(/^watched\s+1\s+\d+[smhd]\S*$/);
      await ok(k, ['patch', 'cm', 'watched', '-n', 'shop', '--type=merge', '-p', '{"data":{"two":"2","three":"3"}}']);
      await w.waitForLine(/^watched\s+3\s+\d+[smhd]\S*$/);
    } finally {
      await w.stop();
    }
    const events = follow(k, ['get', 'cm', '-n', 'shop', '-w', '--output-watch-events', '-l', 'app=web']);
    try {
      await events.waitForLine(/^ADDED\s+sel-b\s+1\s/);
      await ok(k, ['label', 'cm', 'sel-c', '-n', 'shop', 'app=web', '--overwrite']);
      // Entering the selector is an ADDED event on a filtered watch.
      await events.waitForLine(/^ADDED\s+sel-c\s+3\s/);
      await ok(k, ['label', 'cm', 'sel-c', '-n', 'shop', 'app=db', '--overwrite']);
      await ok(k, ['delete', 'cm', 'watched', '-n', 'shop']);
      await ok(k, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: shop, labels: {app: web}}\n' });
      await events.waitForLine(/^ADDED\s+late\s+0\s/);
      // Moving out of the selector is seen as a deletion by a filtered watch.
      assert.ok(events.lines.some((l) => /^DELETED\s+sel-c\s/.test(l)), events.lines.join('\n'));
    } finally {
      await events.stop();
    }
  });
});

describe('describe', () => {
  it('describes a Deployment', async () => {
    const out = await ok(k, ['describe', 'deployment', 'web', '-n', 'shop']);
    assert.match(out, /^Name:\s+web$/m);
    assert.match(out, /^Namespace:\s+shop$/m);
    assert.match(out, /^Labels:\s+app=web$/m);
    assert.match(out, /^Selector:\s+app=web$/m);
    assert.match(out, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 1 available \| 1 unavailable$/m);
    assert.match(out, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(out, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(out, /^ {3}nginx:\n {4}Image:\s+nginx:1\.25\n {4}Port:\s+80\/TCP$/m);
  });

  it('describes a Pod and a Namespace', async () => {
    const pod = await ok(k, ['describe', 'pod', 'p-running', '-n', 'shop']);
    assert.match(pod, /^Status:\s+Running$/m);
    assert.match(pod, /^IP:\s+10\.244\.0\.7$/m);
    const ns = await ok(k, ['describe', 'namespace', 'shop']);
    assert.match(ns, /^Name:\s+shop$/m);
    assert.match(ns, /^Status:\s+Active$/m);
  });
});

const EDITABLE = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: editable, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: editable}}
  template:
    metadata: {labels: {app: editable}}
    spec:
      containers:
      - {name: main, image: "nginx:1.25"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: editable, namespace: default, labels: {tier: front}}
data: {color: blue, size: "3"}
`;

describe('patch, edit, scale, label, annotate', () => {
  before(async () => {
    await applyYaml(k, EDITABLE);
  });

  const containers = async (): Promise<string> =>
    ok(k, ['get', 'deploy', 'editable', '-o', 'jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}']);

  it('strategic merge patch (the default) merges containers by name', async () => {
    const out = await ok(k, ['patch', 'deploy', 'editable', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}']);
    assert.equal(out.trim(), 'deployment.apps/editable patched');
    assert.equal(await containers(), 'sidecar=busybox:1.36 main=nginx:1.25 ');
    // Same name: the entry is merged, not duplicated.
    await ok(k, ['patch', 'deploy', 'editable', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}}}']);
    assert.equal(await containers(), 'sidecar=busybox:1.36 main=nginx:1.27 ');
    // $patch: delete removes one entry by its key.
    await ok(k, ['patch', 'deploy', 'editable', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}']);
    assert.equal(await containers(), 'main=nginx:1.27 ');
    // Patching to the same value changes nothing.
    const same = await ok(k, ['patch', 'deploy', 'editable', '-p', '{"spec":{"replicas":1}}']);
    assert.equal(same.trim(), 'deployment.apps/editable patched (no change)');
  });

  it('merge patch replaces the container list', async () => {
    await ok(k, ['patch', 'deploy', 'editable', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"solo","image":"redis:7"}]}}}}']);
    assert.equal(await containers(), 'solo=redis:7 ');
    await ok(k, ['patch', 'cm', 'editable', '--type=merge', '-p', '{"data":{"size":null,"shape":"round"}}']);
    assert.deepEqual(JSON.parse(await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.data}'])), { color: 'blue', shape: 'round' });
  });

  it('json patch applies operations in order, and a failed test op changes nothing', async () => {
    await ok(k, ['patch', 'deploy', 'editable', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/labels","value":{"patched":"yes"}}]']);
    assert.equal(await ok(k, ['get', 'deploy', 'editable', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.patched}']), '3 yes');
    const r = await fails(k, ['patch', 'deploy', 'editable', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":7},{"op":"test","path":"/spec/replicas","value":99}]']);
    assert.match(r.stderr, /test/i);
    assert.equal(await ok(k, ['get', 'deploy', 'editable', '-o', 'jsonpath={.spec.replicas}']), '3');
  });

  it('edit runs $EDITOR and saves its change', async () => {
    const editor = writeScript(`sed -i 's/^  color: blue$/  color: green/' "$1"`);
    try {
      const out = await ok(k, ['edit', 'cm', 'editable'], { env: { EDITOR: editor.path, KUBE_EDITOR: editor.path } });
      assert.equal(out.trim(), 'configmap/editable edited');
      assert.equal(await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.data.color}']), 'green');
      // An editor that changes nothing: kubectl reports that and writes nothing.
      const rv = await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.metadata.resourceVersion}']);
      const noop = writeScript('true');
      try {
        const r = await k.kubectl(['edit', 'cm', 'editable'], { env: { EDITOR: noop.path, KUBE_EDITOR: noop.path } });
        assert.match(r.stdout + r.stderr, /Edit cancelled, no changes made/);
      } finally {
        noop.dispose();
      }
      assert.equal(await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.metadata.resourceVersion}']), rv);
    } finally {
      editor.dispose();
    }
  });

  it('scale sets spec.replicas through the scale subresource', async () => {
    assert.equal((await ok(k, ['scale', 'deploy', 'editable', '--replicas=5'])).trim(), 'deployment.apps/editable scaled');
    assert.equal(await ok(k, ['get', 'deploy', 'editable', '-o', 'jsonpath={.spec.replicas}']), '5');
    const scale = JSON.parse(await ok(k, ['get', 'deploy', 'editable', '--subresource=scale', '-o', 'json']));
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.spec.replicas, 5);
    assert.equal(scale.status.selector, 'app=editable');
    const r = await fails(k, ['scale', 'deploy', 'editable', '--current-replicas=2', '--replicas=1']);
    assert.match(r.stderr, /Expected replicas to be 2, was 5/);
    assert.equal(await ok(k, ['get', 'deploy', 'editable', '-o', 'jsonpath={.spec.replicas}']), '5');
  });

  it('label and annotate add, refuse to overwrite without --overwrite, overwrite, and remove', async () => {
    assert.equal((await ok(k, ['label', 'cm', 'editable', 'owner=alice'])).trim(), 'configmap/editable labeled');
    const refused = await fails(k, ['label', 'cm', 'editable', 'tier=back']);
    assert.match(refused.stderr, /'tier' already has a value \(front\), and --overwrite is false/);
    await ok(k, ['label', 'cm', 'editable', 'tier=back', '--overwrite']);
    assert.deepEqual(names(await ok(k, ['get', 'cm', '-l', 'tier=back,owner=alice', '-o', 'name'])), ['configmap/editable']);
    await ok(k, ['label', 'cm', 'editable', 'owner-']);
    assert.equal(await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.metadata.labels}']), '{"tier":"back"}');

    assert.equal((await ok(k, ['annotate', 'cm', 'editable', 'note=first'])).trim(), 'configmap/editable annotated');
    const refusedA = await fails(k, ['annotate', 'cm', 'editable', 'note=second']);
    assert.match(refusedA.stderr, /--overwrite is false but found the following declared annotation\(s\): 'note' already has a value \(first\)/);
    await ok(k, ['annotate', 'cm', 'editable', 'note=second', '--overwrite']);
    assert.equal(await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.metadata.annotations.note}']), 'second');
    await ok(k, ['annotate', 'cm', 'editable', 'note-']);
    assert.equal(await ok(k, ['get', 'cm', 'editable', '-o', 'jsonpath={.metadata.annotations.note}']), '');
  });

  it('delete removes a Deployment and returns (kubectl waits for the deletion)', async () => {
    const out = await ok(k, ['delete', 'deploy', 'editable', '--timeout=20s']);
    assert.equal(out.trim(), 'deployment.apps "editable" deleted');
    const r = await fails(k, ['get', 'deploy', 'editable']);
    assert.match(r.stderr, /Error from server \(NotFound\): deployments.apps "editable" not found/);
  });
});

describe('server-side apply, diff, server dry-run', () => {
  const ssa = (value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: default}\ndata: {k: ${value}, fixed: "yes"}\n`;

  it('apply --server-side creates, then updates', async () => {
    assert.equal((await applyYaml(k, ssa('v1'), ['--server-side'])).trim(), 'configmap/ssa serverside-applied');
    assert.equal(await ok(k, ['get', 'cm', 'ssa', '-o', 'jsonpath={.data.k}']), 'v1');
    assert.equal((await applyYaml(k, ssa('v2'), ['--server-side'])).trim(), 'configmap/ssa serverside-applied');
    assert.deepEqual(JSON.parse(await ok(k, ['get', 'cm', 'ssa', '-o', 'jsonpath={.data}'])), { k: 'v2', fixed: 'yes' });
  });

  it('diff shows a pending change with exit code 1, and nothing with exit code 0', async () => {
    const r = await k.kubectl(['diff', '-f', '-'], { input: ssa('v3') });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^-\s+k: v2$/m);
    assert.match(r.stdout, /^\+\s+k: v3$/m);
    // Only the data line differs (metadata normalised by the server as kube-apiserver does).
    const changed = r.stdout.split('\n').filter((l) => /^[-+](?![-+])/.test(l));
    assert.deepEqual(changed, ['-  k: v2', '+  k: v3'], r.stdout);
    assert.equal(await ok(k, ['get', 'cm', 'ssa', '-o', 'jsonpath={.data.k}']), 'v2', 'diff must not write');
    const same = await k.kubectl(['diff', '-f', '-'], { input: ssa('v2') });
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(same.stdout, '');
  });

  it('create --dry-run=server validates but stores nothing', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry, namespace: default}\ndata: {k: v}\n';
    const out = await ok(k, ['create', '--dry-run=server', '-f', '-'], { input: manifest });
    assert.equal(out.trim(), 'configmap/dry created (server dry run)');
    const json = JSON.parse(await ok(k, ['create', '--dry-run=server', '-f', '-', '-o', 'json'], { input: manifest }));
    assert.match(json.metadata.uid, /^[0-9a-f-]{36}$/);
    const r = await fails(k, ['get', 'cm', 'dry']);
    assert.match(r.stderr, /configmaps "dry" not found/);
    const bad = await fails(k, ['create', '--dry-run=server', '-f', '-'], {
      input: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: c}}, spec: {containers: [{name: c, image: i}]}}}\n',
    });
    assert.match(bad.stderr, /The Deployment "bad" is invalid: spec\.template\.metadata\.labels: Invalid value: \{"a":"c"\}: `selector` does not match template `labels`/);
  });
});

describe('imperative generators (protobuf request bodies)', () => {
  it('create namespace, configmap and deployment', async () => {
    assert.equal((await ok(k, ['create', 'namespace', 'gen'])).trim(), 'namespace/gen created');
    assert.equal((await ok(k, ['create', 'configmap', 'gen-cm', '-n', 'gen', '--from-literal=a=1', '--from-literal=b=2'])).trim(), 'configmap/gen-cm created');
    assert.equal((await ok(k, ['create', 'deployment', 'gen-dep', '-n', 'gen', '--image=nginx:1.25', '--replicas=2'])).trim(), 'deployment.apps/gen-dep created');
    assert.deepEqual(JSON.parse(await ok(k, ['get', 'cm', 'gen-cm', '-n', 'gen', '-o', 'jsonpath={.data}'])), { a: '1', b: '2' });
    const d = rowOf(parseTable(await ok(k, ['get', 'deploy', '-n', 'gen', '-o', 'wide'])), 'gen-dep');
    assert.deepEqual([d.READY, d.IMAGES, d.SELECTOR], ['0/2', 'nginx:1.25', 'app=gen-dep']);
    // The generator sends `strategy: {}`; the server defaults it field by field.
    const described = await ok(k, ['describe', 'deploy', 'gen-dep', '-n', 'gen']);
    assert.match(described, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(described, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.equal((await ok(k, ['delete', 'namespace', 'gen', '--timeout=30s'])).trim(), 'namespace "gen" deleted');
    const r = await fails(k, ['get', 'ns', 'gen']);
    assert.match(r.stderr, /namespaces "gen" not found/);
  });
});
