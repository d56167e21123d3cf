import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, createMergePatch } from '../src/patch/merge-patch.js';

// RFC 7386 Appendix A: every row of the table (original, patch, result).
const appendixA: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

appendixA.forEach(([original, patch, result], i) => {
  test(`RFC 7386 appendix A, row ${i + 1}: ${JSON.stringify(original)} + ${JSON.stringify(patch)}`, () => {
    const before = JSON.stringify(original);
    assert.deepEqual(applyMergePatch(original, patch), result);
    assert.equal(JSON.stringify(original), before, 'the original must not be mutated');
  });
});

test('the result shares nothing with the patch or the document', () => {
  const doc = { keep: { list: [1] } };
  const patch = { added: { list: [1] } };
  const out = applyMergePatch(doc, patch) as { keep: { list: number[] }; added: { list: number[] } };
  out.keep.list.push(2);
  out.added.list.push(2);
  assert.deepEqual(doc, { keep: { list: [1] } });
  assert.deepEqual(patch, { added: { list: [1] } });
});

test('a Kubernetes-shaped patch: labels merge, null deletes, lists replace', () => {
  const doc = { metadata: { labels: { app: 'a', tier: 'web' } }, spec: { ports: [{ port: 80 }, { port: 443 }] } };
  const out = applyMergePatch(doc, { metadata: { labels: { tier: null, env: 'prod' } }, spec: { ports: [{ port: 8080 }] } });
  assert.deepEqual(out, { metadata: { labels: { app: 'a', env: 'prod' } }, spec: { ports: [{ port: 8080 }] } });
});

test('createMergePatch: removed members become null, changed objects recurse, lists are sent whole', () => {
  const original = { a: 1, b: { c: 2, d: 3 }, list: [1, 2], gone: true };
  const modified = { a: 1, b: { c: 2, d: 4, e: 5 }, list: [1, 3], added: 'x' };
  assert.deepEqual(createMergePatch(original, modified), { gone: null, b: { d: 4, e: 5 }, list: [1, 3], added: 'x' });
  assert.deepEqual(createMergePatch(original, original), {});
  assert.deepEqual(createMergePatch({ a: { b: 1 } }, { a: 'x' }), { a: 'x' });
  assert.deepEqual(createMergePatch({ a: 1 }, ['x']), ['x']);
});

test('createMergePatch then applyMergePatch yields the modified document', () => {
  const cases: [unknown, unknown][] = [
    [{ a: 1 }, { b: 2 }],
    [{ a: { b: { c: 1, d: [1] } } }, { a: { b: { c: 2 } }, e: [{ f: 1 }] }],
    [{ spec: { replicas: 1, template: { metadata: { labels: { a: 'b' } } } } }, { spec: { replicas: 3, template: { metadata: {} } } }],
  ];
  for (const [o, m] of cases) assert.deepEqual(applyMergePatch(o, createMergePatch(o, m)), m);
});
