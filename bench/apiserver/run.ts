/**
 * The API server benchmark: the compiled `keelson up` (SQLite, temp data dir) as a child process,
 * loaded from this process over HTTPS keep-alive; the same run measures the server's own storage
 * engine in-process (the floor under the HTTP/API layer) and the same create workload through
 * @kubernetes/client-node.
 *
 *   npm run bench -- apiserver
 *   node --conditions=keelson-source --import tsx bench/apiserver/run.ts   (after npm run build)
 *
 * Environment:
 *   KEELSON_BENCH_PHASES=creates,lists,verbs,watch,client-node,memory,storage   a subset (default: all;
 *     a subset prints its table and does not write the results file)
 *   KEELSON_BENCH_CPU_PROF=DIR   run the servers with --cpu-prof, profiles written to DIR on stop
 *   KEELSON_BENCH_SERVER_NODE_FLAGS="..."   more node flags for the servers (e.g. --perf-basic-prof for `perf`)
 *
 * Progress goes to stderr; the table to stdout; rows to bench/results/apiserver.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { SqliteStore } from '@keelson/storage';
import { formatTable, machineInfo, writeResults, type ResultRow } from '../lib/results.js';
import { median, percentile, round, sortedPercentile, summarize, type Summary } from '../lib/stats.js';
import { HttpsClient, runConcurrent } from './https-client.js';
import { startKeelson, type KeelsonProcess } from './keelson-process.js';

// ------------------------------------------------------------------ sizes and targets

/** Runs per case; figures are the median of the runs, min and max the spread. */
const RUNS = 5;
/** client-node without keep-alive makes a few hundred calls a second: fewer runs keep the total short. */
const CLIENT_NODE_RUNS = 3;
const LIST_RUNS = 5;
const CREATES_1 = 2_000;
const CREATES_16 = 6_000;
const CLIENT_NODE_CREATES = 1_000;
const LIST_OBJECTS = 10_000;
/** client-go's pager and kubectl's --chunk-size default. */
const PAGE = 500;
const WATCHERS = 100;
const WATCH_RATE_PER_S = 200;
const WATCH_SECONDS = 3;
const VERB_SAMPLES = 300;
const VERB_LIST_SIZE = 100;
const MEMORY_STEPS = [10_000, 100_000];
const STORAGE_CREATES = 10_000;
const LOAD_CONCURRENCY = 16;

/** The seed article's production p99 per verb, and the goal of a tenth of it. */
const SEED_P99_MS = 127;
const VERB_P99_TARGET_MS = 12.7;

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const KEELSON = 'keelson (HTTPS, compiled, sqlite)';
const STORAGE = '@keelson/storage SqliteStore (in-process)';
const CLIENT_NODE = '@kubernetes/client-node CoreV1Api -> keelson';

const ALL_PHASES = ['creates', 'lists', 'verbs', 'watch', 'client-node', 'memory', 'storage'];
const phases = new Set((process.env.KEELSON_BENCH_PHASES ?? ALL_PHASES.join(',')).split(',').map((s) => s.trim()));
/** A subset run prints its table but leaves the results file (a full run's) alone. */
const fullRun = ALL_PHASES.every((p) => phases.has(p));
const cpuProfDir = process.env.KEELSON_BENCH_CPU_PROF ? resolve(process.env.KEELSON_BENCH_CPU_PROF) : undefined;
const nodeFlags = [
  ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
  ...(process.env.KEELSON_BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean),
];

const rows: ResultRow[] = [];
const started = performance.now();

