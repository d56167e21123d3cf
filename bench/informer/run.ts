/**
 * The informer benchmark: Keelson's SharedInformerFactory against @kubernetes/client-node's
 * makeInformer, on 1k, 10k and 50k realistic Pods served by one compiled `keelson up` (SQLite,
 * temp data dir), in the same run. About 5 minutes on a quiet 2-core machine (loading the 61k
 * Pods, a create and a status write each, is 1.3 of them).
 *
 *   npm run bench -- informer
 *   node --conditions=keelson-source --import tsx bench/informer/run.ts   (after npm run build)
 *
 * Subjects (subject.ts): `keelson` (default settings: streaming list; client rate limiting
 * off), `keelson (paged LIST)`, `keelson (client default QPS 5, burst 10)` (10k only, one run),
 * `@kubernetes/client-node`, and a floor (1k and 10k): the same paged LIST and watch over bare
 * node:https with JSON.parse into a Map, no informer, which is what any Node informer pays for
 * this server, this wire format and this machine. Every subject runs in its own process
 * (forked with --expose-gc), once per case and run, so its heap figure holds its cache and
 * nothing of the load generator or of another subject. Measured per case (pods=N):
 * - sync_ms: from starting the informer to synced (subject.ts says which point for each).
 * - heap_mib: heapUsed after sync minus before the client was made, both after full GCs;
 *   heap_over_json: that over the sum of the objects' JSON sizes as served (managedFields
 *   included, as the server sends them), beside the same over their size without managedFields.
 * - latency (pods=10000 only; keelson, client-node, floor): label updates (merge PATCH) at 500/s
 *   for 5 s from this process; time from the write's HTTP response (acknowledged) to the
 *   subject's update handler being called, on the machine's monotonic clock (one clock for both
 *   processes); beside it the subject's CPU per event and the writes' own round-trip p99.
 *
 * Environment (a subset prints its table and leaves the results file alone):
 *   KEELSON_BENCH_SIZES=1000,10000      cases (default 1000,10000,50000)
 *   KEELSON_BENCH_RUNS=1                runs per case (default 3)
 *   KEELSON_BENCH_SUBJECTS=keelson,client-node   (default: all of keelson,keelson-paged,keelson-qps-default,client-node,floor)
 *   KEELSON_BENCH_CPU_PROF=DIR          subjects run with --cpu-prof, profiles in DIR/<subject>-pods<N>-run<R>/
 *
 * Progress goes to stderr; the table to stdout; rows to bench/results/informer.json. Nothing
 * here asserts anything about time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, machineInfo, writeResults, type ResultRow } from '../lib/results.js';
import { median, round, sortedPercentile, summarize, type Summary } from '../lib/stats.js';
import { HttpsClient, runConcurrent } from '../apiserver/https-client.js';
import { startKeelson, type KeelsonProcess } from '../apiserver/keelson-process.js';
import { podManifest, podName, podStatus } from './pods.js';
import { clockMs, type FromSubject, type LatencyMessage, type SubjectConfig, type SubjectKind, type SyncedMessage, type ToSubject } from './protocol.js';

// ------------------------------------------------------------------ sizes, subjects, targets

const DEFAULT_SIZES = [1_000, 10_000, 50_000];
/** Runs per case; figures are the median of the runs, min and max the spread. */
const DEFAULT_RUNS = 3;
/** The case whose informers also measure event latency: a typical controller's cache. */
const LATENCY_SIZE = 10_000;
const WRITE_RATE_PER_S = 500;
const WRITE_SECONDS = 5;
const WRITES = WRITE_RATE_PER_S * WRITE_SECONDS;
/** The label the latency writes set; its value is `<phase>-<seq>`. */
const LATENCY_LABEL = 'bench.keelson.dev/seq';
/** Concurrent clients loading Pods (as bench/apiserver's 16-client creates). */
const LOAD_CONCURRENCY = 16;
/** client-go's pager: the page size of the JSON-size listing. */
const PAGE = 500;
/** A subject that has not synced by then has failed: 20 s plus 1 ms a Pod (70 s for 50k). */
const syncTimeoutMs = (n: number): number => 20_000 + n;

