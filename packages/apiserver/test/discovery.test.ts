import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../src/builtins/catalog.js';
import { resourcesFromCrd } from '../src/crd/resources-from-crd.js';
import {
  AGGREGATED_DISCOVERY_V2_CONTENT_TYPE,
  acceptsAggregatedDiscovery,
  aggregatedDiscoveryContentType,
  aggregatedDiscoveryDocument,
  apiGroupDocument,
  apiGroupListDocument,
  apiResourceListDocument,
  apiVersionsDocument,
  compareKubeAwareVersions,
} from '../src/discovery/index.js';

const builtins = builtinResources();

function crd(group: string, versions: string[], extra: Record<string, unknown> = {}) {
  return {
    metadata: { name: `widgets.${group}`, uid: 'u' },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object' } },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        ...extra,
      })),
    },
  };
}

test('GET /api', () => {
  assert.deepEqual(apiVersionsDocument('10.0.0.1:6443'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
  });
});

test('GET /apis: named groups in kube-apiserver order, preferredVersion equal to the first version entry', () => {
  const doc = apiGroupListDocument([...builtins, ...resourcesFromCrd(crd('example.com', ['v1']))]);
  assert.equal(doc.kind, 'APIGroupList');
  assert.equal(doc.apiVersion, 'v1');
  assert.deepEqual(
    doc.groups.map((g) => g.name),
    ['apps', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'example.com'],
  );
  for (const g of doc.groups) {
    // The Python DynamicClient compares these dicts for equality.
    assert.deepEqual(g.preferredVersion, g.versions[0]);
    assert.deepEqual(Object.keys(g.preferredVersion), Object.keys(g.versions[0]));
  }
  assert.deepEqual(doc.groups[0], { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
});

test('CRD group versions are ordered kube-aware: v1 > v1beta2 > v1beta1 > v1alpha1 > others', () => {
  const doc = apiGroupListDocument(resourcesFromCrd(crd('example.com', ['foo', 'v1alpha1', 'v1beta1', 'v1', 'v1beta2', 'bar'])));
  const g = doc.groups[0];
  assert.deepEqual(
    g.versions.map((v) => v.version),
    ['v1', 'v1beta2', 'v1beta1', 'v1alpha1', 'bar', 'foo'],
  );
  assert.deepEqual(g.preferredVersion, { groupVersion: 'example.com/v1', version: 'v1' });
  assert.deepEqual(['v1', 'v2', 'v10', 'v2beta1', 'v11alpha2'].sort(compareKubeAwareVersions), ['v10', 'v2', 'v1', 'v2beta1', 'v11alpha2']);
});

test('GET /apis/<group>', () => {
  assert.deepEqual(apiGroupDocument('apps', builtins), {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: 'apps',
    versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
    preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
  });
  assert.equal(apiGroupDocument('nope.example.com', builtins), undefined);
});

test('GET /apis/apps/v1: resources, subresources (scale is autoscaling/v1 Scale), storageVersionHash', () => {
  const doc = apiResourceListDocument('apps', 'v1', builtins);
  assert.equal(doc.kind, 'APIResourceList');
  assert.equal(doc.groupVersion, 'apps/v1');
  assert.deepEqual(
    doc.resources.map((r) => r.name),
    ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'],
  );
  const byName = new Map(doc.resources.map((r) => [r.name, r]));
  assert.deepEqual(byName.get('deployments'), {
    name: 'deployments',
    singularName: 'deployment',
    namespaced: true,
    kind: 'Deployment',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['deploy'],
    categories: ['all'],
    storageVersionHash: '8aSe+NMegvE=',
  });
  assert.deepEqual(byName.get('deployments/status'), { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] });
  assert.deepEqual(byName.get('deployments/scale'), {
    name: 'deployments/scale',
    singularName: '',
    namespaced: true,
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
    verbs: ['get', 'patch', 'update'],
  });
  // Go's field order: group and version come before kind.
  assert.deepEqual(Object.keys(byName.get('deployments/scale') ?? {}), ['name', 'singularName', 'namespaced', 'group', 'version', 'kind', 'verbs']);
});

test('GET /api/v1: core resources with the hashes real clusters publish', () => {
  const doc = apiResourceListDocument('', 'v1', builtins);
  assert.equal(doc.groupVersion, 'v1');
  const pods = doc.resources.find((r) => r.name === 'pods');
  assert.equal(pods?.storageVersionHash, 'xPOwRZ+Yhw8=');
  assert.deepEqual(pods?.shortNames, ['po']);
  assert.equal(doc.resources.find((r) => r.name === 'configmaps')?.storageVersionHash, 'qFsyl6wFWjQ=');
  assert.equal(doc.resources.find((r) => r.name === 'namespaces')?.namespaced, false);
  assert.ok(doc.resources.some((r) => r.name === 'pods/status'));
  assert.equal(doc.resources.find((r) => r.name === 'secrets')?.shortNames, undefined);
});

test('aggregated /apis: apidiscovery.k8s.io/v2 with responseKind, scope, subresources and freshness', () => {
  const doc = aggregatedDiscoveryDocument([...builtins, ...resourcesFromCrd(crd('example.com', ['v1beta1', 'v1']))], 'apis');
  assert.equal(doc.kind, 'APIGroupDiscoveryList');
  assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.deepEqual(doc.metadata, {});
  assert.deepEqual(
    doc.items.map((i) => i.metadata.name),
    ['apps', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'example.com'],
  );
  const apps = doc.items[0];
  assert.deepEqual(apps.metadata, { name: 'apps', creationTimestamp: null });
  assert.equal(apps.versions[0].freshness, 'Current');
  const deploy = apps.versions[0].resources.find((r) => r.resource === 'deployments');
  assert.deepEqual(deploy, {
    resource: 'deployments',
    responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    scope: 'Namespaced',
    singularResource: 'deployment',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
      { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
    ],
  });
  const crdGroup = doc.items[4];
  assert.deepEqual(crdGroup.versions.map((v) => v.version), ['v1', 'v1beta1']);
  const widgets = crdGroup.versions[0].resources[0];
  assert.deepEqual(widgets.responseKind, { group: 'example.com', version: 'v1', kind: 'Widget' });
  assert.deepEqual(widgets.verbs, ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch']);
  const lease = doc.items[2].versions[0].resources[0];
  assert.equal(lease.subresources, undefined);
  assert.equal(lease.shortNames, undefined);
});

test('aggregated /api: one item for the core group, responseKind group ""', () => {
  const doc = aggregatedDiscoveryDocument(builtins, 'api');
  assert.equal(doc.items.length, 1);
  const core = doc.items[0];
  // Go omits the empty name: clients decode it as "".
  assert.equal(core.metadata.name ?? '', '');
  assert.deepEqual(core.versions.map((v) => v.version), ['v1']);
  const ns = core.versions[0].resources.find((r) => r.resource === 'namespaces');
  assert.equal(ns?.scope, 'Cluster');
  assert.deepEqual(ns?.responseKind, { group: '', version: 'v1', kind: 'Namespace' });
  assert.equal(aggregatedDiscoveryDocument(builtins, 'api', 'v2beta1').apiVersion, 'apidiscovery.k8s.io/v2beta1');
});

test('Accept negotiation for aggregated discovery', () => {
  const kubectl =
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  assert.equal(acceptsAggregatedDiscovery(kubectl), 'v2');
  assert.equal(acceptsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'), 'v2beta1');
  assert.equal(acceptsAggregatedDiscovery('application/json'), undefined);
  assert.equal(acceptsAggregatedDiscovery('application/json, */*'), undefined);
  assert.equal(acceptsAggregatedDiscovery(''), undefined);
  // A plain JSON entry listed first wins: legacy.
  assert.equal(acceptsAggregatedDiscovery('application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'), undefined);
  // q-values reorder the list.
  assert.equal(acceptsAggregatedDiscovery('application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'), 'v2');
  assert.equal(acceptsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,application/json'), undefined);
  // Unknown profiles are declined; the next entry is taken.
  assert.equal(acceptsAggregatedDiscovery(`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;profile=nopeer,${kubectl}`), 'v2');
  // Unknown versions are skipped.
  assert.equal(acceptsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json'), undefined);
  assert.equal(aggregatedDiscoveryContentType('v2'), AGGREGATED_DISCOVERY_V2_CONTENT_TYPE);
  assert.equal(AGGREGATED_DISCOVERY_V2_CONTENT_TYPE, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  assert.equal(aggregatedDiscoveryContentType('v2beta1'), 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
});
