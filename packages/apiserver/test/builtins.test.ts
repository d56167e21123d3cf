import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../src/builtins/catalog.js';
import type { ResourceInfo } from '../src/resource-info.js';

const all = builtinResources();
const get = (group: string, resource: string): ResourceInfo => {
  const r = all.find((x) => x.group === group && x.resource === resource);
  assert.ok(r, `${resource}.${group} is served`);
  return r;
};

test('every built-in the brief lists is served exactly once', () => {
  const keys = all.map((r) => `${r.group}/${r.version}/${r.resource}`).sort();
  assert.deepEqual(keys, [
    '/v1/configmaps',
    '/v1/endpoints',
    '/v1/events',
    '/v1/namespaces',
    '/v1/nodes',
    '/v1/pods',
    '/v1/secrets',
    '/v1/serviceaccounts',
    '/v1/services',
    'apiextensions.k8s.io/v1/customresourcedefinitions',
    'apps/v1/daemonsets',
    'apps/v1/deployments',
    'apps/v1/replicasets',
    'apps/v1/statefulsets',
    'coordination.k8s.io/v1/leases',
    'discovery.k8s.io/v1/endpointslices',
  ]);
  for (const r of all) {
    assert.equal(r.storageVersion, r.version);
    assert.equal(r.listKind, `${r.kind}List`);
    assert.equal(r.strategicMerge, true);
    assert.equal(r.crd, undefined);
    assert.ok(r.table.columns.length > 0);
  }
});

test('deployments: shortName deploy, category all, status and scale subresources, spec generation', () => {
  const d = get('apps', 'deployments');
  assert.deepEqual(d.shortNames, ['deploy']);
  assert.deepEqual(d.categories, ['all']);
  assert.equal(d.singular, 'deployment');
  assert.equal(d.kind, 'Deployment');
  assert.equal(d.namespaced, true);
  assert.deepEqual(d.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  assert.deepEqual(d.subresources, { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } });
  assert.equal(d.generation, 'spec');
  assert.equal(d.storagePrefix, '/registry/deployments');
  assert.ok(get('apps', 'statefulsets').subresources.scale);
  assert.ok(get('apps', 'replicasets').subresources.scale);
  assert.equal(get('apps', 'daemonsets').subresources.scale, undefined);
});

test('discovery facts of the core kinds', () => {
  const facts = (r: ResourceInfo) => ({ short: r.shortNames, cat: r.categories, ns: r.namespaced, status: r.subresources.status });
  assert.deepEqual(facts(get('', 'pods')), { short: ['po'], cat: ['all'], ns: true, status: true });
  assert.deepEqual(facts(get('', 'services')), { short: ['svc'], cat: ['all'], ns: true, status: true });
  assert.deepEqual(facts(get('', 'namespaces')), { short: ['ns'], cat: [], ns: false, status: true });
  assert.deepEqual(facts(get('', 'nodes')), { short: ['no'], cat: [], ns: false, status: true });
  assert.deepEqual(facts(get('', 'configmaps')), { short: ['cm'], cat: [], ns: true, status: false });
  assert.deepEqual(facts(get('', 'secrets')), { short: [], cat: [], ns: true, status: false });
  assert.deepEqual(facts(get('', 'events')), { short: ['ev'], cat: [], ns: true, status: false });
  assert.deepEqual(facts(get('', 'endpoints')), { short: ['ep'], cat: [], ns: true, status: false });
  assert.deepEqual(facts(get('', 'serviceaccounts')), { short: ['sa'], cat: [], ns: true, status: false });
  assert.deepEqual(facts(get('apiextensions.k8s.io', 'customresourcedefinitions')), { short: ['crd', 'crds'], cat: ['api-extensions'], ns: false, status: true });
  assert.equal(get('', 'endpoints').singular, 'endpoints');
  // Namespaces cannot be deleted as a collection.
  assert.ok(!get('', 'namespaces').verbs.includes('deletecollection'));
});

test('etcd key prefixes are upstream\'s', () => {
  assert.equal(get('', 'nodes').storagePrefix, '/registry/minions');
  assert.equal(get('', 'services').storagePrefix, '/registry/services/specs');
  assert.equal(get('', 'endpoints').storagePrefix, '/registry/services/endpoints');
  assert.equal(get('', 'configmaps').storagePrefix, '/registry/configmaps');
  assert.equal(get('coordination.k8s.io', 'leases').storagePrefix, '/registry/leases');
  assert.equal(get('discovery.k8s.io', 'endpointslices').storagePrefix, '/registry/endpointslices');
  assert.equal(get('apiextensions.k8s.io', 'customresourcedefinitions').storagePrefix, '/registry/apiextensions.k8s.io/customresourcedefinitions');
});

