import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keelson/storage';
const anon = () => (Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024).toFixed(1);
const dir = mkdtempSync(join(tmpdir(), 'cache-'));
const store = new SqliteStore({ path: join(dir, 'keelson.db') });
(store as any).db.pragma(`cache_size = ${process.argv[2]}`);
const v = (i: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'mem', uid: 'a5d4c7a2-3f8b-4f6e-9d2a-1b2c3d4e5f60', creationTimestamp: '2026-11-25T00:00:00Z', labels: { app: 'bench', tier: 'backend', 'app.kubernetes.io/managed-by': 'keelson-bench' }, annotations: { 'bench.keelson.dev/index': String(i) } }, data: { 'app.properties': 'x'.repeat(170), LOG_LEVEL: 'info', REPLICA: '3' } });
// Interleave namespaces, as a real cluster's writes are: a namespace's rows spread over the table.
for (let i = 0; i < 100000; i++) await store.create(`/registry/configmaps/mem-${i % 10}/cm-${String(i).padStart(6, '0')}`, v(i));
const anonLoaded = anon();
const time = async (f: () => Promise<unknown>) => { const ts: number[] = []; for (let r = 0; r < 7; r++) { const t = performance.now(); await f(); ts.push(performance.now() - t); } ts.sort((a, b) => a - b); return ts[3].toFixed(1); };
const whole = await time(() => store.list('/registry/configmaps/mem-3/'));
const paged = await time(async () => { let s: string | undefined; for (;;) { const p = await store.list('/registry/configmaps/mem-4/', { limit: 500, startKey: s }); if (!p.more) break; s = p.items[p.items.length - 1].key + '\0'; } });
const all = await time(() => store.list('/registry/configmaps/'));
console.log(`cache ${process.argv[2]}: list 10k of 100k whole ${whole} ms, paged ${paged} ms, list all 100k ${all} ms; RssAnon after load ${anonLoaded} MiB`);
await store.close();
