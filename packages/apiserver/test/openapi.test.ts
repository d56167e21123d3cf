import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../src/resource-info.js';
import {
  buildOpenApiV2,
  buildOpenApiV3Documents,
  buildOpenApiV3GroupVersion,
  buildOpenApiV3Index,
  decodeOpenApiV2Protobuf,
  encodeOpenApiV2Protobuf,
  openApiV3Hash,
  publishCrdSchema,
} from '../src/openapi/index.js';

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

const WIDGET_SCHEMA = {
  type: 'object',
  description: 'A widget.',
  properties: {
    apiVersion: { type: 'string', description: 'overridden' },
    metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } },
    spec: {
      type: 'object',
      required: ['size', 'note'],
      properties: {
        size: { type: 'integer', minimum: 1, default: 1, description: 'How big.' },
        note: { type: 'string', nullable: true },
        port: { 'x-kubernetes-int-or-string': true },
        mode: { type: 'string', enum: ['on', 'off', 'no'] },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
        anyList: { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
        choice: { type: 'object', oneOf: [{ required: ['a'] }, { required: ['b'] }], properties: { a: { type: 'string' }, b: { type: 'string' } } },
        default: { type: 'string', description: 'A field that is called default.' },
      },
    },
  },
};

const configmaps = resource({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' });
const namespaces = resource({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, subresources: { status: true } });
const deployments = resource({
  group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment',
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
});
const tokenreviews = resource({ group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'] });
const widgets = resource({
  group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget',
  subresources: { status: true, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' } },
  crd: { name: 'widgets.example.com', uid: 'u1', preserveUnknownFields: false, schema: WIDGET_SCHEMA as any },
  fieldSelectors: { 'spec.mode': () => undefined },
});
const ALL = [configmaps, namespaces, deployments, tokenreviews, widgets];

type Doc = { [k: string]: any };

/** Every operation of a document with its path and method. */
function operations(doc: Doc): Array<{ path: string; method: string; op: Doc }> {
  const out: Array<{ path: string; method: string; op: Doc }> = [];
  for (const [path, item] of Object.entries<Doc>(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) if (item[method]) out.push({ path, method, op: item[method] });
  }
  return out;
}

function sameGvk(a: Doc, b: { group: string; version: string; kind: string }): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind;
}

/** What cli-runtime's supportsQueryParamV3 / supportsQueryParam decide for a GVK. */
function patchSupportsParam(doc: Doc, gvk: { group: string; version: string; kind: string }, param: string): boolean {
  for (const { method, op } of operations(doc)) {
    if (method !== 'patch' || !sameGvk(op['x-kubernetes-group-version-kind'], gvk)) continue;
    return (op.parameters ?? []).some((p: Doc) => p.name === param);
  }
  return false;
}

function allRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allRefs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}

/**
 * The rules kube-openapi's v2 model parser (pkg/util/proto, used by kubectl for validation and
 * explain) enforces; a violation makes kubectl create/apply fail before any request.
 */
function assertKubectlV2Parsable(schema: Doc, where: string, definitions: Doc): void {
  if (schema.$ref !== undefined) {
    assert.equal(schema.type, undefined, `${where}: a reference cannot have a type`);
    assert.equal(schema.properties, undefined, `${where}: a reference cannot have properties`);
    const name = String(schema.$ref).replace('#/definitions/', '');
    assert.ok(definitions[name], `${where}: dangling reference ${schema.$ref}`);
    return;
  }
  assert.ok(!Array.isArray(schema.type), `${where}: one type only`);
  for (const k of ['nullable', 'oneOf', 'anyOf', 'not']) assert.equal(schema[k], undefined, `${where}: ${k} is not Swagger 2.0`);
  if (schema.type === 'array') {
    assert.ok(schema.items && !Array.isArray(schema.items), `${where}: array needs exactly one item schema`);
  }
  if (schema.type !== undefined && !['object', 'array'].includes(schema.type)) {
    assert.ok(['string', 'number', 'integer', 'boolean'].includes(schema.type), `${where}: unknown primitive type ${schema.type}`);
  }
  for (const [k, v] of Object.entries<Doc>(schema.properties ?? {})) assertKubectlV2Parsable(v, `${where}.${k}`, definitions);
  if (schema.items) assertKubectlV2Parsable(schema.items, `${where}[]`, definitions);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    assertKubectlV2Parsable(schema.additionalProperties, `${where}{}`, definitions);
  }
}

test('v2 protobuf: a full document survives encode → decode unchanged', () => {
  const doc = buildOpenApiV2(ALL);
  const bytes = encodeOpenApiV2Protobuf(doc);
  assert.ok(bytes.length > 1000);
  assert.deepEqual(decodeOpenApiV2Protobuf(bytes), doc);
});

test('v2 protobuf: oneof messages, references, extensions and YAML 1.1-sensitive values round trip', () => {
  const doc = {
    swagger: '2.0',
    info: { title: 't', version: 'v', 'x-info': { a: [1, 2] } },
    paths: {
      '/x/{name}': {
        parameters: [{ $ref: '#/parameters/name' }],
        post: {
          consumes: ['multipart/form-data'],
          parameters: [
            { name: 'file', in: 'formData', type: 'file', required: true },
            { name: 'h', in: 'header', type: 'string', enum: ['on', 'no'] },
            { name: 'limit', in: 'query', type: 'integer', maximum: 0, minimum: -3, default: 5 },
            { name: 'body', in: 'body', schema: { type: 'array', items: { type: 'number' } } },
          ],
          responses: { '200': { $ref: '#/responses/ok' }, default: { description: 'other', schema: { type: 'file' } } },
          'x-kubernetes-action': 'post',
        },
      },
      'x-paths-extension': true,
    },
    parameters: { name: { name: 'name', in: 'path', required: true, type: 'string' } },
    responses: { ok: { description: 'OK', headers: { 'X-Rate': { type: 'integer', format: 'int64' } } } },
    definitions: {
      Thing: {
        type: 'object',
        required: ['mode'],
        additionalProperties: false,
        properties: {
          mode: { type: 'string', enum: ['yes', 'off', '', 'plain'], default: 'on' },
          count: { type: 'integer', format: 'int64', maxLength: 12, minimum: 0 },
          any: {},
          map: { type: 'object', additionalProperties: { $ref: '#/definitions/Other' } },
          multi: { items: [{ type: 'string' }, { type: 'integer' }] },
          both: { type: ['string', 'null'] },
        },
        'x-kubernetes-group-version-kind': [{ group: '', kind: 'Thing', version: 'v1' }],
      },
      Other: { allOf: [{ $ref: '#/definitions/Thing' }], example: { a: 'on' } },
    },
    securityDefinitions: {
      basic: { type: 'basic' },
      key: { type: 'apiKey', name: 'authorization', in: 'header' },
      oauth: { type: 'oauth2', flow: 'accessCode', authorizationUrl: 'https://a', tokenUrl: 'https://t', scopes: { read: 'Read' } },
    },
    security: [{ key: [] }, { oauth: ['read'] }],
    tags: [{ name: 'core_v1', externalDocs: { url: 'https://x' } }],
  };
  assert.deepEqual(decodeOpenApiV2Protobuf(encodeOpenApiV2Protobuf(doc)), doc);
});

test('v2 protobuf: keys Swagger 2.0 cannot carry are rejected with their path', () => {
  assert.throws(
    () => encodeOpenApiV2Protobuf({ swagger: '2.0', definitions: { A: { type: 'string', nullable: true } } }),
    /"nullable" is not a field of Schema at \/definitions\/A\/nullable/,
  );
});

test('v2 protobuf: vendor extensions are NamedAny with a YAML string', async () => {
  const protobuf = (await import('protobufjs')).default;
  // Decode with a hand-written reader of just Document.definitions → NamedSchema → Schema.vendor_extension (31).
  const bytes = encodeOpenApiV2Protobuf({
    swagger: '2.0',
    definitions: { A: { type: 'object', 'x-kubernetes-group-version-kind': [{ group: '', kind: 'A', version: 'v1' }] } },
  });
  const fields = (buf: Uint8Array): Map<number, Uint8Array[]> => {
    const reader = protobuf.Reader.create(buf);
    const out = new Map<number, Uint8Array[]>();
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if ((tag & 7) !== 2) { reader.skipType(tag & 7); continue; }
      const list = out.get(tag >>> 3) ?? [];
      list.push(reader.bytes());
      out.set(tag >>> 3, list);
    }
    return out;
  };
  const definitions = fields(bytes).get(9)![0];
  const namedSchema = fields(definitions).get(1)![0];
  const schema = fields(namedSchema).get(2)![0];
  const namedAny = fields(schema).get(31)![0];
  const name = new TextDecoder().decode(fields(namedAny).get(1)![0]);
  const yaml = new TextDecoder().decode(fields(fields(namedAny).get(2)![0]).get(2)![0]);
  assert.equal(name, 'x-kubernetes-group-version-kind');
  assert.match(yaml, /kind: A/);
  assert.match(yaml, /group: ""/);
});

test('v3 index: keys per group-version, URL carries the upper-case SHA-512 of the served bytes', () => {
  const { index, groupVersions } = buildOpenApiV3Documents(ALL);
  assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/apps/v1', 'apis/authentication.k8s.io/v1', 'apis/example.com/v1']);
  for (const [key, entry] of Object.entries(index.paths)) {
    const doc = groupVersions.get(key)!;
    const expected = createHash('sha512').update(doc.json).digest('hex').toUpperCase();
    assert.match(expected, /^[0-9A-F]{128}$/);
    assert.equal(doc.hash, expected);
    assert.equal(entry.serverRelativeURL, `/openapi/v3/${key}?hash=${expected}`);
    assert.equal(doc.json, JSON.stringify(buildOpenApiV3GroupVersion(doc.group, doc.version, ALL)));
  }
});

test('v3 index: hashes are stable across builds and resource order, and change with the schema', () => {
  const a = buildOpenApiV3Index(ALL);
  const b = buildOpenApiV3Index([...ALL].reverse());
  assert.deepEqual(a, b);
  const changed = resource({
    ...widgets,
    crd: { ...widgets.crd!, schema: { ...WIDGET_SCHEMA, description: 'A different widget.' } as any },
  });
  const c = buildOpenApiV3Index([configmaps, namespaces, deployments, tokenreviews, changed]);
  assert.equal(c.paths['api/v1'].serverRelativeURL, a.paths['api/v1'].serverRelativeURL);
  assert.notEqual(c.paths['apis/example.com/v1'].serverRelativeURL, a.paths['apis/example.com/v1'].serverRelativeURL);
  assert.equal(openApiV3Hash('abc'), createHash('sha512').update('abc').digest('hex').toUpperCase());
});

test('CRD schema, v3: published as apiextensions does', () => {
  const s = publishCrdSchema(WIDGET_SCHEMA, { group: 'example.com', version: 'v1', kind: 'Widget' }, 'v3');
  assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'example.com', kind: 'Widget', version: 'v1' }]);
  assert.deepEqual(s.properties.metadata, {
    $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    description: s.properties.metadata.description,
  });
  assert.match(s.properties.metadata.description, /Standard object's metadata/);
  assert.equal(s.properties.apiVersion.type, 'string');
  assert.notEqual(s.properties.apiVersion.description, 'overridden');
  assert.equal(s.properties.kind.type, 'string');
  const spec = s.properties.spec;
  assert.equal(spec.properties.size.default, 1);
  assert.equal(spec.properties.note.nullable, true);
  assert.deepEqual(spec.required, ['size', 'note']);
  assert.deepEqual(spec.properties.port, { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
  assert.deepEqual(spec.properties.choice.oneOf, [{ required: ['a'] }, { required: ['b'] }]);
  assert.deepEqual(spec.properties.extra.properties, { known: { type: 'string' } });
  const template = spec.properties.template;
  assert.deepEqual(Object.keys(template.properties).sort(), ['apiVersion', 'kind', 'metadata', 'spec']);
  assert.deepEqual(template.required, ['kind', 'apiVersion']);
  assert.equal(spec.properties.default.description, 'A field that is called default.');
});

test('CRD schema, v2: what ToStructuralOpenAPIV2 strips is gone', () => {
  const s = publishCrdSchema(WIDGET_SCHEMA, { group: 'example.com', version: 'v1', kind: 'Widget' }, 'v2');
  assert.equal(s.properties.metadata.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const spec = s.properties.spec;
  assert.equal(spec.properties.size.default, undefined, 'defaults are pruned');
  assert.deepEqual(spec.properties.note, {}, 'nullable: untyped');
  assert.deepEqual(spec.required, ['size'], 'nullable properties are not required');
  assert.deepEqual(spec.properties.port, { 'x-kubernetes-int-or-string': true });
  assert.equal(spec.properties.choice.oneOf, undefined);
  assert.deepEqual(spec.properties.extra, { 'x-kubernetes-preserve-unknown-fields': true });
  assert.deepEqual(spec.properties.anyList, { 'x-kubernetes-preserve-unknown-fields': true });
  assert.ok(spec.properties.template.properties.metadata, 'embedded resource completed');
  assert.equal(spec.properties.default.type, 'string', 'a property named default is kept');

  // Preserving unknown fields at the root, or without a schema: an open object.
  const open = { group: 'example.com', version: 'v1', kind: 'Open' };
  const gvk = [{ group: 'example.com', kind: 'Open', version: 'v1' }];
  assert.deepEqual(publishCrdSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, open, 'v2'), { type: 'object', 'x-kubernetes-group-version-kind': gvk });
  assert.deepEqual(publishCrdSchema({ type: 'object', properties: { a: { type: 'string' } } }, open, 'v2', true), { type: 'object', 'x-kubernetes-group-version-kind': gvk });
  assert.deepEqual(publishCrdSchema(undefined, open, 'v3'), { type: 'object', 'x-kubernetes-group-version-kind': gvk });
});

test('v2 document: every definition parses the way kubectl parses it; every $ref resolves', () => {
  const doc = buildOpenApiV2(ALL) as Doc;
  for (const [name, def] of Object.entries<Doc>(doc.definitions)) assertKubectlV2Parsable(def, name, doc.definitions);
  for (const ref of allRefs(doc.paths)) assert.ok(doc.definitions[ref.replace('#/definitions/', '')], `dangling ${ref}`);
  // Built-ins are open objects in v2, so client-side validation accepts every real field.
  assert.deepEqual(Object.keys(doc.definitions['io.k8s.api.core.v1.ConfigMap']).sort(), ['description', 'type', 'x-kubernetes-group-version-kind']);
});

test('v3 documents: every $ref resolves within its group-version document', () => {
  const { groupVersions } = buildOpenApiV3Documents(ALL);
  for (const { json } of groupVersions.values()) {
    const doc = JSON.parse(json);
    for (const ref of allRefs(doc)) {
      assert.ok(doc.components.schemas[ref.replace('#/components/schemas/', '')], `dangling ${ref}`);
    }
  }
});

test('every GVK declares fieldValidation on its PATCH operations (server-side validation), in v3 and v2', () => {
  const v2 = buildOpenApiV2(ALL) as Doc;
  for (const r of ALL) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const v3 = buildOpenApiV3GroupVersion(r.group, r.version, ALL) as Doc;
    if (!r.verbs.includes('patch')) {
      assert.equal(patchSupportsParam(v3, gvk, 'fieldValidation'), false);
      continue;
    }
    for (const doc of [v3, v2]) {
      for (const { method, op } of operations(doc)) {
        if (method !== 'patch' || !sameGvk(op['x-kubernetes-group-version-kind'], gvk)) continue;
        const names = op.parameters.map((p: Doc) => p.name);
        for (const p of ['dryRun', 'fieldManager', 'fieldValidation', 'force']) assert.ok(names.includes(p), `${r.kind} PATCH lacks ${p}`);
      }
      assert.ok(patchSupportsParam(doc, gvk, 'fieldValidation'));
    }
  }
});