function progress(msg: string): void {
  process.stderr.write(`[apiserver ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

function addRow(subject: string, kase: string, metric: string, s: Summary | number, unit: string, extra: Record<string, unknown> = {}): void {
  const sum = typeof s === 'number' ? undefined : s;
  const value = typeof s === 'number' ? s : s.value;
  const row: ResultRow = { subject, case: kase, metric, value: round(value), unit };
  if (sum) Object.assign(row, { min: round(sum.min), max: round(sum.max), runs: sum.runs });
  Object.assign(row, extra);
  rows.push(row);
}

/** Target fields for a row: the text and whether the median meets it. */
function target(text: string, met: boolean): { target: string; met: boolean } {
  return { target: text, met };
}

// ------------------------------------------------------------------ objects

const PROPERTIES = [
  'server.port=8080',
  'server.threads=16',
  'feature.flags=alpha,beta,gamma',
  'log.format=json',
  'cache.ttl.seconds=300',
  'upstream.url=https://backend.internal.example:8443/api',
].join('\n');

/**
 * A realistic ConfigMap: labels, an annotation, a properties file and two keys; about 500 bytes
 * as served (with uid, creationTimestamp and resourceVersion).
 */
function configMap(namespace: string, name: string, i: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { app: 'bench', tier: 'backend', 'app.kubernetes.io/managed-by': 'keelson-bench' },
      annotations: { 'bench.keelson.dev/index': String(i) },
    },
    data: { 'app.properties': PROPERTIES, LOG_LEVEL: 'info', REPLICA: String(i % 7) },
  };
}

const name = (i: number): string => `cm-${String(i).padStart(6, '0')}`;
const cmPath = (ns: string, n?: string): string => `/api/v1/namespaces/${ns}/configmaps${n ? `/${n}` : ''}`;

async function createNamespace(c: HttpsClient, ns: string): Promise<void> {
  await c.must('POST', '/api/v1/namespaces', 201, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }) });
}

/** Creates `count` ConfigMaps (names from `offset`) with `concurrency` clients; returns creates/s. */
async function load(c: HttpsClient, ns: string, count: number, concurrency: number, offset = 0): Promise<number> {
  const bodies = Array.from({ length: count }, (_, i) => JSON.stringify(configMap(ns, name(offset + i), offset + i)));
  const t0 = performance.now();
  await runConcurrent(count, concurrency, async (i) => {
    await c.must('POST', cmPath(ns), 201, { body: bodies[i] });
  });
  return count / ((performance.now() - t0) / 1000);
}

async function currentRv(c: HttpsClient, ns: string): Promise<string> {
  const r = await c.must('GET', `${cmPath(ns)}?limit=1`, 200);
  return JSON.parse(r.body).metadata.resourceVersion;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wall time and the CPU time the server and this process (the load generator) spent on `f`.
 * On a small shared machine the wall figures include waiting for a CPU; CPU per operation is
 * what the work itself costs.
 */
async function costOf<T>(server: KeelsonProcess, f: () => Promise<T>): Promise<{ result: T; wallMs: number; serverCpuMs: number; clientCpuMs: number }> {
  const s0 = server.cpuMs();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { result, wallMs, serverCpuMs: server.cpuMs() - s0, clientCpuMs: (c.user + c.system) / 1000 };
}

/** CPU pressure of the machine (/proc/pressure/cpu "some avg10"): % of time something waited for a CPU. */
function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ phases on the server

async function benchCreates(c: HttpsClient, server: KeelsonProcess): Promise<void> {
  const perRun: Record<1 | 16, { rate: number[]; serverUs: number[]; clientUs: number[] }> = {
    1: { rate: [], serverUs: [], clientUs: [] },
    16: { rate: [], serverUs: [], clientUs: [] },
  };
  for (let r = 0; r < RUNS; r++) {
    for (const conc of [1, 16] as const) {
      const ns = `create-c${conc}-r${r}`;
      await createNamespace(c, ns);
      const n = conc === 1 ? CREATES_1 : CREATES_16;
      const cost = await costOf(server, () => load(c, ns, n, conc));
      const p = perRun[conc];
      p.rate.push(cost.result);
      p.serverUs.push((cost.serverCpuMs * 1000) / n);
      p.clientUs.push((cost.clientCpuMs * 1000) / n);
      progress(`creates: ${conc} client(s), run ${r + 1}/${RUNS}: ${cost.result.toFixed(0)}/s; CPU per create: server ${p.serverUs[r].toFixed(0)} us, load generator ${p.clientUs[r].toFixed(0)} us`);
    }
  }
  for (const conc of [1, 16] as const) {
    const p = perRun[conc];
    const s = summarize(p.rate);
    const extra = { server_cpu_us_per_op: round(median(p.serverUs), 0), client_cpu_us_per_op: round(median(p.clientUs), 0) };
    if (conc === 1) addRow(KEELSON, `ConfigMap create, 1 client, ${CREATES_1} per run`, 'creates_per_s', s, 'creates/s', extra);
    else addRow(KEELSON, `ConfigMap create, 16 clients, ${CREATES_16} per run`, 'creates_per_s', s, 'creates/s', { ...target('>= 2000', s.value >= 2000), ...extra });
  }
}

async function benchClientNode(c: HttpsClient, server: KeelsonProcess): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const perRun: number[] = [];
  const serverUs: number[] = [];
  const clientUs: number[] = [];
  for (let r = 0; r < CLIENT_NODE_RUNS; r++) {
    const ns = `clientnode-r${r}`;
    await createNamespace(c, ns);
    const bodies = Array.from({ length: CLIENT_NODE_CREATES }, (_, i) => configMap(ns, name(i), i) as k8s.V1ConfigMap);
    const cost = await costOf(server, () =>
      runConcurrent(CLIENT_NODE_CREATES, 16, async (i) => {
        await api.createNamespacedConfigMap({ namespace: ns, body: bodies[i] });
      }),
    );
    perRun.push(CLIENT_NODE_CREATES / (cost.wallMs / 1000));
    serverUs.push((cost.serverCpuMs * 1000) / CLIENT_NODE_CREATES);
    clientUs.push((cost.clientCpuMs * 1000) / CLIENT_NODE_CREATES);
    progress(`client-node creates: 16 clients, run ${r + 1}/${CLIENT_NODE_RUNS}: ${perRun[r].toFixed(0)}/s; CPU per create: server ${serverUs[r].toFixed(0)} us, client ${clientUs[r].toFixed(0)} us`);
  }
  addRow(CLIENT_NODE, `ConfigMap create, 16 clients, ${CLIENT_NODE_CREATES} per run`, 'creates_per_s', summarize(perRun), 'creates/s', {
    server_cpu_us_per_op: round(median(serverUs), 0),
    client_cpu_us_per_op: round(median(clientUs), 0),
  });
}

/**
 * GETs every page (limit/continue) and returns the bodies. The continue token is read from the
 * list's metadata, which both List and Table put first, without decoding the page: the timed
 * figure is the server's and the transfer's, not this process's JSON.parse.
 */
async function listPaged(c: HttpsClient, path: string, accept?: string): Promise<string[]> {
  let cont = '';
  const pages: string[] = [];
  for (;;) {
    const r = await c.must('GET', `${path}?limit=${PAGE}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, 200, { accept });
    pages.push(r.body);
    cont = /"continue":"([^"]*)"/.exec(r.body.slice(0, 2048))?.[1] ?? '';
    if (!cont) return pages;
  }
}