const ALL_SUBJECTS: SubjectKind[] = ['keelson', 'keelson-paged', 'keelson-qps-default', 'client-node', 'floor'];
const SUBJECT_NAME: Record<SubjectKind, string> = {
  keelson: 'keelson',
  'keelson-paged': 'keelson (paged LIST, useWatchList: false)',
  'keelson-qps-default': 'keelson (client default QPS 5, burst 10)',
  'client-node': '@kubernetes/client-node',
  floor: 'floor: node:https + JSON.parse, no informer',
};
/**
 * Cases a subject runs where not all: the rate-limited client where its cost shows and stays
 * short; the floor where it explains the targets (and not at 50k, which would cost the run
 * another half minute).
 */
const SUBJECT_SIZES: Partial<Record<SubjectKind, number[]>> = { 'keelson-qps-default': [LATENCY_SIZE], floor: [1_000, LATENCY_SIZE] };
/** Runs of a subject where fewer than `runs`: the rate limiter's cost is a near-constant (its spread is a few ms). */
const SUBJECT_RUNS: Partial<Record<SubjectKind, number>> = { 'keelson-qps-default': 1 };
/** Subjects measured for latency (the watch path after sync is the same with and without WatchList). */
const LATENCY_SUBJECTS = new Set<SubjectKind>(['keelson', 'client-node', 'floor']);

/** The seed article's client-go SharedInformer figures, stated beside ours. */
const SEED = {
  sync: 'client-go: 410 ms to sync 1,000 objects',
  heap: 'client-go: 68 MB (1,000 objects)',
  latency: 'client-go: ~45 ms event latency',
};
const TARGET = {
  speedup: 3,
  sync10kMs: 1000,
  p99Ms: 10,
  heapOverJson: 2,
};

const envList = (name: string): string[] | undefined =>
  process.env[name]
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const sizes = envList('KEELSON_BENCH_SIZES')?.map(Number) ?? DEFAULT_SIZES;
const runs = Number(process.env.KEELSON_BENCH_RUNS ?? DEFAULT_RUNS);
const subjects = (envList('KEELSON_BENCH_SUBJECTS') ?? ALL_SUBJECTS) as SubjectKind[];
for (const s of subjects) if (!ALL_SUBJECTS.includes(s)) throw new Error(`KEELSON_BENCH_SUBJECTS: unknown subject ${s}; known: ${ALL_SUBJECTS.join(', ')}`);
/** A subset run prints its table but leaves the results file (a full run's) alone. */
const fullRun = !process.env.KEELSON_BENCH_SIZES && !process.env.KEELSON_BENCH_RUNS && !process.env.KEELSON_BENCH_SUBJECTS;
const cpuProfDir = process.env.KEELSON_BENCH_CPU_PROF ? resolve(process.env.KEELSON_BENCH_CPU_PROF) : undefined;

const here = dirname(fileURLToPath(import.meta.url));
const rows: ResultRow[] = [];
const started = performance.now();

