import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keelson/storage';
const st = () => { const s = readFileSync('/proc/self/status', 'utf8'); const g = (n: string) => (Number(new RegExp(`${n}:\\s+(\\d+)`).exec(s)![1]) / 1024).toFixed(1); const m = process.memoryUsage(); return `VmRSS ${g('VmRSS')} anon ${g('RssAnon')} file ${g('RssFile')} | heapUsed ${(m.heapUsed / 2 ** 20).toFixed(1)} heapTotal ${(m.heapTotal / 2 ** 20).toFixed(1)} ext ${(m.external / 2 ** 20).toFixed(1)}`; };
const dir = mkdtempSync(join(tmpdir(), 'mem-'));
const store = new SqliteStore({ path: join(dir, 'keelson.db') });
if (process.argv[2]) (store as any).db.pragma(`cache_size = ${process.argv[2]}`);
if (process.argv[3]) (store as any).db.pragma(`mmap_size = ${process.argv[3]}`);
console.log('start', st());
const v = (i: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'mem', uid: 'a5d4c7a2-3f8b-4f6e-9d2a-1b2c3d4e5f60', creationTimestamp: '2026-11-25T00:00:00Z', labels: { app: 'bench', tier: 'backend', 'app.kubernetes.io/managed-by': 'keelson-bench' }, annotations: { 'bench.keelson.dev/index': String(i) } }, data: { 'app.properties': 'x'.repeat(170), LOG_LEVEL: 'info', REPLICA: '3' } });
for (let i = 0; i < 100000; i++) { await store.create(`/registry/configmaps/mem-${Math.floor(i / 10000)}/cm-${String(i).padStart(6, '0')}`, v(i)); if (i === 9999) console.log('10k', st()); }
console.log('100k', st());
(globalThis as any).gc?.();
console.log('100k after gc', st(), 'db MiB', (statSync(join(dir, 'keelson.db')).size / 2 ** 20).toFixed(1), 'wal MiB', (statSync(join(dir, 'keelson.db-wal')).size / 2 ** 20).toFixed(1));
await store.close();