/** Items (or Table rows) in list bodies. */
function countItems(bodies: string[]): number {
  return bodies.reduce((n, b) => {
    const doc = JSON.parse(b);
    return n + (doc.items ?? doc.rows).length;
  }, 0);
}

async function benchLists(c: HttpsClient, server: KeelsonProcess): Promise<void> {
  const ns = 'list10k';
  await createNamespace(c, ns);
  progress(`lists: loading ${LIST_OBJECTS} ConfigMaps`);
  await load(c, ns, LIST_OBJECTS, LOAD_CONCURRENCY);
  const path = cmPath(ns);
  // Each case returns the response bodies; the time runs to the last byte of the last one.
  const cases: { label: string; run: () => Promise<string[]> }[] = [
    { label: 'JSON, one GET', run: async () => [(await c.must('GET', path, 200)).body] },
    { label: `JSON, pages of ${PAGE} (limit/continue)`, run: () => listPaged(c, path) },
    { label: `Table, pages of ${PAGE} (as kubectl get asks)`, run: () => listPaged(c, path, TABLE_ACCEPT) },
    { label: 'Table, one GET', run: async () => [(await c.must('GET', path, 200, { accept: TABLE_ACCEPT })).body] },
  ];
  const times = cases.map(() => [] as number[]);
  const serverCpu = cases.map(() => [] as number[]);
  const bodyBytes: number[] = [];
  // Untimed pass: every case returns every object (and warms up).
  for (const cs of cases) {
    const bodies = await cs.run();
    bodyBytes.push(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0));
    const n = countItems(bodies);
    if (n !== LIST_OBJECTS) throw new Error(`list (${cs.label}) returned ${n} items, expected ${LIST_OBJECTS}`);
  }
  for (let r = 0; r < LIST_RUNS; r++) {
    for (let k = 0; k < cases.length; k++) {
      const { wallMs, serverCpuMs } = await costOf(server, cases[k].run);
      times[k].push(wallMs);
      serverCpu[k].push(serverCpuMs);
    }
    progress(`lists: run ${r + 1}/${LIST_RUNS}: ${cases.map((cs, k) => `${cs.label} ${times[k][r].toFixed(0)} ms`).join('; ')}`);
  }
  for (let k = 0; k < cases.length; k++) {
    const s = summarize(times[k]);
    const extra: Record<string, unknown> = k < 3 ? target('< 300 ms', s.value < 300) : {};
    extra.server_cpu_ms = median(serverCpu[k]);
    extra.response_bytes = bodyBytes[k];
    addRow(KEELSON, `list ${LIST_OBJECTS} ConfigMaps, ${cases[k].label}`, 'list_ms', s, 'ms', extra);
  }
}

