/**
 * Simulated ADS clients, alone in their process (forked by run.ts): `streams` aggregated streams
 * (SotW or Delta) over `connections` gRPC connections to the control plane, each subscribing as
 * Envoy does: listeners and clusters by wildcard, route configurations and endpoints by name
 * (all of them; an Envoy learns the names from its listeners and clusters, here they are known
 * up front). Every response is ACKed at once, as Envoy does. A stream is synced once it holds
 * every listener, route, cluster and endpoint assignment. The streams speak gRPC over node:http2
 * directly (grpc-http2-client.ts): the harness should cost the machine as little as it can.
 * Config as JSON in argv[2].
 */
import { GrpcHttp2Connection, type GrpcHttp2Stream } from './grpc-http2-client.js';
import { clockMs, clusterOf, serviceOf, type ClientsConfig, type FromClients, type ToClients } from './protocol.js';
import { deltaRequest, node, repeatedStrings, scanResponse, sotwRequest } from './wire.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ClientsConfig;
if (!process.send) {
  process.stderr.write('clients.ts runs as a child of bench/xds/run.ts (with an IPC channel)\n');
  process.exit(2);
}
const send = (m: FromClients): void => void process.send!(m);

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const TYPES = [LDS, RDS, CDS, EDS];
const FULL_STATE = new Set([LDS, CDS]);

const delta = config.mode === 'delta';
const routeNames = Array.from({ length: config.services }, (_, i) => serviceOf(i));
const clusterNames = Array.from({ length: config.services }, (_, i) => clusterOf(i));
// SotW requests carry names in field 3 (resource_names), Delta in field 3 (resource_names_subscribe).
const RDS_NAMES = repeatedStrings(3, routeNames);
const EDS_NAMES = repeatedStrings(3, clusterNames);
const STAR = repeatedStrings(3, ['*']);
const path = delta ? '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources' : '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

// Envoy's HTTP/2 windows default to 256 MiB (stream and connection); 64 KiB (HTTP/2's default)
// would cap a busy client at one window per event-loop turn. The simulated Envoys grant 16 MiB:
// large enough not to throttle, small enough that one process holding a thousand of them does
// not buffer gigabytes it has not read yet.
const FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;
const connections = Array.from({ length: config.connections }, () => new GrpcHttp2Connection(config.port, FLOW_CONTROL_WINDOW, (message) => send({ type: 'error', message })));

interface Stream {
  call: GrpcHttp2Stream;
  counts: Map<string, number>;
  syncedAt: number;
  /** When each expected change arrived, by seq. */
  got: Map<number, number>;
}

const streams: Stream[] = [];
let startedAt = 0;
let syncedStreams = 0;
let receivedBytes = 0;
let cpuAtSync = process.cpuUsage();
let expecting: { name: string; seq: number; received: number } | undefined;

function onResponse(s: Stream, buf: Buffer): void {
  receivedBytes += buf.length;
  const r = scanResponse(buf, delta, (n) => n <= 4);
  const prev = s.counts.get(r.typeUrl) ?? 0;
  s.counts.set(r.typeUrl, !delta && FULL_STATE.has(r.typeUrl) ? r.resources : prev + r.resources);
  // ACK at once, as Envoy does; SotW repeats the names it wants with every request.
  if (delta) s.call.write(deltaRequest({ typeUrl: r.typeUrl, nonce: r.nonce }));
  else s.call.write(sotwRequest({ typeUrl: r.typeUrl, version: r.version, nonce: r.nonce, names: r.typeUrl === RDS ? RDS_NAMES : r.typeUrl === EDS ? EDS_NAMES : undefined }));
  if (s.syncedAt === 0 && TYPES.every((t) => (s.counts.get(t) ?? 0) >= config.services)) {
    s.syncedAt = clockMs();
    if (++syncedStreams === streams.length) {
      const cpu = process.cpuUsage(cpuAtSync);
      send({ type: 'synced', startedAt, syncedAt: streams.map((x) => x.syncedAt), receivedBytes, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  }
  const e = expecting;
  if (e && r.typeUrl === EDS && r.names.includes(e.name) && !s.got.has(e.seq)) {
    s.got.set(e.seq, clockMs());
    if (++e.received === streams.length) {
      expecting = undefined;
      send({ type: 'received', seq: e.seq, at: streams.map((x) => x.got.get(e.seq)!) });
    }
  }
}

function open(i: number): void {
  const s: Stream = { call: undefined as unknown as GrpcHttp2Stream, counts: new Map(), syncedAt: 0, got: new Map() };
  s.call = connections[i % connections.length].stream(path, {
    message: (buf) => onResponse(s, buf),
    error: (message) => send({ type: 'error', message: `stream ${i}: ${message}` }),
  });
  streams.push(s);
  const call = s.call;
  const n = node(`bench-${i}`);
  if (delta) {
    call.write(deltaRequest({ node: n, typeUrl: CDS, subscribe: STAR }));
    call.write(deltaRequest({ typeUrl: EDS, subscribe: EDS_NAMES }));
    call.write(deltaRequest({ typeUrl: LDS, subscribe: STAR }));
    call.write(deltaRequest({ typeUrl: RDS, subscribe: RDS_NAMES }));
  } else {
    call.write(sotwRequest({ node: n, typeUrl: CDS }));
    call.write(sotwRequest({ typeUrl: EDS, names: EDS_NAMES }));
    call.write(sotwRequest({ typeUrl: LDS }));
    call.write(sotwRequest({ typeUrl: RDS, names: RDS_NAMES }));
  }
}

process.on('message', (m: ToClients) => {
  try {
    if (m.type === 'sync') {
      cpuAtSync = process.cpuUsage();
      startedAt = clockMs();
      for (let i = 0; i < config.streams; i++) open(i);
    } else if (m.type === 'expect') {
      expecting = { name: m.name, seq: m.seq, received: 0 };
      send({ type: 'expecting', seq: m.seq });
    } else if (m.type === 'stop') {
      for (const s of streams) s.call.cancel();
      for (const c of connections) c.close();
      process.exit(0);
    }
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
});

send({ type: 'ready' });