test('no PATCH operation of a kind offers strategic merge patch (kubectl uses compiled-in types or merge patch)', () => {
  const v2 = buildOpenApiV2(ALL) as Doc;
  for (const r of ALL) {
    const v3 = buildOpenApiV3GroupVersion(r.group, r.version, ALL) as Doc;
    for (const { method, op } of operations(v3)) {
      if (method !== 'patch') continue;
      const types = Object.keys(op.requestBody.content);
      const isScale = op['x-kubernetes-group-version-kind'].kind === 'Scale';
      const expected = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
      if (isScale && !r.crd) expected.splice(2, 0, 'application/strategic-merge-patch+json');
      assert.deepEqual(types, expected, op.operationId);
    }
  }
  const cmPatch = v2.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch;
  assert.ok(!cmPatch.consumes.includes('application/strategic-merge-patch+json'));
});

test('paths, actions and names follow kube-apiserver', () => {
  const core = buildOpenApiV3GroupVersion('', 'v1', ALL) as Doc;
  const ops = Object.fromEntries(operations(core).map(({ path, method, op }) => [`${method} ${path}`, op]));
  const expect = (key: string, action: string, operationId: string) => {
    assert.ok(ops[key], `missing ${key}`);
    assert.equal(ops[key]['x-kubernetes-action'], action, key);
    assert.equal(ops[key].operationId, operationId, key);
  };
  expect('get /api/v1/namespaces/{namespace}/configmaps', 'list', 'listCoreV1NamespacedConfigMap');
  expect('post /api/v1/namespaces/{namespace}/configmaps', 'post', 'createCoreV1NamespacedConfigMap');
  expect('delete /api/v1/namespaces/{namespace}/configmaps', 'deletecollection', 'deleteCoreV1CollectionNamespacedConfigMap');
  expect('get /api/v1/configmaps', 'list', 'listCoreV1ConfigMapForAllNamespaces');
  expect('get /api/v1/namespaces/{namespace}/configmaps/{name}', 'get', 'readCoreV1NamespacedConfigMap');
  expect('put /api/v1/namespaces/{namespace}/configmaps/{name}', 'put', 'replaceCoreV1NamespacedConfigMap');
  expect('patch /api/v1/namespaces/{namespace}/configmaps/{name}', 'patch', 'patchCoreV1NamespacedConfigMap');
  expect('delete /api/v1/namespaces/{namespace}/configmaps/{name}', 'delete', 'deleteCoreV1NamespacedConfigMap');
  expect('get /api/v1/watch/namespaces/{namespace}/configmaps', 'watchlist', 'watchCoreV1NamespacedConfigMapList');
  expect('get /api/v1/watch/namespaces/{namespace}/configmaps/{name}', 'watch', 'watchCoreV1NamespacedConfigMap');
  expect('get /api/v1/watch/configmaps', 'watchlist', 'watchCoreV1ConfigMapListForAllNamespaces');
  expect('get /api/v1/namespaces', 'list', 'listCoreV1Namespace');
  expect('patch /api/v1/namespaces/{name}/status', 'patch', 'patchCoreV1NamespaceStatus');
  assert.deepEqual(ops['get /api/v1/namespaces/{namespace}/configmaps']['x-kubernetes-group-version-kind'], { group: '', kind: 'ConfigMap', version: 'v1' });
  assert.deepEqual(
    core.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].parameters.map((p: Doc) => p.name),
    ['name', 'namespace', 'pretty'],
  );
  assert.deepEqual(core.components.schemas['io.k8s.api.core.v1.ConfigMapList']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'ConfigMapList', version: 'v1' }]);

  const apps = buildOpenApiV3GroupVersion('apps', 'v1', ALL) as Doc;
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.equal(scale.patch.operationId, 'patchAppsV1NamespacedDeploymentScale');
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  assert.ok(apps.components.schemas['io.k8s.api.apps.v1.Deployment']);

  const auth = buildOpenApiV3GroupVersion('authentication.k8s.io', 'v1', ALL) as Doc;
  assert.deepEqual(Object.keys(auth.paths), ['/apis/authentication.k8s.io/v1/tokenreviews']);
  assert.equal(auth.paths['/apis/authentication.k8s.io/v1/tokenreviews'].post.operationId, 'createAuthenticationV1TokenReview');
  assert.ok(auth.components.schemas['io.k8s.api.authentication.v1.TokenReview']);

  const crd = buildOpenApiV3GroupVersion('example.com', 'v1', ALL) as Doc;
  assert.equal(crd.info.title, 'Kubernetes CRD Swagger');
  assert.ok(crd.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status']);
  assert.ok(!Object.keys(crd.paths).some((p) => p.includes('/watch/')), 'CRDs have no deprecated watch paths');
  assert.equal(crd.paths['/apis/example.com/v1/widgets'].get.operationId, 'listExampleComV1WidgetForAllNamespaces');
  assert.deepEqual(crd.paths['/apis/example.com/v1/widgets'].get.tags, ['exampleCom_v1']);
  assert.deepEqual(Object.keys(crd.components.schemas).filter((n) => n.startsWith('com.')), ['com.example.v1.Widget', 'com.example.v1.WidgetList']);
  assert.deepEqual(crd.components.schemas['com.example.v1.Widget']['x-kubernetes-selectable-fields'], [{ fieldPath: 'spec.mode' }]);
});