interface VerbSamples {
  [verb: string]: number[];
}

async function benchVerbs(c: HttpsClient): Promise<void> {
  const listNs = 'verbs-list';
  await createNamespace(c, listNs);
  await load(c, listNs, VERB_LIST_SIZE, 4);
  const verbs = ['get', `list (${VERB_LIST_SIZE} objects)`, 'create', 'update (PUT)', 'patch (merge)', 'delete', 'watch event'];
  const perRun: Record<string, { p50: number[]; p99: number[]; max: number[] }> = {};
  for (const v of verbs) perRun[v] = { p50: [], p99: [], max: [] };
  for (let r = 0; r < RUNS; r++) {
    const ns = `verbs-r${r}`;
    await createNamespace(c, ns);
    const s: VerbSamples = Object.fromEntries(verbs.map((v) => [v, []]));
    const latest = new Map<string, any>();
    const time = async (verb: string, f: () => Promise<{ sentAt: number; doneAt: number }>): Promise<void> => {
      const res = await f();
      s[verb].push(res.doneAt - res.sentAt);
    };
    for (let i = 0; i < VERB_SAMPLES; i++) {
      await time('create', async () => {
        const res = await c.must('POST', cmPath(ns), 201, { body: JSON.stringify(configMap(ns, name(i), i)) });
        latest.set(name(i), JSON.parse(res.body));
        return res;
      });
    }
    for (let i = 0; i < VERB_SAMPLES; i++) await time('get', () => c.must('GET', cmPath(ns, name(i)), 200));
    for (let i = 0; i < VERB_SAMPLES; i++) await time(`list (${VERB_LIST_SIZE} objects)`, () => c.must('GET', cmPath(listNs), 200));
    for (let i = 0; i < VERB_SAMPLES; i++) {
      await time('update (PUT)', async () => {
        const obj = latest.get(name(i));
        obj.data.LOG_LEVEL = 'debug';
        const res = await c.must('PUT', cmPath(ns, name(i)), 200, { body: JSON.stringify(obj) });
        latest.set(name(i), JSON.parse(res.body));
        return res;
      });
    }
    for (let i = 0; i < VERB_SAMPLES; i++) {
      await time('patch (merge)', () =>
        c.must('PATCH', cmPath(ns, name(i)), 200, { body: JSON.stringify({ data: { REPLICA: `patched-${i}` } }), contentType: 'application/merge-patch+json' }),
      );
    }
    // watch event: one watcher; each write waits for its event, latency from the write's send.
    {
      let waiting: { name: string; resolve: (t: number) => void } | undefined;
      const stream = c.watch(`${cmPath(ns)}?watch=true&resourceVersion=${await currentRv(c, ns)}`, (line) => {
        const ev = JSON.parse(line);
        const t = performance.now();
        if (waiting && ev.object?.metadata?.name === waiting.name) waiting.resolve(t);
      });
      await stream.ready;
      for (let i = 0; i < VERB_SAMPLES; i++) {
        const n = name(i);
        const seen = new Promise<number>((resolve) => (waiting = { name: n, resolve }));
        const sentAt = performance.now();
        await c.must('PATCH', cmPath(ns, n), 200, { body: JSON.stringify({ data: { REPLICA: `watched-${i}` } }), contentType: 'application/merge-patch+json' });
        s['watch event'].push((await seen) - sentAt);
      }
      stream.close();
    }
    for (let i = 0; i < VERB_SAMPLES; i++) await time('delete', () => c.must('DELETE', cmPath(ns, name(i)), 200));
    for (const v of verbs) {
      const sorted = [...s[v]].sort((a, b) => a - b);
      perRun[v].p50.push(sortedPercentile(sorted, 50));
      perRun[v].p99.push(sortedPercentile(sorted, 99));
      perRun[v].max.push(sorted[sorted.length - 1]);
    }
    progress(`verbs: run ${r + 1}/${RUNS}: ${verbs.map((v) => `${v} p99 ${perRun[v].p99[r].toFixed(1)} ms`).join('; ')}`);
  }
  for (const v of verbs) {
    const kase = `${v}, 1 client, ${VERB_SAMPLES} requests per run`;
    addRow(KEELSON, kase, 'p50_ms', summarize(perRun[v].p50), 'ms');
    const p99 = summarize(perRun[v].p99);
    addRow(KEELSON, kase, 'p99_ms', p99, 'ms', { ...target(`<= ${VERB_P99_TARGET_MS} ms (seed article production p99: ${SEED_P99_MS} ms)`, p99.value <= VERB_P99_TARGET_MS), max_ms: round(Math.max(...perRun[v].max)) });
  }
}

