/**
 * The xDS benchmark: @keelson/xds's AdsServer serving 1k and 10k services (a listener, a route
 * configuration, a cluster and an assignment of 3 endpoints each) to 100 and 1,000 simulated ADS
 * streams, in both variants of the protocol, SotW and Delta: each variant is the other's peer in
 * the same run.
 *
 *   npm run bench -- xds
 *   node --conditions=keelson-source --import tsx bench/xds/run.ts
 *
 * Two child processes per case: server.ts (the control plane, --expose-gc for its heap figure)
 * and clients.ts (the streams, scanning responses without decoding resources). Measured per case:
 * - full_sync_ms: from opening every stream to the last one holding every resource (p50 beside it);
 *   the bytes the server sent for it and the server's CPU time.
 * - change_p50_ms / change_p99_ms / change_max_ms: one endpoint of one service changes (a
 *   LinearCache update in the server); from just before the update to each stream receiving
 *   the assignment, on CLOCK_MONOTONIC (one clock for both processes); CHANGES changes, one
 *   after the other, so N x CHANGES samples. Bytes and server CPU per change beside them.
 * - server_heap_mib: heapUsed after full GCs once every stream is synced (the empty process and
 *   the snapshot alone beside it), and the process's RSS.
 *
 * Default cases: 1k services x {100, 1,000} streams and 10k x 100, both modes; 10k x 1,000 with
 * Delta only (the target case; its SotW twin moves the same ~7 GB and then decodes 10,000 names
 * per ACK per stream per change, minutes more). About 7 minutes on a quiet 2-core machine.
 *
 * Environment (any of them runs their cross product instead, prints its table and leaves the
 * results file alone):
 *   KEELSON_BENCH_SERVICES=1000,10000
 *   KEELSON_BENCH_STREAMS=100,1000
 *   KEELSON_BENCH_MODES=delta,sotw
 *   KEELSON_BENCH_RUNS=3                runs per case (default 3: figures are medians; a 10k x 1,000 sync moves 8 GiB)
 *   KEELSON_BENCH_CHANGES=20            endpoint changes per case (default 20)
 *   KEELSON_BENCH_CPU_PROF=DIR          server and clients run with --cpu-prof, profiles in DIR/<case>/
 *   KEELSON_BENCH_VERBOSE=1             a progress line per change (min, p50, max over the streams)
 *   KEELSON_BENCH_FLOOR=0               leave out the floor (floor-server.ts) beside the Delta cases
 *
 * The peer in the same run, beside every Delta case: the floor (floor-server.ts), a bare
 * node:http2 server sending the same streams the same bytes in the same response sizes, with no
 * xDS logic; what moving the bytes costs on this machine, under any control plane in Node.
 *
 * Progress goes to stderr; the table to stdout; rows to bench/results/xds.json. Nothing here
 * asserts anything about time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, machineInfo, writeResults, type ResultRow } from '../lib/results.js';
import { median, percentile, round, summarize, type Summary } from '../lib/stats.js';
import { clusterOf, type ClientsConfig, type FromClients, type FromServer, type Mode, type ServerConfig } from './protocol.js';

const ENDPOINTS_PER_SERVICE = 3;
/** Streams share connections as sidecars on a few hosts would: at most this many connections. */
const MAX_CONNECTIONS = 50;
const SETTLE_MS = 1000;
const WARMUP_CHANGES = 3;
const TARGET = {
  syncMs: { services: 10_000, streams: 1_000, mode: 'delta' as Mode, value: 10_000, text: '< 10 s (10k services, 1,000 Delta streams)' },
  changeP99Ms: { mode: 'delta' as Mode, value: 20, text: '< 20 ms with Delta' },
  heapMib: { value: 1024, text: '< 1 GB' },
};
/** The seed article's figures (Istio Pilot replaced by an incremental design). */
const SEED = '1,000 services: first full sync 2.1 s, incremental push p99 47 ms, 1.3 GB';

