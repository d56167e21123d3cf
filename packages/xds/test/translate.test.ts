// meshToSnapshot: the resources a MeshSpec becomes, and its problems reported with their spec path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterType, EndpointType, InvalidSnapshotError, ListenerType, RouteType, meshToSnapshot, type MeshSpec } from '../src/index.js';

type Obj = Record<string, any>;
const decoded = (spec: MeshSpec, typeUrl: string, name: string): Obj => meshToSnapshot(spec, '1').get(typeUrl)!.resources.get(name)!.decode() as Obj;

const greeter: MeshSpec = {
  services: [
    {
      name: 'greeter',
      versions: [
        { name: 'v1', endpoints: [{ address: '10.0.0.1', port: 50051 }, { address: '10.0.0.2', port: 50051, weight: 2, health: 'draining', locality: { zone: 'b' } }] },
        { name: 'v2', endpoints: [{ address: '10.0.1.1', port: 50051, health: 'unhealthy' }] },
      ],
      routes: [
        { name: 'canary', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 1 }] },
        {
          name: 'default',
          match: { prefix: '/helloworld.Greeter/' },
          destinations: [
            { version: 'v1', weight: 90 },
            { version: 'v2', weight: 10 },
          ],
          timeoutMs: 2000,
          retry: { retryOn: 'unavailable', numRetries: 2, perTryTimeoutMs: 500 },
          fault: { abort: { grpcStatus: 14, percent: 5 } },
        },
      ],
      outlierDetection: { intervalMs: 1000, consecutive5xx: 3, maxEjectionPercent: 50 },
    },
    { name: 'billing', versions: [{ name: 'stable', endpoints: [{ address: '10.0.2.1', port: 8080 }] }], routes: [] },
  ],
};

test('per service: an API listener, a route configuration, a cluster and an assignment per version', () => {
  const s = meshToSnapshot(greeter, '42');
  assert.equal(s.version, '42');
  assert.deepEqual([...s.get(ListenerType)!.resources.keys()].sort(), ['billing', 'greeter']);
  assert.deepEqual([...s.get(RouteType)!.resources.keys()].sort(), ['billing', 'greeter']);
  assert.deepEqual([...s.get(ClusterType)!.resources.keys()].sort(), ['billing-stable', 'greeter-v1', 'greeter-v2']);
  assert.deepEqual([...s.get(EndpointType)!.resources.keys()].sort(), ['billing-stable', 'greeter-v1', 'greeter-v2']);
});

test('the listener fetches its route configuration over ADS; the fault filter only where a route injects faults', () => {
  const l = decoded(greeter, ListenerType, 'greeter');
  const hcm = l.api_listener.api_listener;
  assert.equal(hcm.rds.route_config_name, 'greeter');
  assert.deepEqual(hcm.http_filters.map((f: Obj) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
  const b = decoded(greeter, ListenerType, 'billing');
  assert.deepEqual(b.api_listener.api_listener.http_filters.map((f: Obj) => f.name), ['envoy.filters.http.router']);
});

test('routes in order: header canary first, then the weighted default with timeout, retry and fault; no routes: all to the first version', () => {
  const rc = decoded(greeter, RouteType, 'greeter');
  const [canary, def] = rc.virtual_hosts[0].routes;
  assert.deepEqual(rc.virtual_hosts[0].domains, ['*']);
  assert.equal(canary.name, 'canary');
  assert.deepEqual(canary.match, { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: 'true' } }] });
  assert.equal(canary.route.cluster, 'greeter-v2');
  assert.equal(def.match.prefix, '/helloworld.Greeter/');
  assert.deepEqual(def.route.weighted_clusters.clusters, [
    { name: 'greeter-v1', weight: { value: 90 } },
    { name: 'greeter-v2', weight: { value: 10 } },
  ]);
  assert.deepEqual(def.route.max_stream_duration.max_stream_duration, { seconds: '2', nanos: 0 });
  assert.equal(def.route.retry_policy.retry_on, 'unavailable');
  assert.deepEqual(def.route.retry_policy.per_try_timeout, { seconds: '0', nanos: 500_000_000 });
  assert.equal(def.typed_per_filter_config['envoy.filters.http.fault'].abort.grpc_status, 14);
  const billing = decoded(greeter, RouteType, 'billing');
  assert.equal(billing.virtual_hosts[0].routes[0].route.cluster, 'billing-stable');
});

