// Builders: each resource encodes (strictly: unknown fields are errors) and decodes back to the
// fields the client reads; bad input gets an error naming the problem and the fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterType,
  EndpointType,
  HTTP_CONNECTION_MANAGER_TYPE_URL,
  InvalidResourceError,
  ListenerType,
  ROUTER_TYPE_URL,
  RouteType,
  SecretType,
  apiListener,
  clusterLoadAssignment,
  edsCluster,
  faultFilter,
  httpListener,
  makeResource,
  route,
  routeConfiguration,
  tlsCertificateSecret,
  validationContextSecret,
  virtualHost,
  type Message,
} from '../src/index.js';

type Obj = Record<string, any>;
const roundTrip = (typeUrl: string, m: Message): Obj => makeResource(typeUrl, m).decode() as Obj;

test('apiListener: HttpConnectionManager over ADS, router last, fault before it', () => {
  const l = roundTrip(ListenerType, apiListener({ name: 'greeter', routeConfigName: 'greeter-routes', httpFilters: [faultFilter()], maxStreamDurationMs: 1500 }));
  assert.equal(l.name, 'greeter');
  const hcm = l.api_listener.api_listener;
  assert.equal(hcm['@type'], HTTP_CONNECTION_MANAGER_TYPE_URL);
  assert.equal(hcm.rds.route_config_name, 'greeter-routes');
  assert.deepEqual(hcm.rds.config_source, { ads: {}, resource_api_version: 'V3' });
  assert.deepEqual(hcm.http_filters.map((f: Obj) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
  assert.equal(hcm.http_filters[1].typed_config['@type'], ROUTER_TYPE_URL);
  assert.deepEqual(hcm.common_http_protocol_options.max_stream_duration, { seconds: '1', nanos: 500_000_000 });
});

test('httpListener: an Envoy listener with one HCM filter chain', () => {
  const l = roundTrip(ListenerType, httpListener({ name: 'ingress', address: '0.0.0.0', port: 10000, routeConfigName: 'ingress' }));
  assert.deepEqual(l.address, { socket_address: { address: '0.0.0.0', port_value: 10000 } });
  assert.equal(l.filter_chains[0].filters[0].typed_config.rds.route_config_name, 'ingress');
});

test('listener misuse: router not last, both or neither route source', () => {
  assert.throws(() => apiListener({ name: 'x', routeConfigName: 'r', httpFilters: [{ name: 'router', typed_config: { '@type': ROUTER_TYPE_URL } }, faultFilter()] }), /router filter is at position 0 of 2; it must be the last/);
  assert.throws(() => apiListener({ name: 'x' }), /exactly one of routeConfigName/);
  assert.throws(() => apiListener({ name: 'x', routeConfigName: 'r', routeConfig: {} }), /exactly one of routeConfigName/);
});

test('routes: header and prefix matches, weighted clusters, timeout, retry, fault', () => {
  const rc = roundTrip(
    RouteType,
    routeConfiguration({
      name: 'greeter',
      virtualHosts: [
        virtualHost({
          name: 'greeter',
          routes: [
            route({ name: 'canary', match: { prefix: '/pkg.Greeter/', headers: [{ name: 'x-canary', exact: 'true' }, { name: 'x-debug', present: true, invert: true }] }, cluster: 'greeter-v2' }),
            route({
              name: 'split',
              match: { path: '/pkg.Greeter/SayHello', caseSensitive: false },
              weightedClusters: [
                { name: 'greeter-v1', weight: 90 },
                { name: 'greeter-v2', weight: 10 },
              ],
              timeoutMs: 2500,
              retry: { retryOn: 'unavailable,cancelled', numRetries: 2, perTryTimeoutMs: 500, backoff: { baseIntervalMs: 25, maxIntervalMs: 250 } },
              fault: { delay: { fixedDelayMs: 100, percent: 12.5 }, abort: { grpcStatus: 14, percent: 1 } },
            }),
            route({ match: { regex: '/pkg\\..*', fractionPercent: 50 }, cluster: 'greeter-v1' }),
          ],
        }),
      ],
    }),
  );
  const [canary, split, regex] = rc.virtual_hosts[0].routes;
  assert.deepEqual(rc.virtual_hosts[0].domains, ['*']);
  assert.equal(canary.match.prefix, '/pkg.Greeter/');
  assert.deepEqual(canary.match.headers[0], { name: 'x-canary', string_match: { exact: 'true' } });
  assert.deepEqual(canary.match.headers[1], { name: 'x-debug', present_match: true, invert_match: true });
  assert.equal(canary.route.cluster, 'greeter-v2');
  assert.equal(split.match.path, '/pkg.Greeter/SayHello');
  assert.deepEqual(split.match.case_sensitive, { value: false });
  assert.deepEqual(split.route.weighted_clusters.clusters, [
    { name: 'greeter-v1', weight: { value: 90 } },
    { name: 'greeter-v2', weight: { value: 10 } },
  ]);
  assert.deepEqual(split.route.max_stream_duration.max_stream_duration, { seconds: '2', nanos: 500_000_000 });
  assert.deepEqual(split.route.timeout, { seconds: '2', nanos: 500_000_000 });
  assert.equal(split.route.retry_policy.retry_on, 'unavailable,cancelled');
  assert.deepEqual(split.route.retry_policy.num_retries, { value: 2 });
  assert.deepEqual(split.route.retry_policy.retry_back_off.base_interval, { seconds: '0', nanos: 25_000_000 });
  const fault = split.typed_per_filter_config['envoy.filters.http.fault'];
  assert.equal(fault['@type'], 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault');
  assert.deepEqual(fault.delay.percentage, { numerator: 125000, denominator: 'MILLION' });
  assert.deepEqual(fault.abort, { grpc_status: 14, percentage: { numerator: 10000, denominator: 'MILLION' } });
  assert.deepEqual(regex.match.safe_regex, { regex: '/pkg\\..*' });
  assert.deepEqual(regex.match.runtime_fraction.default_value, { numerator: 500000, denominator: 'MILLION' });
});

test('route misuse gets an error that says what to do', () => {
  assert.throws(() => route({}), /exactly one of cluster or weightedClusters/);
  assert.throws(() => route({ cluster: 'a', match: { headers: [{ name: 'h' }] } }), /header match "h" needs exactly one of exact, prefix, suffix, regex, present \(got none\)/);
  assert.throws(() => route({ cluster: 'a', retry: { retryOn: 'unavailable', numRetries: 0 } }), /numRetries 0: use an integer >= 1/);
  assert.throws(() => route({ cluster: 'a', match: { prefix: '/', path: '/x' } }), /one of prefix, path or regex/);
  assert.throws(() => route({ cluster: 'a', fault: { abort: { percent: 5 } } }), /exactly one of grpcStatus or httpStatus/);
  assert.throws(() => route({ cluster: 'a', fault: { delay: { fixedDelayMs: 5, percent: 150 } } }), /percentage 150: use a number from 0 to 100/);
});

test('weights summing to 0, a route without a cluster, and unknown fields are refused before sending', () => {
  const rc = (r: Message): Message => routeConfiguration({ name: 'r', virtualHosts: [virtualHost({ name: 'v', routes: [r] })] });
  assert.throws(
    () => makeResource(RouteType, rc(route({ weightedClusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] }))),
    (err: unknown) => err instanceof InvalidResourceError && err.resourceName === 'r' && /weights sum to 0/.test(err.message) && err.field === 'virtual_hosts[0].routes[0].route.weighted_clusters',
  );
  assert.throws(() => makeResource(RouteType, rc({ match: { prefix: '' }, route: {} })), /needs cluster or weighted_clusters/);
  assert.throws(() => makeResource(RouteType, rc({ match: { prefix: '' }, route: { clustr: 'a' } })), /RouteAction has no field "clustr".*snake_case/);
  assert.throws(() => makeResource(ClusterType, { name: 'c', type: 'EDSS' }), /"EDSS" is not a value of enum type/);
  assert.throws(() => makeResource(ClusterType, { type: 'EDS' }), /has no name/);
  assert.throws(() => makeResource(ListenerType, { name: 'l' }), /needs api_listener .* or filter_chains/);
});

test('edsCluster: EDS over ADS, round robin, outlier detection, circuit breaker', () => {
  const c = roundTrip(ClusterType, edsCluster({ name: 'greeter-v1', outlierDetection: { intervalMs: 1000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50, consecutive5xx: 5, failurePercentage: { threshold: 50, minimumHosts: 2, requestVolume: 10 } }, maxRequests: 100 }));
  assert.equal(c.type, 'EDS');
  assert.deepEqual(c.eds_cluster_config.eds_config, { ads: {}, resource_api_version: 'V3' });
  assert.equal(c.lb_policy, 'ROUND_ROBIN');
  assert.deepEqual(c.outlier_detection.interval, { seconds: '1', nanos: 0 });
  assert.deepEqual(c.outlier_detection.consecutive_5xx, { value: 5 });
  assert.deepEqual(c.outlier_detection.enforcing_failure_percentage, { value: 100 });
  assert.deepEqual(c.outlier_detection.failure_percentage_threshold, { value: 50 });
  assert.deepEqual(c.circuit_breakers.thresholds[0].max_requests, { value: 100 });
  const named = roundTrip(ClusterType, edsCluster({ name: 'c', serviceName: 'c-endpoints', lbPolicy: 'RING_HASH' }));
  assert.equal(named.eds_cluster_config.service_name, 'c-endpoints');
  assert.equal(named.lb_policy, 'RING_HASH');
  assert.deepEqual(makeResource(ClusterType, edsCluster({ name: 'c', serviceName: 'c-endpoints' })).references.map((r) => r.name), ['c-endpoints']);
});

test('clusterLoadAssignment: localities with weights (non-zero), priorities, health', () => {
  const cla = roundTrip(
    EndpointType,
    clusterLoadAssignment({
      clusterName: 'greeter-v1',
      endpoints: [
        { address: '10.0.0.1', port: 50051 },
        { address: '10.0.0.2', port: 50051, weight: 3, health: 'DRAINING' },
        { address: '10.0.1.1', port: 50051, locality: { region: 'eu', zone: 'b' } },
        { address: '10.0.2.1', port: 50051, priority: 1 },
      ],
    }),
  );
  assert.equal(cla.cluster_name, 'greeter-v1');
  assert.equal(cla.endpoints.length, 3);
  const [local, eu, backup] = cla.endpoints;
  assert.deepEqual(local.load_balancing_weight, { value: 4 });
  assert.equal(local.lb_endpoints[1].health_status, 'DRAINING');
  assert.deepEqual(local.lb_endpoints[1].load_balancing_weight, { value: 3 });
  assert.deepEqual(eu.locality, { region: 'eu', zone: 'b' });
  assert.equal(backup.priority, 1);
  assert.throws(() => clusterLoadAssignment({ clusterName: 'x', endpoints: [{ address: '1.2.3.4', port: 0 }] }), /port must be an integer from 1 to 65535/);
  assert.throws(() => clusterLoadAssignment({ clusterName: 'x', endpoints: [{ address: '1.2.3.4', port: 1, weight: 0 }] }), /weight 0 must be an integer >= 1/);
  assert.throws(
    () => makeResource(EndpointType, clusterLoadAssignment({ clusterName: 'x', endpoints: [{ address: '1.2.3.4', port: 1 }, { address: '1.2.3.4', port: 1 }] })),
    /address 1\.2\.3\.4:1 appears twice/,
  );
  assert.throws(() => makeResource(EndpointType, clusterLoadAssignment({ clusterName: 'x', endpoints: [{ address: '1.2.3.4', port: 1, priority: 2 }] })), /contiguous from 0/);
});

test('secrets', () => {
  const s = roundTrip(SecretType, tlsCertificateSecret({ name: 'cert', certificateChain: 'CHAIN', privateKey: 'KEY' }));
  assert.deepEqual(s.tls_certificate.certificate_chain, { inline_string: 'CHAIN' });
  const v = roundTrip(SecretType, validationContextSecret({ name: 'ca', trustedCa: 'CA' }));
  assert.deepEqual(v.validation_context.trusted_ca, { inline_string: 'CA' });
});

test('a resource version is the hash of its encoding: equal content, equal version', () => {
  const a = makeResource(ClusterType, edsCluster({ name: 'c' }));
  const b = makeResource(ClusterType, edsCluster({ name: 'c' }));
  const c = makeResource(ClusterType, edsCluster({ name: 'c', maxRequests: 5 }));
  assert.equal(a.version, b.version);
  assert.notEqual(a.version, c.version);
  assert.match(a.version, /^[A-Za-z0-9_-]{22}$/);
});
