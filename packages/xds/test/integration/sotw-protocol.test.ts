// State-of-the-World protocol, checked with a raw spec-following client (xds-test-client.ts):
// nonces and versions, ACK and NACK, stale nonces, subscriptions growing and shrinking,
// Listener/Cluster responses carrying every subscribed resource, make-before-break ordering,
// requests that wait for a snapshot, the per-type services, and protocol errors.
//
// "Nothing was sent" is shown without sleeping: after the request under test, the client sends
// a request that must be answered (a new route name: RDS is the last type pushed); its response
// arriving first proves the earlier request produced nothing.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  ClusterType,
  EndpointType,
  ListenerType,
  RouteType,
  SecretType,
  Snapshot,
  SnapshotCache,
  apiListener,
  clusterLoadAssignment,
  edsCluster,
  envoyProtos,
  messageName,
  route,
  routeConfiguration,
  tlsCertificateSecret,
  virtualHost,
} from '../../src/index.js';
import { eventually, metricValue, silentLogger, startControlPlane, type ControlPlane } from '../helpers.js';
import { NODE, XdsTestClient, type DiscoveryResponse, type SotwTestStream } from '../xds-test-client.js';

interface Shape {
  /** Route name → cluster names it splits over. */
  routes?: Record<string, string[]>;
  /** Cluster name → endpoint ports. */
  clusters?: Record<string, number[]>;
  /** Cluster name → circuit-breaker limit (a way to change a Cluster resource). */
  maxRequests?: Record<string, number>;
}

function snapshot(version: string, shape: Shape = {}): Snapshot {
  const routes = shape.routes ?? { r1: ['c1'], r2: ['c2'] };
  const clusters = shape.clusters ?? { c1: [1001], c2: [1002] };
  return new Snapshot(version, {
    [ListenerType]: Object.keys(routes).map((r) => apiListener({ name: `l-${r}`, routeConfigName: r })),
    [RouteType]: Object.entries(routes).map(([name, cs]) =>
      routeConfiguration({
        name,
        virtualHosts: [virtualHost({ name, routes: [cs.length === 1 ? route({ cluster: cs[0] }) : route({ weightedClusters: cs.map((c) => ({ name: c, weight: 1 })) })] })],
      }),
    ),
    [ClusterType]: Object.keys(clusters).map((c) => edsCluster({ name: c, ...(shape.maxRequests?.[c] ? { maxRequests: shape.maxRequests[c] } : {}) })),
    [EndpointType]: Object.entries(clusters).map(([c, ports]) => clusterLoadAssignment({ clusterName: c, endpoints: ports.map((port) => ({ address: '127.0.0.1', port })) })),
    [SecretType]: [tlsCertificateSecret({ name: 'server-cert', certificateChain: 'CHAIN', privateKey: 'KEY' })],
  });
}

const short = (typeUrl: string): string => ({ [ListenerType]: 'LDS', [RouteType]: 'RDS', [ClusterType]: 'CDS', [EndpointType]: 'EDS' })[typeUrl] ?? typeUrl;

/** Resource names in a response, decoded from the Any bodies. */
function names(res: DiscoveryResponse): string[] {
  return res.resources.map((any) => {
    assert.equal(any.type_url, res.type_url, 'every resource has the response type');
    const m = envoyProtos().decode(messageName(any.type_url), any.value);
    return String(m.name ?? m.cluster_name);
  });
}