test('a 0-weight destination stays in the split (clients keep its cluster warm for the next step)', () => {
  const spec: MeshSpec = structuredClone(greeter);
  spec.services[0].routes = [{ destinations: [{ version: 'v1', weight: 100 }, { version: 'v2', weight: 0 }] }];
  const rc = decoded(spec, RouteType, 'greeter');
  assert.deepEqual(rc.virtual_hosts[0].routes[0].route.weighted_clusters.clusters.map((c: Obj) => [c.name, c.weight?.value ?? 0]), [
    ['greeter-v1', 100],
    ['greeter-v2', 0],
  ]);
});

test('clusters: EDS with outlier detection; assignments: weights, health, localities', () => {
  const c = decoded(greeter, ClusterType, 'greeter-v1');
  assert.equal(c.type, 'EDS');
  assert.deepEqual(c.outlier_detection.consecutive_5xx, { value: 3 });
  assert.deepEqual(c.outlier_detection.max_ejection_percent, { value: 50 });
  const cla = decoded(greeter, EndpointType, 'greeter-v1');
  assert.equal(cla.endpoints.length, 2, 'two localities');
  assert.equal(cla.endpoints[0].lb_endpoints[0].health_status, 'HEALTHY');
  assert.deepEqual(cla.endpoints[1].locality, { zone: 'b' });
  assert.equal(cla.endpoints[1].lb_endpoints[0].health_status, 'DRAINING');
  assert.deepEqual(cla.endpoints[1].lb_endpoints[0].load_balancing_weight, { value: 2 });
  assert.equal(decoded(greeter, EndpointType, 'greeter-v2').endpoints[0].lb_endpoints[0].health_status, 'UNHEALTHY');
});

test('problems are collected with their spec path', () => {
  const bad: MeshSpec = {
    services: [
      {
        name: 'a',
        versions: [{ name: 'v1', endpoints: [{ address: '10.0.0.1', port: 70000 }] }],
        routes: [
          { destinations: [{ version: 'v9', weight: 1 }] },
          { destinations: [{ version: 'v1', weight: 0 }] },
          { match: { headers: [{ name: 'h' }] }, destinations: [{ version: 'v1', weight: 1 }] },
          { destinations: [] },
        ],
      },
      { name: 'b', versions: [], routes: [] },
      { name: 'a', versions: [{ name: 'v1', endpoints: [] }], routes: [] },
    ],
  };
  let err: unknown;
  try {
    meshToSnapshot(bad, '9');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InvalidSnapshotError);
  const messages = err.problems.map((p) => p.message);
  const expect = [
    /^services\[0\]\.versions\[0\]: endpoint 10\.0\.0\.1:70000: the port must be an integer from 1 to 65535/,
    /^services\[0\]\.routes\[0\]\.destinations\[0\]\.version: service "a" has no version "v9" \(versions: v1\)/,
    /^services\[0\]\.routes\[1\]\.destinations: the weights sum to 0/,
    /^services\[0\]\.routes\[2\]\.match\.headers\[0\]: header match "h" needs exactly one of exact, prefix, present/,
    /^services\[0\]\.routes\[3\]\.destinations: a route needs at least one destination/,
    /^services\[1\]\.versions: service "b" has no versions/,
    /^services\[2\]\.name: service "a" is defined twice/,
  ];
  assert.equal(messages.length, expect.length, messages.join('\n'));
  expect.forEach((re, i) => assert.match(messages[i], re));
});
