/**
 * One subject of the informer benchmark, alone in its process (forked by run.ts with
 * --expose-gc), so that its heap holds nothing but its library, its informer and its cache.
 *
 * - keelson, keelson-paged, keelson-qps-default: a SharedInformerFactory of
 *   @keelson/informer over @keelson/client, default transform (stripManagedFields), one
 *   handler. `keelson` lists the default way (a streaming list, WatchList) with client-side
 *   rate limiting off (qps: 0); `keelson-paged` pages the list (useWatchList: false, 500 a
 *   page), also qps: 0; `keelson-qps-default` is `keelson` with the client's defaults (QPS 5, burst 10, as
 *   client-go's rest.Config). Synced: `factory.waitForCacheSync` resolving (every listed object
 *   is in the cache and in the handlers' buffers; the handler calls follow on the event loop,
 *   `handlerMs` is when the last of them was made).
 * - client-node: `makeInformer(kc, '/api/v1/namespaces/NS/pods', () => listNamespacedPod(NS))`
 *   of @kubernetes/client-node. Synced: the handler's `add` call for the last listed object.
 *   client-node applies the list in one synchronous loop, calling `add` right after each object
 *   goes into its cache, so that call is the first moment `list().length` equals N and every
 *   handler has been called; it is the closest point to keelson's. (`connect` fires before the
 *   list is even requested; `start()` resolves later still, once the watch request that follows
 *   the list has been answered: `startResolvedMs`.)
 * - floor: what any informer in Node pays at least against this server: the same paged LIST
 *   (500 a page) and watch over bare node:https keep-alive, each page JSON.parse'd, managedFields
 *   dropped, objects kept in a Map by name; no queue, no indexer, no handler machinery. Synced:
 *   the last page stored. The distance between it and a subject is that subject's own cost.
 *
 * Every subject first makes its client, informer and handler (kubeconfig read, logger and
 * metrics created), as a controller does before it starts; the clock starts at the start call
 * (`factory.start`, `informer.start()`, the first LIST), so sync_ms is the list and the cache,
 * not the process's set-up. The heap baseline is taken before the client is made.
 *
 * Then, in the latency case, it records when its update handler sees each write of the phase.
 * Configuration comes as JSON in argv[2] (SubjectConfig); results go back over IPC.
 */
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpsClient } from '../apiserver/https-client.js';
import { clockMs, type FromSubject, type SubjectConfig, type SyncedMessage, type ToSubject } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SubjectConfig;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !process.send) {
  process.stderr.write('subject.ts runs as a child of bench/informer/run.ts (with --expose-gc and an IPC channel)\n');
  process.exit(2);
}

/** Once the benchmark says stop, what the libraries report while shutting down is of no interest. */
let stopping = false;

function send(m: FromSubject, then?: () => void): void {
  if (stopping && m.type === 'error') return;
  process.send!(m, undefined, undefined, () => then?.());
}

/** Full collections until the heap stops shrinking: what is left is what is held. */
function collect(): void {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    gc!();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) break;
    last = used;
  }
}

/**
 * A subject's library, loaded: `prepare` makes its client, informer and handler (what a
 * controller does before it starts), `start` is the timed part.
 */
interface Subject {
  prepare(): { start(): Running };
}

/** What a running subject offers the benchmark. */
interface Running {
  /** Resolves at synced with the time (clockMs) it was reached. */
  synced: Promise<number>;
  /** Resolves when the handler has been called for every listed object (clockMs). */
  handled: Promise<number>;
  /** client-node: when start() resolved. */
  startResolved?: Promise<number>;
  cached(): number;
  stop(): Promise<void>;
}

/** Handler-side recording of a latency phase. */
class LatencyRecorder {
  readonly handledAt: Float64Array;
  updates = 0;
  private seen = 0;
  private resolveAll?: () => void;

