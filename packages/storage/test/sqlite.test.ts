import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/sqlite-store.js';
import { StoreClosedError, type Store } from '../src/store.js';
import { runStoreConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'keelson-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const paths = new WeakMap<Store, string>();
let n = 0;
function openAt(path: string): SqliteStore {
  const s = new SqliteStore({ path });
  paths.set(s, path);
  return s;
}

runStoreConformance(
  'sqlite',
  () => openAt(join(dir, `conformance-${n++}.db`)),
  async (s) => {
    await s.close();
    return openAt(paths.get(s)!);
  },
);

runStoreConformance('sqlite :memory:', () => new SqliteStore({ path: ':memory:' }));

describe('SqliteStore', () => {
  let store: SqliteStore;
  let path: string;
  before(() => {
    path = join(dir, `specific-${n++}.db`);
  });

  it('compacts in steps that let the event loop run', async () => {
    store = openAt(path);
    for (let i = 0; i < 5000; i++) {
      const k = `/c/${i % 50}`;
      const cur = await store.get(k);
      if (cur) await store.update(k, String(i), cur.modRevision);
      else await store.create(k, String(i));
    }
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let immediates = 0;
    const counting = () => {
      immediates++;
      if (immediates < 1000) setImmediate(counting);
    };
    setImmediate(counting);
    await store.compact(4990);
    clearInterval(timer);
    assert.ok(immediates >= 3, `only ${immediates} turns of the event loop during the compaction`);
    assert.equal(await store.count('/c/'), 50);
    await store.close();
  });

  it('a compaction cut short by close is still recorded, and reads at it work after reopening', async () => {
    store = openAt(join(dir, `specific-${n++}.db`));
    for (let i = 0; i < 5000; i++) {
      const k = `/c/${i % 50}`;
      const cur = await store.get(k);
      if (cur) await store.update(k, String(i), cur.modRevision);
      else await store.create(k, String(i));
    }
    const at = JSON.stringify(await store.list('/c/', { revision: 4000 }));
    const compaction = store.compact(4000);
    await new Promise((r) => setImmediate(r));
    const p = paths.get(store)!;
    await store.close();
    await assert.rejects(compaction, StoreClosedError);
    store = openAt(p);
    assert.equal(await store.compactedRevision(), 4000);
    assert.equal(JSON.stringify(await store.list('/c/', { revision: 4000 })), at);
    await store.compact(4500);
    assert.equal(await store.count('/c/'), 50);
    await store.close();
  });
});
