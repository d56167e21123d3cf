// The behaviour every Store backend must have, as node:test tests. A backend's test file calls
// runStoreConformance(name, open, reopen?) once; `reopen` (persistent backends) closes a store
// and opens the same data again.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
  type KeyValue,
  type ListResult,
  type Store,
  type WatchEvent,
} from '../src/store.js';
import { collect, settle } from './watch-collector.js';

type Open = () => Promise<Store> | Store;
type Reopen = (s: Store) => Promise<Store>;

export function runStoreConformance(name: string, open: Open, reopen?: Reopen): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('empty store', () => {
      it('starts at revision 0 with nothing compacted and nothing stored', async () => {
        assert.equal(await store.currentRevision(), 0);
        assert.equal(await store.compactedRevision(), 0);
        assert.equal(await store.get('/a'), undefined);
        assert.deepEqual(await store.list('/'), { items: [], revision: 0, more: false, remaining: 0 });
        assert.equal(await store.count('/'), 0);
      });

      it('names its backend', () => {
        assert.equal(typeof store.backend, 'string');
        assert.ok(store.backend.length > 0);
      });
    });

    describe('create, update, delete', () => {
      it('bumps the revision by exactly one per write, and not on a failed write', async () => {
        const a = await store.create('/k/a', 'a1');
        assert.deepEqual({ ...a }, { key: '/k/a', value: 'a1', createRevision: 1, modRevision: 1 });
        assert.equal(await store.currentRevision(), 1);
        await assert.rejects(store.create('/k/a', 'again'), KeyExistsError);
        await assert.rejects(store.update('/k/a', 'x', 99), RevisionConflictError);
        await assert.rejects(store.update('/k/none', 'x', 1), KeyNotFoundError);
        await assert.rejects(store.delete('/k/none'), KeyNotFoundError);
        await assert.rejects(store.delete('/k/a', 99), RevisionConflictError);
        assert.equal(await store.currentRevision(), 1);
        const a2 = await store.update('/k/a', 'a2', 1);
        assert.equal(a2.modRevision, 2);
        const b = await store.create('/k/b', 'b1');
        assert.equal(b.modRevision, 3);
        const d = await store.delete('/k/b');
        assert.equal(d.modRevision, 4);
        assert.equal(await store.currentRevision(), 4);
      });

      it('gives concurrent writes distinct consecutive revisions', async () => {
        const kvs = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`/c/${i}`, String(i))));
        assert.deepEqual(
          kvs.map((kv) => kv.modRevision).sort((x, y) => x - y),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.equal(await store.currentRevision(), 50);
      });

      it('create fails with KeyExistsError naming the key', async () => {
        await store.create('/k/a', 'v');
        const err = await store.create('/k/a', 'w').catch((e: unknown) => e);
        assert.ok(err instanceof KeyExistsError);
        assert.equal(err.key, '/k/a');
        assert.equal((await store.get('/k/a'))?.value, 'v');
      });

      it('update keeps createRevision and checks the expected revision', async () => {
        const a = await store.create('/k/a', 'v1');
        const a2 = await store.update('/k/a', 'v2', a.modRevision);
        assert.deepEqual({ ...a2 }, { key: '/k/a', value: 'v2', createRevision: 1, modRevision: 2 });
        const err = await store.update('/k/a', 'v3', a.modRevision).catch((e: unknown) => e);
        assert.ok(err instanceof RevisionConflictError);
        assert.equal(err.key, '/k/a');
        assert.equal(err.expectedRevision, 1);
        assert.deepEqual({ ...err.current }, { ...a2 });
        assert.equal((await store.get('/k/a'))?.value, 'v2');
      });

      it('update of a missing or deleted key fails with KeyNotFoundError', async () => {
        const err = await store.update('/k/none', 'v', 1).catch((e: unknown) => e);
        assert.ok(err instanceof KeyNotFoundError);
        assert.equal(err.key, '/k/none');
        const a = await store.create('/k/a', 'v');
        await store.delete('/k/a');
        await assert.rejects(store.update('/k/a', 'w', a.modRevision), KeyNotFoundError);
      });

      it('delete returns the deleted value at the deletion revision', async () => {
        const a = await store.create('/k/a', 'v1');
        await store.update('/k/a', 'v2', a.modRevision);
        const d = await store.delete('/k/a');
        assert.deepEqual({ ...d }, { key: '/k/a', value: 'v2', createRevision: 1, modRevision: 3 });
        assert.equal(await store.get('/k/a'), undefined);
        await assert.rejects(store.delete('/k/a'), KeyNotFoundError);
      });

      it('guarded delete checks the expected revision', async () => {
        const a = await store.create('/k/a', 'v1');
        const a2 = await store.update('/k/a', 'v2', a.modRevision);
        const err = await store.delete('/k/a', a.modRevision).catch((e: unknown) => e);
        assert.ok(err instanceof RevisionConflictError);
        assert.equal(err.current.modRevision, a2.modRevision);
        assert.equal((await store.get('/k/a'))?.value, 'v2');
        const d = await store.delete('/k/a', a2.modRevision);
        assert.equal(d.modRevision, 3);
      });

      it('a deleted key can be created again, with a new createRevision', async () => {
        await store.create('/k/a', 'v1');
        await store.delete('/k/a');
        const again = await store.create('/k/a', 'v2');
        assert.deepEqual({ ...again }, { key: '/k/a', value: 'v2', createRevision: 3, modRevision: 3 });
        assert.equal((await store.get('/k/a'))?.value, 'v2');
      });

      it('keeps values verbatim (JSON, unicode, empty)', async () => {
        const values = ['', '{"a":[1,2,{"b":null}]}', 'ünïcødé ✓ 🚀', 'line\nbreak\ttab', 'x'.repeat(100_000)];
        for (const [i, v] of values.entries()) await store.create(`/v/${i}`, v);
        for (const [i, v] of values.entries()) assert.equal((await store.get(`/v/${i}`))?.value, v);
      });

      it('rejects an empty key', async () => {
        await assert.rejects(store.create('', 'v'), TypeError);
        assert.equal(await store.currentRevision(), 0);
      });
    });

    describe('get', () => {
      it('reads at an old revision', async () => {
        const a = await store.create('/k/a', 'v1'); // 1
        await store.update('/k/a', 'v2', a.modRevision); // 2
        await store.create('/k/b', 'b'); // 3
        await store.delete('/k/a'); // 4
        assert.equal(await store.get('/k/a', { revision: 4 }), undefined);
        assert.deepEqual({ ...(await store.get('/k/a', { revision: 3 }))! }, { key: '/k/a', value: 'v2', createRevision: 1, modRevision: 2 });
        assert.equal((await store.get('/k/a', { revision: 1 }))?.value, 'v1');
        assert.equal(await store.get('/k/b', { revision: 2 }), undefined);
        assert.equal((await store.get('/k/b', { revision: 3 }))?.value, 'b');
      });

      it('revision 0 or absent reads the current revision', async () => {
        await store.create('/k/a', 'v1');
        assert.equal((await store.get('/k/a', { revision: 0 }))?.value, 'v1');
        assert.equal((await store.get('/k/a', {}))?.value, 'v1');
      });

      it('a revision after the current one fails with FutureRevisionError', async () => {
        await store.create('/k/a', 'v1');
        const err = await store.get('/k/a', { revision: 2 }).catch((e: unknown) => e);
        assert.ok(err instanceof FutureRevisionError);
        assert.equal(err.requestedRevision, 2);
        assert.equal(err.currentRevision, 1);
        await assert.rejects(store.list('/k/', { revision: 5 }), FutureRevisionError);
      });

      it('returns values that cannot be changed behind the store', async () => {
        await store.create('/k/a', 'v1');
        const kv = (await store.get('/k/a'))!;
        assert.throws(() => {
          (kv as { value: string }).value = 'changed';
        }, TypeError);
        assert.equal((await store.get('/k/a'))?.value, 'v1');
      });
    });

    describe('list and count', () => {
      it('lists the keys under a prefix, sorted, and nothing outside it', async () => {
        for (const k of ['/r/b', '/r/a', '/r/c/d', '/r0', '/ra', '/r', '/q/z', '/r/a/b']) await store.create(k, k);
        const res = await store.list('/r/');
        assert.deepEqual(keys(res), ['/r/a', '/r/a/b', '/r/b', '/r/c/d']);
        assert.equal(res.revision, 8);
        assert.equal(res.more, false);
        assert.equal(res.remaining, 0);
        assert.deepEqual(keys(await store.list('')), ['/q/z', '/r', '/r/a', '/r/a/b', '/r/b', '/r/c/d', '/r0', '/ra']);
        assert.deepEqual(keys(await store.list('/r/a')), ['/r/a', '/r/a/b']);
        assert.deepEqual(keys(await store.list('/s')), []);
        assert.equal(await store.count('/r/'), 4);
        assert.equal(await store.count(''), 8);
        assert.equal(await store.count('/r'), 7);
      });

      it('sorts keys as byte strings', async () => {
        const ks = ['/s/b', '/s/B', '/s/a-1', '/s/a.1', '/s/a', '/s/a0', '/s/~', '/s/ ', '/s/Z'];
        for (const k of ks) await store.create(k, '');
        assert.deepEqual(keys(await store.list('/s/')), [...ks].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      });

      it('lists at an old revision', async () => {
        const a = await store.create('/k/a', 'a1'); // 1
        await store.create('/k/b', 'b1'); // 2
        await store.update('/k/a', 'a2', a.modRevision); // 3
        await store.delete('/k/b'); // 4
        await store.create('/k/c', 'c1'); // 5
        const at = async (revision: number) => (await store.list('/k/', { revision })).items.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}`);
        assert.deepEqual(await at(1), ['/k/a=a1@1']);
        assert.deepEqual(await at(2), ['/k/a=a1@1', '/k/b=b1@2']);
        assert.deepEqual(await at(3), ['/k/a=a2@3', '/k/b=b1@2']);
        assert.deepEqual(await at(4), ['/k/a=a2@3']);
        assert.deepEqual(await at(5), ['/k/a=a2@3', '/k/c=c1@5']);
        assert.equal((await store.list('/k/', { revision: 2 })).revision, 2);
      });

      it('pages with limit and startKey, reporting more and remaining', async () => {
        for (let i = 0; i < 10; i++) await store.create(`/p/${i}`, String(i));
        await store.delete('/p/3');
        const p1 = await store.list('/p/', { limit: 4 });
        assert.deepEqual(keys(p1), ['/p/0', '/p/1', '/p/2', '/p/4']);
        assert.equal(p1.more, true);
        assert.equal(p1.remaining, 5);
        const p2 = await store.list('/p/', { limit: 4, startKey: '/p/4\0' });
        assert.deepEqual(keys(p2), ['/p/5', '/p/6', '/p/7', '/p/8']);
        assert.equal(p2.remaining, 1);
        const p3 = await store.list('/p/', { limit: 4, startKey: '/p/9' });
        assert.deepEqual(keys(p3), ['/p/9']);
        assert.equal(p3.more, false);
        assert.equal(p3.remaining, 0);
        const exact = await store.list('/p/', { limit: 9 });
        assert.equal(exact.items.length, 9);
        assert.equal(exact.more, false);
        assert.deepEqual(keys(await store.list('/p/', { startKey: '/a' })).length, 9, 'startKey before the prefix');
        assert.deepEqual(keys(await store.list('/p/', { startKey: '/q' })), [], 'startKey after the prefix');
        assert.equal((await store.list('/p/', { limit: 0 })).items.length, 9, 'limit 0 is no limit');
      });

      it('pages at an old revision with more and remaining', async () => {
        for (let i = 0; i < 6; i++) await store.create(`/p/${i}`, String(i)); // 1..6
        await store.delete('/p/1'); // 7
        await store.create('/p/9', '9'); // 8
        const p = await store.list('/p/', { revision: 6, limit: 2, startKey: '/p/1' });
        assert.deepEqual(keys(p), ['/p/1', '/p/2']);
        assert.equal(p.more, true);
        assert.equal(p.remaining, 3);
        const last = await store.list('/p/', { revision: 6, limit: 2, startKey: '/p/4' });
        assert.deepEqual(keys(last), ['/p/4', '/p/5']);
        assert.equal(last.more, false);
        assert.equal(last.remaining, 0);
      });

      it('pagination at one revision reproduces the full list while writes happen between pages', async () => {
        for (let i = 0; i < 40; i++) await store.create(`/p/${String(i).padStart(2, '0')}`, `v${i}`);
        for (let i = 0; i < 40; i += 7) await store.delete(`/p/${String(i).padStart(2, '0')}`);
        const full = await store.list('/p/');
        const got: KeyValue[] = [];
        let startKey: string | undefined;
        let revision: number | undefined;
        let n = 0;
        for (;;) {
          const page = await store.list('/p/', { limit: 6, startKey, revision });
          revision = page.revision;
          got.push(...page.items);
          assert.equal(page.remaining, full.items.length - got.length);
          // Writes between pages, before, inside and after the remaining range.
          n++;
          await store.create(`/p/${String(n).padStart(2, '0')}x`, 'new');
          await store.update('/p/39', `changed${n}`, (await store.get('/p/39'))!.modRevision);
          const victim = got.length < full.items.length ? full.items[full.items.length - 1 - n] : undefined;
          if (victim && (await store.get(victim.key))) await store.delete(victim.key);
          if (!page.more) break;
          startKey = page.items[page.items.length - 1].key + '\0';
        }
        assert.equal(revision, full.revision);
        assert.deepEqual(got.map((kv) => ({ ...kv })), full.items.map((kv) => ({ ...kv })));
      });

      it('count follows creates and deletes', async () => {
        for (let i = 0; i < 5; i++) await store.create(`/n/${i}`, '');
        await store.create('/m/0', '');
        await store.delete('/n/2');
        assert.equal(await store.count('/n/'), 4);
        assert.equal(await store.count('/m/'), 1);
        assert.equal(await store.count('/'), 5);
        await store.create('/n/2', '');
        assert.equal(await store.count('/n/'), 5);
      });
    });

    describe('watch', () => {
      it('replays history, then delivers live events, in revision order', async () => {
        const a = await store.create('/w/a', 'a1'); // 1
        await store.create('/x/other', ''); // 2
        await store.update('/w/a', 'a2', a.modRevision); // 3
        const w = collect(store, '/w/', 0);
        await w.untilRevision(3);
        await store.create('/w/b', 'b1'); // 4
        await store.delete('/w/a'); // 5
        await w.untilRevision(5);
        assert.deepEqual(w.events.map(summary), ['put /w/a a1 @1', 'put /w/a a2 @3 prev a1@1', 'put /w/b b1 @4', 'delete /w/a a2 @5 prev a2@3']);
        assert.deepEqual(w.errors, []);
        w.handle.cancel();
      });

      it('starts after the given revision', async () => {
        for (let i = 1; i <= 5; i++) await store.create(`/w/${i}`, '');
        const w = collect(store, '/w/', 3);
        await w.untilRevision(5);
        assert.deepEqual(revisions(w.events), [4, 5]);
        w.handle.cancel();
      });

      it('from the current revision delivers only new events', async () => {
        await store.create('/w/a', '');
        const w = collect(store, '/w/', await store.currentRevision());
        await settle();
        assert.equal(w.events.length, 0);
        await store.create('/w/b', '');
        await w.untilRevision(2);
        assert.deepEqual(revisions(w.events), [2]);
        w.handle.cancel();
      });

      it('from a future revision waits for it', async () => {
        const w = collect(store, '/w/', 2);
        for (let i = 1; i <= 4; i++) await store.create(`/w/${i}`, '');
        await w.untilRevision(4);
        assert.deepEqual(revisions(w.events), [3, 4]);
        w.handle.cancel();
      });

      it('carries kv and prevKv as etcd does for puts and deletes', async () => {
        const w = collect(store, '/w/', 0);
        const a = await store.create('/w/a', 'v1'); // 1
        const a2 = await store.update('/w/a', 'v2', a.modRevision); // 2
        await store.delete('/w/a', a2.modRevision); // 3
        await store.create('/w/a', 'v3'); // 4
        await w.untilRevision(4);
        const [create, update, del, recreate] = w.events.map(plain);
        assert.deepEqual(create, { type: 'put', revision: 1, kv: { key: '/w/a', value: 'v1', createRevision: 1, modRevision: 1 } });
        assert.deepEqual(update, {
          type: 'put',
          revision: 2,
          kv: { key: '/w/a', value: 'v2', createRevision: 1, modRevision: 2 },
          prevKv: { key: '/w/a', value: 'v1', createRevision: 1, modRevision: 1 },
        });
        assert.deepEqual(del, {
          type: 'delete',
          revision: 3,
          kv: { key: '/w/a', value: 'v2', createRevision: 1, modRevision: 3 },
          prevKv: { key: '/w/a', value: 'v2', createRevision: 1, modRevision: 2 },
        });
        assert.deepEqual(recreate, { type: 'put', revision: 4, kv: { key: '/w/a', value: 'v3', createRevision: 4, modRevision: 4 } });
        // The replay of the same history says the same.
        const r = collect(store, '/w/', 0);
        await r.untilRevision(4);
        assert.deepEqual(r.events.map(plain), w.events.map(plain));
        w.handle.cancel();
        r.handle.cancel();
      });

      it('filters by prefix', async () => {
        const w = collect(store, '/w/a', 0);
        for (const k of ['/w/a', '/w/b', '/w/ab', '/w/a/c', '/w/', '/w']) await store.create(k, '');
        await store.create('/w/a/z', '');
        await w.untilRevision(7);
        assert.deepEqual(w.events.map((e) => e.kv.key), ['/w/a', '/w/ab', '/w/a/c', '/w/a/z']);
        w.handle.cancel();
      });

      it('delivers asynchronously, never inside the write call', async () => {
        let insideWrite = false;
        let deliveredInside = false;
        const events: WatchEvent[] = [];
        const h = store.watch('/w/', 0, {
          onEvents(es) {
            if (insideWrite) deliveredInside = true;
            events.push(...es);
          },
        });
        await settle();
        insideWrite = true;
        const p = store.create('/w/a', '');
        insideWrite = false;
        await p;
        await settle();
        assert.equal(deliveredInside, false);
        assert.equal(events.length, 1);
        h.cancel();
      });

      it('batches events written together', async () => {
        const w = collect(store, '/w/', 0);
        await settle();
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`/w/${i}`, '')));
        await w.untilRevision(20);
        assert.equal(w.events.length, 20);
        assert.ok(w.batches.length < 20, `20 events came in ${w.batches.length} batches`);
        assert.ok(w.batches.every((n) => n > 0));
        w.handle.cancel();
      });

      it('replay and live events meet with no gap and no duplicate under concurrent writes', async () => {
        // Enough history that the replay takes several steps, and writes racing with it.
        const keysN = 50;
        for (let i = 0; i < 2500; i++) {
          const k = `/w/${i % keysN}`;
          const cur = await store.get(k);
          if (cur) await store.update(k, String(i), cur.modRevision);
          else await store.create(k, String(i));
          if (i % 5 === 0) await store.create(`/x/${i}`, ''); // outside the prefix
        }
        const watchers = [collect(store, '/w/', 0), collect(store, '/w/', 1200)];
        let stop = false;
        const writer = (async () => {
          let i = 0;
          while (!stop || i < 300) {
            const k = `/w/${i % keysN}`;
            const cur = (await store.get(k))!;
            if (i % 3 === 0) await store.delete(k);
            else await store.update(k, `live${i}`, cur.modRevision);
            if (i % 3 === 0) await store.create(k, `again${i}`);
            i++;
            if (i % 10 === 0) await new Promise((r) => setImmediate(r));
          }
        })();
        await new Promise((r) => setTimeout(r, 20));
        stop = true;
        await writer;
        const last = await store.currentRevision();
        const expected = (await allEvents(store, '/w/', 0, last)).map(plain);
        for (const w of watchers) {
          await w.untilRevision(last);
          assert.deepEqual(w.errors, []);
          const from = w === watchers[0] ? 0 : 1200;
          assert.deepEqual(w.events.map(plain), expected.filter((e) => e.revision > from));
          w.handle.cancel();
        }
      });

      it('a watch from below the compacted revision throws CompactedError; at it, it works', async () => {
        for (let i = 0; i < 5; i++) await store.create(`/w/${i}`, '');
        await store.compact(3);
        assert.throws(
          () => store.watch('/w/', 2, { onEvents() {} }),
          (err: unknown) => err instanceof CompactedError && err.compactedRevision === 3,
        );
        const w = collect(store, '/w/', 3);
        await w.untilRevision(5);
        assert.deepEqual(revisions(w.events), [4, 5]);
        w.handle.cancel();
      });

      it('a compaction past a running replay ends the watch with CompactedError', async () => {
        for (let i = 0; i < 3000; i++) await store.create(`/w/${i}`, '');
        const w = collect(store, '/w/', 0);
        await store.compact(2500);
        await w.until(() => w.errors.length > 0);
        assert.ok(w.errors[0] instanceof CompactedError);
        assert.equal(w.errors.length, 1);
        const n = w.events.length;
        await store.create('/w/late', '');
        await settle();
        assert.equal(w.events.length, n, 'no events after the error');
      });

      it('cancel stops delivery at once, even of events already written', async () => {
        const w = collect(store, '/w/', 0);
        await store.create('/w/a', '');
        await w.untilRevision(1);
        const p = store.create('/w/b', '');
        w.handle.cancel();
        await p;
        await store.create('/w/c', '');
        await settle();
        assert.deepEqual(revisions(w.events), [1]);
        w.handle.cancel(); // twice is fine
      });

      it('cancel during the replay stops it', async () => {
        for (let i = 0; i < 3000; i++) await store.create(`/w/${i}`, '');
        let calls = 0;
        const h = store.watch('/w/', 0, {
          onEvents() {
            calls++;
            h.cancel();
          },
        });
        await settle(20);
        await store.create('/w/x', '');
        await settle();
        assert.equal(calls, 1);
      });

      it('a listener that throws ends its watch with onError', async () => {
        const errors: Error[] = [];
        let calls = 0;
        store.watch('/w/', 0, {
          onEvents() {
            calls++;
            throw new Error('listener bug');
          },
          onError(err) {
            errors.push(err);
          },
        });
        await store.create('/w/a', '');
        await store.create('/w/b', '');
        await settle();
        await store.create('/w/c', '');
        await settle();
        assert.equal(calls, 1);
        assert.deepEqual(errors.map((e) => e.message), ['listener bug']);
      });

      it('close ends watches with StoreClosedError after the events already written', async () => {
        const w = collect(store, '/w/', 0);
        await store.create('/w/a', '');
        await store.close();
        await w.until(() => w.errors.length > 0);
        assert.deepEqual(revisions(w.events), [1]);
        assert.equal(w.errors.length, 1);
        assert.ok(w.errors[0] instanceof StoreClosedError);
      });

      it('many watchers on overlapping prefixes each get their own events', async () => {
        const ws = ['/', '/w/', '/w/a', '/v/'].map((p) => ({ p, c: collect(store, p, 0) }));
        for (const k of ['/w/a1', '/v/1', '/w/b', '/w/a2', '/z']) await store.create(k, '');
        await ws[0].c.untilRevision(5);
        for (const { p, c } of ws) {
          await c.until(() => c.events.length === ['/w/a1', '/v/1', '/w/b', '/w/a2', '/z'].filter((k) => k.startsWith(p)).length);
          assert.ok(c.events.every((e) => e.kv.key.startsWith(p)));
          c.handle.cancel();
        }
      });
    });

    describe('compact', () => {
      async function history() {
        const a = await store.create('/c/a', 'a1'); // 1
        await store.create('/c/b', 'b1'); // 2
        const a2 = await store.update('/c/a', 'a2', a.modRevision); // 3
        await store.delete('/c/b'); // 4
        await store.create('/c/c', 'c1'); // 5
        await store.update('/c/a', 'a3', a2.modRevision); // 6
        await store.delete('/c/c'); // 7
        await store.create('/c/d', 'd1'); // 8
      }

      it('records the compacted revision; reads below it fail, at and above it work', async () => {
        await history();
        const before = new Map<number, ListResult>();
        for (let rev = 1; rev <= 8; rev++) before.set(rev, await store.list('/c/', { revision: rev }));
        await store.compact(5);
        assert.equal(await store.compactedRevision(), 5);
        const err = await store.get('/c/a', { revision: 4 }).catch((e: unknown) => e);
        assert.ok(err instanceof CompactedError);
        assert.equal(err.requestedRevision, 4);
        assert.equal(err.compactedRevision, 5);
        await assert.rejects(store.list('/c/', { revision: 1 }), CompactedError);
        for (let rev = 5; rev <= 8; rev++) assert.deepEqual(plainList(await store.list('/c/', { revision: rev })), plainList(before.get(rev)!));
        assert.equal((await store.get('/c/a', { revision: 5 }))?.value, 'a2');
        assert.equal(await store.get('/c/b', { revision: 5 }), undefined);
        assert.equal((await store.get('/c/a'))?.value, 'a3');
        assert.equal(await store.count('/c/'), 2);
        assert.equal(await store.currentRevision(), 8);
      });

      it('keeps the history after the compacted revision replayable', async () => {
        await history();
        const expected = (await allEvents(store, '/c/', 5, 8)).map(plain);
        await store.compact(5);
        assert.deepEqual((await allEvents(store, '/c/', 5, 8)).map(plain), expected);
      });

      it('compacting again lower is a no-op; past the current revision is FutureRevisionError', async () => {
        await history();
        await store.compact(6);
        await store.compact(3);
        await store.compact(6);
        assert.equal(await store.compactedRevision(), 6);
        await assert.rejects(store.compact(9), FutureRevisionError);
        assert.equal(await store.compactedRevision(), 6);
      });

      it('compacting to the current revision keeps the current state and revision', async () => {
        await history();
        const before = plainList(await store.list('/c/'));
        await store.compact(8);
        assert.deepEqual(plainList(await store.list('/c/')), before);
        assert.deepEqual(plainList(await store.list('/c/', { revision: 8 })), before);
        assert.equal(await store.currentRevision(), 8);
        const e = await store.create('/c/e', '');
        assert.equal(e.modRevision, 9);
      });

      it('keys keep working after their old versions and tombstones are gone', async () => {
        await history();
        await store.compact(8);
        const b = await store.create('/c/b', 'b2'); // tombstone compacted away
        assert.deepEqual({ ...b }, { key: '/c/b', value: 'b2', createRevision: 9, modRevision: 9 });
        const a = (await store.get('/c/a'))!;
        const a4 = await store.update('/c/a', 'a4', a.modRevision);
        assert.equal(a4.createRevision, 1);
        await store.delete('/c/d');
        const w = collect(store, '/c/', 8);
        await w.untilRevision(11);
        assert.deepEqual(w.events.map(summary), ['put /c/b b2 @9', 'put /c/a a4 @10 prev a3@6', 'delete /c/d d1 @11 prev d1@8']);
        w.handle.cancel();
        await store.compact(11);
        assert.deepEqual(keys(await store.list('/c/')), ['/c/a', '/c/b']);
      });

      it('compacts large histories', async () => {
        for (let i = 0; i < 3000; i++) {
          const k = `/c/${i % 100}`;
          const cur = await store.get(k);
          if (cur && i % 7 === 0) await store.delete(k);
          else if (cur) await store.update(k, String(i), cur.modRevision);
          else await store.create(k, String(i));
        }
        const rev = await store.currentRevision();
        const at = plainList(await store.list('/c/', { revision: rev - 10 }));
        const now = plainList(await store.list('/c/'));
        await store.compact(rev - 10);
        assert.deepEqual(plainList(await store.list('/c/', { revision: rev - 10 })), at);
        assert.deepEqual(plainList(await store.list('/c/')), now);
        assert.equal(await store.count('/c/'), now.items.length);
      });
    });

    describe('long compaction', () => {
      it('serves consistent reads and takes writes while it runs', async () => {
        for (let i = 0; i < 12_000; i++) {
          const k = `/c/${i % 300}`;
          const cur = await store.get(k);
          if (cur && i % 11 === 0) await store.delete(k);
          else if (cur) await store.update(k, String(i), cur.modRevision);
          else await store.create(k, String(i));
        }
        const target = (await store.currentRevision()) - 50;
        const atTarget = plainList(await store.list('/c/', { revision: target }));
        const current = plainList(await store.list('/c/'));
        let finished = false;
        const compaction = store.compact(target).then(() => {
          finished = true;
        });
        let turns = 0;
        while (!finished) {
          await store.create(`/d/${turns}`, '');
          assert.deepEqual(plainList(await store.list('/c/', { revision: target })), atTarget);
          assert.deepEqual(plainList(await store.list('/c/')).items, current.items);
          await new Promise((resolve) => setImmediate(resolve));
          turns++;
        }
        await compaction;
        assert.ok(turns > 0, 'the compaction let other work run');
        assert.equal(await store.compactedRevision(), target);
        assert.equal(await store.count('/d/'), turns);
        assert.deepEqual(plainList(await store.list('/c/', { revision: target })), atTarget);
        const w = collect(store, '/c/', target);
        await w.untilRevision(current.revision);
        assert.deepEqual(revisions(w.events), Array.from({ length: current.revision - target }, (_, i) => target + 1 + i));
        w.handle.cancel();
      });
    });

    describe('close', () => {
      it('makes every operation fail with StoreClosedError, and is idempotent', async () => {
        const a = await store.create('/k/a', '');
        await store.close();
        await store.close();
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['currentRevision', () => store.currentRevision()],
          ['compactedRevision', () => store.compactedRevision()],
          ['get', () => store.get('/k/a')],
          ['list', () => store.list('/k/')],
          ['count', () => store.count('/k/')],
          ['create', () => store.create('/k/b', '')],
          ['update', () => store.update('/k/a', '', a.modRevision)],
          ['delete', () => store.delete('/k/a')],
          ['compact', () => store.compact(1)],
        ];
        for (const [name, call] of calls) await assert.rejects(call(), StoreClosedError, name);
        assert.throws(() => store.watch('/k/', 0, { onEvents() {} }), StoreClosedError);
      });
    });

    if (reopen) {
      describe('persistence', () => {
        it('keeps every acknowledged write, the revision counter and the compacted revision', async () => {
          const writes: Array<Promise<KeyValue>> = [];
          for (let i = 0; i < 200; i++) writes.push(store.create(`/p/${i}`, `v${i}`));
          await Promise.all(writes);
          for (let i = 0; i < 200; i += 3) await store.update(`/p/${i}`, `u${i}`, i + 1);
          for (let i = 1; i < 200; i += 5) await store.delete(`/p/${i}`);
          await store.compact(220);
          const rev = await store.currentRevision();
          const list = plainList(await store.list('/p/'));
          const old = plainList(await store.list('/p/', { revision: 250 }));
          const events = (await allEvents(store, '/p/', 220, rev)).map(plain);
          store = await reopen(store);
          assert.equal(await store.currentRevision(), rev);
          assert.equal(await store.compactedRevision(), 220);
          assert.deepEqual(plainList(await store.list('/p/')), list);
          assert.deepEqual(plainList(await store.list('/p/', { revision: 250 })), old);
          assert.equal(await store.count('/p/'), list.items.length);
          await assert.rejects(store.get('/p/0', { revision: 219 }), CompactedError);
          assert.deepEqual((await allEvents(store, '/p/', 220, rev)).map(plain), events);
          const next = await store.create('/p/new', '');
          assert.equal(next.modRevision, rev + 1);
        });

        it('keeps the revision when the newest write was a delete that got compacted', async () => {
          await store.create('/p/a', '');
          await store.create('/p/b', '');
          await store.delete('/p/b');
          await store.compact(3);
          store = await reopen(store);
          assert.equal(await store.currentRevision(), 3);
          assert.equal(await store.compactedRevision(), 3);
          assert.deepEqual(keys(await store.list('/p/')), ['/p/a']);
          assert.equal((await store.create('/p/b', '')).modRevision, 4);
          await store.compact(4);
          store = await reopen(store);
          assert.equal(await store.currentRevision(), 4);
          assert.deepEqual(keys(await store.list('/p/')), ['/p/a', '/p/b']);
        });

        it('keeps writes made right before close', async () => {
          const last = store.create('/p/last', 'x');
          await last;
          store = await reopen(store);
          assert.equal((await store.get('/p/last'))?.value, 'x');
        });
      });
    }
  });
}

/** Every event under prefix in (after, upTo], through a watch; the write at upTo must be under prefix. */
export async function allEvents(store: Store, prefix: string, after: number, upTo: number): Promise<WatchEvent[]> {
  if (upTo <= after) return [];
  const w = collect(store, prefix, after);
  try {
    await w.until(() => w.errors.length > 0 || (w.events.length > 0 && w.events[w.events.length - 1].revision >= upTo));
    if (w.errors.length > 0) throw w.errors[0];
    return w.events.filter((e) => e.revision <= upTo);
  } finally {
    w.handle.cancel();
  }
}

function keys(res: ListResult): string[] {
  return res.items.map((kv) => kv.key);
}

function revisions(events: WatchEvent[]): number[] {
  return events.map((e) => e.revision);
}

function summary(e: WatchEvent): string {
  const prev = e.prevKv ? ` prev ${e.prevKv.value}@${e.prevKv.modRevision}` : '';
  return `${e.type} ${e.kv.key} ${e.kv.value} @${e.revision}${prev}`;
}

/** A deep, unfrozen copy, for deepEqual against values built in the test. */
function plain(e: WatchEvent): WatchEvent {
  return JSON.parse(JSON.stringify(e));
}

function plainList(res: ListResult): ListResult {
  return JSON.parse(JSON.stringify(res));
}