  constructor(
    private readonly label: string,
    private readonly prefix: string,
    writes: number,
  ) {
    this.handledAt = new Float64Array(writes).fill(Number.NaN);
  }

  /** Called from the subject's update handler with the new object's labels. */
  onUpdate(labels: Record<string, string> | undefined): void {
    const t = clockMs();
    const v = labels?.[this.label];
    if (v === undefined || !v.startsWith(this.prefix)) return;
    this.updates++;
    const seq = Number(v.slice(this.prefix.length));
    if (!(seq >= 0 && seq < this.handledAt.length) || !Number.isNaN(this.handledAt[seq])) return;
    this.handledAt[seq] = t;
    if (++this.seen === this.handledAt.length) this.resolveAll?.();
  }

  /** Resolves once every write was handled, or after `ms`. */
  async all(ms: number): Promise<void> {
    if (this.seen === this.handledAt.length) return;
    await Promise.race([new Promise<void>((r) => (this.resolveAll = r)), sleep(ms)]);
  }
}

function deferred(): { promise: Promise<number>; resolve: (t: number) => void } {
  let resolve!: (t: number) => void;
  const promise = new Promise<number>((r) => (resolve = r));
  return { promise, resolve };
}

async function loadKeelson(rec: LatencyRecorder | undefined): Promise<Subject> {
  const { Client } = await import('@keelson/client');
  const { SharedInformerFactory } = await import('@keelson/informer');
  return {
    prepare() {
      const client = Client.fromKubeconfig({ path: config.kubeconfig, inCluster: false, ...(config.subject === 'keelson-qps-default' ? {} : { qps: 0 }) });
      let synced = false;
      const factory = new SharedInformerFactory(client, {
        defaultResync: 0,
        reflector: {
          ...(config.subject === 'keelson-paged' ? { useWatchList: false } : {}),
          // A sync that needed a retry is not the sync being measured: report it and stop.
          onTransition: (from, to, cause) => {
            if (to === 'Backoff' && !synced) {
              send({ type: 'error', message: `the initial ${from === 'StreamingList' ? 'streaming list' : 'list'} failed, the reflector backs off: ${cause instanceof Error ? cause.message : String(cause)}` });
            }
          },
        },
      });
      const informer = factory.forResource({ group: '', version: 'v1', resource: 'pods' }, { namespace: config.namespace });
      const handled = deferred();
      let adds = 0;
      informer.addEventHandler({
        onAdd: () => {
          if (++adds === config.expected) handled.resolve(clockMs());
        },
        onUpdate: (_old, obj) => rec?.onUpdate(obj.metadata?.labels),
      });
      const controller = new AbortController();
      return {
        start: (): Running => ({
          synced: (async () => {
            await factory.start(controller.signal);
            await factory.waitForCacheSync(controller.signal);
            synced = true;
            return clockMs();
          })(),
          handled: handled.promise,
          cached: () => informer.getIndexer().list().length,
          async stop() {
            controller.abort();
            await factory.shutdown();
            client.close();
          },
        }),
      };
    },
  };
}

