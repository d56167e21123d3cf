/**
 * The floor beside the control plane: a bare node:http2 server that sends every stream the same
 * bytes the control plane would for a Delta first sync (the same resources, in responses of at
 * most 64 KiB, as the AdsServer cuts them) and, on a change, one prebuilt response to every
 * stream. No xDS logic at all: no subscriptions, no nonces per stream, no ACK bookkeeping, no
 * flow-control budget, no metrics; ACKs are read and dropped. What is left is the cost of moving
 * the bytes through node:http2 on this machine, which no control plane in Node can go under.
 *
 * Same IPC protocol as server.ts (forked by run.ts; config as JSON in argv[2]).
 */
import http2 from 'node:http2';
import { ClusterType, EndpointType, ListenerType, RouteType, clusterLoadAssignment, makeResource, meshToSnapshot, type Resource } from '@keelson/xds';
import { clockMs, clusterOf, type FromServer, type ServerConfig, type ToServer } from './protocol.js';
import { address, benchMesh } from './mesh.js';
import { deltaResponse } from './wire.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
if (!process.send) {
  process.stderr.write('floor-server.ts runs as a child of bench/xds/run.ts (with an IPC channel)\n');
  process.exit(2);
}
const send = (m: FromServer): void => void process.send!(m);
const mib = (b: number): number => b / 2 ** 20;
const PART_BYTES = 64 * 1024;

function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(msg.length + 5);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

/** A type's resources as framed Delta responses of at most PART_BYTES of entries each. */
function parts(typeUrl: string, resources: Iterable<Resource>): Buffer[] {
  const out: Buffer[] = [];
  let group: Buffer[] = [];
  let bytes = 0;
  const flush = (): void => {
    out.push(frame(deltaResponse({ typeUrl, version: '1', nonce: `f${out.length}`, entries: group })));
    group = [];
    bytes = 0;
  };
  for (const r of resources) {
    if (group.length > 0 && bytes + r.deltaEntry.length > PART_BYTES) flush();
    group.push(r.deltaEntry);
    bytes += r.deltaEntry.length;
  }
  if (group.length > 0) flush();
  return out;
}

const t0 = performance.now();
const full = meshToSnapshot(benchMesh(config.services, config.endpointsPerService), '1');
// Clusters and endpoints before listeners and routes, as the control plane orders them.
const sync = [ClusterType, EndpointType, ListenerType, RouteType].flatMap((t) => parts(t, full.get(t)!.resources.values()));
const buildMs = performance.now() - t0;
const bytesPerFullSync = sync.reduce((n, b) => n + b.length, 0);

let sentBytes = 0;
const streams = new Set<http2.ServerHttp2Stream>();
const server = http2.createServer({ settings: { initialWindowSize: 16 * 1024 * 1024 }, maxSessionMemory: 1024 });
server.on('stream', (stream) => {
  streams.add(stream);
  stream.on('close', () => streams.delete(stream));
  stream.on('error', () => {});
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
  let started = false;
  stream.on('data', () => {
    // The first request opens the sync; ACKs are dropped.
    if (started) return;
    started = true;
    let i = 0;
    const pump = (): void => {
      while (i < sync.length) {
        const b = sync[i++];
        sentBytes += b.length;
        if (!stream.write(b)) {
          stream.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
});
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as { port: number }).port;
  const heap = mib(process.memoryUsage().heapUsed);
  send({ type: 'ready', port, buildMs, heapBaselineMib: heap, heapWithSnapshotMib: heap, resources: 0, bytesPerFullSync });
});

process.on('message', (m: ToServer) => {
  if (m.type === 'change') {
    const cla = makeResource(
      EndpointType,
      clusterLoadAssignment({
        clusterName: clusterOf(m.service),
        endpoints: Array.from({ length: config.endpointsPerService }, (_, k) => ({ address: address(m.service, k), port: k === 0 ? 9000 + (m.seq % 1000) : 8080 })),
      }),
    );
    const at = clockMs();
    const b = frame(deltaResponse({ typeUrl: EndpointType, version: String(m.seq + 2), nonce: `c${m.seq}`, entries: [cla.deltaEntry] }));
    for (const s of streams) {
      sentBytes += b.length;
      s.write(b);
    }
    send({ type: 'changed', seq: m.seq, at });
  } else if (m.type === 'stats') {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    send({ type: 'stats', heapMib: mib(mem.heapUsed), rssMib: mib(mem.rss), sentBytes, pushes: 0, resourcesSent: 0, cpuMs: (cpu.user + cpu.system) / 1000, streams: streams.size });
  } else if (m.type === 'stop') {
    for (const s of streams) s.close();
    server.close();
    process.exit(0);
  }
});
