// kubectl 1.32 against the OpenAPI documents of src/openapi, served by a tiny stand-in HTTP
// server (discovery, /openapi/v2, /openapi/v3, and just enough object endpoints for create,
// apply, replace and edit). Proves: explain on a CRD (v3 and v2 renderers) and on built-ins;
// create/apply/replace/edit with server-side field validation detected from /openapi/v3; kind
// List validated client-side against /openapi/v2 without rejecting valid built-ins; client-side
// apply and edit computing strategic merge patches from kubectl's compiled-in types for
// built-ins, and JSON merge patches for custom resources.
// OPENAPI_KUBECTL_DEBUG=1 prints every kubectl invocation, its output and the requests it made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceInfo } from '../../src/resource-info.js';
import {
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  buildOpenApiV2,
  buildOpenApiV3Documents,
  encodeOpenApiV2Protobuf,
} from '../../src/openapi/index.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

function resource(r: Partial<ResourceInfo> & Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'kind'>): ResourceInfo {
  return {
    singular: r.kind.toLowerCase(),
    listKind: `${r.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    storageVersion: r.version,
    subresources: { status: false },
    generation: 'none',
    nameRule: 'subdomain',
    fieldSelectors: {},
    table: { columns: [], cells: () => [] },
    storagePrefix: `/registry/${r.resource}`,
    strategicMerge: !r.crd,
    ...r,
  } as ResourceInfo;
}

const WIDGET_SIZE_DESCRIPTION = 'Size is how many sprockets the widget carries; at least one.';
const RESOURCES: ResourceInfo[] = [
  resource({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  resource({
    group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', shortNames: ['deploy'],
    subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
  }),
  resource({
    group: 'example.com',
    version: 'v1',
    resource: 'widgets',
    kind: 'Widget',
    subresources: { status: true },
    crd: {
      name: 'widgets.example.com',
      uid: '5d4f1c1e-0000-4000-8000-000000000001',
      preserveUnknownFields: false,
      schema: {
        type: 'object',
        description: 'Widget is a test custom resource with a size and a color.',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
          spec: {
            type: 'object',
            description: 'WidgetSpec is the desired state of a Widget.',
            required: ['size'],
            properties: {
              size: { type: 'integer', format: 'int32', minimum: 1, description: WIDGET_SIZE_DESCRIPTION },
              color: { type: 'string', enum: ['red', 'green', 'blue'], description: 'Color of the widget.' },
              port: { 'x-kubernetes-int-or-string': true, description: 'Port number or name.' },
              note: { type: 'string', nullable: true, description: 'A free-text note.' },
              extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: 'Anything else.' },
            },
          },
          status: {
            type: 'object',
            description: 'WidgetStatus is the observed state of a Widget.',
            properties: { ready: { type: 'boolean', description: 'Whether the widget is ready.' } },
          },
        },
      } as any,
    },
  }),
];

interface Recorded {
  method: string;
  url: string;
  contentType?: string;
  accept?: string;
  body: string;
}

const requests: Recorded[] = [];
let server: Server;
let dir: string;
let kubeconfig: string;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Objects GET answers 200 for (apply updates them); everything else is 404. */
const existing = new Map<string, any>();

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function notFound(res: ServerResponse, message: string, details?: object): void {
  sendJson(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotFound', details, code: 404 });
}

const API_RESOURCE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://stub');
  const path = url.pathname;
  const { index, groupVersions } = buildOpenApiV3Documents(RESOURCES);

  if (path === '/version') {
    sendJson(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
  } else if (path === '/api') {
    sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
  } else if (path === '/apis') {
    const apps = { groupVersion: 'apps/v1', version: 'v1' };
    const example = { groupVersion: 'example.com/v1', version: 'v1' };
    sendJson(res, 200, {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: [
        { name: 'apps', versions: [apps], preferredVersion: apps },
        { name: 'example.com', versions: [example], preferredVersion: example },
      ],
    });
  } else if (path === '/apis/apps/v1') {
    sendJson(res, 200, {
      kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1',
      resources: [
        { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: API_RESOURCE_VERBS, shortNames: ['deploy'] },
        { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
        { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
      ],
    });
  } else if (path === '/api/v1') {
    sendJson(res, 200, {
      kind: 'APIResourceList', groupVersion: 'v1',
      resources: [{ name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: API_RESOURCE_VERBS, shortNames: ['cm'] }],
    });
  } else if (path === '/apis/example.com/v1') {
    sendJson(res, 200, {
      kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'example.com/v1',
      resources: [
        { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: API_RESOURCE_VERBS },
        { name: 'widgets/status', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get', 'patch', 'update'] },
      ],
    });
  } else if (path === '/openapi/v2') {
    const bytes = encodeOpenApiV2Protobuf(buildOpenApiV2(RESOURCES));
    res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE, 'Content-Length': bytes.length });
    res.end(Buffer.from(bytes));
  } else if (path === '/openapi/v3') {
    sendJson(res, 200, index);
  } else if (path.startsWith('/openapi/v3/')) {
    const doc = groupVersions.get(path.slice('/openapi/v3/'.length));
    if (!doc) return notFound(res, `no OpenAPI document for ${path}`);
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: `"${doc.hash}"` });
    res.end(doc.json);
  } else if (req.method === 'GET') {
    const obj = existing.get(path);
    if (obj) sendJson(res, 200, obj);
    else notFound(res, `${path} not found`, { name: path.split('/').pop() });
  } else if (req.method === 'POST') {
    const obj = JSON.parse(body);
    obj.metadata = { ...obj.metadata, uid: '0a0a0a0a-0000-4000-8000-000000000002', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' };
    sendJson(res, 201, obj);
  } else if (req.method === 'PUT') {
    if (!existing.get(path)) return notFound(res, `${path} not found`);
    const obj = JSON.parse(body);
    existing.set(path, obj);
    sendJson(res, 200, { ...obj, metadata: { ...obj.metadata, resourceVersion: '3' } });
  } else if (req.method === 'PATCH') {
    const obj = existing.get(path);
    if (!obj) return notFound(res, `${path} not found`);
    // Good enough for kubectl's output: it only prints "<kind>/<name> configured".
    sendJson(res, 200, { ...obj, metadata: { ...obj.metadata, resourceVersion: '2' } });
  } else {
    sendJson(res, 405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'MethodNotAllowed', code: 405 });
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keelson-openapi-kubectl-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], accept: req.headers.accept, body });
      try {
        handle(req, res, body);
      } catch (err) {
        sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: String(err), code: 500 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: stub\n  cluster:\n    server: http://127.0.0.1:${port}`,
    'users:',
    '- name: stub\n  user: {}',
    'contexts:',
    '- name: stub\n  context:\n    cluster: stub\n    user: stub\n    namespace: default',
    'current-context: stub',
    '',
  ].join('\n'));
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl asynchronously (the stub server lives in this process), with a fresh cache dir per call. */
function kubectl(...args: string[]): Promise<KubectlResult> {
  return kubectlWithEnv({}, ...args);
}