function progress(msg: string): void {
  process.stderr.write(`[informer ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

function addRow(subject: string, kase: string, metric: string, s: Summary | number, unit: string, extra: Record<string, unknown> = {}): void {
  const sum = typeof s === 'number' ? undefined : s;
  const row: ResultRow = { subject, case: kase, metric, value: round(typeof s === 'number' ? s : s.value), unit };
  if (sum) Object.assign(row, { min: round(sum.min), max: round(sum.max), runs: sum.runs });
  Object.assign(row, extra);
  rows.push(row);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): number => bytes / 2 ** 20;
const nsFor = (n: number): string => `pods-${n}`;
const podsPath = (ns: string, name?: string): string => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;

/** CPU pressure of the machine (/proc/pressure/cpu "some avg10"): % of time something waited for a CPU. */
function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ the objects

/** Creates `count` Pods in a new namespace, each then given its status through the status subresource. */
async function loadPods(c: HttpsClient, ns: string, count: number): Promise<void> {
  await c.must('POST', '/api/v1/namespaces', 201, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }) });
  const t0 = performance.now();
  let done = 0;
  await runConcurrent(count, LOAD_CONCURRENCY, async (i) => {
    await c.must('POST', podsPath(ns), 201, { body: JSON.stringify(podManifest(ns, i)) });
    // The kubelet's write: merge-patch of the status subresource (the server drops status on create).
    await c.must('PATCH', `${podsPath(ns, podName(i))}/status`, 200, { body: JSON.stringify({ status: podStatus(i) }), contentType: 'application/merge-patch+json' });
    if (++done % 10_000 === 0 && done < count) progress(`loading ${ns}: ${done}/${count} (${(done / ((performance.now() - t0) / 1000)).toFixed(0)} Pods/s, create + status)`);
  });
  progress(`loaded ${ns}: ${count} Pods in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

interface JsonSize {
  objects: number;
  /** Sum of the objects' JSON as served (managedFields included). */
  bytes: number;
  /** The same without metadata.managedFields: what the default transform keeps. */
  bytesWithoutManagedFields: number;
}

/** The objects' JSON size: every object of the namespace as a list serves it, one by one. */
async function jsonSize(c: HttpsClient, ns: string): Promise<JsonSize> {
  const size: JsonSize = { objects: 0, bytes: 0, bytesWithoutManagedFields: 0 };
  let cont = '';
  do {
    const r = await c.must('GET', `${podsPath(ns)}?limit=${PAGE}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, 200);
    const doc = JSON.parse(r.body);
    for (const item of doc.items) {
      size.bytes += Buffer.byteLength(JSON.stringify(item));
      delete item.metadata.managedFields;
      size.bytesWithoutManagedFields += Buffer.byteLength(JSON.stringify(item));
    }
    size.objects += doc.items.length;
    cont = doc.metadata.continue ?? '';
  } while (cont);
  return size;
}

// ------------------------------------------------------------------ one subject process

interface SubjectResult {
  synced: SyncedMessage;
  latency?: { fromAck: number[]; fromSend: number[]; missing: number; updates: number; cpuUsPerEvent: number; writeRttP99: number };
}

/** A forked subject.ts and the messages it sends, one at a time. */
class SubjectProcess {
  private readonly child: ChildProcess;
  private readonly inbox: FromSubject[] = [];
  private waiting?: (m: FromSubject) => void;
  private failed?: Error;
  private readonly exited: Promise<number | null>;

  constructor(config: SubjectConfig, profileName: string) {
    const execArgv = ['--expose-gc', '--max-old-space-size=8192', '--conditions=keelson-source', '--import', 'tsx'];
    // A directory per subject run: the module loader's thread writes a profile of its own beside the main thread's.
    if (cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, profileName)}`);
    // stdout of the subject (a library's logs) joins this process's stderr: stdout is the table's.
    this.child = fork(join(here, 'subject.ts'), [JSON.stringify(config)], { execArgv, stdio: ['ignore', 2, 2, 'ipc'], serialization: 'advanced' });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    this.child.on('message', (m: FromSubject) => {
      if (m.type === 'error') {
        this.failed = new Error(`${config.subject} (${config.namespace}): ${m.message}`);
        this.child.kill('SIGKILL');
      }
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(m);
      } else this.inbox.push(m);
    });
    void this.exited.then((code) => {
      if (code !== 0 && !this.failed) this.failed = new Error(`${config.subject} (${config.namespace}) exited with code ${code}`);
      if (this.waiting) this.waiting({ type: 'error', message: this.failed?.message ?? 'exited' });
    });
  }

  async next<T extends FromSubject['type']>(type: T, timeoutMs: number): Promise<Extract<FromSubject, { type: T }>> {
    let timer: NodeJS.Timeout | undefined;
    const m =
      this.inbox.shift() ??
      (await Promise.race([
        new Promise<FromSubject>((r) => (this.waiting = r)),
        new Promise<FromSubject>((r) => (timer = setTimeout(() => r({ type: 'error', message: `no ${type} message within ${timeoutMs} ms` }), timeoutMs))),
      ]));
    clearTimeout(timer);
    if (m.type === 'error') {
      this.child.kill('SIGKILL');
      throw this.failed ?? new Error(m.message);
    }
    if (m.type !== type) throw new Error(`expected a ${type} message from the subject, got ${m.type}`);
    return m as Extract<FromSubject, { type: T }>;
  }

  send(m: ToSubject): void {
    this.child.send(m);
  }

  /** Asks it to stop; kills it if it has not exited within 15 s (a --cpu-prof profile is written on a clean exit). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Label updates at WRITE_RATE_PER_S, open loop (a slow answer does not delay the next write). */
async function writeLabels(c: HttpsClient, ns: string, n: number, prefix: string): Promise<{ sentAt: Float64Array; ackAt: Float64Array }> {
  // performance.now() (what HttpsClient stamps) to clockMs(): both monotonic, a constant apart.
  const offset = clockMs() - performance.now();
  const sentAt = new Float64Array(WRITES);
  const ackAt = new Float64Array(WRITES);
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < WRITES; i++) {
    const due = t0 + (i * 1000) / WRITE_RATE_PER_S;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const body = JSON.stringify({ metadata: { labels: { [LATENCY_LABEL]: `${prefix}-${i}` } } });
    inflight.push(
      c.must('PATCH', podsPath(ns, podName(i % n)), 200, { body, contentType: 'application/merge-patch+json' }).then((res) => {
        sentAt[i] = res.sentAt + offset;
        ackAt[i] = res.doneAt + offset;
      }),
    );
  }
  await Promise.all(inflight);
  return { sentAt, ackAt };
}

let latencyPhase = 0;

async function runSubject(server: KeelsonProcess, c: HttpsClient, subject: SubjectKind, n: number, run: number): Promise<SubjectResult> {
  const ns = nsFor(n);
  const withLatency = n === LATENCY_SIZE && LATENCY_SUBJECTS.has(subject);
  const prefix = `p${++latencyPhase}`;
  const config: SubjectConfig = { subject, kubeconfig: server.kubeconfigPath, namespace: ns, expected: n };
  if (withLatency) config.latency = { label: LATENCY_LABEL, prefix, writes: WRITES };
  const p = new SubjectProcess(config, `${subject}-pods${n}-run${run + 1}`);
  try {
    const synced = await p.next('synced', syncTimeoutMs(n));
    if (synced.cached !== n) throw new Error(`${subject} synced with ${synced.cached} Pods cached, expected ${n}`);
    if (!withLatency) return { synced };
    const { sentAt, ackAt } = await writeLabels(c, ns, n, prefix);
    p.send({ type: 'latency-done' });
    const lat: LatencyMessage = await p.next('latency', 30_000);
    const fromAck: number[] = [];
    const fromSend: number[] = [];
    let missing = 0;
    lat.handledAt.forEach((t, i) => {
      if (Number.isNaN(t)) return void missing++;
      fromAck.push(t - ackAt[i]);
      fromSend.push(t - sentAt[i]);
    });
    fromAck.sort((a, b) => a - b);
    fromSend.sort((a, b) => a - b);
    const rtt = Array.from(ackAt, (a, i) => a - sentAt[i]).sort((a, b) => a - b);
    return {
      synced,
      latency: { fromAck, fromSend, missing, updates: lat.updates, cpuUsPerEvent: (lat.cpuMs * 1000) / Math.max(1, lat.updates), writeRttP99: sortedPercentile(rtt, 99) },
    };
  } finally {
    await p.stop();
  }
}

// ------------------------------------------------------------------ main

interface CaseRuns {
  sync: number[];
  handler: number[];
  startResolved: number[];
  heap: number[];
  external: number[];
  rss: number[];
  p50: number[];
  p99: number[];
  max: number[];
  sendP50: number[];
  sendP99: number[];
  cpuUsPerEvent: number[];
  writeRttP99: number[];
  missing: number;
}

async function main(): Promise<void> {
  const m = machineInfo();
  const conditionsAtStart = { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() };
  progress(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}; sizes ${sizes.join(', ')}; ${runs} run(s); subjects ${subjects.join(', ')}`);
  if (cpuProfDir) {
    mkdirSync(cpuProfDir, { recursive: true });
    progress(`subject CPU profiles -> ${cpuProfDir}`);
  }
  const server = await startKeelson();
  progress(`server up at ${server.url} (pid ${server.pid})`);
  const c = new HttpsClient(server.url, server.caPem, server.token, LOAD_CONCURRENCY + 4);
  const results = new Map<string, CaseRuns>();
  const failures = new Map<string, string>();
  const failedAt = (subject: SubjectKind, n: number): boolean => Array.from(failures.keys()).some((k) => k.startsWith(`${subject}|`) && Number(k.split('|')[1]) <= n);
  const sizeOf = new Map<number, JsonSize>();
  try {
    for (const n of sizes) await loadPods(c, nsFor(n), n);
    for (const n of sizes) {
      const s = await jsonSize(c, nsFor(n));
      if (s.objects !== n) throw new Error(`${nsFor(n)} lists ${s.objects} Pods, expected ${n}`);
      sizeOf.set(n, s);
      progress(`${nsFor(n)}: JSON ${mib(s.bytes).toFixed(1)} MiB as served (${Math.round(s.bytes / n)} B a Pod), ${mib(s.bytesWithoutManagedFields).toFixed(1)} MiB without managedFields (${Math.round(s.bytesWithoutManagedFields / n)} B a Pod)`);
    }

    for (let r = 0; r < runs; r++) {
      for (const n of sizes) {
        // Alternate the order between runs, so drift in the machine's load falls on every subject.
        const order = subjects.filter((s) => (SUBJECT_SIZES[s]?.includes(n) ?? true) && r < (SUBJECT_RUNS[s] ?? runs) && !failedAt(s, n));
        if (r % 2 === 1) order.reverse();
        for (const subject of order) {
          const key = `${subject}|${n}`;
          let res: SubjectResult;
          try {
            res = await runSubject(server, c, subject, n, r);
          } catch (err) {
            // A subject that cannot sync a case will not sync a larger one: it is reported, not retried.
            const message = err instanceof Error ? err.message : String(err);
            failures.set(key, message);
            progress(`run ${r + 1}/${runs} pods=${n} ${SUBJECT_NAME[subject]}: FAILED (${message}); skipped from now on at this size and above`);
            continue;
          }
          let cr = results.get(key);
          if (!cr) {
            cr = { sync: [], handler: [], startResolved: [], heap: [], external: [], rss: [], p50: [], p99: [], max: [], sendP50: [], sendP99: [], cpuUsPerEvent: [], writeRttP99: [], missing: 0 };
            results.set(key, cr);
          }
          const sy = res.synced;
          cr.sync.push(sy.syncMs);
          cr.handler.push(sy.handlerMs);
          if (sy.startResolvedMs !== undefined) cr.startResolved.push(sy.startResolvedMs);
          cr.heap.push(sy.heapAfter - sy.heapBefore);
          cr.external.push(sy.externalAfter - sy.externalBefore);
          cr.rss.push(sy.rssAfter);
          let line = `run ${r + 1}/${runs} pods=${n} ${SUBJECT_NAME[subject]}: synced ${sy.syncMs.toFixed(0)} ms (handler ${sy.handlerMs.toFixed(0)} ms${sy.startResolvedMs !== undefined ? `, start() resolved ${sy.startResolvedMs.toFixed(0)} ms` : ''}), heap +${mib(sy.heapAfter - sy.heapBefore).toFixed(1)} MiB`;
          if (res.latency) {
            const l = res.latency;
            cr.p50.push(sortedPercentile(l.fromAck, 50));
            cr.p99.push(sortedPercentile(l.fromAck, 99));
            cr.max.push(l.fromAck[l.fromAck.length - 1]);
            cr.sendP50.push(sortedPercentile(l.fromSend, 50));
            cr.sendP99.push(sortedPercentile(l.fromSend, 99));
            cr.cpuUsPerEvent.push(l.cpuUsPerEvent);
            cr.writeRttP99.push(l.writeRttP99);
            cr.missing += l.missing;
            line += `; ack->handler p50 ${cr.p50[cr.p50.length - 1].toFixed(2)} p99 ${cr.p99[cr.p99.length - 1].toFixed(2)} max ${cr.max[cr.max.length - 1].toFixed(1)} ms, ${l.cpuUsPerEvent.toFixed(0)} us CPU an event; write round trip p99 ${l.writeRttP99.toFixed(1)} ms${l.missing ? `; ${l.missing} of ${WRITES} writes never reached the handler` : ''}`;
          }
          progress(line);
        }
      }
    }
  } finally {
    c.close();
    await server.stop();
  }

  // ---------------------------------------------------------------- rows
  for (const n of sizes) {
    const kase = `pods=${n}`;
    const size = sizeOf.get(n)!;
    const peer = results.get(`client-node|${n}`);
    const peerSync = peer ? median(peer.sync) : undefined;
    for (const subject of subjects) {
      const name = SUBJECT_NAME[subject];
      const cr = results.get(`${subject}|${n}`);
      const failure = failures.get(`${subject}|${n}`) ?? (failedAt(subject, n) ? 'skipped: failed at a smaller size' : undefined);
      if (failure && (SUBJECT_SIZES[subject]?.includes(n) ?? true)) {
        addRow(name, kase, 'sync_ms', Number.NaN, 'ms', { failed: failure, runs: cr?.sync.length ?? 0 });
        if (!cr) continue;
      }
      if (!cr) continue;
      const ours = subject !== 'client-node' && subject !== 'floor';
      // The targets are the default informer's; its variants and the floor are context.
      const primary = subject === 'keelson';
      const sync = summarize(cr.sync);
      const syncExtra: Record<string, unknown> = { handler_ms: round(median(cr.handler)) };
      if (cr.startResolved.length) syncExtra.start_resolved_ms = round(median(cr.startResolved));
      if (primary && n === LATENCY_SIZE) Object.assign(syncExtra, { target: `< ${TARGET.sync10kMs} ms for 10k Pods`, met: sync.value < TARGET.sync10kMs });
      syncExtra.seed = SEED.sync;
      addRow(name, kase, 'sync_ms', sync, 'ms', syncExtra);
      if (ours && peerSync !== undefined) {
        const speedup = peerSync / sync.value;
        addRow(name, kase, 'sync_speedup_vs_client_node', round(speedup, 2), 'x', {
          ...(primary ? { target: `>= ${TARGET.speedup}x faster than client-node`, met: speedup >= TARGET.speedup } : {}),
          client_node_sync_ms: round(peerSync),
        });
      }
      const heap = summarize(cr.heap.map(mib));
      addRow(name, kase, 'heap_mib', heap, 'MiB', {
        bytes_per_object: Math.round(median(cr.heap) / n),
        external_mib: round(mib(median(cr.external))),
        // The whole process (runtime, libraries, cache): the figure nearest the seed's 68 MB.
        rss_mib: round(mib(median(cr.rss))),
        json_mib: round(mib(size.bytes)),
        seed: SEED.heap,
      });
      const ratio = median(cr.heap) / size.bytes;
      const ratioExtra: Record<string, unknown> = {
        over_json_without_managed_fields: round(median(cr.heap) / size.bytesWithoutManagedFields, 2),
        json_bytes_per_object: Math.round(size.bytes / n),
        json_bytes_per_object_without_managed_fields: Math.round(size.bytesWithoutManagedFields / n),
      };
      if (primary) Object.assign(ratioExtra, { target: `< ${TARGET.heapOverJson}x the objects' JSON (default transform)`, met: ratio < TARGET.heapOverJson });
      addRow(name, kase, 'heap_over_json', round(ratio, 2), 'x', ratioExtra);
      if (cr.p99.length) {
        const lkase = `pods=${n}, label updates at ${WRITE_RATE_PER_S}/s for ${WRITE_SECONDS} s`;
        addRow(name, lkase, 'latency_ack_to_handler_p50_ms', summarize(cr.p50), 'ms', { from_send_ms: round(median(cr.sendP50)), seed: SEED.latency });
        // Load-insensitive: what an event costs the subject, whatever else the machine was doing.
        addRow(name, lkase, 'cpu_us_per_event', summarize(cr.cpuUsPerEvent), 'us');
        const p99 = summarize(cr.p99);
        addRow(name, lkase, 'latency_ack_to_handler_p99_ms', p99, 'ms', {
          ...(primary ? { target: `< ${TARGET.p99Ms} ms`, met: p99.value < TARGET.p99Ms } : {}),
          from_send_ms: round(median(cr.sendP99)),
          max_ms: round(Math.max(...cr.max)),
          writes_not_seen: cr.missing,
          write_round_trip_p99_ms: round(median(cr.writeRttP99)),
          seed: SEED.latency,
        });
      }
    }
  }

  const conditions = { start: conditionsAtStart, end: { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() } };
  const objects = Object.fromEntries(Array.from(sizeOf, ([n, s]) => [`pods=${n}`, { json_bytes: s.bytes, json_bytes_without_managed_fields: s.bytesWithoutManagedFields }]));
  const file = fullRun ? writeResults('informer', rows, { conditions, objects, seed: SEED }) : undefined;
  const fmt = (v: unknown): string => (v === undefined ? '' : String(v));
  const table = formatTable(
    ['subject', 'case', 'metric', 'value', 'unit', 'min', 'max', 'target', 'met', 'seed article (client-go)'],
    rows.map((r) => [r.subject, r.case, r.metric, Number.isNaN(r.value) ? 'failed' : fmt(r.value), r.unit, fmt(r.min), fmt(r.max), fmt(r.target), r.met === undefined ? '' : r.met ? 'yes' : 'NO', fmt(r.seed).replace(/^client-go: /, '')]),
  );
  const failed = rows.filter((r) => r.failed).map((r) => `  ${r.subject}, ${r.case}: ${r.failed}`);
  const verdicts = rows
    .filter((r) => r.target !== undefined)
    .map((r) => `  ${r.met ? 'met   ' : 'MISSED'} ${r.case}, ${r.metric} = ${r.value} ${r.unit} (target ${r.target})${r.seed ? `; seed article: ${r.seed}` : ''}`);
  process.stdout.write(
    `\nbench/informer (median of ${runs} runs; min/max over runs) — ${m.cpus} CPUs, node ${m.node}; ` +
      `load average ${conditions.start.loadavg1} -> ${conditions.end.loadavg1}, CPU pressure ${conditions.start.cpuPressureSomeAvg10}% -> ${conditions.end.cpuPressureSomeAvg10}%\n${table}\n${failed.length ? `\nfailed:\n${failed.join('\n')}\n` : ''}\ntargets (keelson, default settings):\n${verdicts.join('\n')}\n\n${file ? `wrote ${file}` : 'a subset ran (KEELSON_BENCH_SIZES/RUNS/SUBJECTS): results file not written'}\n`,
  );
  progress('done');
}

await main();