async function benchWatch(c: HttpsClient, server: KeelsonProcess): Promise<void> {
  const writes = WATCH_RATE_PER_S * WATCH_SECONDS;
  const watchClient = new HttpsClient(server.url, server.caPem, server.token, WATCHERS + 4);
  const fromSend = { p50: [] as number[], p99: [] as number[], max: [] as number[] };
  const fromResponse = { p50: [] as number[], p99: [] as number[], max: [] as number[] };
  const serverUs: number[] = [];
  const clientUs: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const ns = `watch-r${r}`;
      await createNamespace(c, ns);
      const rv = await currentRv(c, ns);
      // arrival[write * WATCHERS + watcher]: when that watcher parsed that write's event.
      const arrival = new Float64Array(writes * WATCHERS).fill(Number.NaN);
      let received = 0;
      let allReceived: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (allReceived = resolve));
      const streams = Array.from({ length: WATCHERS }, (_, w) =>
        watchClient.watch(`${cmPath(ns)}?watch=true&resourceVersion=${rv}`, (line) => {
          const ev = JSON.parse(line);
          const t = performance.now();
          const i = Number(ev.object.metadata.name.slice(3));
          arrival[i * WATCHERS + w] = t;
          if (++received === writes * WATCHERS) allReceived();
        }),
      );
      await Promise.all(streams.map((s) => s.ready));
      const sentAt = new Float64Array(writes);
      const doneAt = new Float64Array(writes);
      const bodies = Array.from({ length: writes }, (_, i) => JSON.stringify(configMap(ns, name(i), i)));
      const inflight: Promise<void>[] = [];
      const s0 = server.cpuMs();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < writes; i++) {
        const due = t0 + (i * 1000) / WATCH_RATE_PER_S;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        inflight.push(
          c.must('POST', cmPath(ns), 201, { body: bodies[i] }).then((res) => {
            sentAt[i] = res.sentAt;
            doneAt[i] = res.doneAt;
          }),
        );
      }
      await Promise.all(inflight);
      const timeout = sleep(30_000).then(() => 'timeout' as const);
      if ((await Promise.race([done, timeout])) === 'timeout') throw new Error(`watch: ${received} of ${writes * WATCHERS} events arrived within 30 s`);
      const cc = process.cpuUsage(c0);
      serverUs.push(((server.cpuMs() - s0) * 1000) / writes);
      clientUs.push((cc.user + cc.system) / writes);
      for (const s of streams) s.close();
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < writes; i++) {
        for (let w = 0; w < WATCHERS; w++) {
          const t = arrival[i * WATCHERS + w];
          a.push(t - sentAt[i]);
          b.push(t - doneAt[i]);
        }
      }
      a.sort((x, y) => x - y);
      b.sort((x, y) => x - y);
      fromSend.p50.push(sortedPercentile(a, 50));
      fromSend.p99.push(sortedPercentile(a, 99));
      fromSend.max.push(a[a.length - 1]);
      fromResponse.p50.push(sortedPercentile(b, 50));
      fromResponse.p99.push(sortedPercentile(b, 99));
      fromResponse.max.push(b[b.length - 1]);
      progress(`watch: run ${r + 1}/${RUNS}: from send p50 ${fromSend.p50[r].toFixed(2)} p99 ${fromSend.p99[r].toFixed(2)} max ${fromSend.max[r].toFixed(1)} ms; from response p50 ${fromResponse.p50[r].toFixed(2)} p99 ${fromResponse.p99[r].toFixed(2)} ms; CPU per write (all ${WATCHERS} deliveries): server ${serverUs[r].toFixed(0)} us, load generator ${clientUs[r].toFixed(0)} us`);
    }
  } finally {
    watchClient.close();
  }
  const kase = `${WATCHERS} watchers on one resource, creates at ${WATCH_RATE_PER_S}/s for ${WATCH_SECONDS} s (${writes * WATCHERS} events per run)`;
  addRow(KEELSON, kase, 'latency_from_send_p50_ms', summarize(fromSend.p50), 'ms');
  const p99 = summarize(fromSend.p99);
  addRow(KEELSON, kase, 'latency_from_send_p99_ms', p99, 'ms', {
    ...target('< 10 ms', p99.value < 10),
    server_cpu_us_per_write: round(median(serverUs), 0),
    client_cpu_us_per_write: round(median(clientUs), 0),
  });
  addRow(KEELSON, kase, 'latency_from_send_max_ms', summarize(fromSend.max), 'ms');
  addRow(KEELSON, kase, 'latency_from_response_p50_ms', summarize(fromResponse.p50), 'ms');
  addRow(KEELSON, kase, 'latency_from_response_p99_ms', summarize(fromResponse.p99), 'ms');
  addRow(KEELSON, kase, 'latency_from_response_max_ms', summarize(fromResponse.max), 'ms');
}

