// Kubernetes objects → MeshSpec (KubernetesMeshBuilder, pure): the mapping of TrafficSplits,
// Services and EndpointSlices, and what happens to invalid or conflicting TrafficSplits (their
// service keeps its last good state; the rest of the mesh moves on). The CRD file is checked
// against the exported object. Against a real API server: integration/kubernetes-source.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { KubernetesMeshBuilder, backendVersionName, endpointHealth, type ClusterMeshState, type EndpointSliceObject, type ServiceObject } from '../src/mesh/kubernetes-mesh.js';
import { trafficSplitCrd, type TrafficSplit, type TrafficSplitSpec } from '../src/mesh/traffic-split.js';
import { formatMeshError } from '../src/mesh/errors.js';

const here = dirname(fileURLToPath(import.meta.url));

const split = (name: string, spec: TrafficSplitSpec, created = '2026-01-01T00:00:00Z', ns = 'default'): TrafficSplit => ({
  apiVersion: 'mesh.keelson.dev/v1alpha1',
  kind: 'TrafficSplit',
  metadata: { name, namespace: ns, creationTimestamp: created },
  spec,
});
const service = (name: string, ports: { name?: string; port: number }[] = [{ name: 'grpc', port: 50051 }], ns = 'default', extra: Partial<NonNullable<ServiceObject['spec']>> = {}): ServiceObject => ({
  metadata: { name, namespace: ns },
  spec: { ports, ...extra },
});
type Ep = NonNullable<EndpointSliceObject['endpoints']>[number];
const slice = (name: string, svc: string, endpoints: Ep[], ports: { name?: string; port: number }[] = [{ name: 'grpc', port: 8080 }], addressType = 'IPv4', ns = 'default'): EndpointSliceObject => ({
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType,
  ports,
  endpoints,
});
const ready = (ip: string, extra: Partial<Ep> = {}): Ep => ({ addresses: [ip], conditions: { ready: true }, ...extra });

const greeterSplit = (weights: [number, number] = [90, 10]): TrafficSplit =>
  split('greeter', {
    service: 'greeter',
    backends: [{ service: 'greeter-v1', weight: weights[0] }, { service: 'greeter-v2', weight: weights[1] }],
    matches: [{ name: 'canary', headers: [{ name: 'x-canary', exact: 'true' }], backend: 'greeter-v2' }],
  });
const greeterState = (over: Partial<ClusterMeshState> = {}): ClusterMeshState => ({
  trafficSplits: [greeterSplit()],
  services: [service('greeter-v1'), service('greeter-v2')],
  endpointSlices: [slice('greeter-v1-abc', 'greeter-v1', [ready('10.0.0.1')]), slice('greeter-v2-abc', 'greeter-v2', [ready('10.0.0.2')])],
  ...over,
});

