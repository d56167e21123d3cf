// Endpoints served by a LinearCache (per-resource EDS updates) behind a MuxCache, listeners,
// routes and clusters by a SnapshotCache, to a real @grpc/grpc-js-xds client: an endpoint
// marked draining, then removed, stops receiving calls; one added starts receiving them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ClusterType,
  EndpointType,
  LinearCache,
  ListenerType,
  MuxCache,
  RouteType,
  Snapshot,
  SnapshotCache,
  apiListener,
  clusterLoadAssignment,
  edsCluster,
  route,
  routeConfiguration,
  virtualHost,
  type EndpointSpec,
} from '../../src/index.js';
import { eventually, silentLogger, startBackend, startControlPlane, StreamCounter, tally, untilServedBy, xdsEchoClient, type Backend, type ControlPlane, type EchoClient } from '../helpers.js';

let a: Backend;
let b: Backend;
let c: Backend;
let cp: ControlPlane;
let client: EchoClient;
const endpoints = new LinearCache(EndpointType, { logger: silentLogger() });
const counter = new StreamCounter();

const ep = (backend: Backend, extra: Partial<EndpointSpec> = {}): EndpointSpec => ({ address: backend.address, port: backend.port, ...extra });

before(async () => {
  [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
  const snapshots = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
  // No EndpointType key: endpoints are the LinearCache's, the snapshot's reference check skips them.
  snapshots.setSnapshot(
    'mesh',
    new Snapshot('1', {
      [ListenerType]: [apiListener({ name: 'pool', routeConfigName: 'pool' })],
      [RouteType]: [routeConfiguration({ name: 'pool', virtualHosts: [virtualHost({ name: 'pool', routes: [route({ cluster: 'pool-v1' })] })] })],
      [ClusterType]: [edsCluster({ name: 'pool-v1' })],
    }),
  );
  endpoints.updateResource(clusterLoadAssignment({ clusterName: 'pool-v1', endpoints: [ep(a), ep(b)] }));
  cp = await startControlPlane({ cache: new MuxCache({ [EndpointType]: endpoints }, snapshots), callbacks: counter });
  client = xdsEchoClient('pool', cp.port, 'pool-client');
});

after(async () => {
  await Promise.all([a, b, c].map((x) => x.close()));
  client.close();
  await cp.close();
});

/** Calls in batches until a batch misses `gone` entirely; then a larger batch must miss it too. */
async function assertDrained(gone: Backend, stillServing: Backend[]): Promise<void> {
  await eventually(async () => !(await tally(client, 30)).has(gone.name), 10_000, `traffic to drain from ${gone.name}`);
  const counts = await tally(client, 200);
  assert.equal(counts.get(gone.name) ?? 0, 0, `no call reaches ${gone.name}: ${JSON.stringify([...counts])}`);
  for (const s of stillServing) assert.ok((counts.get(s.name) ?? 0) > 0, `${s.name} still serves: ${JSON.stringify([...counts])}`);
  assert.equal([...counts.values()].reduce((x, y) => x + y, 0), 200);
}

test('endpoints from a LinearCache: draining and removed endpoints stop receiving calls, added ones start', async () => {
  await untilServedBy(client, 'a');
  await untilServedBy(client, 'b');

  // Draining: still listed, health DRAINING.
  endpoints.updateResource(clusterLoadAssignment({ clusterName: 'pool-v1', endpoints: [ep(a), ep(b, { health: 'DRAINING' })] }));
  await assertDrained(b, [a]);

  // Back to healthy, then removed from the assignment.
  endpoints.updateResource(clusterLoadAssignment({ clusterName: 'pool-v1', endpoints: [ep(a), ep(b)] }));
  await untilServedBy(client, 'b');
  endpoints.updateResource(clusterLoadAssignment({ clusterName: 'pool-v1', endpoints: [ep(a), ep(c)] }));
  await assertDrained(b, [a, c]);

  // Removing the last endpoint but one, and the calls it served go to the one left.
  endpoints.updateResource(clusterLoadAssignment({ clusterName: 'pool-v1', endpoints: [ep(c)] }));
  await assertDrained(a, [c]);

  assert.equal(counter.opened, 1, 'all of it over the one ADS stream the client opened');
  assert.equal(counter.closed, 0);
});