function kubectlWithEnv(env: Record<string, string>, ...args: string[]): Promise<KubectlResult> {
  const cacheDir = mkdtempSync(join(dir, 'cache-'));
  const mark = requests.length;
  return new Promise((resolve) => {
    const options = { timeout: 60_000, env: { ...process.env, ...env } };
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], options, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      if (process.env.OPENAPI_KUBECTL_DEBUG) {
        const seen = requests.slice(mark).map((q) => `  ${q.method} ${q.url.replace(/hash=[0-9A-F]+/, 'hash=…')}`).join('\n');
        process.stderr.write(`$ kubectl ${args.join(' ')}\n${stdout}${stderr}\nrequests:\n${seen}\n\n`);
      }
      resolve({ code, stdout, stderr });
    });
  });
}

function writeManifest(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function requestsSince(mark: number): Recorded[] {
  return requests.slice(mark);
}

test('kubectl explain widgets.spec.size prints the CRD field and its description', async () => {
  const r = await kubectl('explain', 'widgets.spec.size');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GROUP:\s+example\.com/);
  assert.match(r.stdout, /KIND:\s+Widget/);
  assert.match(r.stdout, /FIELD: size <integer>/);
  assert.match(r.stdout.replace(/\s+/g, ' '), new RegExp(WIDGET_SIZE_DESCRIPTION.replace(/[.;]/g, '.')));
});