describe('KubernetesMeshBuilder: mapping', () => {
  it('turns a TrafficSplit into routes (matches first, then the weighted split) over its backends as versions', () => {
    const { spec, rejected } = new KubernetesMeshBuilder().build(greeterState());
    assert.deepEqual(rejected, []);
    assert.deepEqual(spec, {
      services: [
        {
          name: 'greeter',
          versions: [
            { name: 'v1', endpoints: [{ address: '10.0.0.1', port: 8080, health: 'healthy' }] },
            { name: 'v2', endpoints: [{ address: '10.0.0.2', port: 8080, health: 'healthy' }] },
          ],
          routes: [
            { name: 'canary', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 1 }] },
            { name: 'default', destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] },
          ],
        },
      ],
    });
  });

  it('reads endpoints as the API documents them: first address, conditions, zone, port by name, primary family, duplicates merged', () => {
    const state = greeterState({
      services: [service('greeter-v1', [{ name: 'metrics', port: 9090 }, { name: 'grpc', port: 50051 }]), service('greeter-v2')],
      endpointSlices: [
        slice('greeter-v1-a', 'greeter-v1', [
          { addresses: ['10.0.0.3', '10.0.0.33'], conditions: { ready: true }, zone: 'zone-a' },
          { addresses: ['10.0.0.1'], conditions: {} }, // ready unset means ready
          { addresses: ['10.0.0.4'], conditions: { ready: false } },
          { addresses: ['10.0.0.5'], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.0.0.6'], conditions: { ready: false } }, // also in slice b, ready there
        ], [{ name: 'metrics', port: 9090 }, { name: 'grpc', port: 8080 }]),
        slice('greeter-v1-b', 'greeter-v1', [ready('10.0.0.6'), { addresses: [] }]),
        slice('greeter-v1-v6', 'greeter-v1', [ready('fd00::1')], undefined, 'IPv6'),
        slice('greeter-v1-other', 'greeter-v1', [ready('10.0.0.9')], [{ name: 'metrics', port: 9090 }]),
        slice('greeter-v2-a', 'greeter-v2', [ready('10.0.0.2')]),
        slice('unrelated', 'billing', [ready('10.9.9.9')]),
      ],
    });
    const { spec, rejected } = new KubernetesMeshBuilder().build(state);
    assert.deepEqual(rejected, []);
    assert.deepEqual(spec.services[0].versions[0].endpoints, [
      { address: '10.0.0.1', port: 8080, health: 'healthy' },
      { address: '10.0.0.3', port: 8080, health: 'healthy', locality: { zone: 'zone-a' } },
      { address: '10.0.0.4', port: 8080, health: 'unhealthy' },
      { address: '10.0.0.5', port: 8080, health: 'draining' },
      { address: '10.0.0.6', port: 8080, health: 'healthy' },
    ]);
    // A dual-stack Service listing IPv6 first is served over IPv6.
    const v6 = greeterState({
      services: [service('greeter-v1', undefined, 'default', { ipFamilies: ['IPv6', 'IPv4'] }), service('greeter-v2')],
      endpointSlices: [...greeterState().endpointSlices, slice('greeter-v1-v6', 'greeter-v1', [ready('fd00::1')], undefined, 'IPv6')],
    });
    assert.deepEqual(new KubernetesMeshBuilder().build(v6).spec.services[0].versions[0].endpoints, [{ address: 'fd00::1', port: 8080, health: 'healthy' }]);
  });

  it('names versions after their Services, keeps weight-0 backends in the split (warm, no calls), and serves a backend without slices with no endpoints', () => {
    const state: ClusterMeshState = {
      trafficSplits: [split('shop', { service: 'shop', port: 'grpc', backends: [{ service: 'shop', weight: 0 }, { service: 'shop-next', weight: 3 }, { service: 'legacy', weight: 1 }] })],
      services: [service('shop'), service('shop-next'), service('legacy')],
      endpointSlices: [slice('shop-x', 'shop', [ready('10.1.0.1')])],
    };
    const { spec, rejected } = new KubernetesMeshBuilder().build(state);
    assert.deepEqual(rejected, []);
    assert.deepEqual(spec.services[0].versions.map((v) => [v.name, v.endpoints.length]), [['shop', 1], ['next', 0], ['legacy', 0]]);
    assert.deepEqual(spec.services[0].routes, [{ name: 'default', destinations: [{ version: 'shop', weight: 0 }, { version: 'next', weight: 3 }, { version: 'legacy', weight: 1 }] }]);
    assert.equal(backendVersionName('greeter', 'greeter-v2'), 'v2');
    assert.equal(backendVersionName('greeter', 'greeter-'), 'greeter-');
    assert.equal(backendVersionName('greeter', 'greeter'), 'greeter');
    assert.equal(endpointHealth(undefined), 'healthy');
    assert.equal(endpointHealth({ ready: null, terminating: true }), 'draining');
  });

  it('puts services in name order, whatever order the informers list them', () => {
    const a = split('zeta', { service: 'zeta', backends: [{ service: 'greeter-v1', weight: 1 }] });
    const state = greeterState({ trafficSplits: [a, greeterSplit()] });
    const one = new KubernetesMeshBuilder().build(state).spec;
    const two = new KubernetesMeshBuilder().build({ ...state, trafficSplits: [greeterSplit(), a], endpointSlices: [...state.endpointSlices].reverse() }).spec;
    assert.deepEqual(one.services.map((s) => s.name), ['greeter', 'zeta']);
    assert.deepEqual(two, one);
  });
});

