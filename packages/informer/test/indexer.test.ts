// ThreadSafeStore and Indexer: keys, the namespace index, user indexers, index maintenance on
// update and delete, and a seeded property test against a naive model (KEELSON_SEED replays it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeletedFinalStateUnknown,
  Indexer,
  NamespaceIndex,
  ThreadSafeStore,
  metaNamespaceIndexFunc,
  metaNamespaceKeyFunc,
  splitMetaNamespaceKey,
  type IndexFunc,
} from '../src/index.js';
import type { TestObject } from './fake-api.js';
import { pick, rng, testSeed } from './helpers.js';

const byNode: IndexFunc<TestObject> = (o) => (o.spec?.nodeName ? [o.spec.nodeName] : []);
const byTag: IndexFunc<TestObject> = (o) => o.spec?.tags ?? [];

function obj(ns: string | undefined, name: string, spec: TestObject['spec'] = {}, rv = '1'): TestObject {
  const o: TestObject = { metadata: { name, resourceVersion: rv }, spec };
  if (ns) o.metadata.namespace = ns;
  return o;
}

const sorted = (xs: string[]): string[] => [...xs].sort();

describe('keys', () => {
  it('namespace/name, name for cluster-scoped, tombstones answer their key', () => {
    assert.equal(metaNamespaceKeyFunc(obj('default', 'web')), 'default/web');
    assert.equal(metaNamespaceKeyFunc(obj(undefined, 'node-a')), 'node-a');
    assert.equal(metaNamespaceKeyFunc(new DeletedFinalStateUnknown('ns/x', obj('ns', 'x'))), 'ns/x');
    assert.deepEqual(splitMetaNamespaceKey('default/web'), { namespace: 'default', name: 'web' });
    assert.deepEqual(splitMetaNamespaceKey('node-a'), { namespace: '', name: 'node-a' });
    assert.throws(() => splitMetaNamespaceKey('a/b/c'), /unexpected key format/);
    assert.throws(() => metaNamespaceKeyFunc({ kind: 'Pod', metadata: {} }), /no metadata.name/);
  });
});

describe('Indexer', () => {
  const newIndexer = (): Indexer<TestObject> =>
    new Indexer<TestObject>({ indexers: { [NamespaceIndex]: metaNamespaceIndexFunc, byNode, byTag } });

  it('answers get, getByKey, list, listKeys', () => {
    const idx = newIndexer();
    idx.add(obj('a', 'one'));
    idx.add(obj('b', 'two'));
    idx.add(obj(undefined, 'cluster'));
    assert.equal(idx.getByKey('a/one')?.metadata.name, 'one');
    assert.equal(idx.get(obj('b', 'two'))?.metadata.namespace, 'b');
    assert.equal(idx.getByKey('a/missing'), undefined);
    assert.deepEqual(sorted(idx.listKeys()), ['a/one', 'b/two', 'cluster']);
    assert.equal(idx.list().length, 3);
    assert.equal(idx.size, 3);
  });

  it('keeps the namespace index and user indexers right across updates and deletes', () => {
    const idx = newIndexer();
    idx.add(obj('a', 'p1', { nodeName: 'n1', tags: ['x', 'y'] }));
    idx.add(obj('a', 'p2', { nodeName: 'n1' }));
    idx.add(obj('b', 'p3', { nodeName: 'n2', tags: ['y'] }));
    assert.deepEqual(sorted(idx.indexKeys(NamespaceIndex, 'a')), ['a/p1', 'a/p2']);
    assert.deepEqual(sorted(idx.indexKeys('byNode', 'n1')), ['a/p1', 'a/p2']);
    assert.deepEqual(sorted(idx.indexKeys('byTag', 'y')), ['a/p1', 'b/p3']);

    idx.update(obj('a', 'p1', { nodeName: 'n2', tags: ['z'] }, '2'));
    assert.deepEqual(sorted(idx.indexKeys('byNode', 'n1')), ['a/p2']);
    assert.deepEqual(sorted(idx.indexKeys('byNode', 'n2')), ['a/p1', 'b/p3']);
    assert.deepEqual(idx.indexKeys('byTag', 'x'), []);
    assert.deepEqual(sorted(idx.listIndexFuncValues('byTag')), ['y', 'z']);
    assert.deepEqual(
      idx.byIndex('byNode', 'n2').map((o) => o.metadata.name).sort(),
      ['p1', 'p3'],
    );
    assert.deepEqual(
      idx.index('byNode', obj('zz', 'probe', { nodeName: 'n2' })).map((o) => o.metadata.name).sort(),
      ['p1', 'p3'],
    );

    idx.delete(obj('a', 'p2'));
    assert.deepEqual(idx.indexKeys('byNode', 'n1'), []);
    assert.deepEqual(sorted(idx.listIndexFuncValues('byNode')), ['n2'], 'a value no object has is gone');
    idx.delete(new DeletedFinalStateUnknown('b/p3', obj('b', 'p3')));
    assert.deepEqual(idx.indexKeys('byNode', 'n2'), ['a/p1']);
    assert.deepEqual(idx.listIndexFuncValues(NamespaceIndex), ['a']);
  });

  it('replace rebuilds everything; addIndexers indexes existing objects; unknown indices throw', () => {
    const idx = newIndexer();
    idx.add(obj('a', 'old', { nodeName: 'n9' }));
    idx.replace([obj('a', 'p1', { nodeName: 'n1' }), obj('b', 'p2', { nodeName: 'n1' })]);
    assert.deepEqual(idx.indexKeys('byNode', 'n9'), []);
    assert.deepEqual(sorted(idx.indexKeys('byNode', 'n1')), ['a/p1', 'b/p2']);
    idx.addIndexers({ byName: (o) => [o.metadata.name] });
    assert.deepEqual(idx.indexKeys('byName', 'p2'), ['b/p2']);
    assert.throws(() => idx.addIndexers({ byName: (o) => [o.metadata.name] }), /already exists/);
    assert.throws(() => idx.byIndex('nope', 'x'), /index with name "nope" does not exist/);
  });

  it('ThreadSafeStore works on keys directly', () => {
    const s = new ThreadSafeStore<TestObject>({ byNode });
    s.add('k1', obj('a', 'p1', { nodeName: 'n1' }));
    s.update('k1', obj('a', 'p1', { nodeName: 'n2' }));
    assert.deepEqual(s.indexKeys('byNode', 'n2'), ['k1']);
    s.delete('k1');
    s.delete('k1'); // missing: no error
    assert.equal(s.size, 0);
    assert.deepEqual(s.listIndexFuncValues('byNode'), []);
  });
});