test('name rules and generation policies', () => {
  assert.equal(get('', 'namespaces').nameRule, 'label');
  assert.equal(get('', 'services').nameRule, 'label');
  assert.equal(get('apps', 'statefulsets').nameRule, 'label');
  assert.equal(get('', 'pods').nameRule, 'subdomain');
  assert.equal(get('', 'configmaps').nameRule, 'subdomain');
  assert.equal(get('', 'configmaps').generation, 'none');
  assert.equal(get('', 'pods').generation, 'none');
  assert.equal(get('discovery.k8s.io', 'endpointslices').generation, 'all-but-metadata');
  assert.equal(get('apiextensions.k8s.io', 'customresourcedefinitions').generation, 'spec');
});

test('pod field selectors work on a sample pod, unset fields select as ""', () => {
  const fs = get('', 'pods').fieldSelectors;
  assert.deepEqual(Object.keys(fs).sort(), [
    'spec.hostNetwork',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.nominatedNodeName',
    'status.phase',
    'status.podIP',
  ]);
  const pod = {
    spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', hostNetwork: true },
    status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] },
  };
  assert.equal(fs['spec.nodeName'](pod), 'n1');
  assert.equal(fs['spec.hostNetwork'](pod), 'true');
  assert.equal(fs['status.phase'](pod), 'Running');
  assert.equal(fs['status.podIP'](pod), '10.0.0.1');
  assert.equal(fs['status.nominatedNodeName'](pod), '');
  const pending = { spec: {}, status: { phase: 'Pending' } };
  assert.equal(fs['spec.nodeName'](pending), '');
  assert.equal(fs['spec.hostNetwork'](pending), 'false');
});

test('event, node, secret, namespace, service and replicaset field selectors', () => {
  const ev = get('', 'events').fieldSelectors;
  const event = {
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1', resourceVersion: '42', fieldPath: 'spec.containers{a}' },
    reason: 'Pulled',
    type: 'Normal',
    reportingComponent: 'kubelet',
  };
  assert.equal(ev['involvedObject.kind'](event), 'Pod');
  assert.equal(ev['involvedObject.name'](event), 'web');
  assert.equal(ev['involvedObject.uid'](event), 'u1');
  assert.equal(ev['involvedObject.resourceVersion'](event), '42');
  assert.equal(ev['involvedObject.fieldPath'](event), 'spec.containers{a}');
  assert.equal(ev.reason(event), 'Pulled');
  assert.equal(ev.type(event), 'Normal');
  assert.equal(ev.reportingComponent(event), 'kubelet');
  // source falls back to reportingComponent.
  assert.equal(ev.source(event), 'kubelet');
  assert.equal(ev.source({ ...event, source: { component: 'scheduler' } }), 'scheduler');

  assert.equal(get('', 'nodes').fieldSelectors['spec.unschedulable']({ spec: {} }), 'false');
  assert.equal(get('', 'nodes').fieldSelectors['spec.unschedulable']({ spec: { unschedulable: true } }), 'true');
  assert.equal(get('', 'secrets').fieldSelectors.type({ type: 'kubernetes.io/tls' }), 'kubernetes.io/tls');
  assert.equal(get('', 'namespaces').fieldSelectors['status.phase']({ status: { phase: 'Terminating' } }), 'Terminating');
  assert.equal(get('', 'services').fieldSelectors['spec.type']({ spec: { type: 'ClusterIP' } }), 'ClusterIP');
  assert.equal(get('', 'services').fieldSelectors['spec.clusterIP']({ spec: { clusterIP: 'None' } }), 'None');
  assert.equal(get('apps', 'replicasets').fieldSelectors['status.replicas']({ status: { replicas: 3 } }), '3');
  assert.equal(get('apps', 'replicasets').fieldSelectors['status.replicas']({}), '0');
  assert.deepEqual(Object.keys(get('', 'configmaps').fieldSelectors), []);
});

test('each kind has its printer', () => {
  const first = (g: string, r: string) => get(g, r).table.columns.map((c) => c.name);
  assert.deepEqual(first('', 'pods').slice(0, 5), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  assert.deepEqual(first('', 'events').slice(0, 4), ['Last Seen', 'Type', 'Reason', 'Object']);
  assert.deepEqual(first('apps', 'deployments').slice(0, 5), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
  assert.deepEqual(first('apiextensions.k8s.io', 'customresourcedefinitions'), ['Name', 'Created At']);
  assert.deepEqual(first('coordination.k8s.io', 'leases'), ['Name', 'Holder', 'Age']);
});
