// DeltaFIFO: per-key delta lists in key order, delete dedup, Replaced and tombstones on replace,
// Sync on resync, hasSynced after the initial population is processed, transform, close.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeletedFinalStateUnknown, DeltaFIFO, Indexer, stripManagedFields, type Delta } from '../src/index.js';
import type { TestObject } from './fake-api.js';

function obj(name: string, rv: string, ns = 'ns'): TestObject {
  return { metadata: { namespace: ns, name, resourceVersion: rv } };
}

/** Pops one key and answers its deltas as `Type:name@rv` (tombstones as `Deleted:~name@rv`). */
async function popOne(fifo: DeltaFIFO<TestObject>): Promise<string[]> {
  let out: string[] = [];
  const ok = await fifo.pop((deltas: Delta<TestObject>[]) => {
    out = deltas.map((d) => {
      const o = d.object instanceof DeletedFinalStateUnknown ? d.object.obj : d.object;
      return `${d.type}:${d.object instanceof DeletedFinalStateUnknown ? '~' : ''}${o.metadata.name}@${o.metadata.resourceVersion}`;
    });
  });
  assert.ok(ok, 'pop on a closed queue');
  return out;
}

describe('DeltaFIFO', () => {
  it('queues each key once, with its deltas in order, keys in first-change order', async () => {
    const fifo = new DeltaFIFO<TestObject>();
    fifo.add(obj('a', '1'));
    fifo.add(obj('b', '2'));
    fifo.update(obj('a', '3'));
    fifo.delete(obj('a', '4'));
    assert.equal(fifo.length, 2);
    assert.deepEqual(fifo.listKeys(), ['ns/a', 'ns/b']);
    assert.deepEqual(await popOne(fifo), ['Added:a@1', 'Updated:a@3', 'Deleted:a@4']);
    assert.deepEqual(await popOne(fifo), ['Added:b@2']);
    assert.equal(fifo.length, 0);
  });

  it('collapses consecutive deletes, keeping the one that knows the final state', () => {
    const fifo = new DeltaFIFO<TestObject>();
    fifo.add(obj('a', '1'));
    fifo.delete(obj('a', '2'));
    fifo.delete(new DeletedFinalStateUnknown('ns/a', obj('a', '1')));
    assert.deepEqual(fifo.getByKey('ns/a')!.map((d) => d.type), ['Added', 'Deleted']);
    assert.ok(!(fifo.getByKey('ns/a')![1].object instanceof DeletedFinalStateUnknown), 'the real delete is kept');
    fifo.add(obj('b', '3'));
    fifo.delete(new DeletedFinalStateUnknown('ns/b', obj('b', '3')));
    fifo.delete(obj('b', '4'));
    const b = fifo.getByKey('ns/b')!;
    assert.equal(b.length, 2);
    assert.equal((b[1].object as TestObject).metadata.resourceVersion, '4');
  });

  it('ignores deletes of keys neither cached nor queued', () => {
    const known = new Indexer<TestObject>();
    const fifo = new DeltaFIFO<TestObject>({ knownObjects: known });
    fifo.delete(obj('ghost', '1'));
    assert.equal(fifo.length, 0);
    known.add(obj('cached', '1'));
    fifo.delete(obj('cached', '2'));
    assert.equal(fifo.length, 1);
  });

  it('replace: Replaced for listed objects, tombstones for cached and queued objects the list lacks', async () => {
    const known = new Indexer<TestObject>();
    known.add(obj('kept', '1'));
    known.add(obj('gone-cached', '2'));
    const fifo = new DeltaFIFO<TestObject>({ knownObjects: known });
    fifo.add(obj('gone-queued', '3'));
    fifo.add(obj('deleted-queued', '4'));
    fifo.delete(obj('deleted-queued', '5'));
    fifo.replace([obj('kept', '6'), obj('new', '7')], '7');
    const all = new Map<string, string[]>();
    while (fifo.length) {
      const key = fifo.listKeys()[0];
      all.set(key, await popOne(fifo));
    }
    assert.deepEqual(Object.fromEntries(all), {
      'ns/gone-queued': ['Added:gone-queued@3', 'Deleted:~gone-queued@3'],
      'ns/deleted-queued': ['Added:deleted-queued@4', 'Deleted:deleted-queued@5'],
      'ns/kept': ['Replaced:kept@6'],
      'ns/new': ['Replaced:new@7'],
      'ns/gone-cached': ['Deleted:~gone-cached@2'],
    });
  });

  it('resync queues Sync for cached objects with nothing queued', async () => {
    const known = new Indexer<TestObject>();
    known.add(obj('a', '1'));
    known.add(obj('b', '2'));
    const fifo = new DeltaFIFO<TestObject>({ knownObjects: known });
    fifo.update(obj('b', '3'));
    fifo.resync();
    assert.deepEqual(await popOne(fifo), ['Updated:b@3']);
    assert.deepEqual(await popOne(fifo), ['Sync:a@1']);
  });

  it('hasSynced turns true once every item of the first replace was processed', async () => {
    const synced: boolean[] = [];
    const fifo = new DeltaFIFO<TestObject>({ onSynced: () => synced.push(true) });
    assert.equal(fifo.hasSynced(), false);
    fifo.replace([obj('a', '1'), obj('b', '2')], '2');
    fifo.add(obj('c', '3')); // after the list: not part of it
    assert.equal(fifo.hasSynced(), false);
    let seenInitial: boolean[] = [];
    await fifo.pop((_d, initial) => void seenInitial.push(initial));
    assert.equal(fifo.hasSynced(), false);
    await fifo.pop((_d, initial) => {
      seenInitial.push(initial);
      assert.equal(fifo.hasSynced(), false, 'not synced while the last initial item is being processed');
    });
    assert.equal(fifo.hasSynced(), true);
    assert.deepEqual(synced, [true]);
    await fifo.pop((_d, initial) => void seenInitial.push(initial));
    assert.deepEqual(seenInitial, [true, true, false]);
    seenInitial = [];

    const empty = new DeltaFIFO<TestObject>();
    empty.replace([], '1');
    assert.equal(empty.hasSynced(), true, 'an empty initial list is synced at once');
  });

  it('applies the transform to queued objects but not to tombstones or Sync deltas', () => {
    const known = new Indexer<TestObject>();
    const cached = { ...obj('c', '1'), metadata: { ...obj('c', '1').metadata, managedFields: [{ manager: 'kept-as-cached' }] } };
    known.add(cached);
    let calls = 0;
    const fifo = new DeltaFIFO<TestObject>({
      knownObjects: known,
      transform: (o) => {
        calls++;
        return stripManagedFields(o);
      },
    });
    fifo.add({ metadata: { namespace: 'ns', name: 'a', resourceVersion: '2', managedFields: [{ manager: 'kubectl' }] } });
    assert.equal((fifo.getByKey('ns/a')![0].object as TestObject).metadata.managedFields, undefined);
    fifo.resync();
    fifo.replace([], '3');
    assert.equal(calls, 1);
  });

  it('pop waits for an item; close wakes it with false', async () => {
    const fifo = new DeltaFIFO<TestObject>();
    const popped = popOne(fifo);
    setTimeout(() => fifo.add(obj('late', '1')), 5);
    assert.deepEqual(await popped, ['Added:late@1']);
    const waiting = fifo.pop(() => assert.fail('nothing to pop'));
    fifo.close();
    assert.equal(await waiting, false);
    assert.equal(await fifo.pop(() => assert.fail('closed')), false);
  });

  it('an error from process rejects the pop and drops the key', async () => {
    const fifo = new DeltaFIFO<TestObject>();
    fifo.replace([obj('a', '1')], '1');
    await assert.rejects(fifo.pop(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(fifo.length, 0);
    assert.equal(fifo.hasSynced(), true);
  });
});