/** Sum of the byte lengths of every object (as served, one by one) under the given namespaces. */
async function servedBytes(c: HttpsClient, namespaces: string[]): Promise<{ bytes: number; objects: number }> {
  let bytes = 0;
  let objects = 0;
  for (const ns of namespaces) {
    let cont = '';
    do {
      const r = await c.must('GET', `${cmPath(ns)}?limit=${PAGE}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, 200);
      const doc = JSON.parse(r.body);
      for (const item of doc.items) bytes += Buffer.byteLength(JSON.stringify(item));
      objects += doc.items.length;
      cont = doc.metadata.continue ?? '';
    } while (cont);
  }
  return { bytes, objects };
}

async function benchMemory(): Promise<void> {
  const server = await startKeelson({ nodeFlags });
  const c = new HttpsClient(server.url, server.caPem, server.token, LOAD_CONCURRENCY + 4);
  try {
    await sleep(1000);
    const baseline = server.memory();
    progress(`memory: fresh server VmRSS ${(baseline.vmRss / 2 ** 20).toFixed(1)} MiB`);
    const PER_NS = 10_000;
    const namespaces: string[] = [];
    let loaded = 0;
    for (const step of MEMORY_STEPS) {
      while (loaded < step) {
        const ns = `mem-${namespaces.length}`;
        await createNamespace(c, ns);
        namespaces.push(ns);
        const rate = await load(c, ns, PER_NS, LOAD_CONCURRENCY);
        loaded += PER_NS;
        progress(`memory: ${loaded} ConfigMaps loaded (${rate.toFixed(0)}/s)`);
      }
      await sleep(2000);
      const mem = server.memory();
      // Measured after the RSS sample: listing allocates in the server.
      const { bytes, objects } = await servedBytes(c, namespaces);
      if (objects !== step) throw new Error(`memory: listed ${objects} objects, expected ${step}`);
      const ratio = mem.vmRss / bytes;
      const kase = `after creating ${step} ConfigMaps`;
      const mib = (b: number): number => round(b / 2 ** 20, 1);
      addRow(KEELSON, kase, 'vmrss_mib', mib(mem.vmRss), 'MiB', {
        rssAnon_mib: mib(mem.rssAnon),
        rssFile_mib: mib(mem.rssFile),
        vmHwm_mib: mib(mem.vmHwm),
        baseline_vmrss_mib: mib(baseline.vmRss),
        runs: 1,
      });
      addRow(KEELSON, kase, 'json_size_mib', mib(bytes), 'MiB', { bytes, avg_object_bytes: Math.round(bytes / objects) });
      const extra = step === MEMORY_STEPS[MEMORY_STEPS.length - 1] ? target('< 3x', ratio < 3) : {};
      addRow(KEELSON, kase, 'rss_over_json', round(ratio, 2), 'x', { above_baseline: round((mem.vmRss - baseline.vmRss) / bytes, 2), ...extra });
      progress(`memory: ${step} objects: VmRSS ${mib(mem.vmRss)} MiB (anon ${mib(mem.rssAnon)}, file ${mib(mem.rssFile)}), JSON ${mib(bytes)} MiB, ratio ${ratio.toFixed(2)}x`);
    }
  } finally {
    c.close();
    await server.stop();
  }
}

// ------------------------------------------------------------------ the storage floor

async function benchStorage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-store-'));
  const store = new SqliteStore({ path: join(dir, 'keelson.db') });
  try {
    // The values as the server stores them: no resourceVersion, uid and creationTimestamp set.
    const stored = (ns: string, i: number): string => {
      const o: any = configMap(ns, name(i), i);
      o.metadata.uid = randomUUID();
      o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return JSON.stringify(o);
    };
    const rates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const ns = `peer-r${r}`;
      const values = Array.from({ length: STORAGE_CREATES }, (_, i) => stored(ns, i));
      const t0 = performance.now();
      for (let i = 0; i < STORAGE_CREATES; i++) await store.create(`/registry/configmaps/${ns}/${name(i)}`, values[i]);
      rates.push(STORAGE_CREATES / ((performance.now() - t0) / 1000));
      progress(`storage: creates run ${r + 1}/${RUNS}: ${rates[r].toFixed(0)}/s`);
    }
    addRow(STORAGE, `create, single writer, ${STORAGE_CREATES} per run`, 'creates_per_s', summarize(rates), 'creates/s');
    const prefix = '/registry/configmaps/peer-r0/';
    const whole: number[] = [];
    const paged: number[] = [];
    await store.list(prefix); // warm-up
    for (let r = 0; r < LIST_RUNS; r++) {
      let t0 = performance.now();
      const all = await store.list(prefix);
      whole.push(performance.now() - t0);
      if (all.items.length !== STORAGE_CREATES) throw new Error(`storage list returned ${all.items.length}`);
      t0 = performance.now();
      let n = 0;
      let startKey: string | undefined;
      let rev: number | undefined;
      for (;;) {
        const page = await store.list(prefix, { limit: PAGE, startKey, revision: rev });
        n += page.items.length;
        rev = page.revision;
        if (!page.more) break;
        startKey = page.items[page.items.length - 1].key + '\x00';
      }
      paged.push(performance.now() - t0);
      if (n !== STORAGE_CREATES) throw new Error(`storage paged list returned ${n}`);
    }
    progress(`storage: list ${STORAGE_CREATES}: whole ${percentile(whole, 50).toFixed(1)} ms, pages ${percentile(paged, 50).toFixed(1)} ms`);
    addRow(STORAGE, `list ${STORAGE_CREATES} under a prefix, one range read`, 'list_ms', summarize(whole), 'ms');
    addRow(STORAGE, `list ${STORAGE_CREATES} under a prefix, pages of ${PAGE}`, 'list_ms', summarize(paged), 'ms');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const m = machineInfo();
  const conditionsAtStart = { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() };
  progress(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}${cpuProfDir ? `; server CPU profiles -> ${cpuProfDir}` : ''}`);
  const needsServer = ['creates', 'client-node', 'lists', 'verbs', 'watch'].some((p) => phases.has(p));
  if (needsServer) {
    const server = await startKeelson({ nodeFlags });
    progress(`server up at ${server.url} (pid ${server.pid})`);
    const c = new HttpsClient(server.url, server.caPem, server.token, LOAD_CONCURRENCY + 4);
    try {
      // Warm-up: TLS sessions, JIT, SQLite pages.
      await createNamespace(c, 'warmup');
      await load(c, 'warmup', 1000, LOAD_CONCURRENCY);
      if (phases.has('creates')) await benchCreates(c, server);
      if (phases.has('lists')) await benchLists(c, server);
      if (phases.has('verbs')) await benchVerbs(c);
      if (phases.has('watch')) await benchWatch(c, server);
      // Last on this server: client-node leaves a connection open per call it made.
      if (phases.has('client-node')) await benchClientNode(c, server);
    } finally {
      c.close();
      await server.stop();
    }
  }
  if (phases.has('memory')) await benchMemory();
  // Last, with no server running: the storage engine alone, in this process.
  if (phases.has('storage')) await benchStorage();

  // The machine may be shared: how busy it was, so runs can be compared fairly.
  const conditions = { start: conditionsAtStart, end: { loadavg1: round(loadavg()[0]), cpuPressureSomeAvg10: cpuPressure() } };
  const file = fullRun ? writeResults('apiserver', rows, { conditions }) : undefined;
  const fmt = (v: unknown): string => (v === undefined ? '' : String(v));
  const table = formatTable(
    ['subject', 'case', 'metric', 'value', 'unit', 'min', 'max', 'target', 'met'],
    rows.map((r) => [r.subject, r.case, r.metric, fmt(r.value), r.unit, fmt(r.min), fmt(r.max), fmt(r.target), r.met === undefined ? '' : r.met ? 'yes' : 'NO']),
  );
  process.stdout.write(
    `\nbench/apiserver (median of runs; min/max over runs) — ${m.cpus} CPUs, node ${m.node}; ` +
      `load average ${conditions.start.loadavg1} -> ${conditions.end.loadavg1}, CPU pressure ${conditions.start.cpuPressureSomeAvg10}% -> ${conditions.end.cpuPressureSomeAvg10}%\n${table}\n\n${file ? `wrote ${file}` : 'a subset of the phases ran (KEELSON_BENCH_PHASES): results file not written'}\n`,
  );
  progress('done');
}

await main();