const envList = (name: string): string[] | undefined =>
  process.env[name]
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const servicesList = envList('KEELSON_BENCH_SERVICES')?.map(Number) ?? [1_000, 10_000];
const streamsList = envList('KEELSON_BENCH_STREAMS')?.map(Number) ?? [100, 1_000];
const modes = (envList('KEELSON_BENCH_MODES') ?? ['delta', 'sotw']) as Mode[];
const crossProduct = ['KEELSON_BENCH_SERVICES', 'KEELSON_BENCH_STREAMS', 'KEELSON_BENCH_MODES'].some((k) => process.env[k]);
/** The default matrix leaves out 10k services x 1,000 SotW streams (see above). */
const included = (services: number, streams: number, mode: Mode): boolean => crossProduct || !(services === 10_000 && streams === 1_000 && mode === 'sotw');
const runs = Number(process.env.KEELSON_BENCH_RUNS ?? 3);
const changes = Number(process.env.KEELSON_BENCH_CHANGES ?? 20);
for (const m of modes) if (m !== 'delta' && m !== 'sotw') throw new Error(`KEELSON_BENCH_MODES: unknown mode ${m}; use delta, sotw`);
const cpuProfDir = process.env.KEELSON_BENCH_CPU_PROF ? resolve(process.env.KEELSON_BENCH_CPU_PROF) : undefined;
const fullRun = !process.env.KEELSON_BENCH_CPU_PROF && !['KEELSON_BENCH_SERVICES', 'KEELSON_BENCH_STREAMS', 'KEELSON_BENCH_MODES', 'KEELSON_BENCH_RUNS', 'KEELSON_BENCH_CHANGES'].some((k) => process.env[k]);

const here = dirname(fileURLToPath(import.meta.url));
const started = performance.now();
const rows: ResultRow[] = [];
const SUBJECT = '@keelson/xds AdsServer';
const FLOOR_SUBJECT = 'floor: bare node:http2, same bytes, no xDS logic';
const withFloor = process.env.KEELSON_BENCH_FLOOR !== '0';
const verbose = process.env.KEELSON_BENCH_VERBOSE === '1';

function progress(msg: string): void {
  process.stderr.write(`[xds ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A forked child and its IPC messages, taken one at a time by type. */
class Child<In extends { type: string }> {
  private readonly proc: ChildProcess;
  private readonly inbox: In[] = [];
  private waiters: ((m: In) => void)[] = [];
  private failure?: Error;
  private readonly exited: Promise<void>;

  constructor(script: string, arg: unknown, execArgv: string[], name: string) {
    this.proc = fork(join(here, script), [JSON.stringify(arg)], { execArgv, stdio: ['ignore', 2, 2, 'ipc'] });
    this.exited = new Promise((r) => this.proc.once('exit', () => r()));
    this.proc.on('message', (m: In) => {
      if (m.type === 'error') this.failure = new Error(`${name}: ${(m as unknown as { message: string }).message}`);
      const w = this.waiters.shift();
      if (w) w(m);
      else this.inbox.push(m);
    });
    this.proc.once('exit', (code) => {
      if (code !== 0 && code !== null && !this.failure) this.failure = new Error(`${name} exited with code ${code}`);
      for (const w of this.waiters.splice(0)) w({ type: 'error', message: this.failure?.message ?? `${name} exited` } as unknown as In);
    });
  }

  async next<T extends In['type']>(type: T, timeoutMs: number): Promise<Extract<In, { type: T }>> {
    let timer: NodeJS.Timeout | undefined;
    const m =
      this.inbox.shift() ??
      (await Promise.race([
        new Promise<In>((r) => this.waiters.push(r)),
        new Promise<In>((r) => (timer = setTimeout(() => r({ type: 'error', message: `no ${type} within ${timeoutMs} ms` } as unknown as In), timeoutMs))),
      ]));
    clearTimeout(timer);
    if (m.type === 'error') throw this.failure ?? new Error((m as unknown as { message: string }).message);
    if (m.type !== type) throw new Error(`expected ${type}, got ${m.type}`);
    return m as Extract<In, { type: T }>;
  }

  send(m: unknown): void {
    this.proc.send(m as never);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.connected) this.send({ type: 'stop' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

interface RunResult {
  fullSyncMs: number;
  syncP50Ms: number;
  syncSentMib: number;
  syncServerCpuMs: number;
  syncClientCpuMs: number;
  bytesPerFullSync: number;
  buildMs: number;
  heapBaselineMib: number;
  heapWithSnapshotMib: number;
  heapSyncedMib: number;
  rssSyncedMib: number;
  latencies: number[];
  changeSentKib: number;
  changeServerCpuMs: number;
}

async function runCase(services: number, streams: number, mode: Mode, serverScript = 'server.ts'): Promise<RunResult> {
  const nodeArgs = ['--conditions=keelson-source', '--import', 'tsx', '--max-old-space-size=4096'];
  const who = serverScript === 'server.ts' ? '' : '-floor';
  const prof = (p: string): string[] => (cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, `${services}-${streams}-${mode}${who}-${p}`)}`] : []);
  const server = new Child<FromServer>(serverScript, { services, endpointsPerService: ENDPOINTS_PER_SERVICE } satisfies ServerConfig, ['--expose-gc', ...nodeArgs, ...prof('server')], serverScript);
  let clients: Child<FromClients> | undefined;
  try {
    const ready = await server.next('ready', 120_000);
    const cfg: ClientsConfig = { port: ready.port, services, streams, mode, connections: Math.min(streams, MAX_CONNECTIONS) };
    clients = new Child<FromClients>('clients.ts', cfg, [...nodeArgs, ...prof('clients')], 'clients');
    await clients.next('ready', 60_000);
    server.send({ type: 'stats' });
    const before = await server.next('stats', 60_000);

    clients.send({ type: 'sync' });
    const synced = await clients.next('synced', 600_000);
    server.send({ type: 'stats' });
    const afterSync = await server.next('stats', 60_000);
    const syncTimes = synced.syncedAt.map((t) => t - synced.startedAt);

    // Changes are measured on a settled control plane, as in a mesh where they come long after
    // the proxies connected: a second for the sync's last ACKs and garbage, then WARMUP_CHANGES
    // unmeasured changes (the change path's first runs are unoptimized code).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const latencies: number[] = [];
    let beforeChanges = afterSync;
    for (let k = -WARMUP_CHANGES; k < changes; k++) {
      if (k === 0 && changes > 0) {
        server.send({ type: 'stats' });
        beforeChanges = await server.next('stats', 60_000);
      }
      const seq = k + WARMUP_CHANGES;
      const service = (seq * 7919 + 13) % services;
      clients.send({ type: 'expect', name: clusterOf(service), seq });
      await clients.next('expecting', 30_000);
      server.send({ type: 'change', service, seq });
      const changed = await server.next('changed', 30_000);
      const received = await clients.next('received', 120_000);
      if (k < 0) continue;
      for (const at of received.at) latencies.push(at - changed.at);
      if (verbose) progress(`change ${k}: min ${Math.min(...received.at.map((a) => a - changed.at)).toFixed(1)} p50 ${percentile(received.at.map((a) => a - changed.at), 50).toFixed(1)} max ${Math.max(...received.at.map((a) => a - changed.at)).toFixed(1)}`);
    }
    server.send({ type: 'stats' });
    const afterChanges = await server.next('stats', 60_000);
    return {
      fullSyncMs: Math.max(...syncTimes),
      syncP50Ms: median(syncTimes),
      syncSentMib: (afterSync.sentBytes - before.sentBytes) / 2 ** 20,
      syncServerCpuMs: afterSync.cpuMs - before.cpuMs,
      syncClientCpuMs: synced.cpuMs,
      bytesPerFullSync: ready.bytesPerFullSync,
      buildMs: ready.buildMs,
      heapBaselineMib: ready.heapBaselineMib,
      heapWithSnapshotMib: ready.heapWithSnapshotMib,
      heapSyncedMib: afterSync.heapMib,
      rssSyncedMib: afterSync.rssMib,
      latencies,
      changeSentKib: (afterChanges.sentBytes - beforeChanges.sentBytes) / 1024 / changes,
      changeServerCpuMs: (afterChanges.cpuMs - beforeChanges.cpuMs) / changes,
    };
  } finally {
    await clients?.stop();
    await server.stop();
  }
}

