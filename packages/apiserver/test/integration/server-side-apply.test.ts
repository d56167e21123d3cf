// Server-side apply and managedFields over real HTTPS, and `kubectl apply --server-side` (the
// real kubectl 1.32) against the same in-process server: creation, merging by field ownership,
// removal of dropped fields, conflicts with `kubectl edit` / `kubectl scale` and other appliers
// (409 with the fields named) and --force-conflicts, list-type=map custom resources, status
// subresource apply, dry runs, and the managedFields every write records.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInProcess, type InProcessServer } from './in-process.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const APPLY = 'application/apply-patch+yaml';

let srv: InProcessServer;
let cacheDir: string;

interface Reply {
  status: number;
  body: any;
  text: string;
}

function request(method: string, path: string, o: { body?: unknown; raw?: string; contentType?: string; userAgent?: string } = {}): Promise<Reply> {
  const payload = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
  const headers: Record<string, string> = { Authorization: `Bearer ${srv.token}`, 'User-Agent': o.userAgent ?? 'ssa-test/1.0 (linux)' };
  if (payload !== undefined) {
    headers['Content-Type'] = o.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, srv.url), { method, headers, ca: srv.caCertPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const apply = (path: string, config: unknown, query = 'fieldManager=test'): Promise<Reply> =>
  request('PATCH', `${path}?${query}`, { raw: typeof config === 'string' ? config : JSON.stringify(config), contentType: APPLY });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl, asynchronously (the server runs in this process). */
function kubectl(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(KUBECTL, ['--kubeconfig', srv.kubeconfig, '--cache-dir', cacheDir, ...args], { env: { ...process.env, ...o.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.stdin.on('error', () => {});
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(o.input ?? '');
  });
}

async function ok(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await kubectl(args, o);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function fails(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const r = await kubectl(args, o);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail\n${r.stdout}`);
  return r;
}

/** managedFields entries by manager name (and subresource, when set). */
function entries(obj: any): Record<string, any> {
  const out: Record<string, any> = {};
  for (const e of obj.metadata.managedFields ?? []) out[e.subresource ? `${e.manager}/${e.subresource}` : e.manager] = e;
  return out;
}

const NS = 'ssa';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;
const GADGETS = `/apis/example.com/v1/namespaces/${NS}/gadgets`;

const gadgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
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
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer' },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
                  },
                  tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
                  args: { type: 'array', items: { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' }, ready: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

const cm = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data,
});

before(async () => {
  srv = await startInProcess();
  cacheDir = mkdtempSync(join(tmpdir(), 'keelson-ssa-kubectl-'));
  const ns = await request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  assert.equal(ns.status, 201, ns.text);
  const crd = await request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: gadgetCrd });
  assert.equal(crd.status, 201, crd.text);
});

after(async () => {
  await srv?.stop();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe('server-side apply over HTTPS', () => {
  it('creates a missing object (201) owned by the applier, and a second identical apply writes nothing', async () => {
    const r = await apply(`${CM}/a1`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1\n  labels: {app: x}\ndata:\n  k: v\n');
    assert.equal(r.status, 201, r.text);
    const [e] = r.body.metadata.managedFields;
    assert.deepEqual(Object.keys(e), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    assert.equal(e.manager, 'test');
    assert.equal(e.operation, 'Apply');
    assert.equal(e.apiVersion, 'v1');
    assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(e.fieldsType, 'FieldsV1');
    assert.deepEqual(e.fieldsV1, { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    const again = await apply(`${CM}/a1`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1\n  labels: {app: x}\ndata:\n  k: v\n');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.metadata.resourceVersion, r.body.metadata.resourceVersion);
    assert.deepEqual(again.body.metadata.managedFields, r.body.metadata.managedFields);
  });

  it('takes JSON as well as YAML, merges, and removes the fields the applier no longer sends', async () => {
    assert.equal((await apply(`${CM}/a2`, cm('a2', { a: '1', b: '2' }))).status, 201);
    const r = await apply(`${CM}/a2`, cm('a2', { a: '1', c: '3' }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data, { a: '1', c: '3' });
    assert.deepEqual(entries(r.body).test.fieldsV1, { 'f:data': { 'f:a': {}, 'f:c': {} } });
  });

  it('records Update operations for create, PUT and patches, under fieldManager or the User-Agent', async () => {
    const c = await request('POST', `${CM}?fieldManager=creator`, { body: cm('u1', { a: '1' }) });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual(entries(c.body).creator.fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
    assert.equal(entries(c.body).creator.operation, 'Update');
    const p = await request('PATCH', `${CM}/u1`, { body: { data: { b: '2' } }, contentType: 'application/merge-patch+json', userAgent: 'my-tool/2.0 (darwin/arm64) abc' });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(entries(p.body)['my-tool'].fieldsV1, { 'f:data': { 'f:b': {} } });
    // A write that changes a field moves it; one that changes nothing records nothing.
    const put = await request('PUT', `${CM}/u1?fieldManager=putter`, { body: { ...p.body, data: { a: '9', b: '2' } } });
    assert.equal(put.status, 200, put.text);
    const e = entries(put.body);
    assert.deepEqual(e.putter.fieldsV1, { 'f:data': { 'f:a': {} } });
    assert.deepEqual(e.creator.fieldsV1, { 'f:data': {} });
    const same = await request('PUT', `${CM}/u1?fieldManager=idle`, { body: put.body });
    assert.equal(same.status, 200);
    assert.equal(same.body.metadata.resourceVersion, put.body.metadata.resourceVersion);
    assert.equal(entries(same.body).idle, undefined);
  });

  it('records status writes with subresource "status", owning only status', async () => {
    const g = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'st' }, spec: { size: 1 } };
    assert.equal((await request('POST', `${GADGETS}?fieldManager=maker`, { body: g })).status, 201);
    const p = await request('PATCH', `${GADGETS}/st/status?fieldManager=kubelet`, { body: { status: { ready: 1 }, spec: { size: 7 } }, contentType: 'application/merge-patch+json' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.spec.size, 1);
    const e = entries(p.body);
    assert.deepEqual([e['kubelet/status'].operation, e['kubelet/status'].subresource, e['kubelet/status'].fieldsV1], ['Update', 'status', { 'f:status': { '.': {}, 'f:ready': {} } }]);
    assert.deepEqual(e.maker.fieldsV1, { 'f:spec': { '.': {}, 'f:size': {} } });
  });

  it('answers a conflicting apply with 409 naming manager and field; force takes the field', async () => {
    assert.equal((await request('POST', `${CM}?fieldManager=editor`, { body: cm('c1', { a: '1', b: '1' }) })).status, 201);
    const r = await apply(`${CM}/c1`, cm('c1', { a: '2' }));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.reason, 'Conflict');
    assert.equal(r.body.message, 'Apply failed with 1 conflict: conflict with "editor" using v1: .data.a');
    assert.deepEqual(r.body.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "editor" using v1', field: '.data.a' }]);
    const two = await apply(`${CM}/c1`, cm('c1', { a: '2', b: '2' }));
    assert.equal(two.status, 409);
    assert.equal(two.body.message, 'Apply failed with 2 conflicts: conflicts with "editor" using v1:\n- .data.a\n- .data.b');
    // The same value is shared ownership, not a conflict.
    const shared = await apply(`${CM}/c1`, cm('c1', { a: '1' }));
    assert.equal(shared.status, 200, shared.text);
    assert.deepEqual(entries(shared.body).test.fieldsV1, { 'f:data': { 'f:a': {} } });
    const forced = await apply(`${CM}/c1`, cm('c1', { a: '2' }), 'fieldManager=test&force=true');
    assert.equal(forced.status, 200, forced.text);
    assert.deepEqual(forced.body.data, { a: '2', b: '1' });
    assert.deepEqual(entries(forced.body).editor.fieldsV1, { 'f:data': { '.': {}, 'f:b': {} } });
  });

  it('keeps a field another manager still owns when the applier drops it', async () => {
    assert.equal((await apply(`${CM}/s1`, cm('s1', { a: '1', b: '1' }), 'fieldManager=one')).status, 201);
    assert.equal((await apply(`${CM}/s1`, cm('s1', { a: '1' }), 'fieldManager=two')).status, 200);
    const r = await apply(`${CM}/s1`, cm('s1', {}), 'fieldManager=one');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data, { a: '1' });
  });

  it('merges list-type=map items by key and conflicts per item field on a custom resource', async () => {
    const g = (spec: unknown): unknown => ({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec });
    assert.equal((await apply(`${GADGETS}/g1`, g({ ports: [{ name: 'http', port: 80 }], tags: ['a'], args: ['x'] }), 'fieldManager=one')).status, 201);
    const two = await apply(`${GADGETS}/g1`, g({ ports: [{ name: 'metrics', port: 9090 }], tags: ['b'] }), 'fieldManager=two');
    assert.equal(two.status, 200, two.text);
    assert.deepEqual(two.body.spec, { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }], tags: ['a', 'b'], args: ['x'] });
    const clash = await apply(`${GADGETS}/g1`, g({ ports: [{ name: 'http', port: 8080 }], args: ['y'] }), 'fieldManager=two');
    assert.equal(clash.status, 409);
    assert.equal(clash.body.message, 'Apply failed with 2 conflicts: conflicts with "one":\n- .spec.args\n- .spec.ports[name="http"].port');
    const dup = await apply(`${GADGETS}/g1`, g({ ports: [{ name: 'x' }, { name: 'x' }] }), 'fieldManager=two');
    assert.equal(dup.status, 400);
    assert.match(dup.body.message, /\.spec\.ports: duplicate entries for key \[name="x"\]/);
    // "one" drops its port: the item goes, "two"'s stays.
    const drop = await apply(`${GADGETS}/g1`, g({ tags: ['a'], args: ['x'] }), 'fieldManager=one');
    assert.deepEqual(drop.body.spec.ports, [{ name: 'metrics', port: 9090 }]);
  });

  it('applies to the status subresource as its own manager; status in a main-resource apply is ignored', async () => {
    const g = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g2' }, spec: { size: 1 }, status: { phase: 'ignored' } };
    const c = await apply(`${GADGETS}/g2`, g);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.status, undefined);
    assert.deepEqual(entries(c.body).test.fieldsV1, { 'f:spec': { 'f:size': {} } });
    const s = await apply(`${GADGETS}/g2/status`, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g2' }, status: { phase: 'Ready' } }, 'fieldManager=ctrl');
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(s.body.status, { phase: 'Ready' });
    const e = entries(s.body)['ctrl/status'];
    assert.deepEqual([e.operation, e.subresource, e.fieldsV1], ['Apply', 'status', { 'f:status': { 'f:phase': {} } }]);
    // Another status writer changing phase conflicts with the status applier.
    const other = await apply(`${GADGETS}/g2/status`, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g2' }, status: { phase: 'Failed' } }, 'fieldManager=other');
    assert.equal(other.status, 409);
    assert.equal(other.body.message, 'Apply failed with 1 conflict: conflict with "ctrl" with subresource "status": .status.phase');
    assert.equal((await apply(`${GADGETS}/missing/status`, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'missing' }, status: {} })).status, 404);
  });

  it('dryRun=All computes the result and stores nothing', async () => {
    const c = await apply(`${CM}/dry`, cm('dry', { a: '1' }), 'fieldManager=test&dryRun=All');
    assert.equal(c.status, 201, c.text);
    assert.equal(entries(c.body).test.operation, 'Apply');
    assert.equal((await request('GET', `${CM}/dry`)).status, 404);
    assert.equal((await apply(`${CM}/dry`, cm('dry', { a: '1' }))).status, 201);
    const u = await apply(`${CM}/dry`, cm('dry', { a: '2' }), 'fieldManager=test&dryRun=All');
    assert.deepEqual(u.body.data, { a: '2' });
    assert.deepEqual((await request('GET', `${CM}/dry`)).body.data, { a: '1' });
  });

  it('rejects what upstream rejects', async () => {
    const noManager = await request('PATCH', `${CM}/x`, { raw: JSON.stringify(cm('x', {})), contentType: APPLY });
    assert.equal(noManager.status, 422);
    assert.equal(noManager.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = await request('PATCH', `${CM}/a1?force=true`, { body: { data: {} }, contentType: 'application/merge-patch+json' });
    assert.equal(force.status, 422);
    assert.equal(force.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const long = await request('POST', `${CM}?fieldManager=${'m'.repeat(129)}`, { body: cm('long', {}) });
    assert.equal(long.status, 422);
    assert.match(long.body.message, /^CreateOptions\.meta\.k8s\.io "" is invalid: fieldManager: Too long/);
    const version = await apply(`${CM}/x`, { apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.equal(version.status, 400);
    assert.equal(version.body.message, 'Incorrect version specified in apply patch. Specified patch version: v2, expected: v1');
    const managed = await apply(`${CM}/x`, { ...cm('x', {}), metadata: { name: 'x', managedFields: [] } });
    assert.equal(managed.status, 400);
    assert.equal(managed.body.message, 'metadata.managedFields must be nil');
    const rv = await apply(`${CM}/a1`, { ...cm('a1', { k: 'v' }), metadata: { name: 'a1', labels: { app: 'x' }, resourceVersion: '1' } });
    assert.equal(rv.status, 409);
    const strict = await apply(`${CM}/x`, { ...cm('x', {}), bogus: 1 }, 'fieldManager=test&fieldValidation=Strict');
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'strict decoding error: unknown field "bogus"');
    assert.equal((await request('GET', `${CM}/x`)).status, 404);
  });

  it('lets a client rewrite managedFields, and keeps them when a client sends none', async () => {
    assert.equal((await apply(`${CM}/m1`, cm('m1', { a: '1' }))).status, 201);
    const cur = (await request('GET', `${CM}/m1`)).body;
    const withoutMf = { ...cur, metadata: { ...cur.metadata, managedFields: undefined }, data: { a: '1', b: '2' } };
    const put = await request('PUT', `${CM}/m1?fieldManager=putter`, { body: withoutMf });
    assert.deepEqual(Object.keys(entries(put.body)).sort(), ['putter', 'test']);
    const cleared = await request('PATCH', `${CM}/m1`, { body: [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], contentType: 'application/json-patch+json' });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.body.metadata.managedFields, undefined);
  });

  it('a create records the fields under spec without spec itself (as Go zero values make upstream do)', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'zero' },
      spec: { selector: { matchLabels: { app: 'z' } }, template: { metadata: { labels: { app: 'z' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const r = await request('POST', `${DEPLOYMENTS}?fieldManager=kubectl-create`, { body: d });
    assert.equal(r.status, 201, r.text);
    const f = entries(r.body)['kubectl-create'].fieldsV1;
    assert.equal(f['f:spec']['.'], undefined);
    assert.deepEqual(f['f:spec']['f:selector'], {});
    assert.deepEqual(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"c"}']['.'], {});
    assert.equal(f['f:metadata'], undefined);
  });
});

describe('kubectl apply --server-side', () => {
  const deployment = (image: string, replicas?: number, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
  labels: {app: web}
spec:
${replicas === undefined ? '' : `  replicas: ${replicas}\n`}  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: ${image}
        ports: [{containerPort: 80}]
${extra}`;

  it('creates and updates, and get --show-managed-fields shows the applier', async () => {
    assert.equal((await ok(['apply', '--server-side', '-f', '-'], { input: deployment('nginx:1', 2) })).trim(), 'deployment.apps/web serverside-applied');
    assert.equal((await ok(['apply', '--server-side', '-f', '-'], { input: deployment('nginx:2', 2) })).trim(), 'deployment.apps/web serverside-applied');
    assert.equal(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:2');
    const yaml = await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'yaml', '--show-managed-fields']);
    assert.match(yaml, /managedFields:\n {2}- apiVersion: apps\/v1\n {4}fieldsType: FieldsV1\n {4}fieldsV1:\n/);
    assert.match(yaml, /^ {4}manager: kubectl\n {4}operation: Apply\n {4}time: /m);
    assert.match(yaml, /k:\{"containerPort":80,"protocol":"TCP"\}:\n\s+\.: \{\}\n\s+f:containerPort: \{\}/);
    // Without the flag, kubectl hides them.
    assert.doesNotMatch(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'yaml']), /managedFields/);
  });

  it('removes a field dropped from the manifest', async () => {
    await ok(['apply', '--server-side', '-f', '-'], { input: deployment('nginx:2', 2, '        args: ["--a"]\n') });
    assert.equal(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].args}']), '["--a"]');
    await ok(['apply', '--server-side', '-f', '-'], { input: deployment('nginx:2', 2) });
    assert.equal(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].args}']), '');
  });

  it('conflicts with kubectl scale on .spec.replicas until --force-conflicts', async () => {
    await ok(['scale', 'deploy', 'web', '-n', NS, '--replicas=5']);
    const obj = JSON.parse(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'json', '--show-managed-fields']));
    const scale = (obj.metadata.managedFields as any[]).find((e) => e.subresource === 'scale');
    assert.ok(scale, JSON.stringify(obj.metadata.managedFields));
    assert.deepEqual(scale.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    const r = await fails(['apply', '--server-side', '-f', '-'], { input: deployment('nginx:2', 2) });
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl[^"]*" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    assert.match(r.stderr, /--force-conflicts/);
    // A manifest without replicas leaves them to the scaler.
    await ok(['apply', '--server-side', '-f', '-'], { input: deployment('nginx:3') });
    assert.equal(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.replicas}']), '5');
    await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: deployment('nginx:3', 2) });
    assert.equal(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.replicas}']), '2');
    const after = JSON.parse(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'json', '--show-managed-fields']));
    assert.equal((after.metadata.managedFields as any[]).find((e) => e.subresource === 'scale'), undefined);
  });

  it('conflicts with a field set by kubectl edit, and --force-conflicts takes it back', async () => {
    const manifest = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edited, namespace: ${NS}}\ndata: {color: ${v}, size: big}\n`;
    await ok(['apply', '--server-side', '-f', '-'], { input: manifest('blue') });
    const dir = mkdtempSync(join(tmpdir(), 'keelson-ssa-editor-'));
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nset -e\nsed -i 's/^  color: blue$/  color: green/' "$1"\n`);
    chmodSync(editor, 0o755);
    try {
      await ok(['edit', 'cm', 'edited', '-n', NS], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = await fails(['apply', '--server-side', '-f', '-'], { input: manifest('red') });
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: \.data\.color/);
    await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: manifest('red') });
    assert.equal(await ok(['get', 'cm', 'edited', '-n', NS, '-o', 'jsonpath={.data.color}']), 'red');
  });

  it('merges a custom resource list-type=map list between two managers, conflicts per item, and --force-conflicts', async () => {
    const gadget = (ports: string): string => `apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: kc, namespace: ${NS}}\nspec:\n  ports:\n${ports}`;
    await ok(['apply', '--server-side', '-f', '-'], { input: gadget('  - {name: http, port: 80}\n') });
    await ok(['apply', '--server-side', '--field-manager=sidecar', '-f', '-'], { input: gadget('  - {name: metrics, port: 9090}\n') });
    assert.equal(await ok(['get', 'gadget', 'kc', '-n', NS, '-o', 'jsonpath={.spec.ports[*].name}']), 'http metrics');
    const r = await fails(['apply', '--server-side', '--field-manager=sidecar', '-f', '-'], { input: gadget('  - {name: http, port: 8080}\n') });
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.ports\[name="http"\]\.port/);
    await ok(['apply', '--server-side', '--field-manager=sidecar', '--force-conflicts', '-f', '-'], { input: gadget('  - {name: http, port: 8080}\n  - {name: metrics, port: 9090}\n') });
    assert.equal(await ok(['get', 'gadget', 'kc', '-n', NS, '-o', 'jsonpath={.spec.ports[0].port}']), '8080');
    // kubectl's own entry lost .port of http but still owns the item.
    const obj = JSON.parse(await ok(['get', 'gadget', 'kc', '-n', NS, '-o', 'json', '--show-managed-fields']));
    const mine = (obj.metadata.managedFields as any[]).find((e) => e.manager === 'kubectl');
    assert.deepEqual(mine.fieldsV1, { 'f:spec': { 'f:ports': { 'k:{"name":"http"}': { '.': {}, 'f:name': {} } } } });
  });

  it('upgrades from client-side apply (kubectl migrates the managedFields) and then owns the fields', async () => {
    const manifest = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: csa, namespace: ${NS}}\ndata: {k: "${v}"}\n`;
    await ok(['apply', '-f', '-'], { input: manifest('1') });
    await ok(['apply', '--server-side', '-f', '-'], { input: manifest('1') });
    const obj = JSON.parse(await ok(['get', 'cm', 'csa', '-n', NS, '-o', 'json', '--show-managed-fields']));
    const managers = (obj.metadata.managedFields as any[]).map((e) => `${e.manager}:${e.operation}`);
    assert.ok(managers.includes('kubectl:Apply'), managers.join(' '));
    assert.ok(!managers.includes('kubectl-client-side-apply:Update'), managers.join(' '));
    await ok(['apply', '--server-side', '-f', '-'], { input: manifest('2') });
    assert.equal(await ok(['get', 'cm', 'csa', '-n', NS, '-o', 'jsonpath={.data.k}']), '2');
  });

  it('server-side dry run leaves the object alone', async () => {
    const out = await ok(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: deployment('nginx:dry', 2) });
    assert.equal(out.trim(), 'deployment.apps/web serverside-applied (server dry run)');
    assert.equal(await ok(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:3');
  });
});
