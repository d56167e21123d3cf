/**
 * MeshSpec → Snapshot: the resources proxyless gRPC clients (and Envoy, through an API listener
 * per service) need for a mesh. Per service NAME:
 *  - Listener NAME (an API listener: clients dial `xds:///NAME`), its HttpConnectionManager
 *    fetching RouteConfiguration NAME over ADS, with the fault filter when a route injects faults;
 *  - RouteConfiguration NAME: one virtual host (domains `*`), the spec's routes in order (header
 *    and path matches, one or weighted destinations, timeout, retry, fault); no routes means
 *    everything to the first version;
 *  - per version V: Cluster `NAME-V` (EDS over ADS, round robin, outlier detection) and its
 *    ClusterLoadAssignment `NAME-V` (endpoints by locality, with weights and health).
 *
 * ```ts
 * cache.setSnapshot('mesh', meshToSnapshot(spec, '42'));
 * ```
 *
 * Problems (a destination naming an unknown version, weights summing to 0, ...) are collected and
 * thrown together as one InvalidSnapshotError whose messages carry the spec path.
 */
import type { Message } from '../cache/resource.js';
import { Snapshot } from '../cache/snapshot.js';
import { InvalidSnapshotError, type SnapshotProblem } from '../errors.js';
import type { MeshEndpoint, MeshRoute, MeshService, MeshSpec } from '../mesh/mesh-spec.js';
import { ClusterType, EndpointType, ListenerType, RouteType } from '../resource-types.js';
import { edsCluster, type OutlierDetectionSpec } from '../resources/cluster.js';
import { clusterLoadAssignment, type HealthStatus } from '../resources/endpoint.js';
import { apiListener, faultFilter } from '../resources/listener.js';
import { route, routeConfiguration, virtualHost, type HeaderMatchSpec, type RouteSpec } from '../resources/route.js';

/** The cluster (and ClusterLoadAssignment) name of a service version. */
export function clusterName(service: string, version: string): string {
  return `${service}-${version}`;
}

const HEALTH: Record<NonNullable<MeshEndpoint['health']>, HealthStatus> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
};

export function meshToSnapshot(spec: MeshSpec, version: string): Snapshot {
  const problems: SnapshotProblem[] = [];
  const listeners: Message[] = [];
  const routes: Message[] = [];
  const clusters: Message[] = [];
  const endpoints: Message[] = [];
  const problem = (typeUrl: string, resourceName: string, path: string, message: string): void => {
    problems.push({ typeUrl, resourceName, message: `${path}: ${message}` });
  };
  const seen = new Set<string>();

  (spec.services ?? []).forEach((svc, s) => {
    const at = `services[${s}]`;
    if (seen.has(svc.name)) {
      problem(ListenerType, svc.name, `${at}.name`, `service "${svc.name}" is defined twice; service names must be unique`);
      return;
    }
    seen.add(svc.name);
    if (!svc.versions?.length) {
      problem(ClusterType, svc.name, `${at}.versions`, `service "${svc.name}" has no versions; give it at least one version with endpoints`);
      return;
    }
    const versions = new Set(svc.versions.map((v) => v.name));
    const outlier = svc.outlierDetection ? outlierSpec(svc.outlierDetection) : undefined;
    svc.versions.forEach((v, i) => {
      const name = clusterName(svc.name, v.name);
      try {
        clusters.push(edsCluster({ name, ...(outlier ? { outlierDetection: outlier } : {}) }));
        endpoints.push(
          clusterLoadAssignment({
            clusterName: name,
            endpoints: (v.endpoints ?? []).map((e) => ({
              address: e.address,
              port: e.port,
              ...(e.weight !== undefined ? { weight: e.weight } : {}),
              health: HEALTH[e.health ?? 'healthy'],
              ...(e.locality ? { locality: e.locality } : {}),
            })),
          }),
        );
      } catch (err) {
        problem(EndpointType, name, `${at}.versions[${i}]`, (err as Error).message);
      }
    });

    const routeSpecs: RouteSpec[] = [];
    if (!svc.routes?.length) {
      routeSpecs.push({ name: 'default', match: { prefix: '/' }, cluster: clusterName(svc.name, svc.versions[0].name) });
    } else {
      svc.routes.forEach((r, i) => {
        const spec = routeSpec(svc, r, versions, `${at}.routes[${i}]`, (path, msg) => problem(RouteType, svc.name, path, msg));
        if (spec) routeSpecs.push(spec);
      });
    }
    try {
      routes.push(routeConfiguration({ name: svc.name, virtualHosts: [virtualHost({ name: svc.name, routes: routeSpecs.map(route) })] }));
      const needsFault = routeSpecs.some((r) => r.fault);
      listeners.push(apiListener({ name: svc.name, routeConfigName: svc.name, httpFilters: needsFault ? [faultFilter()] : [] }));
    } catch (err) {
      problem(RouteType, svc.name, `${at}.routes`, (err as Error).message);
    }
  });

  if (problems.length > 0) throw new InvalidSnapshotError(version, problems);
  return new Snapshot(version, { [ListenerType]: listeners, [RouteType]: routes, [ClusterType]: clusters, [EndpointType]: endpoints });
}

