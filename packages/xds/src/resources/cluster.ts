/**
 * Cluster builder: an EDS cluster whose endpoints come over ADS, with a load-balancing policy,
 * outlier detection and a request limit (circuit breaker).
 *
 * ```ts
 * edsCluster({ name: 'greeter-v1' });
 * edsCluster({ name: 'greeter-v2', outlierDetection: { intervalMs: 1000, consecutive5xx: 5 }, maxRequests: 100 });
 * ```
 */
import type { Message } from '../cache/resource.js';
import { adsConfigSource, duration } from './common.js';

export interface OutlierDetectionSpec {
  /** Time between ejection sweeps. Envoy's default 10 s. */
  intervalMs?: number;
  /** Base ejection time (multiplied by the number of ejections). Envoy's default 30 s. */
  baseEjectionTimeMs?: number;
  /** At most this share of hosts ejected. Envoy's default 10 %. */
  maxEjectionPercent?: number;
  /** Envoy: eject after this many consecutive 5xx. (gRPC clients implement only the two below.) */
  consecutive5xx?: number;
  /** gRFC A50: eject hosts whose failure share exceeds `threshold` %, given `requestVolume` calls and `minimumHosts` hosts. */
  failurePercentage?: { threshold: number; minimumHosts?: number; requestVolume?: number };
  /** gRFC A50: success-rate ejection; false turns it off (it is on by default in Envoy and gRPC). */
  successRate?: false | { stdevFactor?: number; minimumHosts?: number; requestVolume?: number };
}

export interface EdsClusterOptions {
  name: string;
  /** The ClusterLoadAssignment name. Default: the cluster name. */
  serviceName?: string;
  /** Default ROUND_ROBIN (the one every client implements). */
  lbPolicy?: 'ROUND_ROBIN' | 'RING_HASH' | 'LEAST_REQUEST' | 'RANDOM' | 'MAGLEV';
  /** Envoy's connect timeout. Default 1 s (Envoy's 5 s is long for a mesh). */
  connectTimeoutMs?: number;
  outlierDetection?: OutlierDetectionSpec;
  /** Circuit breaker: at most this many calls in flight to the cluster (gRFC A32). */
  maxRequests?: number;
}

function outlierDetection(o: OutlierDetectionSpec): Message {
  const out: Message = {};
  if (o.intervalMs !== undefined) out.interval = duration(o.intervalMs);
  if (o.baseEjectionTimeMs !== undefined) out.base_ejection_time = duration(o.baseEjectionTimeMs);
  if (o.maxEjectionPercent !== undefined) out.max_ejection_percent = { value: o.maxEjectionPercent };
  if (o.consecutive5xx !== undefined) {
    out.consecutive_5xx = { value: o.consecutive5xx };
    out.enforcing_consecutive_5xx = { value: 100 };
  }
  if (o.failurePercentage) {
    const f = o.failurePercentage;
    out.enforcing_failure_percentage = { value: 100 };
    out.failure_percentage_threshold = { value: f.threshold };
    if (f.minimumHosts !== undefined) out.failure_percentage_minimum_hosts = { value: f.minimumHosts };
    if (f.requestVolume !== undefined) out.failure_percentage_request_volume = { value: f.requestVolume };
  }
  if (o.successRate === false) out.enforcing_success_rate = { value: 0 };
  else if (o.successRate) {
    const s = o.successRate;
    if (s.stdevFactor !== undefined) out.success_rate_stdev_factor = { value: s.stdevFactor };
    if (s.minimumHosts !== undefined) out.success_rate_minimum_hosts = { value: s.minimumHosts };
    if (s.requestVolume !== undefined) out.success_rate_request_volume = { value: s.requestVolume };
  }
  return out;
}

export function edsCluster(opts: EdsClusterOptions): Message {
  return {
    name: opts.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource(), ...(opts.serviceName ? { service_name: opts.serviceName } : {}) },
    lb_policy: opts.lbPolicy ?? 'ROUND_ROBIN',
    connect_timeout: duration(opts.connectTimeoutMs ?? 1000),
    ...(opts.outlierDetection ? { outlier_detection: outlierDetection(opts.outlierDetection) } : {}),
    ...(opts.maxRequests !== undefined ? { circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_requests: { value: opts.maxRequests } }] } } : {}),
  };
}
