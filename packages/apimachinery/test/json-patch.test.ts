import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, jsonDeepCopy, jsonDeepEqual, parseJsonPointer } from '../src/patch/json-patch.js';
import { ApiError } from '../src/errors.js';

/** Runs `fn`, expects an ApiError and returns it. */
function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

/** The 422 kube-apiserver answers when an operation does not apply. */
function assertNotApplicable(fn: () => unknown, cause?: RegExp): void {
  const e = apiError(fn);
  assert.equal(e.code, 422);
  assert.equal(e.reason, 'Invalid');
  assert.equal(e.status.message, 'the server rejected our request due to an error in our request');
  if (cause) assert.match(e.status.details?.causes?.[0]?.message ?? '', cause);
}

function assertBadRequest(fn: () => unknown, message?: RegExp): void {
  const e = apiError(fn);
  assert.equal(e.code, 400);
  assert.equal(e.reason, 'BadRequest');
  if (message) assert.match(e.message, message);
}

// RFC 6902 Appendix A, every example, with the RFC's expected results.

test('A.1 adding an object member', () => {
  assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }]), { baz: 'qux', foo: 'bar' });
});

test('A.2 adding an array element', () => {
  assert.deepEqual(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }]), { foo: ['bar', 'qux', 'baz'] });
});

test('A.3 removing an object member', () => {
  assert.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }]), { foo: 'bar' });
});

test('A.4 removing an array element', () => {
  assert.deepEqual(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }]), { foo: ['bar', 'baz'] });
});

test('A.5 replacing a value', () => {
  assert.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }]), { baz: 'boo', foo: 'bar' });
});

test('A.6 moving a value', () => {
  const doc = { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } };
  assert.deepEqual(applyJsonPatch(doc, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]), {
    foo: { bar: 'baz' },
    qux: { corge: 'grault', thud: 'fred' },
  });
});

test('A.7 moving an array element', () => {
  const doc = { foo: ['all', 'grass', 'cows', 'eat'] };
  assert.deepEqual(applyJsonPatch(doc, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]), { foo: ['all', 'cows', 'eat', 'grass'] });
});

test('A.8 testing a value: success', () => {
  const doc = { baz: 'qux', foo: ['a', 2, 'c'] };
  const patch = [
    { op: 'test', path: '/baz', value: 'qux' },
    { op: 'test', path: '/foo/1', value: 2 },
  ];
  assert.deepEqual(applyJsonPatch(doc, patch), doc);
});

test('A.9 testing a value: error', () => {
  assertNotApplicable(() => applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]), /testing value \/baz failed/);
});

test('A.10 adding a nested member object', () => {
  assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }]), { foo: 'bar', child: { grandchild: {} } });
});

test('A.11 ignoring unrecognized elements', () => {
  assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]), { foo: 'bar', baz: 'qux' });
});

test('A.12 adding to a nonexistent target', () => {
  assertNotApplicable(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]), /add operation does not apply/);
});

test('A.13 invalid JSON patch document (duplicate "op": the parser keeps the last, "remove", which cannot apply)', () => {
  const patch = JSON.parse('[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]');
  assertNotApplicable(() => applyJsonPatch({ foo: 'bar' }, patch));
});

test('A.14 ~ escape ordering', () => {
  const doc = { '/': 9, '~1': 10 };
  assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/~01', value: 10 }]), doc);
});

test('A.15 comparing strings and numbers', () => {
  assertNotApplicable(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]));
});

test('A.16 adding an array value', () => {
  assert.deepEqual(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }]), { foo: ['bar', ['abc', 'def']] });
});

// Beyond the appendix.

test('the document is never mutated, and the result shares nothing with the patch', () => {
  const doc = { spec: { replicas: 1, list: [1, 2] } };
  const before = JSON.stringify(doc);
  const value = { nested: [1] };
  const out = applyJsonPatch(doc, [
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'remove', path: '/spec/list/0' },
    { op: 'add', path: '/spec/obj', value },
  ]) as { spec: { obj: { nested: number[] } } };
  assert.equal(JSON.stringify(doc), before);
  out.spec.obj.nested.push(2);
  assert.deepEqual(value, { nested: [1] });
});

test('a failing operation leaves nothing applied (all or nothing)', () => {
  const doc = { a: 1 };
  assertNotApplicable(() => applyJsonPatch(doc, [{ op: 'replace', path: '/a', value: 2 }, { op: 'test', path: '/a', value: 1 }]));
  assert.deepEqual(doc, { a: 1 });
});

test('pointer escapes: ~1 is "/", ~0 is "~", in that order', () => {
  assert.deepEqual(parseJsonPointer('/a~1b/m~0n/~01'), ['a/b', 'm~n', '~1']);
  assert.deepEqual(parseJsonPointer(''), []);
  assert.deepEqual(parseJsonPointer('/'), ['']);
  assert.equal(parseJsonPointer('a/b'), undefined);
  assert.equal(parseJsonPointer('/a~2'), undefined);
  assert.equal(parseJsonPointer('/a~'), undefined);
  const out = applyJsonPatch({ metadata: { annotations: { 'example.com/x': 'a' } } }, [
    { op: 'replace', path: '/metadata/annotations/example.com~1x', value: 'b' },
  ]);
  assert.deepEqual(out, { metadata: { annotations: { 'example.com/x': 'b' } } });
});

test('the empty pointer is the whole document; the empty key is a member named ""', () => {
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: [1] }]), [1]);
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '', value: { b: 2 } }]), { b: 2 });
  assert.deepEqual(applyJsonPatch({ '': 1 }, [{ op: 'replace', path: '/', value: 2 }]), { '': 2 });
  assertNotApplicable(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '' }]));
});

