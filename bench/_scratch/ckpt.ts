import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keelson/storage';
const dir = mkdtempSync(join(tmpdir(), 'ck-'));
const store = new SqliteStore({ path: join(dir, 'keelson.db') });
const v = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y', uid: 'a5d4c7a2-3f8b-4f6e-9d2a-1b2c3d4e5f60', creationTimestamp: '2026-11-25T00:00:00Z', labels: { app: 'bench', tier: 'backend' } }, data: { a: 'x'.repeat(250) } });
const lat: [number, number][] = [];
for (let i = 0; i < 20000; i++) {
  const t = performance.now();
  await store.create(`/registry/configmaps/ns/cm-${String(i).padStart(6, '0')}`, v);
  const d = performance.now() - t;
  if (d > 3) lat.push([i, d]);
}
console.log(lat.map(([i, d]) => `${i}:${d.toFixed(1)}`).join(' '));
await store.close();
