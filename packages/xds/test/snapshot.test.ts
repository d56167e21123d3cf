// Snapshot: consistent by construction. Dangling references, duplicates and invalid resources
// are all listed in one error; types left out are someone else's to check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterType,
  EndpointType,
  InvalidSnapshotError,
  ListenerType,
  RouteType,
  SecretType,
  Snapshot,
  apiListener,
  clusterLoadAssignment,
  edsCluster,
  makeResource,
  route,
  routeConfiguration,
  virtualHost,
} from '../src/index.js';

const rc = (name: string, clusters: string[]) =>
  routeConfiguration({ name, virtualHosts: [virtualHost({ name, routes: clusters.map((c) => route({ cluster: c })) })] });
const cla = (name: string) => clusterLoadAssignment({ clusterName: name, endpoints: [{ address: '127.0.0.1', port: 1 }] });

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidSnapshotError, `an InvalidSnapshotError, got ${String(err)}`);
    return err.problems.map((p) => p.message);
  }
  assert.fail('the snapshot was accepted');
}

test('a consistent snapshot: resources by type and name, one version', () => {
  const s = new Snapshot('v1', {
    [ListenerType]: [apiListener({ name: 'l', routeConfigName: 'r' })],
    [RouteType]: [rc('r', ['c'])],
    [ClusterType]: [edsCluster({ name: 'c' })],
    [EndpointType]: [cla('c')],
  });
  assert.equal(s.version, 'v1');
  assert.deepEqual(s.types().sort(), [ClusterType, EndpointType, ListenerType, RouteType].sort());
  assert.equal(s.get(ClusterType)!.version, 'v1');
  assert.equal(s.get(ClusterType)!.resources.get('c')!.name, 'c');
  assert.equal(s.get(SecretType), undefined);
});

test('every dangling reference is listed: a route naming a missing cluster, a listener a missing route, a cluster missing endpoints', () => {
  const problems = problemsOf(
    () =>
      new Snapshot('2', {
        [ListenerType]: [apiListener({ name: 'l', routeConfigName: 'missing-route' })],
        [RouteType]: [rc('r', ['c', 'missing-a', 'missing-b'])],
        [ClusterType]: [edsCluster({ name: 'c' }), edsCluster({ name: 'no-endpoints' })],
        [EndpointType]: [cla('c')],
      }),
  );
  assert.equal(problems.length, 4);
  assert.match(problems.join('\n'), /LDS "l" api_listener\.api_listener\.rds\.route_config_name names RDS "missing-route", which the snapshot does not contain; add it or change the reference/);
  assert.match(problems.join('\n'), /RDS "r" virtual_hosts\[0\]\.routes\[1\]\.route\.cluster names CDS "missing-a"/);
  assert.match(problems.join('\n'), /RDS "r" virtual_hosts\[0\]\.routes\[2\]\.route\.cluster names CDS "missing-b"/);
  assert.match(problems.join('\n'), /CDS "no-endpoints" name names EDS "no-endpoints"/);
});

test('the error message lists the problems and the version', () => {
  assert.throws(() => new Snapshot('7', { [RouteType]: [rc('r', ['x'])], [ClusterType]: [] }), /snapshot version "7" rejected, 1 problem:\n {2}- RDS "r" .* names CDS "x"/);
});

test('a type left out is not checked (another cache serves it); an empty list is', () => {
  assert.doesNotThrow(() => new Snapshot('1', { [ClusterType]: [edsCluster({ name: 'c' })] }));
  assert.equal(problemsOf(() => new Snapshot('1', { [ClusterType]: [edsCluster({ name: 'c' })], [EndpointType]: [] })).length, 1);
  assert.doesNotThrow(() => new Snapshot('1', { [RouteType]: [rc('r', ['x'])], [ClusterType]: [] }, { allowDanglingReferences: true }));
});

test('invalid resources, duplicates and misplaced resources are listed together', () => {
  const problems = problemsOf(
    () =>
      new Snapshot('3', {
        [ClusterType]: [edsCluster({ name: 'c' }), edsCluster({ name: 'c' }), { name: 'bad', tpye: 'EDS' }, makeResource(EndpointType, cla('c'))],
        [EndpointType]: [cla('c')],
      }),
  );
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0], /CDS "c" appears twice/);
  assert.match(problems[1], /CDS\[2\]: CDS resource "bad" at tpye: .*has no field "tpye"/);
  assert.match(problems[2], /CDS\[3\] "c" is a .*ClusterLoadAssignment resource; put it under that type/);
});

test('a version is required', () => {
  assert.throws(() => new Snapshot('', {}), /version must be a non-empty string/);
});

test('pre-built resources are shared, not re-encoded', () => {
  const c = makeResource(ClusterType, edsCluster({ name: 'c' }));
  const s = new Snapshot('1', { [ClusterType]: [c] });
  assert.equal(s.get(ClusterType)!.resources.get('c'), c);
});
