// SnapshotCache, LinearCache and MuxCache: what they hold per node and what their watches say.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterType,
  EndpointType,
  InvalidResourceError,
  LinearCache,
  ListenerType,
  MuxCache,
  RouteType,
  Snapshot,
  SnapshotCache,
  apiListener,
  clusterLoadAssignment,
  diffSnapshots,
  edsCluster,
  route,
  routeConfiguration,
  virtualHost,
  type ChangeSet,
  type Node,
} from '../src/index.js';
import { silentLogger } from './helpers.js';

const node = (id: string, cluster = 'c'): Node => ({ id, cluster });
const cla = (name: string, port = 1) => clusterLoadAssignment({ clusterName: name, endpoints: [{ address: '127.0.0.1', port }] });
const snap = (version: string, clusters: Record<string, number>, extra: Partial<Record<string, unknown[]>> = {}) =>
  new Snapshot(version, {
    [ClusterType]: Object.keys(clusters).map((c) => edsCluster({ name: c })),
    [EndpointType]: Object.entries(clusters).map(([c, p]) => cla(c, p)),
    ...(extra as Record<string, never[]>),
  });

const summarize = (changes: readonly ChangeSet[]) => Object.fromEntries(changes.map((c) => [c.typeUrl, c.names === 'all' ? 'all' : [...c.names].sort()]));

test('SnapshotCache: a node sees the snapshot of its hash; watches hear which resources changed', () => {
  const cache = new SnapshotCache({ logger: silentLogger() });
  const heard: ReturnType<typeof summarize>[] = [];
  const cancel = cache.createWatch(node('a'), (ch) => heard.push(summarize(ch)));
  const other: unknown[] = [];
  cache.createWatch(node('b'), (ch) => other.push(ch));

  assert.equal(cache.getResources(node('a'), ClusterType), undefined, 'nothing before the first snapshot');
  cache.setSnapshot('a', snap('1', { x: 1, y: 2 }));
  assert.deepEqual(heard, [{ [ClusterType]: 'all', [EndpointType]: 'all' }]);
  assert.equal(cache.getResources(node('a'), ClusterType)!.version, '1');

  cache.setSnapshot('a', snap('2', { x: 1, y: 3, z: 4 }));
  assert.deepEqual(heard[1], { [ClusterType]: ['z'], [EndpointType]: ['y', 'z'] }, 'only what changed: y endpoints, new z');

  cache.setSnapshot('a', snap('3', { x: 1, z: 4 }));
  assert.deepEqual(heard[2], { [ClusterType]: ['y'], [EndpointType]: ['y'] }, 'removals are changes');

  cache.setSnapshot('a', snap('4', { x: 1, z: 4 }));
  assert.equal(heard.length, 3, 'a new version with the same content changes nothing');
  assert.equal(cache.getSnapshot('a')!.version, '4');
  assert.deepEqual(other, [], "another node's watch hears nothing");

  cancel();
  cache.setSnapshot('a', snap('5', { x: 9 }));
  assert.equal(heard.length, 3, 'a cancelled watch hears nothing');
  assert.deepEqual(cache.status('a'), { key: 'a', version: '5', watches: 0, lastSetAt: cache.status('a').lastSetAt });
  cache.clearSnapshot('a');
  assert.equal(cache.getResources(node('a'), ClusterType), undefined);
  assert.deepEqual(cache.keys(), []);
});

test('SnapshotCache: nodeHash groups nodes (one config for a whole mesh, or per cluster)', () => {
  const cache = new SnapshotCache({ nodeHash: (n) => n.cluster ?? '', logger: silentLogger() });
  cache.setSnapshot('frontend', snap('1', { f: 1 }));
  cache.setSnapshot('backend', snap('1', { b: 1 }));
  assert.deepEqual([...cache.getResources(node('pod-1', 'frontend'), ClusterType)!.resources.keys()], ['f']);
  assert.deepEqual([...cache.getResources(node('pod-2', 'backend'), ClusterType)!.resources.keys()], ['b']);
});

test('diffSnapshots: a type appearing or disappearing is "all"', () => {
  const a = snap('1', { x: 1 });
  const b = new Snapshot('2', {
    [ClusterType]: [edsCluster({ name: 'x' })],
    [EndpointType]: [cla('x')],
    [ListenerType]: [apiListener({ name: 'l', routeConfigName: 'r' })],
    [RouteType]: [routeConfiguration({ name: 'r', virtualHosts: [virtualHost({ name: 'r', routes: [route({ cluster: 'x' })] })] })],
  });
  assert.deepEqual(summarize(diffSnapshots(a, b)), { [ListenerType]: 'all', [RouteType]: 'all' });
  assert.deepEqual(summarize(diffSnapshots(b, a)), { [ListenerType]: 'all', [RouteType]: 'all' });
});

test('LinearCache: per-resource updates, one version per change, no-op updates ignored', () => {
  const cache = new LinearCache(EndpointType, { versionPrefix: 'eds-', logger: silentLogger() });
  const heard: ReturnType<typeof summarize>[] = [];
  cache.createWatch(node('any'), (ch) => heard.push(summarize(ch)));
  const v0 = cache.version;
  cache.updateResource(cla('a', 1));
  assert.notEqual(cache.version, v0);
  assert.match(cache.version, /^eds-\d+$/);
  cache.updateResource(cla('a', 1));
  assert.equal(heard.length, 1, 'same content: no change, no notification');
  cache.updateResources([cla('b', 2), cla('a', 5)], ['nope']);
  assert.deepEqual(heard.at(-1), { [EndpointType]: ['a', 'b'] });
  const before = cache.getResources(node('x'), EndpointType)!.resources;
  cache.deleteResource('a');
  assert.deepEqual(heard.at(-1), { [EndpointType]: ['a'] });
  assert.equal(before.has('a'), true, 'the map handed out earlier is not mutated (streams share it)');
  assert.deepEqual([...cache.getResources(node('x'), EndpointType)!.resources.keys()], ['b']);
  assert.equal(cache.getResources(node('x'), ClusterType), undefined);
  cache.setResources([cla('b', 2), cla('c', 3)]);
  assert.deepEqual(heard.at(-1), { [EndpointType]: ['c'] });
  assert.equal(cache.size, 2);
  assert.throws(() => cache.updateResource(edsCluster({ name: 'nope' }) as never), (err: unknown) => err instanceof InvalidResourceError);
});

test('MuxCache: each type from its cache; a watch hears each type from the cache that serves it', () => {
  const snapshots = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
  const endpoints = new LinearCache(EndpointType, { logger: silentLogger() });
  const mux = new MuxCache({ [EndpointType]: endpoints }, snapshots);
  const heard: ReturnType<typeof summarize>[] = [];
  const cancel = mux.createWatch(node('n'), (ch) => heard.push(summarize(ch)));
  // The snapshot also carries endpoints; they are shadowed by the LinearCache.
  snapshots.setSnapshot('mesh', snap('1', { x: 1 }));
  assert.deepEqual(heard, [{ [ClusterType]: 'all' }]);
  endpoints.updateResource(cla('x', 7));
  assert.deepEqual(heard[1], { [EndpointType]: ['x'] });
  assert.equal(mux.getResources(node('n'), EndpointType)!.version, endpoints.version);
  assert.equal(mux.getResources(node('n'), ClusterType)!.version, '1');
  cancel();
  endpoints.updateResource(cla('x', 8));
  assert.equal(heard.length, 2);
});