test('kubectl explain widgets --recursive lists every field of the CRD schema', async () => {
  const r = await kubectl('explain', 'widgets', '--recursive');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Widget is a test custom resource/);
  for (const field of ['apiVersion\t<string>', 'kind\t<string>', 'metadata\t<ObjectMeta>', 'spec\t<Object>', 'size\t<integer> -required-', 'color\t<string>', 'status\t<Object>', 'ready\t<boolean>', 'labels\t<map[string]string>']) {
    assert.ok(r.stdout.includes(field), `missing ${JSON.stringify(field)} in:\n${r.stdout}`);
  }
});

test('kubectl explain widgets.spec.size --output plaintext-openapiv2 reads the v2 document', async () => {
  const r = await kubectl('explain', 'widgets.spec.size', '--output', 'plaintext-openapiv2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /FIELD:\s+size <integer>/);
  assert.match(r.stdout.replace(/\s+/g, ' '), /Size is how many sprockets/);
});

test('kubectl explain on a built-in prints its kind, description and the fields we know', async () => {
  const r = await kubectl('explain', 'configmaps');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /KIND:\s+ConfigMap/);
  assert.match(r.stdout, /VERSION:\s+v1/);
  assert.match(r.stdout, /metadata\s+<ObjectMeta>/);
  const meta = await kubectl('explain', 'configmaps.metadata.labels');
  assert.equal(meta.code, 0, meta.stderr);
  assert.match(meta.stdout, /FIELD: labels <map\[string\]string>/);
  const spec = await kubectl('explain', 'deployments.spec');
  assert.equal(spec.code, 0, spec.stderr);
  assert.match(spec.stdout, /FIELD: spec <Object>/);
  const recursive = await kubectl('explain', 'deployments', '--recursive');
  assert.equal(recursive.code, 0, recursive.stderr);
  assert.match(recursive.stdout, /status\t<Object>/);
  // Deeper than we describe: a clear error, as kubectl gives for any unknown field.
  const deeper = await kubectl('explain', 'deployments.spec.replicas');
  assert.notEqual(deeper.code, 0);
  assert.match(deeper.stderr, /error: field "replicas" does not exist/);
});

test('kubectl create -f configmap.yaml: strict server-side validation, no client-side rejection', async () => {
  const file = writeManifest('configmap.yaml', [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: settings',
    'data:',
    '  a: "1"',
    '',
  ].join('\n'));
  const mark = requests.length;
  const r = await kubectl('create', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/settings created/);
  const seen = requestsSince(mark);
  const post = seen.find((q) => q.method === 'POST');
  assert.ok(post, 'no POST');
  assert.equal(new URL(post.url, 'http://x').pathname, '/api/v1/namespaces/default/configmaps');
  assert.equal(new URL(post.url, 'http://x').searchParams.get('fieldValidation'), 'Strict');
  // The PATCH operation of v1 ConfigMap in /openapi/v3/api/v1 declares fieldValidation, so
  // kubectl trusts the server to validate and never even loads the v2 document.
  assert.ok(!seen.some((q) => q.url.startsWith('/openapi/v2')), 'kubectl fell back to /openapi/v2 (client-side validation)');
  assert.ok(seen.some((q) => q.url.startsWith('/openapi/v3/api/v1?hash=')), 'kubectl did not read the v1 document (fieldValidation check)');
});

test('kubectl create -f widget.yaml: a custom resource with a field the schema does not know goes to the server', async () => {
  const file = writeManifest('widget.yaml', [
    'apiVersion: example.com/v1',
    'kind: Widget',
    'metadata:',
    '  name: w1',
    'spec:',
    '  size: 3',
    '  color: red',
    '  unknownField: accepted-by-client-because-the-server-validates',
    '',
  ].join('\n'));
  const mark = requests.length;
  const r = await kubectl('create', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /widget\.example\.com\/w1 created/);
  const post = requestsSince(mark).find((q) => q.method === 'POST');
  assert.ok(post);
  assert.equal(new URL(post.url, 'http://x').pathname, '/apis/example.com/v1/namespaces/default/widgets');
  assert.equal(new URL(post.url, 'http://x').searchParams.get('fieldValidation'), 'Strict');
  assert.ok(requestsSince(mark).some((q) => q.url.startsWith('/openapi/v3/apis/example.com/v1?hash=')));
});

