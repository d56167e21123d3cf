// Incremental (Delta) protocol, checked with a raw spec-following client (xds-test-client.ts):
// subscribe, unsubscribe, removal (removed_resources), names that do not exist, wildcard,
// reconnect with initial_resource_versions (also to a restarted control plane) getting only what
// changed, NACK, make-before-break ordering, subscription changes with a stale nonce, the
// per-type Delta service.
//
// "Nothing was sent" is shown without sleeping: the client then subscribes to a resource that
// exists; its response arriving first proves the earlier request produced nothing.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
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
  envoyProtos,
  messageName,
  route,
  routeConfiguration,
  virtualHost,
  type Cache,
} from '../../src/index.js';
import { eventually, silentLogger, startControlPlane, type ControlPlane } from '../helpers.js';
import { NODE, XdsTestClient, type DeltaDiscoveryResponse, type DeltaTestStream } from '../xds-test-client.js';

function cla(name: string, port: number): ReturnType<typeof clusterLoadAssignment> {
  return clusterLoadAssignment({ clusterName: name, endpoints: [{ address: '127.0.0.1', port }] });
}

function meshSnapshot(version: string, clusters: Record<string, number>, routeTo = Object.keys(clusters)[0]): Snapshot {
  return new Snapshot(version, {
    [ListenerType]: [apiListener({ name: 'l1', routeConfigName: 'r1' })],
    [RouteType]: [routeConfiguration({ name: 'r1', virtualHosts: [virtualHost({ name: 'r1', routes: [route({ cluster: routeTo })] })] })],
    [ClusterType]: Object.keys(clusters).map((c) => edsCluster({ name: c })),
    [EndpointType]: Object.entries(clusters).map(([c, port]) => cla(c, port)),
  });
}

const short = (typeUrl: string): string => ({ [ListenerType]: 'LDS', [RouteType]: 'RDS', [ClusterType]: 'CDS', [EndpointType]: 'EDS' })[typeUrl] ?? typeUrl;

function decodedName(res: DeltaDiscoveryResponse, i: number): string {
  const r = res.resources[i];
  assert.ok(r.resource, 'the resource body is set');
  assert.equal(r.resource.type_url, res.type_url);
  const m = envoyProtos().decode(messageName(r.resource.type_url), r.resource.value);
  const name = String(m.name ?? m.cluster_name);
  assert.equal(name, r.name, 'Resource.name is the resource name');
  return name;
}

const names = (res: DeltaDiscoveryResponse): string[] => res.resources.map((_, i) => decodedName(res, i)).sort();
const PROBES = Array.from({ length: 20 }, (_, i) => `probe-${i}`);
const withoutProbes = (ns: string[]): string[] => ns.filter((n) => !n.startsWith('probe-'));
const ack = (s: DeltaTestStream, res: DeltaDiscoveryResponse): void => s.send({ type_url: res.type_url, response_nonce: res.nonce });