function outlierSpec(o: NonNullable<MeshService['outlierDetection']>): OutlierDetectionSpec {
  return {
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
    ...(o.baseEjectionTimeMs !== undefined ? { baseEjectionTimeMs: o.baseEjectionTimeMs } : {}),
    ...(o.maxEjectionPercent !== undefined ? { maxEjectionPercent: o.maxEjectionPercent } : {}),
    ...(o.consecutive5xx !== undefined ? { consecutive5xx: o.consecutive5xx } : {}),
  };
}

function routeSpec(svc: MeshService, r: MeshRoute, versions: ReadonlySet<string>, at: string, problem: (path: string, msg: string) => void): RouteSpec | undefined {
  let ok = true;
  const dests = r.destinations ?? [];
  if (dests.length === 0) {
    problem(`${at}.destinations`, 'a route needs at least one destination');
    return undefined;
  }
  dests.forEach((d, j) => {
    if (!versions.has(d.version)) {
      problem(`${at}.destinations[${j}].version`, `service "${svc.name}" has no version "${d.version}" (versions: ${[...versions].join(', ')})`);
      ok = false;
    }
    if (!Number.isInteger(d.weight) || d.weight < 0) {
      problem(`${at}.destinations[${j}].weight`, `weight ${d.weight} must be an integer >= 0`);
      ok = false;
    }
  });
  const sum = dests.reduce((s, d) => s + (Number.isFinite(d.weight) ? d.weight : 0), 0);
  if (ok && sum <= 0) {
    problem(`${at}.destinations`, 'the weights sum to 0; give at least one destination a weight above 0');
    ok = false;
  }
  const headers: HeaderMatchSpec[] = (r.match?.headers ?? []).map((h) => ({
    name: h.name,
    ...(h.exact !== undefined ? { exact: h.exact } : {}),
    ...(h.prefix !== undefined ? { prefix: h.prefix } : {}),
    ...(h.present !== undefined ? { present: h.present } : {}),
    ...(h.invert ? { invert: true } : {}),
  }));
  headers.forEach((h, k) => {
    const kinds = [h.exact, h.prefix, h.present].filter((x) => x !== undefined).length;
    if (kinds !== 1) {
      problem(`${at}.match.headers[${k}]`, `header match "${h.name}" needs exactly one of exact, prefix, present`);
      ok = false;
    }
  });
  if (!ok) return undefined;
  const spec: RouteSpec = {
    ...(r.name ? { name: r.name } : {}),
    match: {
      ...(r.match?.path !== undefined ? { path: r.match.path } : { prefix: r.match?.prefix ?? '/' }),
      ...(headers.length ? { headers } : {}),
    },
    // A split keeps its 0-weight destinations: clients then already hold that cluster and its
    // endpoints (make-before-break) when the next step gives it traffic.
    ...(dests.length === 1 ? { cluster: clusterName(svc.name, dests[0].version) } : { weightedClusters: dests.map((d) => ({ name: clusterName(svc.name, d.version), weight: d.weight })) }),
    ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
    ...(r.retry ? { retry: { retryOn: r.retry.retryOn, numRetries: r.retry.numRetries, ...(r.retry.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: r.retry.perTryTimeoutMs } : {}) } } : {}),
    ...(r.fault ? { fault: r.fault } : {}),
  };
  return spec;
}