describe('Indexer property test', () => {
  it('agrees with a naive model after thousands of random changes', () => {
    const seed = testSeed();
    console.log(`indexer property test: seed ${seed} (rerun with KEELSON_SEED=${seed})`);
    const r = rng(seed);
    const idx = new Indexer<TestObject>({ indexers: { [NamespaceIndex]: metaNamespaceIndexFunc, byNode, byTag } });
    const model = new Map<string, TestObject>();
    const namespaces = ['', 'a', 'b', 'c'];
    const nodes = [undefined, 'n1', 'n2', 'n3', 'n4'];
    const tags = ['t1', 't2', 't3', 't4', 't5'];
    const names = Array.from({ length: 60 }, (_, i) => `obj-${i}`);

    const naive = (fn: IndexFunc<TestObject>, value: string): string[] =>
      sorted(Array.from(model.entries()).filter(([, o]) => fn(o).includes(value)).map(([k]) => k));
    const check = (op: number): void => {
      assert.deepEqual(sorted(idx.listKeys()), sorted(Array.from(model.keys())), `keys after op ${op}`);
      for (const [name, fn] of [[NamespaceIndex, metaNamespaceIndexFunc], ['byNode', byNode], ['byTag', byTag]] as const) {
        const values = new Set<string>();
        for (const o of model.values()) for (const v of (fn as IndexFunc<TestObject>)(o)) values.add(v);
        assert.deepEqual(sorted(idx.listIndexFuncValues(name)), sorted([...values]), `${name} values after op ${op}`);
        for (const v of values) {
          assert.deepEqual(sorted(idx.indexKeys(name, v)), naive(fn as IndexFunc<TestObject>, v), `${name}=${v} after op ${op}`);
          assert.deepEqual(
            sorted(idx.byIndex(name, v).map((o) => metaNamespaceKeyFunc(o))),
            naive(fn as IndexFunc<TestObject>, v),
          );
        }
      }
    };

    const OPS = 5000;
    for (let op = 0; op < OPS; op++) {
      const ns = pick(r, namespaces);
      const name = pick(r, names);
      const key = ns ? `${ns}/${name}` : name;
      const roll = r();
      if (roll < 0.6) {
        const spec: TestObject['spec'] = {};
        const node = pick(r, nodes);
        if (node) spec.nodeName = node;
        const n = Math.floor(r() * 4);
        if (n) spec.tags = Array.from({ length: n }, () => pick(r, tags)); // duplicates on purpose
        const o = obj(ns || undefined, name, spec, String(op));
        if (model.has(key)) idx.update(o);
        else idx.add(o);
        model.set(key, o);
      } else if (roll < 0.95) {
        idx.delete(obj(ns || undefined, name));
        model.delete(key);
      } else {
        const keep = Array.from(model.values()).filter(() => r() < 0.5);
        idx.replace(keep);
        model.clear();
        for (const o of keep) model.set(metaNamespaceKeyFunc(o), o);
      }
      if (op % 50 === 0 || op === OPS - 1) check(op);
    }
  });
});