describe('SotW protocol', () => {
  let cp: ControlPlane;
  let cache: SnapshotCache;
  let client: XdsTestClient;
  const streams: SotwTestStream[] = [];
  let barrierCount = 0;

  const open = (): SotwTestStream => {
    const s = client.sotw();
    streams.push(s);
    return s;
  };
  /** Adds a new route to the snapshot and asks for it: a request that must be answered, by RDS (pushed last). */
  const barrier = async (s: SotwTestStream, routeNames: string[], nonce: string): Promise<DiscoveryResponse> => {
    const name = `rb${++barrierCount}`;
    const snap = cache.getSnapshot('node-a')!;
    const anyCluster = [...snap.get(ClusterType)!.resources.keys()][0];
    const extra = routeConfiguration({ name, virtualHosts: [virtualHost({ name, routes: [route({ cluster: anyCluster })] })] });
    cache.setSnapshot(
      'node-a',
      new Snapshot(snap.version, {
        [ListenerType]: [...snap.get(ListenerType)!.resources.values()],
        [RouteType]: [...snap.get(RouteType)!.resources.values(), extra],
        [ClusterType]: [...snap.get(ClusterType)!.resources.values()],
        [EndpointType]: [...snap.get(EndpointType)!.resources.values()],
        [SecretType]: [...snap.get(SecretType)!.resources.values()],
      }),
    );
    s.send({ type_url: RouteType, resource_names: [...routeNames, name], response_nonce: nonce });
    return s.next();
  };

  before(async () => {
    cache = new SnapshotCache({ logger: silentLogger() });
    cp = await startControlPlane({ cache, controlPlaneId: 'keelson-test' });
    client = new XdsTestClient(cp.port);
  });
  beforeEach(() => {
    cache.setSnapshot('node-a', snapshot('1'));
  });
  after(async () => {
    for (const s of streams) s.close();
    client.close();
    await cp.close();
  });

  test('a response carries a nonce and the snapshot version; the ACK (same names, that nonce) gets no resend', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: ClusterType, resource_names: ['c1'] });
    const res = await s.next();
    assert.equal(res.type_url, ClusterType);
    assert.equal(res.version_info, '1');
    assert.notEqual(res.nonce, '');
    assert.equal(res.control_plane?.identifier, 'keelson-test');
    assert.deepEqual(names(res), ['c1']);
    const body = cache.getSnapshot('node-a')!.get(ClusterType)!.resources.get('c1')!.body;
    assert.deepEqual(new Uint8Array(res.resources[0].value), new Uint8Array(body), 'the bytes the cache encoded once');

    s.send({ type_url: ClusterType, resource_names: ['c1'], version_info: res.version_info, response_nonce: res.nonce });
    const b = await barrier(s, [], '');
    assert.equal(b.type_url, RouteType, 'the ACK produced no response');
    assert.deepEqual(s.pending(), []);
    await eventually(() => {
      const cds = (cp.server.clientStatus().clients['node-a'][0].types as Record<string, { acks: number; versionAcked: string }>).CDS;
      return cds.acks === 1 && cds.versionAcked === '1';
    }, 5000, 'the ACK recorded');
  });

  test('a NACK is recorded per resource, not resent, and a new version is sent', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: ClusterType, resource_names: ['c1', 'c2'] });
    const res = await s.next();
    assert.deepEqual(names(res), ['c1', 'c2']);
    // gRPC's wording: only resource index 1 (c2) is bad; the client keeps c1 (gRFC A46).
    s.send({
      type_url: ClusterType,
      resource_names: ['c1', 'c2'],
      version_info: '',
      response_nonce: res.nonce,
      error_detail: { code: grpc.status.UNAVAILABLE, message: 'xDS response validation errors: [resource index 1: Cluster message validation failed: [nope]]' },
    });
    const b = await barrier(s, [], '');
    assert.equal(b.type_url, RouteType, 'the NACKed clusters were not resent');

    const cds = (cp.server.clientStatus().clients['node-a'].at(-1)!.types as Record<string, { nacks: number; resources: Record<string, { status: string; nack?: { message: string } }> }>).CDS;
    assert.equal(cds.nacks, 1);
    assert.equal(cds.resources.c2.status, 'NACKED');
    assert.match(cds.resources.c2.nack!.message, /resource index 1/);
    assert.equal(cds.resources.c1.status, 'ACKED', 'the valid resource of the NACKed response counts as accepted');

    // A new version of c2 is sent (with c1: a Cluster response lists every subscribed cluster).
    cache.setSnapshot('node-a', snapshot('2', { maxRequests: { c2: 50 } }));
    const next = await s.next();
    assert.equal(next.type_url, ClusterType);
    assert.equal(next.version_info, '2');
    assert.deepEqual(names(next), ['c1', 'c2']);
  });

  test('a request with a stale nonce is ignored until the client answers the latest response', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: EndpointType, resource_names: ['c1'] });
    const first = await s.next();
    cache.setSnapshot('node-a', snapshot('2', { clusters: { c1: [1111], c2: [1002] } }));
    const second = await s.next();
    assert.equal(second.type_url, EndpointType);
    assert.notEqual(second.nonce, first.nonce);
    assert.equal(second.version_info, '2');

    // Answers the first response (stale) and asks for c2 too: ignored.
    s.send({ type_url: EndpointType, resource_names: ['c1', 'c2'], version_info: '1', response_nonce: first.nonce });
    const b = await barrier(s, [], '');
    assert.equal(b.type_url, RouteType, 'the stale request produced nothing');
    // The same with the latest nonce: c2 is sent, alone (endpoints need not be repeated).
    s.send({ type_url: EndpointType, resource_names: ['c1', 'c2'], version_info: '2', response_nonce: second.nonce });
    const third = await s.next();
    assert.equal(third.type_url, EndpointType);
    assert.deepEqual(names(third), ['c2']);
    assert.ok((await metricValue(cp.registry, 'xds_server_stale_requests_total', { type: 'EDS' })) >= 1);
  });

  test('subscriptions: new names are sent even if unchanged; dropped names are resent when asked again; Cluster responses list every subscribed cluster', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: EndpointType, resource_names: ['c1'] });
    let res = await s.next();
    assert.deepEqual(names(res), ['c1']);
    s.send({ type_url: EndpointType, resource_names: ['c1', 'c2'], version_info: res.version_info, response_nonce: res.nonce });
    res = await s.next();
    assert.deepEqual(names(res), ['c2'], 'only the new name');
    s.send({ type_url: EndpointType, resource_names: ['c1'], version_info: res.version_info, response_nonce: res.nonce });
    const b = await barrier(s, [], '');
    assert.equal(b.type_url, RouteType, 'dropping a name sends nothing');
    s.send({ type_url: EndpointType, resource_names: ['c1', 'c2'], version_info: res.version_info, response_nonce: res.nonce });
    res = await s.next();
    assert.deepEqual(names(res), ['c2'], 'asked again: resent');

    s.send({ type_url: ClusterType, resource_names: ['c1'] });
    res = await s.next();
    assert.deepEqual(names(res), ['c1']);
    s.send({ type_url: ClusterType, resource_names: ['c1', 'c2'], version_info: res.version_info, response_nonce: res.nonce });
    res = await s.next();
    assert.deepEqual(names(res), ['c1', 'c2'], 'a Cluster response carries every subscribed cluster');
  });

  test('wildcard: an empty first Listener/Cluster request is the legacy wildcard; "*" too; an empty list after naming means nothing', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: ClusterType, resource_names: [] });
    let res = await s.next();
    assert.deepEqual(names(res).sort(), ['c1', 'c2']);
    cache.setSnapshot('node-a', snapshot('2', { clusters: { c1: [1001], c2: [1002], c3: [1003] }, routes: { r1: ['c1'], r2: ['c2'], r3: ['c3'] } }));
    res = await s.next();
    assert.deepEqual(names(res).sort(), ['c1', 'c2', 'c3'], 'new clusters reach wildcard subscribers');

    s.send({ type_url: ListenerType, resource_names: ['*'] });
    res = await s.next();
    assert.deepEqual(names(res).sort(), ['l-r1', 'l-r2', 'l-r3']);
    s.send({ type_url: ListenerType, resource_names: ['l-r1'], version_info: res.version_info, response_nonce: res.nonce });
    const b = await barrier(s, [], '');
    assert.equal(b.type_url, RouteType, 'narrowing to one listener the client holds sends nothing');
  });

  test('make-before-break: clusters, endpoints, listeners, routes in that order; a removed cluster goes after the route that used it', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: ListenerType, resource_names: [] });
    s.send({ type_url: RouteType, resource_names: ['r1'] });
    s.send({ type_url: ClusterType, resource_names: [] });
    s.send({ type_url: EndpointType, resource_names: ['c1', 'c3'] });
    const seen = new Map<string, DiscoveryResponse>();
    for (let i = 0; i < 4; i++) {
      const r = await s.next();
      seen.set(r.type_url, r);
    }
    for (const r of seen.values()) s.send({ type_url: r.type_url, resource_names: r.type_url === RouteType ? ['r1'] : r.type_url === EndpointType ? ['c1', 'c3'] : [], version_info: r.version_info, response_nonce: r.nonce });

    // Add cluster c3 (and its endpoints), route r1 now splits over c1 and c3, c1's endpoints change.
    cache.setSnapshot('node-a', snapshot('2', { routes: { r1: ['c1', 'c3'], r2: ['c2'] }, clusters: { c1: [1101], c2: [1002], c3: [1003] } }));
    const pushed: string[] = [];
    const responses: DiscoveryResponse[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.next();
      pushed.push(short(r.type_url));
      responses.push(r);
    }
    assert.deepEqual(pushed, ['CDS', 'EDS', 'RDS'], 'referenced before referencing; the unchanged listeners are not resent');
    assert.deepEqual(names(responses[1]).sort(), ['c1', 'c3']);
    for (const r of responses) s.send({ type_url: r.type_url, resource_names: r.type_url === RouteType ? ['r1'] : r.type_url === EndpointType ? ['c1', 'c3'] : [], version_info: r.version_info, response_nonce: r.nonce });

    // Route r1 moves to c3 only; cluster c1 and its endpoints go away.
    cache.setSnapshot('node-a', snapshot('3', { routes: { r1: ['c3'], r2: ['c2'] }, clusters: { c2: [1002], c3: [1003] } }));
    const second: DiscoveryResponse[] = [await s.next(), await s.next()];
    assert.deepEqual(second.map((r) => short(r.type_url)), ['RDS', 'CDS'], 'the route moves off c1 before c1 is removed');
    assert.deepEqual(names(second[1]).sort(), ['c2', 'c3']);
    const b = await barrier(s, ['r1'], second[0].nonce);
    assert.equal(b.type_url, RouteType);
    assert.deepEqual(s.pending(), [], 'nothing else: endpoint removal is implicit in SotW');
  });

  test('secrets (SDS) by name on the same stream', async () => {
    const s = open();
    s.send({ node: NODE('node-a'), type_url: SecretType, resource_names: ['server-cert'] });
    const res = await s.next();
    assert.equal(res.type_url, SecretType);
    assert.deepEqual(names(res), ['server-cert']);
    const secret = envoyProtos().decode(messageName(SecretType), res.resources[0].value) as { tls_certificate: { private_key: { inline_string: string } } };
    assert.equal(secret.tls_certificate.private_key.inline_string, 'KEY');
  });

  test('a request for a node without a snapshot waits for one', async () => {
    const s = open();
    s.send({ node: NODE('node-late'), type_url: ClusterType, resource_names: ['c1'] });
    await assert.rejects(s.next(300), /no response/);
    cache.setSnapshot('node-late', snapshot('7'));
    const res = await s.next();
    assert.equal(res.version_info, '7');
    assert.deepEqual(names(res), ['c1']);
    cache.clearSnapshot('node-late');
  });

  test('per-type services: StreamClusters (type_url may be empty), FetchListeners', async () => {
    const s = client.clustersSotw();
    streams.push(s);
    s.send({ node: NODE('node-a'), resource_names: ['c2'] });
    const res = await s.next();
    assert.equal(res.type_url, ClusterType);
    assert.deepEqual(names(res), ['c2']);

    const fetched = await client.fetchListeners({ node: NODE('node-a'), resource_names: ['l-r1'] });
    assert.equal(fetched.version_info, '1');
    assert.deepEqual(names(fetched), ['l-r1']);

    const wrong = client.clustersSotw();
    streams.push(wrong);
    wrong.send({ node: NODE('node-a'), type_url: ListenerType, resource_names: [] });
    const st = await wrong.status();
    assert.equal(st.code, grpc.status.INVALID_ARGUMENT);
    assert.match(st.details, /serves .*Cluster only/);
  });

  test('callbacks: a request hook that throws closes that stream with its message; the others keep going', async () => {
    const seen: string[] = [];
    const own = await startControlPlane({
      cache,
      callbacks: {
        onStreamOpen: (id, typeUrl) => seen.push(`open ${typeUrl === '' ? 'ADS' : typeUrl}`),
        onStreamRequest: (_id, req) => {
          if (req.node?.id === 'refused') throw new Error('node "refused" is not allowed here');
        },
        onStreamResponse: (_id, _req, res) => seen.push(`response ${res.resources.map((r) => r.name).join(',')}`),
        onStreamClosed: () => seen.push('closed'),
      },
    });
    const c = new XdsTestClient(own.port);
    try {
      const refused = c.sotw();
      streams.push(refused);
      refused.send({ node: NODE('refused'), type_url: ClusterType, resource_names: ['c1'] });
      const st = await refused.status();
      assert.match(st.details, /node "refused" is not allowed here/);
      const ok = c.sotw();
      streams.push(ok);
      ok.send({ node: NODE('node-a'), type_url: ClusterType, resource_names: ['c1'] });
      assert.deepEqual(names(await ok.next()), ['c1']);
      await eventually(() => seen.includes('response c1') && seen.includes('closed'), 5000, 'the callbacks');
      assert.equal(seen.filter((x) => x === 'open ADS').length, 2);
    } finally {
      c.close();
      await own.close();
    }
  });

  test('protocol errors end the stream with INVALID_ARGUMENT and say what to fix', async () => {
    const noNode = open();
    noNode.send({ type_url: ClusterType, resource_names: [] });
    const st = await noNode.status();
    assert.equal(st.code, grpc.status.INVALID_ARGUMENT);
    assert.match(st.details, /must carry node/);

    const noType = open();
    noType.send({ node: NODE('node-a'), resource_names: [] });
    const st2 = await noType.status();
    assert.equal(st2.code, grpc.status.INVALID_ARGUMENT);
    assert.match(st2.details, /type_url is empty/);
  });
});