test('array indices: end is allowed for add, not past it; no leading zeros, no negatives, "-" only for add', () => {
  assert.deepEqual(applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/1', value: 2 }]), { a: [1, 2] });
  assertNotApplicable(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/2', value: 2 }]), /invalid index/);
  assertNotApplicable(() => applyJsonPatch({ a: [1, 2] }, [{ op: 'replace', path: '/a/01', value: 0 }]));
  assertNotApplicable(() => applyJsonPatch({ a: [1, 2] }, [{ op: 'remove', path: '/a/-1' }]));
  assertNotApplicable(() => applyJsonPatch({ a: [1, 2] }, [{ op: 'remove', path: '/a/-' }]));
  assertNotApplicable(() => applyJsonPatch({ a: [1, 2] }, [{ op: 'replace', path: '/a/2', value: 0 }]));
  assertNotApplicable(() => applyJsonPatch({ a: [1, 2] }, [{ op: 'test', path: '/a/5', value: 0 }]));
});

test('remove and replace need an existing target; add replaces an existing member', () => {
  assertNotApplicable(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), /remove operation does not apply: doc is missing path: "\/b"/);
  assertNotApplicable(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]), /replace operation does not apply: doc is missing key: \/b/);
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/a', value: 2 }]), { a: 2 });
  // A member of a scalar does not exist.
  assertNotApplicable(() => applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/a/b', value: 2 }]));
});

test('move and copy: from must exist, move may not target its own child, copy is deep', () => {
  assertNotApplicable(() => applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/x', path: '/y' }]), /missing from path/);
  assertNotApplicable(() => applyJsonPatch({ a: 1 }, [{ op: 'copy', from: '/x', path: '/y' }]), /missing from path/);
  assertNotApplicable(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/c' }]), /own child/);
  assert.deepEqual(applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a' }]), { a: { b: 1 } });
  // "/ab" is not a child of "/a".
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/a', path: '/ab' }]), { ab: 1 });
  const out = applyJsonPatch({ a: { list: [1] } }, [
    { op: 'copy', from: '/a', path: '/b' },
    { op: 'add', path: '/b/list/-', value: 2 },
  ]);
  assert.deepEqual(out, { a: { list: [1] }, b: { list: [1, 2] } });
});

test('test compares JSON values: member order does not matter, types do', () => {
  const doc = { o: { a: 1, b: [1, { c: null }] } };
  assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/o', value: { b: [1, { c: null }], a: 1 } }]), doc);
  assertNotApplicable(() => applyJsonPatch(doc, [{ op: 'test', path: '/o/b', value: [{ c: null }, 1] }]));
  assertNotApplicable(() => applyJsonPatch({ a: null }, [{ op: 'test', path: '/b', value: null }]), /missing/);
  assert.deepEqual(applyJsonPatch({ a: null }, [{ op: 'test', path: '/a', value: null }]), { a: null });
});

test('a patch that is not a list of valid operations is a 400, as kube-apiserver answers', () => {
  assertBadRequest(() => applyJsonPatch({}, { op: 'add', path: '/a', value: 1 }), /^json: cannot unmarshal object into Go value of type jsonpatch.Patch$/);
  assertBadRequest(() => applyJsonPatch({}, 'x'), /cannot unmarshal string/);
  assertBadRequest(() => applyJsonPatch({}, [1]), /must be an object/);
  assertBadRequest(() => applyJsonPatch({}, [{ op: 'frobnicate', path: '/a' }]), /unexpected op "frobnicate"/);
  assertBadRequest(() => applyJsonPatch({}, [{ op: 'add', value: 1 }]), /missing "path"/);
  assertBadRequest(() => applyJsonPatch({}, [{ op: 'add', path: '/a' }]), /missing "value"/);
  assertBadRequest(() => applyJsonPatch({}, [{ op: 'move', path: '/a' }]), /missing "from"/);
  assertBadRequest(() => applyJsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]), /invalid JSON pointer/);
  assertBadRequest(() => applyJsonPatch({}, [{ op: 'remove', path: '/a~3' }]), /invalid JSON pointer/);
  // Validation happens before anything applies: a later malformed op fails the whole patch with 400.
  assertBadRequest(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }, { op: 'nope', path: '/a' }]));
  // add with value null is well formed.
  assert.deepEqual(applyJsonPatch({}, [{ op: 'add', path: '/a', value: null }]), { a: null });
  assert.deepEqual(applyJsonPatch({ a: 1 }, []), { a: 1 });
});

test('the 422 carries the explanation in details.causes and Error.cause', () => {
  const e = apiError(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]));
  assert.equal(e.status.kind, 'Status');
  assert.equal(e.status.status, 'Failure');
  assert.match(e.status.details?.causes?.[0]?.message ?? '', /testing value \/a failed: test failed/);
  assert.match(String((e.cause as Error).message), /test failed/);
});

test('"__proto__" is an ordinary member name', () => {
  const out = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});

test('jsonDeepEqual and jsonDeepCopy', () => {
  assert.ok(jsonDeepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
  assert.ok(!jsonDeepEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!jsonDeepEqual([1], { 0: 1 }));
  assert.ok(!jsonDeepEqual(1, '1'));
  const src = { a: [{ b: 1 }] };
  const copy = jsonDeepCopy(src);
  copy.a[0].b = 2;
  assert.equal(src.a[0].b, 1);
});