async function loadClientNode(rec: LatencyRecorder | undefined): Promise<Subject> {
  const k8s = await import('@kubernetes/client-node');
  return {
    prepare() {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(config.kubeconfig);
      const coreV1 = kc.makeApiClient(k8s.CoreV1Api);
      const ns = config.namespace;
      const informer = k8s.makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods`, () => coreV1.listNamespacedPod({ namespace: ns }));
      const synced = deferred();
      let adds = 0;
      informer.on('add', () => {
        if (++adds === config.expected) synced.resolve(clockMs());
      });
      informer.on('update', (obj) => rec?.onUpdate(obj.metadata?.labels));
      informer.on('error', (err: unknown) => {
        send({ type: 'error', message: `client-node informer error: ${err instanceof Error ? err.message : String(err)}` });
      });
      return {
        start: (): Running => ({
          synced: synced.promise,
          handled: synced.promise,
          startResolved: informer.start().then(() => clockMs()),
          cached: () => informer.list(ns).length,
          async stop() {
            await informer.stop();
          },
        }),
      };
    },
  };
}

async function loadFloor(rec: LatencyRecorder | undefined): Promise<Subject> {
  const kubeconfig = readFileSync(config.kubeconfig, 'utf8');
  const server = /server:\s*(\S+)/.exec(kubeconfig)?.[1];
  const ca = /certificate-authority-data:\s*(\S+)/.exec(kubeconfig)?.[1];
  const token = /token:\s*(\S+)/.exec(kubeconfig)?.[1];
  if (!server || !ca || !token) throw new Error(`${config.kubeconfig} has no server, certificate-authority-data or token`);
  return {
    prepare: () => ({
      start(): Running {
        const c = new HttpsClient(server, Buffer.from(ca, 'base64').toString('utf8'), token, 4);
        const path = `/api/v1/namespaces/${config.namespace}/pods`;
        const cache = new Map<string, any>();
        let stream: { close(): void } | undefined;
        const synced = (async () => {
          let cont = '';
          let rv = '';
          do {
            const r = await c.must('GET', `${path}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, 200);
            const page = JSON.parse(r.body);
            for (const item of page.items) {
              delete item.metadata.managedFields;
              cache.set(item.metadata.name, item);
            }
            cont = page.metadata.continue ?? '';
            rv = page.metadata.resourceVersion;
          } while (cont);
          const at = clockMs();
          const w = c.watch(`${path}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, (line) => {
            const ev = JSON.parse(line);
            if (ev.type !== 'MODIFIED') return;
            delete ev.object.metadata.managedFields;
            cache.set(ev.object.metadata.name, ev.object);
            rec?.onUpdate(ev.object.metadata.labels);
          });
          stream = w;
          await w.ready;
          return at;
        })();
        return {
          synced,
          handled: synced,
          cached: () => cache.size,
          async stop() {
            stream?.close();
            c.close();
          },
        };
      },
    }),
  };
}

async function main(): Promise<void> {
  const rec = config.latency ? new LatencyRecorder(config.latency.label, `${config.latency.prefix}-`, config.latency.writes) : undefined;
  // The library is loaded before the baseline: its code is not the cache.
  const subject = config.subject === 'client-node' ? await loadClientNode(rec) : config.subject === 'floor' ? await loadFloor(rec) : await loadKeelson(rec);
  collect();
  const before = process.memoryUsage();

  const prepared = subject.prepare();
  const t0 = clockMs();
  const running = prepared.start();
  const syncedAt = await running.synced;
  const handledAt = await running.handled;
  const startResolvedAt = running.startResolved ? await running.startResolved : undefined;
  const cached = running.cached();
  // Buffers still draining, sockets settling: give them a moment, then count what stays.
  await sleep(200);
  collect();
  const after = process.memoryUsage();
  const synced: SyncedMessage = {
    type: 'synced',
    syncMs: syncedAt - t0,
    handlerMs: handledAt - t0,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    externalBefore: before.external,
    externalAfter: after.external,
    rssAfter: after.rss,
    cached,
  };
  if (startResolvedAt !== undefined) synced.startResolvedMs = startResolvedAt - t0;
  send(synced);
  const cpu0 = process.cpuUsage();

  await new Promise<void>((resolve) => {
    process.on('message', (m: ToSubject) => {
      if (m.type === 'latency-done' && rec) {
        // The last writes' events may still be on their way: wait for them, briefly.
        void rec.all(5000).then(() => {
          const cpu = process.cpuUsage(cpu0);
          send({ type: 'latency', handledAt: Array.from(rec.handledAt), updates: rec.updates, cpuMs: (cpu.user + cpu.system) / 1000 });
        });
      } else if (m.type === 'stop') {
        stopping = true;
        resolve();
      }
    });
  });
  await running.stop();
  process.exit(0);
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
});
