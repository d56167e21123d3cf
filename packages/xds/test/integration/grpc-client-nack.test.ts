// A resource the control plane accepts but the client rejects: a real @grpc/grpc-js-xds client
// NACKs it, the server records the NACK (callbacks, metrics, debug endpoint), does not resend
// it, the client keeps serving with the previous listener, and the other resources of the same
// push (a new route) still reach it. A valid version then replaces it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ClusterType,
  EndpointType,
  ListenerType,
  RouteType,
  Snapshot,
  SnapshotCache,
  apiListener,
  clusterLoadAssignment,
  edsCluster,
  route,
  routeConfiguration,
  startDebugServer,
  virtualHost,
  type DebugServer,
  type Message,
} from '../../src/index.js';
import { eventually, metricValue, silentLogger, startBackend, startControlPlane, StreamCounter, tally, untilServedBy, xdsEchoClient, type Backend, type ControlPlane, type EchoClient } from '../helpers.js';

let v1: Backend;
let v2: Backend;
let cp: ControlPlane;
let debug: DebugServer;
let client: EchoClient;
const cache = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
const counter = new StreamCounter();

/**
 * Valid for the control plane (it cannot know which filters a client implements), rejected by
 * gRPC: a required (not is_optional) HTTP filter grpc-js has no implementation of.
 */