describe('Delta protocol', () => {
  let endpoints: LinearCache;
  let cp: ControlPlane;
  let client: XdsTestClient;
  const streams: DeltaTestStream[] = [];
  let probeCount = 0;

  const open = (c = client): DeltaTestStream => {
    const s = c.delta();
    streams.push(s);
    return s;
  };
  /**
   * Subscribes explicitly to one of the probe resources (created up front, so that only the
   * request can cause the answer): a request that must be answered, even when the client holds
   * the resource through a wildcard.
   */
  const probe = async (s: DeltaTestStream): Promise<DeltaDiscoveryResponse> => {
    const name = PROBES[probeCount++ % PROBES.length];
    s.send({ type_url: EndpointType, resource_names_subscribe: [name] });
    const res = await s.next();
    assert.equal(res.type_url, EndpointType);
    assert.deepEqual(names(res), [name], 'the probe answer comes first: nothing else was sent before it');
    return res;
  };

  before(async () => {
    endpoints = new LinearCache(EndpointType, { logger: silentLogger() });
    cp = await startControlPlane({ cache: endpoints });
    client = new XdsTestClient(cp.port);
  });
  beforeEach(() => {
    endpoints.setResources([cla('a', 1001), cla('b', 1002), cla('c', 1003), ...PROBES.map((p, i) => cla(p, 9000 + i))]);
  });
  after(async () => {
    for (const s of streams) s.close();
    client.close();
    await cp.close();
  });

  test('subscribe: the named resources, each with its version (hash); ACK: nothing more', async () => {
    const s = open();
    s.send({ node: NODE('d1'), type_url: EndpointType, resource_names_subscribe: ['a', 'b'] });
    const res = await s.next();
    assert.deepEqual(names(res), ['a', 'b']);
    assert.notEqual(res.nonce, '');
    assert.deepEqual(res.removed_resources, []);
    for (const r of res.resources) assert.equal(r.version, endpoints.getResource(r.name)!.version);
    ack(s, res);
    await probe(s);
  });

  test('unsubscribe: changes to that resource are no longer sent; changes to the others are', async () => {
    const s = open();
    s.send({ node: NODE('d2'), type_url: EndpointType, resource_names_subscribe: ['a', 'b'] });
    ack(s, await s.next());
    s.send({ type_url: EndpointType, resource_names_unsubscribe: ['b'] });
    await probe(s);
    endpoints.updateResource(cla('b', 2002));
    await probe(s);
    endpoints.updateResource(cla('a', 2001));
    const res = await s.next();
    assert.deepEqual(names(res), ['a']);
    // Phantom unsubscribe (never subscribed) changes nothing.
    s.send({ type_url: EndpointType, resource_names_unsubscribe: ['zzz'], response_nonce: res.nonce });
    await probe(s);
  });

  test('removal: a subscribed resource leaving the cache is in removed_resources; one that never existed is reported once, then sent when it appears', async () => {
    const s = open();
    s.send({ node: NODE('d3'), type_url: EndpointType, resource_names_subscribe: ['a', 'b', 'nope'] });
    const first = await s.next();
    assert.deepEqual(names(first), ['a', 'b']);
    const absent = await s.next();
    assert.deepEqual(absent.resources, []);
    assert.deepEqual(absent.removed_resources, ['nope'], 'a name that does not exist is reported');
    ack(s, first);
    ack(s, absent);

    endpoints.deleteResource('b');
    const removed = await s.next();
    assert.deepEqual(removed.resources, []);
    assert.deepEqual(removed.removed_resources, ['b']);
    ack(s, removed);
    await probe(s);

    endpoints.updateResource(cla('nope', 1099));
    const appeared = await s.next();
    assert.deepEqual(names(appeared), ['nope']);
  });

  test('wildcard: "*" subscribes to everything, including what is added later; removals are reported', async () => {
    const s = open();
    s.send({ node: NODE('d4'), type_url: EndpointType, resource_names_subscribe: ['*'] });
    const res = await s.next();
    assert.deepEqual(withoutProbes(names(res)), ['a', 'b', 'c']);
    ack(s, res);
    endpoints.updateResource(cla('d', 1004));
    const added = await s.next();
    assert.deepEqual(names(added), ['d']);
    ack(s, added);
    endpoints.deleteResource('a');
    const removed = await s.next();
    assert.deepEqual(removed.removed_resources, ['a']);
    ack(s, removed);
    s.send({ type_url: EndpointType, resource_names_unsubscribe: ['*'] });
    await probe(s); // the unsubscribe is processed
    endpoints.updateResource(cla('c', 2003));
    await probe(s);
  });

  test('reconnect with initial_resource_versions gets only what changed, also from a restarted control plane', async () => {
    const s = open();
    s.send({ node: NODE('d5'), type_url: EndpointType, resource_names_subscribe: ['a', 'b', 'c'] });
    const res = await s.next();
    const held = Object.fromEntries(res.resources.map((r) => [r.name, r.version]));
    ack(s, res);
    s.close();

    // While disconnected: b changes, c goes away, a stays.
    endpoints.updateResource(cla('b', 3002));
    endpoints.deleteResource('c');
    const again = open();
    again.send({ node: NODE('d5'), type_url: EndpointType, resource_names_subscribe: ['a', 'b', 'c'], initial_resource_versions: held });
    const changed = await again.next();
    assert.deepEqual(names(changed), ['b'], 'a is not resent');
    const gone = await again.next();
    assert.deepEqual(gone.removed_resources, ['c']);
    ack(again, changed);
    ack(again, gone);
    await probe(again);

    // A new control plane process with the same content: versions are content hashes, so the
    // client that holds everything gets nothing but what differs.
    const otherCache = new LinearCache(EndpointType, { logger: silentLogger(), initialResources: [cla('a', 1001), cla('b', 3003)] });
    const other = await startControlPlane({ cache: otherCache });
    const otherClient = new XdsTestClient(other.port);
    try {
      const s2 = open(otherClient);
      s2.send({ node: NODE('d5'), type_url: EndpointType, resource_names_subscribe: ['a', 'b'], initial_resource_versions: { a: held.a, b: changed.resources[0].version } });
      const diff = await s2.next();
      assert.deepEqual(names(diff), ['b'], 'only b differs from what the client holds');
      assert.equal(diff.resources[0].version, otherCache.getResource('b')!.version);
      s2.close();
    } finally {
      otherClient.close();
      await other.close();
    }
  });

  test('a subscription change is honored even with a stale nonce', async () => {
    const s = open();
    s.send({ node: NODE('d6'), type_url: EndpointType, resource_names_subscribe: ['a'] });
    const first = await s.next();
    endpoints.updateResource(cla('a', 4001));
    const second = await s.next();
    assert.notEqual(first.nonce, second.nonce);
    s.send({ type_url: EndpointType, response_nonce: first.nonce, resource_names_subscribe: ['b'] });
    const res = await s.next();
    assert.deepEqual(names(res), ['b']);
  });

  test('a NACK is recorded and not resent; the next version is sent', async () => {
    const s = open();
    s.send({ node: NODE('d7'), type_url: EndpointType, resource_names_subscribe: ['a'] });
    const res = await s.next();
    s.send({ type_url: EndpointType, response_nonce: res.nonce, error_detail: { code: grpc.status.INVALID_ARGUMENT, message: 'endpoint a: bad locality' } });
    await probe(s);
    const status = cp.server.clientStatus().clients.d7[0].types as Record<string, { nacks: number; resources: Record<string, { status: string }> }>;
    assert.equal(status.EDS.nacks, 1);
    assert.equal(status.EDS.resources.a.status, 'NACKED', 'attributed by name');
    endpoints.updateResource(cla('a', 5001));
    const next = await s.next();
    assert.deepEqual(names(next), ['a']);
  });

  test('the legacy wildcard (first Cluster request naming nothing), ordering across types, and removals after the routes that moved', async () => {
    const snapshots = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
    snapshots.setSnapshot('mesh', meshSnapshot('1', { c1: 1001, c2: 1002 }));
    const ads = await startControlPlane({ cache: snapshots as Cache });
    const c = new XdsTestClient(ads.port);
    try {
      const s = open(c);
      s.send({ node: NODE('d8'), type_url: ClusterType });
      s.send({ type_url: EndpointType, resource_names_subscribe: ['c1', 'c2', 'c3'] });
      s.send({ type_url: ListenerType, resource_names_subscribe: ['*'] });
      s.send({ type_url: RouteType, resource_names_subscribe: ['r1'] });
      const initial: DeltaDiscoveryResponse[] = [];
      // CDS, EDS (c1, c2), EDS removed (c3 does not exist), LDS, RDS, in some request-driven order.
      for (let i = 0; i < 5; i++) initial.push(await s.next());
      const cds = initial.find((r) => r.type_url === ClusterType)!;
      assert.deepEqual(names(cds), ['c1', 'c2'], 'the legacy wildcard got every cluster');
      for (const r of initial) ack(s, r);

      // c3 added and routed to: CDS, EDS, RDS (the listener is unchanged).
      snapshots.setSnapshot('mesh', meshSnapshot('2', { c1: 1001, c2: 1002, c3: 1003 }, 'c3'));
      const push = [await s.next(), await s.next(), await s.next()];
      assert.deepEqual(push.map((r) => short(r.type_url)), ['CDS', 'EDS', 'RDS']);
      assert.deepEqual(names(push[0]), ['c3']);
      assert.deepEqual(names(push[1]), ['c3']);
      for (const r of push) ack(s, r);

      // c1 removed: nothing references it. Removals: EDS then CDS (reverse order), after no upsert.
      snapshots.setSnapshot('mesh', meshSnapshot('3', { c2: 1002, c3: 1003 }, 'c3'));
      const removal = [await s.next(), await s.next()];
      assert.deepEqual(removal.map((r) => short(r.type_url)), ['EDS', 'CDS']);
      assert.deepEqual(removal.map((r) => r.removed_resources), [['c1'], ['c1']]);
      assert.ok(removal.every((r) => r.resources.length === 0));
      assert.equal(removal[1].system_version_info, '3');

      // The per-type Delta service (Envoy without ADS).
      const d = c.clustersDelta();
      streams.push(d);
      d.send({ node: NODE('d9'), resource_names_subscribe: ['c2'] });
      const viaCds = await d.next();
      assert.equal(viaCds.type_url, ClusterType);
      assert.deepEqual(names(viaCds), ['c2']);
    } finally {
      c.close();
      await ads.close();
    }
  });

  test('a MuxCache serves endpoints from a LinearCache and the rest from snapshots on one stream', async () => {
    const snapshots = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
    const snap = meshSnapshot('1', { a: 1 });
    snapshots.setSnapshot('mesh', new Snapshot('1', { [ClusterType]: [...snap.get(ClusterType)!.resources.values()] }));
    const ads = await startControlPlane({ cache: new MuxCache({ [EndpointType]: endpoints }, snapshots) });
    const c = new XdsTestClient(ads.port);
    try {
      const s = open(c);
      s.send({ node: NODE('d10'), type_url: ClusterType, resource_names_subscribe: ['*'] });
      assert.deepEqual(names(await s.next()), ['a']);
      s.send({ type_url: EndpointType, resource_names_subscribe: ['a'] });
      const eds = await s.next();
      assert.deepEqual(names(eds), ['a']);
      assert.equal(eds.system_version_info, endpoints.version);
    } finally {
      c.close();
      await ads.close();
    }
  });
});