describe('KubernetesMeshBuilder: invalid config', () => {
  const messages = (r: { rejected: { source?: string; path: string; message: string }[] }): string[] => r.rejected.map(formatMeshError);

  it('leaves out a TrafficSplit that never was valid, says why, and serves the others', () => {
    const bad = split('billing', { service: 'billing', backends: [{ service: 'billing-v1', weight: 1 }] });
    const r = new KubernetesMeshBuilder().build(greeterState({ trafficSplits: [greeterSplit(), bad] }));
    assert.deepEqual(r.spec.services.map((s) => s.name), ['greeter']);
    assert.deepEqual(messages(r), [
      'TrafficSplit default/billing: spec.backends[0].service: Service "billing-v1" does not exist in namespace "default"; create it or fix the name',
      'TrafficSplit default/billing: not applied; its service is not in the mesh until it is fixed',
    ]);
  });

  it('keeps the last good TrafficSplit of an invalid one, with current endpoints', () => {
    const b = new KubernetesMeshBuilder();
    assert.deepEqual(b.build(greeterState()).rejected, []);
    const broken = greeterSplit([50, 50]);
    broken.spec!.matches![0].backend = 'greeter-v3';
    const moved = [slice('greeter-v1-abc', 'greeter-v1', [ready('10.0.0.7')]), slice('greeter-v2-abc', 'greeter-v2', [ready('10.0.0.2')])];
    const r = b.build(greeterState({ trafficSplits: [broken], endpointSlices: moved }));
    assert.deepEqual(messages(r), [
      'TrafficSplit default/greeter: spec.matches[0].backend: "greeter-v3" is not one of this TrafficSplit\'s backends (greeter-v1, greeter-v2); add it to spec.backends (weight 0 keeps it out of the split) or fix the name',
      'TrafficSplit default/greeter: not applied; service "greeter" keeps the routes and weights of this TrafficSplit\'s last good version (with current endpoints) until it is fixed',
    ]);
    const g = r.spec.services[0];
    assert.deepEqual(g.routes[1].destinations, [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }], 'old weights');
    assert.deepEqual(g.versions[0].endpoints, [{ address: '10.0.0.7', port: 8080, health: 'healthy' }], 'new endpoints');
    // Fixed: applied as written.
    const fixed = b.build(greeterState({ trafficSplits: [greeterSplit([50, 50])] }));
    assert.deepEqual(fixed.rejected, []);
    assert.deepEqual(fixed.spec.services[0].routes[1].destinations, [{ version: 'v1', weight: 50 }, { version: 'v2', weight: 50 }]);
  });

  it('keeps the whole last good service when even its last good TrafficSplit no longer builds', () => {
    const b = new KubernetesMeshBuilder();
    const good = b.build(greeterState()).spec;
    const r = b.build(greeterState({ services: [service('greeter-v1')] })); // greeter-v2 deleted
    assert.deepEqual(r.spec, good);
    assert.match(messages(r)[0], /spec\.backends\[1\]\.service: Service "greeter-v2" does not exist/);
    assert.match(messages(r)[1], /keeps its last good state \(routes, weights and endpoints\)/);
  });

  it('forgets the last good state of a deleted TrafficSplit', () => {
    const b = new KubernetesMeshBuilder();
    b.build(greeterState());
    assert.deepEqual(b.build(greeterState({ trafficSplits: [] })).spec, { services: [] });
    const broken = greeterSplit([0, 0]);
    const r = b.build(greeterState({ trafficSplits: [broken] }));
    assert.deepEqual(r.spec, { services: [] });
    assert.match(messages(r)[0], /spec\.backends: every weight is 0/);
  });

  it('gives a root service to the older of two TrafficSplits claiming it', () => {
    const older = split('greeter-a', { service: 'greeter', backends: [{ service: 'greeter-v1', weight: 1 }] }, '2026-01-01T00:00:00Z', 'team-a');
    const newer = split('greeter-b', { service: 'greeter', backends: [{ service: 'greeter-v2', weight: 1 }] }, '2026-02-01T00:00:00Z', 'default');
    const state: ClusterMeshState = {
      trafficSplits: [newer, older],
      services: [service('greeter-v1', undefined, 'team-a'), service('greeter-v2')],
      endpointSlices: [slice('s1', 'greeter-v1', [ready('10.0.0.1')], undefined, 'IPv4', 'team-a'), slice('s2', 'greeter-v2', [ready('10.0.0.2')])],
    };
    const r = new KubernetesMeshBuilder().build(state);
    assert.deepEqual(r.spec.services.map((s) => s.versions[0].endpoints[0].address), ['10.0.0.1']);
    assert.match(messages(r)[0], /^TrafficSplit default\/greeter-b: spec\.service: service "greeter" is already claimed by TrafficSplit team-a\/greeter-a \(older\)/);
    assert.deepEqual(r.referencedServices, new Set(['default/greeter-v2', 'team-a/greeter-v1']));
  });

  it('reports port, slice and rule problems where they are (TrafficSplit or EndpointSlice)', () => {
    const cases: [Partial<ClusterMeshState>, RegExp][] = [
      [{ services: [service('greeter-v1', [{ name: 'http', port: 80 }, { name: 'admin', port: 81 }]), service('greeter-v2')] }, /spec\.backends\[0\]\.service: Service "greeter-v1" has several ports \(http, admin\) and none is named grpc; set spec\.port/],
      [{ services: [service('greeter-v1', []), service('greeter-v2')] }, /Service "greeter-v1" has no ports/],
      [{ services: [service('greeter-v1', [], 'default', { type: 'ExternalName' }), service('greeter-v2')] }, /type ExternalName/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { ...greeterSplit().spec!, port: 'rpc' } }] }, /spec\.port: Service "greeter-v1" has no port named "rpc" \(its ports: grpc\)/],
      [{ endpointSlices: [slice('greeter-v1-abc', 'greeter-v1', [ready('10.0.0.1')], [{ name: 'http', port: 80 }])] }, /the EndpointSlices of Service "greeter-v1" carry no port named "grpc" \(theirs: http\)/],
      [{ endpointSlices: [slice('greeter-v1-abc', 'greeter-v1', [ready('10.0.0.1'), ready('not-an-ip')])] }, /^EndpointSlice default\/greeter-v1-abc: endpoints\[1\]\.address: "not-an-ip" is not an IP address/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { ...greeterSplit().spec!, matches: [{ headers: [{ name: 'X-Canary', exact: 'true' }], backend: 'greeter-v2' }] } }] }, /^TrafficSplit default\/greeter: spec\.matches\[0\]\.headers\[0\]\.name: "X-Canary" must be lowercase/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { ...greeterSplit().spec!, matches: [{ prefix: 'helloworld', backend: 'greeter-v2' }] } }] }, /^TrafficSplit default\/greeter: spec\.matches\[0\]\.prefix: "helloworld" must start with '\/'/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { ...greeterSplit().spec!, matches: [{ backend: 'greeter-v2' }] } }] }, /spec\.matches\[0\]: has no headers, prefix or path, so it takes every call/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { ...greeterSplit().spec!, matches: [{ name: 'a', path: '/x/y', backend: 'greeter-v2' }, { name: 'a', path: '/x/z', backend: 'greeter-v1' }] } }] }, /spec\.matches\[1\]\.name: "a" is already the name of spec\.matches\[0\]/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { service: 'greeter', backends: [{ service: 'greeter-v2', weight: 1 }, { service: 'v2', weight: 1 }] } }], services: [service('greeter-v2'), service('v2')] }, /spec\.backends\[1\]\.service: makes version "v2", as spec\.backends\[0\] does/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { service: 'Greeter', backends: [] } }] }, /spec\.service: "Greeter" is not a DNS label/],
      [{ trafficSplits: [{ ...greeterSplit(), spec: { service: 'greeter', backends: [{ service: 'greeter-v1', weight: 1.5 }] } }] }, /^TrafficSplit default\/greeter: spec\.backends\[0\]\.weight: 1\.5 is not a whole number/],
    ];
    for (const [over, expected] of cases) {
      const r = new KubernetesMeshBuilder().build(greeterState(over));
      assert.deepEqual(r.spec, { services: [] }, String(expected));
      assert.match(messages(r)[0], expected, messages(r).join('\n'));
      assert.match(messages(r).at(-1)!, /not applied; its service is not in the mesh until it is fixed/);
    }
  });
});

describe('TrafficSplit CRD', () => {
  it('examples/trafficsplit-crd.yaml is the exported trafficSplitCrd', () => {
    const fromFile = parse(readFileSync(join(here, '../examples/trafficsplit-crd.yaml'), 'utf8'));
    assert.deepEqual(fromFile, JSON.parse(JSON.stringify(trafficSplitCrd)));
  });

  it('examples/trafficsplit.yaml builds the canary it describes', () => {
    const ts = parse(readFileSync(join(here, '../examples/trafficsplit.yaml'), 'utf8')) as TrafficSplit;
    const r = new KubernetesMeshBuilder().build(greeterState({ trafficSplits: [ts] }));
    assert.deepEqual(r.rejected, []);
    assert.deepEqual(r.spec, new KubernetesMeshBuilder().build(greeterState()).spec);
  });
});
