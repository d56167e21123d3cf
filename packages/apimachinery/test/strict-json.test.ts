import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeJsonSyntaxError, formatDuplicateField, parseJsonDetectingDuplicates } from '../src/strict-json.js';
import { ApiError } from '../src/errors.js';

// kube-apiserver's field validation test body (test/integration/apiserver/field_validation_test.go),
// for which it reports: duplicate field "metadata.name", "spec.paused",
// "spec.template.spec.containers[0].imagePullPolicy" (and "spec.unknownDupe" for schemaless types).
const deployment = `
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "dupename",
    "name": "dupename",
    "labels": {"app": "nginx"}
  },
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {
        "containers": [{
          "name":  "nginx",
          "image": "nginx:latest",
          "imagePullPolicy": "Always",
          "imagePullPolicy": "Never"
        }]
      }
    }
  }
}`;

test('reports duplicate keys as upstream paths, in document order', () => {
  const r = parseJsonDetectingDuplicates(deployment);
  assert.deepEqual(r.duplicates, ['metadata.name', 'spec.unknownDupe', 'spec.paused', 'spec.template.spec.containers[0].imagePullPolicy']);
  assert.deepEqual(r.duplicates.map(formatDuplicateField), [
    'duplicate field "metadata.name"',
    'duplicate field "spec.unknownDupe"',
    'duplicate field "spec.paused"',
    'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  ]);
  // The last occurrence wins, as in Go.
  const v = r.value as { spec: { paused: boolean; template: { spec: { containers: { imagePullPolicy: string }[] } } } };
  assert.equal(v.spec.paused, false);
  assert.equal(v.spec.template.spec.containers[0].imagePullPolicy, 'Never');
});

test('no duplicates', () => {
  const text = JSON.stringify({ a: { b: [{ c: 1, d: 'x"y:' }, { c: 2 }], 'k:"': { '\\': null } }, e: [] });
  assert.deepEqual(parseJsonDetectingDuplicates(text), { value: JSON.parse(text), duplicates: [] });
  // The same key in sibling objects is not a duplicate.
  assert.deepEqual(parseJsonDetectingDuplicates('[{"a":1},{"a":2}]').duplicates, []);
  assert.deepEqual(parseJsonDetectingDuplicates('{"a":{"a":{"a":1}}}').duplicates, []);
  for (const scalar of ['1', '"x"', 'null', 'true', ' [] ']) assert.deepEqual(parseJsonDetectingDuplicates(scalar).duplicates, []);
});

test('paths: nesting, arrays, escapes, dots in keys', () => {
  const dup = (text: string): string[] => parseJsonDetectingDuplicates(text).duplicates;
  assert.deepEqual(dup('{"a":1,"a":2}'), ['a']);
  assert.deepEqual(dup('{"a":{"b":[{},{"c":1,"c":2}]}}'), ['a.b[1].c']);
  assert.deepEqual(dup('[{"x":1},{"y":[0,{"z":1,"z":1}]}]'), ['[1].y[1].z']);
  // Keys compare decoded: "\u0061" is "a".
  assert.deepEqual(dup('{"a":1,"\\u0061":2}'), ['a']);
  assert.deepEqual(dup('{"metadata":{"labels":{"app.kubernetes.io/name":"a","app.kubernetes.io/name":"b"}}}'), ['metadata.labels.app.kubernetes.io/name']);
  // A duplicated object: its own inner duplicates first, then the key, each path reported once.
  assert.deepEqual(dup('{"a":{"x":1,"x":2},"a":{"x":3,"x":4}}'), ['a.x', 'a']);
  // Strings that look like keys or structure do not confuse the scan.
  assert.deepEqual(dup('{"s":"\\"a\\":1,","a":[",{"],"a":"}"}'), ['a']);
  // The number of reported duplicates is capped at 100, as upstream.
  const many = `{${Array.from({ length: 150 }, (_, i) => `"k${i}":1,"k${i}":2`).join(',')}}`;
  assert.equal(dup(many).length, 100);
});

test('invalid JSON is a 400 in Go encoding/json words', () => {
  const cases: [string, string, number][] = [
    ['', 'unexpected end of JSON input', 0],
    ['{"a":}', "invalid character '}' looking for beginning of value", 5],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string", 7],
    ['{"a" 1}', "invalid character '1' after object key", 5],
    ['{"a":1 "b":2}', 'invalid character \'"\' after object key:value pair', 7],
    ['[1 2]', "invalid character '2' after array element", 3],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')", 8],
    ['{"a":1}x', "invalid character 'x' after top-level value", 7],
    ['{"a":"\u0001"}', "invalid character '\\x01' in string literal", 6],
    ['01', "invalid character '1' after top-level value", 1],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal", 7],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal", 7],
    ['"\\q"', "invalid character 'q' in string escape code", 2],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape", 5],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string", 1],
    ['{"a":[1,2}', "invalid character '}' after array element", 9],
    ['{"a":', 'unexpected end of JSON input', 5],
    ['-', 'unexpected end of JSON input', 1],
    ['-x', "invalid character 'x' in numeric literal", 1],
  ];
  for (const [text, message, offset] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, `test case is not invalid: ${text}`);
    const d = describeJsonSyntaxError(text);
    assert.deepEqual([d?.message, d?.offset], [message, offset], text);
    assert.throws(
      () => parseJsonDetectingDuplicates(text),
      (e: unknown) => e instanceof ApiError && e.code === 400 && e.message.startsWith(`json parse error: ${message} at line 1, column ${offset + 1}`),
      text,
    );
  }
  assert.equal(describeJsonSyntaxError('{"a": [1, 2]}'), undefined);
  const multi = describeJsonSyntaxError('{\n  "a": 1,\n  "b": }');
  assert.deepEqual(multi, { message: "invalid character '}' looking for beginning of value", offset: 19, line: 3, column: 8 });
});

test('deep nesting does not overflow the stack', () => {
  const depth = 100_000;
  const text = `${'['.repeat(depth)}{"a":1,"a":2}${']'.repeat(depth)}`;
  const r = parseJsonDetectingDuplicates(text);
  assert.equal(r.duplicates.length, 1);
  assert.ok(r.duplicates[0].endsWith('[0][0].a'));
});