test('built-in kinds: minimal schema in v3, from ResourceInfo.openapiSchema when given', () => {
  const core = buildOpenApiV3GroupVersion('', 'v1', [configmaps]) as Doc;
  const cm = core.components.schemas['io.k8s.api.core.v1.ConfigMap'];
  assert.deepEqual(cm['x-kubernetes-group-version-kind'], [{ group: '', kind: 'ConfigMap', version: 'v1' }]);
  assert.equal(cm['x-kubernetes-preserve-unknown-fields'], true);
  assert.deepEqual(Object.keys(cm.properties).sort(), ['apiVersion', 'kind', 'metadata']);
  const ns = (buildOpenApiV3GroupVersion('', 'v1', [namespaces]) as Doc).components.schemas['io.k8s.api.core.v1.Namespace'];
  assert.deepEqual(Object.keys(ns.properties).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status'], 'kinds with a status subresource have spec and status');
  assert.equal(ns.properties.spec['x-kubernetes-preserve-unknown-fields'], true);

  const described = resource({
    ...configmaps,
    openapiSchema: {
      description: 'ConfigMap holds configuration data for pods to consume.',
      type: 'object',
      properties: { data: { type: 'object', additionalProperties: { type: 'string' }, description: 'Data contains the configuration data.' } },
    } as any,
  });
  const doc = buildOpenApiV3GroupVersion('', 'v1', [described]) as Doc;
  const schema = doc.components.schemas['io.k8s.api.core.v1.ConfigMap'];
  assert.equal(schema.description, 'ConfigMap holds configuration data for pods to consume.');
  assert.deepEqual(Object.keys(schema.properties).sort(), ['apiVersion', 'data', 'kind', 'metadata']);
  const v2 = buildOpenApiV2([described]) as Doc;
  assert.deepEqual(v2.definitions['io.k8s.api.core.v1.ConfigMap'], {
    description: 'ConfigMap holds configuration data for pods to consume.',
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
  });
});