describe('Delta protocol: large pushes in parts, shared between streams', () => {
  const many = Array.from({ length: 400 }, (_, i) => cla(`svc-${i}`, 10_000 + i));
  let endpoints: LinearCache;
  let cp: ControlPlane;
  let client: XdsTestClient;

  before(async () => {
    endpoints = new LinearCache(EndpointType, { logger: silentLogger(), initialResources: many });
    cp = await startControlPlane({ cache: endpoints, maxDeltaResponseBytes: 4096 });
    client = new XdsTestClient(cp.port);
  });
  after(async () => {
    client.close();
    await cp.close();
  });

  /** Responses until `count` resources arrived, ACKing each. */
  const collect = async (s: DeltaTestStream, count: number): Promise<DeltaDiscoveryResponse[]> => {
    const got: DeltaDiscoveryResponse[] = [];
    let n = 0;
    while (n < count) {
      const res = await s.next();
      got.push(res);
      n += res.resources.length;
      ack(s, res);
    }
    return got;
  };

  test('a first sync of 400 resources arrives in parts of at most 4 KiB; two streams get the same responses; changes after it are single', async () => {
    const names400 = many.map((_, i) => `svc-${i}`);
    const a = client.delta();
    const b = client.delta();
    try {
      a.send({ node: NODE('parts-a'), type_url: EndpointType, resource_names_subscribe: names400 });
      b.send({ node: NODE('parts-b'), type_url: EndpointType, resource_names_subscribe: names400 });
      const ra = await collect(a, 400);
      const rb = await collect(b, 400);
      assert.ok(ra.length > 5, `${ra.length} responses`);
      assert.deepEqual(new Set(ra.flatMap((r) => r.resources.map((x) => x.name))), new Set(names400));
      assert.equal(ra.reduce((n, r) => n + r.resources.length, 0), 400, 'each resource once');
      assert.deepEqual(
        ra.map((r) => r.nonce),
        rb.map((r) => r.nonce),
        "the second stream got the first one's encodings (same nonces)",
      );
      assert.equal(new Set(ra.map((r) => r.nonce)).size, ra.length, 'nonces differ within a stream');
      // Once every part is ACKed, the stream's client view holds all 400 as ACKed.
      const acked = (): number => {
        const [stream] = cp.server.clientStatus({ summary: true, node: 'parts-a' }).clients['parts-a'] ?? [];
        return (stream?.types as Record<string, { counts: { acked: number } }> | undefined)?.EDS?.counts.acked ?? -1;
      };
      await eventually(() => acked() === 400, 10_000, `400 ACKed (now ${acked()})`);
      endpoints.updateResource(cla('svc-7', 7));
      const [ca, cb] = await Promise.all([a.next(), b.next()]);
      assert.deepEqual(names(ca), ['svc-7']);
      assert.equal(ca.nonce, cb.nonce, 'one change, one encoding');
    } finally {
      a.close();
      b.close();
    }
  });

  test('a stream that asks again while the shared response is unanswered gets its own nonce', async () => {
    const s = client.delta();
    try {
      s.send({ node: NODE('parts-c'), type_url: EndpointType, resource_names_subscribe: ['svc-1'] });
      const first = await s.next();
      // Not ACKed; subscribe again: the same content, which must not reuse the unanswered nonce.
      s.send({ type_url: EndpointType, resource_names_subscribe: ['svc-1'] });
      const second = await s.next();
      assert.deepEqual(names(second), ['svc-1']);
      assert.notEqual(second.nonce, first.nonce);
    } finally {
      s.close();
    }
  });
});