const unsupportedFilter: Message = {
  name: 'envoy.filters.http.lua',
  typed_config: { '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', type_url: 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', value: {} },
};

function snapshot(version: string, opts: { badListener?: boolean; target: 'v1' | 'v2'; v2Endpoints?: Backend[] }): Snapshot {
  return new Snapshot(version, {
    [ListenerType]: [apiListener({ name: 'greeter', routeConfigName: 'greeter', httpFilters: opts.badListener ? [unsupportedFilter] : [] })],
    [RouteType]: [routeConfiguration({ name: 'greeter', virtualHosts: [virtualHost({ name: 'greeter', routes: [route({ cluster: `greeter-${opts.target}` })] })] })],
    [ClusterType]: [edsCluster({ name: 'greeter-v1' }), edsCluster({ name: 'greeter-v2' })],
    [EndpointType]: [
      clusterLoadAssignment({ clusterName: 'greeter-v1', endpoints: [{ address: v1.address, port: v1.port }] }),
      clusterLoadAssignment({ clusterName: 'greeter-v2', endpoints: (opts.v2Endpoints ?? [v2]).map((b) => ({ address: b.address, port: b.port })) }),
    ],
  });
}

interface ResourceView {
  status: string;
  sentVersion?: string;
  ackedVersion?: string;
  nack?: { message: string };
}
interface TypeView {
  responses: number;
  acks: number;
  nacks: number;
  resources: Record<string, ResourceView>;
  lastNack?: { message: string; resources: string[] };
}

async function debugTypes(): Promise<Record<string, TypeView>> {
  const res = await fetch(`${debug.url}/debug/xds/clients?node=nack-client`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { clients: Record<string, { types: Record<string, TypeView> }[]> };
  const streams = body.clients['nack-client'];
  assert.equal(streams?.length, 1, 'one stream for the client');
  return streams[0].types;
}

before(async () => {
  [v1, v2] = await Promise.all([startBackend('v1'), startBackend('v2')]);
  cache.setSnapshot('mesh', snapshot('1', { target: 'v1' }));
  cp = await startControlPlane({ cache, callbacks: counter });
  debug = await startDebugServer({ server: cp.server, registry: cp.registry });
  client = xdsEchoClient('greeter', cp.port, 'nack-client');
});

after(async () => {
  await Promise.all([v1.close(), v2.close()]);
  client.close();
  await cp.close();
  await debug.close();
});

test('an invalid listener is NACKed, recorded and not resent; the previous one keeps serving and the route still updates', async () => {
  await untilServedBy(client, 'v1');
  const good = cache.getSnapshot('mesh')!.get(ListenerType)!.resources.get('greeter')!;
  await eventually(async () => (await debugTypes()).LDS?.resources.greeter?.status === 'ACKED', 10_000, 'the first listener ACKed');

  // One push: a listener grpc-js rejects, and a route to v2.
  cache.setSnapshot('mesh', snapshot('2', { badListener: true, target: 'v2' }));
  const bad = cache.getSnapshot('mesh')!.get(ListenerType)!.resources.get('greeter')!;
  assert.notEqual(bad.version, good.version);

  await eventually(() => counter.nacks.length > 0, 10_000, 'the client to NACK');
  const nack = counter.nacks[0];
  assert.equal(nack.typeUrl, ListenerType);
  assert.deepEqual(nack.resources, ['greeter'], 'the NACK is attributed to the listener');
  assert.match(nack.message, /filter/i, 'the client says which filter');
  assert.equal(await metricValue(cp.registry, 'xds_server_nacks_total', { type: 'LDS' }), 1);
  assert.equal(await metricValue(cp.registry, 'xds_server_nacks_total', { type: 'RDS' }), 0);

  // The route of the same push was accepted: calls move to v2 over the old, still valid, listener.
  await untilServedBy(client, 'v2');
  const counts = await tally(client, 100);
  assert.deepEqual([...counts], [['v2', 100]], 'the previous listener serves the new route');

  const types = await debugTypes();
  assert.equal(types.LDS.resources.greeter.status, 'NACKED');
  assert.equal(types.LDS.resources.greeter.sentVersion, bad.version);
  assert.equal(types.LDS.resources.greeter.ackedVersion, good.version, 'the client still holds the previous listener');
  assert.match(types.LDS.resources.greeter.nack!.message, /filter/i);
  assert.deepEqual(types.LDS.lastNack?.resources, ['greeter']);
  assert.equal(types.RDS.resources.greeter.status, 'ACKED');
  const ldsResponses = types.LDS.responses;
  assert.equal(ldsResponses, 2, 'the first listener and the rejected one');

  // An unrelated change (v2 gets another endpoint) flows and is ACKed; the rejected listener is
  // still not resent.
  const v2b = await startBackend('v2-b');
  try {
    cache.setSnapshot('mesh', snapshot('3', { badListener: true, target: 'v2', v2Endpoints: [v2, v2b] }));
    await untilServedBy(client, 'v2-b');
    const eds = cache.getSnapshot('mesh')!.get(EndpointType)!.resources.get('greeter-v2')!;
    await eventually(async () => (await debugTypes()).EDS.resources['greeter-v2'].ackedVersion === eds.version, 10_000, 'the EDS change ACKed');
    const later = await debugTypes();
    assert.equal(later.LDS.responses, ldsResponses, 'the NACKed listener was not sent again');
    assert.equal(later.LDS.nacks, 1);

    // A valid listener again: sent, ACKed, the NACK cleared.
    cache.setSnapshot('mesh', snapshot('4', { target: 'v2', v2Endpoints: [v2, v2b] }));
    await eventually(async () => (await debugTypes()).LDS.resources.greeter.status === 'ACKED', 10_000, 'the fixed listener ACKed');
    const fixed = await debugTypes();
    assert.equal(fixed.LDS.resources.greeter.ackedVersion, good.version);
    assert.equal(fixed.LDS.responses, ldsResponses + 1);
    assert.equal(counter.nacks.length, 1);
    assert.equal(counter.opened, 1, 'one ADS stream all along');

    const summary = (await (await fetch(`${debug.url}/debug/xds/clients?node=nack-client&summary=1`)).json()) as { clients: Record<string, { types: Record<string, { nacks: number; counts: { held: number }; resources?: unknown }> }[]> };
    const lds = summary.clients['nack-client'][0].types.LDS;
    assert.equal(lds.nacks, 1);
    assert.equal(lds.counts.held, 1);
    assert.equal(lds.resources, undefined, 'summary: no per-resource map');
    assert.equal((await fetch(`${debug.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${debug.url}/nope`)).status, 404);

    const metrics = await (await fetch(`${debug.url}/metrics`)).text();
    assert.match(metrics, /xds_server_nacks_total\{mode="sotw",type="LDS"\} 1/);
    assert.match(metrics, /xds_server_connected_streams\{mode="sotw"\} 1/);
  } finally {
    await v2b.close();
  }
});