test('kubectl apply on an existing ConfigMap sends a strategic merge patch computed from compiled-in types', async () => {
  const original = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'existing', namespace: 'default' }, data: { a: '1' } };
  existing.set('/api/v1/namespaces/default/configmaps/existing', {
    ...original,
    metadata: {
      ...original.metadata,
      uid: '0a0a0a0a-0000-4000-8000-000000000003',
      resourceVersion: '1',
      annotations: { [LAST_APPLIED]: JSON.stringify(original) + '\n' },
    },
  });
  const file = writeManifest('existing.yaml', [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: existing',
    'data:',
    '  a: "1"',
    '  b: "2"',
    '',
  ].join('\n'));
  const mark = requests.length;
  // -v=5 makes the patcher log which source of patch metadata it rejected.
  const r = await kubectl('apply', '-f', file, '-v=5');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/existing configured/);
  assert.doesNotMatch(r.stderr, /error calculating patch/);
  assert.match(r.stderr, /OpenAPI V3 path does not support strategic merge patch/);
  const patch = requestsSince(mark).find((q) => q.method === 'PATCH');
  assert.ok(patch, 'no PATCH');
  assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
  const params = new URL(patch.url, 'http://x').searchParams;
  assert.equal(params.get('fieldManager'), 'kubectl-client-side-apply');
  assert.equal(params.get('fieldValidation'), 'Strict');
  const body = JSON.parse(patch.body);
  assert.deepEqual(body.data, { b: '2' });
  assert.ok(body.metadata.annotations[LAST_APPLIED]);
});

test('kubectl apply on an existing custom resource sends a JSON merge patch', async () => {
  const original = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2', namespace: 'default' }, spec: { size: 1 } };
  existing.set('/apis/example.com/v1/namespaces/default/widgets/w2', {
    ...original,
    metadata: {
      ...original.metadata,
      uid: '0a0a0a0a-0000-4000-8000-000000000004',
      resourceVersion: '1',
      annotations: { [LAST_APPLIED]: JSON.stringify(original) + '\n' },
    },
  });
  const file = writeManifest('w2.yaml', ['apiVersion: example.com/v1', 'kind: Widget', 'metadata:', '  name: w2', 'spec:', '  size: 5', ''].join('\n'));
  const mark = requests.length;
  const r = await kubectl('apply', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /widget\.example\.com\/w2 configured/);
  const patch = requestsSince(mark).find((q) => q.method === 'PATCH');
  assert.ok(patch);
  assert.equal(patch.contentType, 'application/merge-patch+json');
  assert.deepEqual(JSON.parse(patch.body).spec, { size: 5 });
});

test('kubectl apply creates a ConfigMap that does not exist yet', async () => {
  const file = writeManifest('fresh.yaml', ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: fresh', 'data:', '  x: "y"', ''].join('\n'));
  const mark = requests.length;
  const r = await kubectl('apply', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/fresh created/);
  const post = requestsSince(mark).find((q) => q.method === 'POST');
  assert.ok(post);
  const params = new URL(post.url, 'http://x').searchParams;
  assert.equal(params.get('fieldManager'), 'kubectl-client-side-apply');
  assert.equal(params.get('fieldValidation'), 'Strict');
});

test('kubectl create -f list.yaml: kind List is validated client-side against /openapi/v2', async () => {
  // kubectl never asks the server to validate a v1 List (query_param_verifier_v3.go), so the
  // List and its items are checked against the v2 definitions: the minimal built-in ConfigMap
  // must accept every real field, and the CRD's schema applies as kube publishes it.
  const valid = writeManifest('list.yaml', [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '- apiVersion: v1',
    '  kind: ConfigMap',
    '  metadata: {name: listed, labels: {app: demo}}',
    '  data: {a: "1"}',
    '  binaryData: {b: aGk=}',
    '  immutable: true',
    '- apiVersion: example.com/v1',
    '  kind: Widget',
    '  metadata: {name: listed}',
    '  spec: {size: 2, color: green, port: http, note: null, extra: {anything: [1, 2]}}',
    '',
  ].join('\n'));
  const mark = requests.length;
  const r = await kubectl('create', '-f', valid);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/listed created/);
  assert.match(r.stdout, /widget\.example\.com\/listed created/);
  assert.ok(requestsSince(mark).some((q) => q.url.startsWith('/openapi/v2')), 'client-side validation did not load /openapi/v2');

  const invalid = writeManifest('bad-list.yaml', [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '- apiVersion: example.com/v1',
    '  kind: Widget',
    '  metadata: {name: bad}',
    '  spec: {size: three}',
    '',
  ].join('\n'));
  const bad = await kubectl('create', '-f', invalid);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /error validating/);
  assert.match(bad.stderr, /spec\.size/);
});