function addRow(kase: string, metric: string, s: Summary | number, unit: string, extra: Record<string, unknown> = {}): void {
  const row: ResultRow = { subject: SUBJECT, case: kase, metric, value: round(typeof s === 'number' ? s : s.value), unit };
  if (typeof s !== 'number' && s.runs > 1) Object.assign(row, { min: round(s.min), max: round(s.max), runs: s.runs });
  Object.assign(row, extra);
  rows.push(row);
}

async function main(): Promise<void> {
  const conditions: Record<string, unknown> = { start: { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() } };
  for (const services of servicesList) {
    for (const streams of streamsList) {
      for (const mode of modes) {
        if (!included(services, streams, mode)) continue;
        const kase = `services=${services} streams=${streams} ${mode}`;
        const results: RunResult[] = [];
        for (let r = 0; r < runs; r++) {
          progress(`${kase}: run ${r + 1}/${runs}`);
          const res = await runCase(services, streams, mode);
          progress(
            `${kase}: synced in ${res.fullSyncMs.toFixed(0)} ms (${res.syncSentMib.toFixed(0)} MiB sent), change p50 ${percentile(res.latencies, 50).toFixed(1)} ms p99 ${percentile(res.latencies, 99).toFixed(1)} ms, heap ${res.heapSyncedMib.toFixed(0)} MiB`,
          );
          results.push(res);
        }
        const pick = (f: (r: RunResult) => number): Summary => summarize(results.map(f));
        const isSyncTarget = services === TARGET.syncMs.services && streams === TARGET.syncMs.streams && mode === TARGET.syncMs.mode;
        const sync = pick((r) => r.fullSyncMs);
        addRow(kase, 'full_sync_ms', sync, 'ms', {
          stream_p50_ms: round(pick((r) => r.syncP50Ms).value),
          resources_per_stream: services * 4,
          bytes_per_stream: results[0].bytesPerFullSync,
          server_cpu_ms: round(pick((r) => r.syncServerCpuMs).value),
          clients_cpu_ms: round(pick((r) => r.syncClientCpuMs).value),
          ...(isSyncTarget ? { target: TARGET.syncMs.text, met: sync.value < TARGET.syncMs.value } : {}),
          seed: SEED,
        });
        addRow(kase, 'full_sync_sent_mib', pick((r) => r.syncSentMib), 'MiB');
        const p99 = pick((r) => percentile(r.latencies, 99));
        addRow(kase, 'change_p50_ms', pick((r) => percentile(r.latencies, 50)), 'ms', { samples: results[0].latencies.length });
        addRow(kase, 'change_p99_ms', p99, 'ms', mode === TARGET.changeP99Ms.mode ? { target: TARGET.changeP99Ms.text, met: p99.value < TARGET.changeP99Ms.value } : {});
        addRow(kase, 'change_max_ms', pick((r) => Math.max(...r.latencies)), 'ms');
        addRow(kase, 'change_sent_kib', pick((r) => r.changeSentKib), 'KiB', { per: 'change, all streams' });
        addRow(kase, 'change_server_cpu_ms', pick((r) => r.changeServerCpuMs), 'ms', { per: 'change, all streams' });
        const heap = pick((r) => r.heapSyncedMib);
        addRow(kase, 'server_heap_mib', heap, 'MiB', {
          empty_process_mib: round(pick((r) => r.heapBaselineMib).value),
          with_snapshot_mib: round(pick((r) => r.heapWithSnapshotMib).value),
          snapshot_build_ms: round(pick((r) => r.buildMs).value),
          target: TARGET.heapMib.text,
          met: heap.value < TARGET.heapMib.value,
        });
        addRow(kase, 'server_rss_mib', pick((r) => r.rssSyncedMib), 'MiB');
        if (mode === 'delta' && withFloor) {
          // The floor: the same bytes to the same streams through bare node:http2, in the same run.
          const floors: RunResult[] = [];
          for (let r = 0; r < runs; r++) {
            const f = await runCase(services, streams, mode, 'floor-server.ts');
            progress(`${kase}: floor synced in ${f.fullSyncMs.toFixed(0)} ms, change p50 ${percentile(f.latencies, 50).toFixed(1)} ms p99 ${percentile(f.latencies, 99).toFixed(1)} ms`);
            floors.push(f);
          }
          const fpick = (f: (r: RunResult) => number): Summary => summarize(floors.map(f));
          const floorRow = (metric: string, v: Summary, extra: Record<string, unknown> = {}): void => {
            const row: ResultRow = { subject: FLOOR_SUBJECT, case: kase, metric, value: round(v.value), unit: 'ms', ...extra };
            if (v.runs > 1) Object.assign(row, { min: round(v.min), max: round(v.max), runs: v.runs });
            rows.push(row);
          };
          floorRow('full_sync_ms', fpick((r) => r.fullSyncMs), { server_cpu_ms: round(fpick((r) => r.syncServerCpuMs).value), clients_cpu_ms: round(fpick((r) => r.syncClientCpuMs).value), sent_mib: round(fpick((r) => r.syncSentMib).value) });
          floorRow('change_p50_ms', fpick((r) => percentile(r.latencies, 50)));
          floorRow('change_p99_ms', fpick((r) => percentile(r.latencies, 99)));
        }
      }
    }
  }
  conditions.end = { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() };

  const m = machineInfo();
  process.stdout.write(
    `\nbench/xds — ${m.cpus} CPUs, node ${m.node}; load average ${(conditions.start as { loadavg1: number }).loadavg1} -> ${(conditions.end as { loadavg1: number }).loadavg1}\n\n`,
  );
  process.stdout.write(
    formatTable(
      ['case', 'metric', 'value', 'unit', 'min', 'max', 'target', 'met'],
      rows.map((r) => [r.subject === FLOOR_SUBJECT ? `${r.case} (floor)` : r.case, r.metric, String(r.value), r.unit, r.min === undefined ? '' : String(r.min), r.max === undefined ? '' : String(r.max), String(r.target ?? ''), r.met === undefined ? '' : r.met ? 'yes' : 'NO']),
    ) + '\n',
  );
  if (fullRun) {
    const file = writeResults('xds', rows, { conditions, seed: SEED, settings: { endpointsPerService: ENDPOINTS_PER_SERVICE, maxConnections: MAX_CONNECTIONS, changes, runs } });
    process.stderr.write(`results: ${file}\n`);
  } else {
    process.stderr.write('subset run: bench/results/xds.json left alone\n');
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
