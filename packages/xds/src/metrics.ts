/**
 * Prometheus metrics of the xDS server. istiod's `pilot_xds_*` are the closest names users know;
 * these use an `xds_server_` prefix with the same concepts: connected streams, pushes, ACKs,
 * NACKs (`pilot_total_xds_rejects`), push latency (`pilot_xds_push_time`, convergence). Labels:
 * `type` (LDS, RDS, CDS, EDS, SDS), `mode` (sotw, delta).
 *
 * Registered once per prom-client Registry (the global `register` unless one is given).
 *
 * ```ts
 * const registry = new Registry();
 * const server = new AdsServer({ cache, registry });
 * http.createServer(async (_req, res) => res.end(await registry.metrics()));
 * ```
 */
import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

export type StreamMode = 'sotw' | 'delta';

export interface XdsMetrics {
  /** xds_server_connected_streams: streams open now. */
  connectedStreams: Gauge<'mode'>;
  /** xds_server_streams_total: streams opened since start. */
  streamsTotal: Counter<'mode'>;
  /** xds_server_requests_total: discovery requests received (ACKs and NACKs included). */
  requestsTotal: Counter<'mode' | 'type'>;
  /** xds_server_pushes_total: responses sent. */
  pushesTotal: Counter<'mode' | 'type'>;
  /** xds_server_resources_sent_total: resources carried by those responses (removals not counted). */
  resourcesSentTotal: Counter<'mode' | 'type'>;
  /** xds_server_sent_bytes_total: encoded response bytes. */
  sentBytesTotal: Counter<'mode' | 'type'>;
  /** xds_server_acks_total. */
  acksTotal: Counter<'mode' | 'type'>;
  /** xds_server_nacks_total: responses a client rejected (error_detail set). */
  nacksTotal: Counter<'mode' | 'type'>;
  /** xds_server_stale_requests_total: SotW requests ignored because their nonce was not the latest. */
  staleRequestsTotal: Counter<'mode' | 'type'>;
  /** xds_server_push_latency_seconds: from a cache change (or a request) to its response being written. */
  pushLatency: Histogram<'mode' | 'type' | 'reason'>;
  /** xds_server_ack_latency_seconds: from a response being written to the client's ACK or NACK. */
  ackLatency: Histogram<'mode' | 'type'>;
}

const byRegistry = new WeakMap<Registry, XdsMetrics>();

const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function xdsMetrics(registry: Registry = register): XdsMetrics {
  let m = byRegistry.get(registry);
  if (m) return m;
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> =>
    (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: L[]): Histogram<L> =>
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers });
  m = {
    connectedStreams: gauge('xds_server_connected_streams', 'xDS streams open now', ['mode']),
    streamsTotal: counter('xds_server_streams_total', 'xDS streams opened', ['mode']),
    requestsTotal: counter('xds_server_requests_total', 'Discovery requests received, ACKs and NACKs included', ['mode', 'type']),
    pushesTotal: counter('xds_server_pushes_total', 'Discovery responses sent', ['mode', 'type']),
    resourcesSentTotal: counter('xds_server_resources_sent_total', 'Resources carried by discovery responses', ['mode', 'type']),
    sentBytesTotal: counter('xds_server_sent_bytes_total', 'Encoded discovery response bytes', ['mode', 'type']),
    acksTotal: counter('xds_server_acks_total', 'Discovery responses ACKed', ['mode', 'type']),
    nacksTotal: counter('xds_server_nacks_total', 'Discovery responses NACKed (rejected by the client)', ['mode', 'type']),
    staleRequestsTotal: counter('xds_server_stale_requests_total', 'SotW requests ignored for carrying a stale nonce', ['mode', 'type']),
    pushLatency: histogram('xds_server_push_latency_seconds', 'From a cache change or request to its response being written', ['mode', 'type', 'reason']),
    ackLatency: histogram('xds_server_ack_latency_seconds', 'From a response being written to its ACK or NACK', ['mode', 'type']),
  };
  byRegistry.set(registry, m);
  return m;
}