test('kubectl replace -f on a ConfigMap: PUT with strict server-side validation', async () => {
  const original = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'replaced', namespace: 'default', resourceVersion: '1' }, data: { a: '1' } };
  existing.set('/api/v1/namespaces/default/configmaps/replaced', original);
  const file = writeManifest('replaced.yaml', ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: replaced', 'data:', '  a: "2"', ''].join('\n'));
  const mark = requests.length;
  const r = await kubectl('replace', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/replaced replaced/);
  const put = requestsSince(mark).find((q) => q.method === 'PUT');
  assert.ok(put, 'no PUT');
  const params = new URL(put.url, 'http://x').searchParams;
  assert.equal(params.get('fieldManager'), 'kubectl-replace');
  assert.equal(params.get('fieldValidation'), 'Strict');
});

test('kubectl edit on a ConfigMap: strategic merge patch from compiled-in types, strict validation', async () => {
  existing.set('/api/v1/namespaces/default/configmaps/edited', {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'edited', namespace: 'default', uid: '0a0a0a0a-0000-4000-8000-000000000005', resourceVersion: '1' },
    data: { a: 'before' },
  });
  const editor = join(dir, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i -e "s/before/after/" "$1"\n');
  chmodSync(editor, 0o755);
  const mark = requests.length;
  const r = await kubectlWithEnv({ KUBE_EDITOR: editor, EDITOR: editor }, 'edit', 'configmap', 'edited');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configmap\/edited edited/);
  const patch = requestsSince(mark).find((q) => q.method === 'PATCH');
  assert.ok(patch, 'no PATCH');
  assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
  const params = new URL(patch.url, 'http://x').searchParams;
  assert.equal(params.get('fieldManager'), 'kubectl-edit');
  assert.equal(params.get('fieldValidation'), 'Strict');
  assert.deepEqual(JSON.parse(patch.body), { data: { a: 'after' } });
});

test('kubectl apply on an existing Deployment merges containers by name (compiled-in patch metadata)', async () => {
  // With our minimal Deployment schema as the source of patch metadata, containers would be
  // one opaque list; kubectl's compiled-in types know the merge key "name".
  const container = (name: string, image: string) => ({ name, image });
  const original = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container('a', 'img-a:1')] } },
    },
  };
  existing.set('/apis/apps/v1/namespaces/default/deployments/web', {
    ...original,
    metadata: {
      ...original.metadata, uid: '0a0a0a0a-0000-4000-8000-000000000006', resourceVersion: '1', generation: 1,
      annotations: { [LAST_APPLIED]: JSON.stringify(original) + '\n' },
    },
  });
  const file = writeManifest('web.yaml', [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '      - {name: a, image: "img-a:1"}',
    '      - {name: b, image: "img-b:1"}',
    '',
  ].join('\n'));
  const mark = requests.length;
  const r = await kubectl('apply', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /deployment\.apps\/web configured/);
  assert.doesNotMatch(r.stderr, /warning/);
  const patch = requestsSince(mark).find((q) => q.method === 'PATCH');
  assert.ok(patch, 'no PATCH');
  assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
  const podSpec = JSON.parse(patch.body).spec.template.spec;
  assert.deepEqual(podSpec['$setElementOrder/containers'], [{ name: 'a' }, { name: 'b' }]);
  assert.deepEqual(podSpec.containers, [{ image: 'img-b:1', name: 'b' }]);
});
