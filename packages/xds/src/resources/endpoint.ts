/**
 * ClusterLoadAssignment builder: endpoints grouped by locality, with weights and health.
 *
 * ```ts
 * clusterLoadAssignment({ clusterName: 'greeter-v1', endpoints: [
 *   { address: '10.0.0.5', port: 50051 },
 *   { address: '10.0.0.6', port: 50051, weight: 2, locality: { zone: 'b' } },
 *   { address: '10.0.0.7', port: 50051, health: 'DRAINING' },       // gets no new calls
 * ] });
 * ```
 *
 * Addresses must be IP literals (gRPC clients do not resolve names here). Every locality gets
 * a non-zero weight (gRPC skips localities without one): by default the sum of its endpoints'
 * weights.
 */
import type { Message } from '../cache/resource.js';

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface LocalitySpec {
  region?: string;
  zone?: string;
  subZone?: string;
}

export interface EndpointSpec {
  address: string;
  port: number;
  /** Weight within the locality. Default 1. */
  weight?: number;
  /** Default HEALTHY. Clients send nothing to UNHEALTHY, DRAINING, TIMEOUT (gRPC also skips DEGRADED). */
  health?: HealthStatus;
  locality?: LocalitySpec;
  /** Priority group: 0 is used first, 1 when 0 has no healthy endpoint, ... Default 0. */
  priority?: number;
}

export interface LocalityWeights {
  /** Locality weight by locality key `region/zone/subZone`; default: the sum of its endpoint weights. */
  [localityKey: string]: number;
}

export interface ClusterLoadAssignmentOptions {
  clusterName: string;
  endpoints: EndpointSpec[];
  localityWeights?: LocalityWeights;
}

export function localityKey(l: LocalitySpec = {}): string {
  return `${l.region ?? ''}/${l.zone ?? ''}/${l.subZone ?? ''}`;
}

export function clusterLoadAssignment(opts: ClusterLoadAssignmentOptions): Message {
  const groups = new Map<string, { locality: LocalitySpec; priority: number; endpoints: EndpointSpec[] }>();
  for (const ep of opts.endpoints) {
    if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) throw new RangeError(`endpoint ${ep.address}:${ep.port}: the port must be an integer from 1 to 65535`);
    if (ep.weight !== undefined && (!Number.isInteger(ep.weight) || ep.weight < 1)) throw new RangeError(`endpoint ${ep.address}:${ep.port}: weight ${ep.weight} must be an integer >= 1 (mark it UNHEALTHY or DRAINING to stop traffic)`);
    const priority = ep.priority ?? 0;
    const key = `${priority}|${localityKey(ep.locality)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { locality: ep.locality ?? {}, priority, endpoints: [] }));
    g.endpoints.push(ep);
  }
  const endpoints = [...groups.values()]
    .sort((a, b) => a.priority - b.priority)
    .map((g) => {
      const sum = g.endpoints.reduce((s, e) => s + (e.weight ?? 1), 0);
      const weight = opts.localityWeights?.[localityKey(g.locality)] ?? Math.max(1, sum);
      return {
        // Always present (gRPC rejects an endpoint group without a locality), empty fields left out.
        locality: {
          ...(g.locality.region ? { region: g.locality.region } : {}),
          ...(g.locality.zone ? { zone: g.locality.zone } : {}),
          ...(g.locality.subZone ? { sub_zone: g.locality.subZone } : {}),
        },
        load_balancing_weight: { value: weight },
        priority: g.priority,
        lb_endpoints: g.endpoints.map((e) => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          health_status: e.health ?? 'HEALTHY',
          load_balancing_weight: { value: e.weight ?? 1 },
        })),
      };
    });
  return { cluster_name: opts.clusterName, endpoints };
}
