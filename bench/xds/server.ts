/**
 * The control plane under test, alone in its process (forked by run.ts with --expose-gc): an
 * AdsServer on 127.0.0.1 over a MuxCache, listeners, routes and clusters from a SnapshotCache
 * (one snapshot for every node, built by meshToSnapshot), endpoints from a LinearCache (the
 * shape go-control-plane recommends: one endpoint change is one resource update). Config as JSON
 * in argv[2]; commands and results over IPC.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { AdsServer, ClusterType, EndpointType, LinearCache, ListenerType, MuxCache, RouteType, Snapshot, SnapshotCache, clusterLoadAssignment, meshToSnapshot, envoyProtos } from '@keelson/xds';
import { address, benchMesh } from './mesh.js';
import { clockMs, clusterOf, type FromServer, type ServerConfig, type ToServer } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !process.send) {
  process.stderr.write('server.ts runs as a child of bench/xds/run.ts (with --expose-gc and an IPC channel)\n');
  process.exit(2);
}

const send = (m: FromServer): void => void process.send!(m);
const mib = (b: number): number => b / 2 ** 20;

function heapMib(): number {
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    gc!();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) break;
    last = used;
  }
  return mib(process.memoryUsage().heapUsed);
}

async function main(): Promise<void> {
  envoyProtos();
  const heapBaselineMib = heapMib();
  const t0 = performance.now();
  const full = meshToSnapshot(benchMesh(config.services, config.endpointsPerService), '1');
  const snapshots = new SnapshotCache({ nodeHash: () => 'mesh', logger: pino({ level: 'silent' }) });
  snapshots.setSnapshot(
    'mesh',
    new Snapshot('1', {
      [ListenerType]: [...full.get(ListenerType)!.resources.values()],
      [RouteType]: [...full.get(RouteType)!.resources.values()],
      [ClusterType]: [...full.get(ClusterType)!.resources.values()],
    }),
  );
  const endpoints = new LinearCache(EndpointType, { initialResources: [...full.get(EndpointType)!.resources.values()], logger: pino({ level: 'silent' }) });
  const buildMs = performance.now() - t0;
  let bytesPerFullSync = 0;
  let resources = 0;
  for (const t of [ListenerType, RouteType, ClusterType, EndpointType]) {
    for (const r of full.get(t)!.resources.values()) {
      bytesPerFullSync += r.any.length;
      resources++;
    }
  }
  const registry = new Registry();
  const server = new AdsServer({ cache: new MuxCache({ [EndpointType]: endpoints }, snapshots), registry, logger: pino({ level: 'silent' }) });
  const port = await server.listen('127.0.0.1:0');
  const heapWithSnapshotMib = heapMib();
  send({ type: 'ready', port, buildMs, heapBaselineMib, heapWithSnapshotMib, resources, bytesPerFullSync });

  const counter = async (name: string): Promise<number> => {
    const m = registry.getSingleMetric(name);
    return m ? (await m.get()).values.reduce((s, v) => s + v.value, 0) : 0;
  };

  // KEELSON_BENCH_CHANGE_PROF=FILE: a CPU profile of the change phase only (from the first change to stop).
  const changeProf = process.env.KEELSON_BENCH_CHANGE_PROF;
  let session: Session | undefined;
  const post = (method: string, params?: object): Promise<unknown> => new Promise((res, rej) => session!.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r))));

  let measuringCpuMs = 0;
  process.on('message', (m: ToServer) => {
    void (async () => {
      try {
        if (m.type === 'change' && changeProf && !session) {
          session = new Session();
          session.connect();
          await post('Profiler.enable');
          await post('Profiler.start');
        }
        if (m.type === 'change') {
          // A new port for one endpoint: the assignment's content (and hash) changes.
          const cla = clusterLoadAssignment({
            clusterName: clusterOf(m.service),
            endpoints: Array.from({ length: config.endpointsPerService }, (_, k) => ({ address: address(m.service, k), port: k === 0 ? 9000 + (m.seq % 1000) : 8080 })),
          });
          const at = clockMs();
          endpoints.updateResource(cla);
          send({ type: 'changed', seq: m.seq, at });
        } else if (m.type === 'stats') {
          // The forced GCs of the heap figure are the benchmark's work, not the server's: their
          // CPU time is left out of every cpuMs.
          const beforeGc = process.cpuUsage();
          const heap = heapMib();
          const gcCpu = process.cpuUsage(beforeGc);
          measuringCpuMs += (gcCpu.user + gcCpu.system) / 1000;
          const cpu = process.cpuUsage();
          send({
            type: 'stats',
            heapMib: heap,
            rssMib: mib(process.memoryUsage().rss),
            sentBytes: await counter('xds_server_sent_bytes_total'),
            pushes: await counter('xds_server_pushes_total'),
            resourcesSent: await counter('xds_server_resources_sent_total'),
            cpuMs: (cpu.user + cpu.system) / 1000 - measuringCpuMs,
            streams: server.streamCount,
          });
        } else if (m.type === 'stop') {
          if (session) writeFileSync(changeProf!, JSON.stringify(((await post('Profiler.stop')) as { profile: unknown }).profile));
          await server.close();
          process.exit(0);
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).stack ?? String(err) });
      }
    })();
  });
}

main().catch((err) => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
});
