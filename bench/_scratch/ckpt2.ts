import { mkdtempSync, openSync, fdatasync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keelson/storage';
const mode = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'ck-'));
const store = new SqliteStore({ path: join(dir, 'keelson.db') });
const [pages, bg] = mode.split(':');
(store as any).db.pragma(`wal_autocheckpoint = ${pages}`);
let timer: NodeJS.Timeout | undefined;
if (bg) {
  const fd = openSync(join(dir, 'keelson.db-wal'), 'r');
  let busy = false;
  timer = setInterval(() => { if (busy) return; busy = true; fdatasync(fd, () => { busy = false; }); }, Number(bg));
}
const v = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y', uid: 'a5d4c7a2-3f8b-4f6e-9d2a-1b2c3d4e5f60', creationTimestamp: '2026-11-25T00:00:00Z', labels: { app: 'bench', tier: 'backend' } }, data: { a: 'x'.repeat(250) } });
const lat: number[] = [];
const N = 30000;
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const t = performance.now();
  await store.create(`/registry/configmaps/ns/cm-${String(i).padStart(6, '0')}`, v);
  lat.push(performance.now() - t);
  if (bg && i % 200 === 0) await new Promise((r) => setImmediate(r)); // let the timer run, as a server's event loop would
}
const el = performance.now() - t0;
lat.sort((a, b) => a - b);
const over = (x: number) => lat.filter((l) => l > x).length;
console.log(`${mode}: ${(N / el * 1000).toFixed(0)}/s  p99.9 ${lat[Math.floor(N * 0.999)].toFixed(2)} max ${lat[N - 1].toFixed(1)} ms  >5ms: ${over(5)}  >20ms: ${over(20)}`);
if (timer) clearInterval(timer);
await store.close();
