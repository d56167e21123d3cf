import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoFloat, isValidFormat, validateAgainstSchema } from '../src/schema/validate.js';
import type { JSONSchemaProps } from '../src/schema/types.js';
import { formatFieldError } from '../src/errors.js';

const field = (f: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { field: f } });
const texts = (schema: JSONSchemaProps, value: unknown, opts?: Parameters<typeof validateAgainstSchema>[2]): string[] =>
  validateAgainstSchema(schema, value, opts).map(formatFieldError).sort();
const ok = (schema: JSONSchemaProps, value: unknown): void => assert.deepEqual(texts(schema, value), [], JSON.stringify(value));

// The expected strings in the tests marked "upstream" are those of apiextensions-apiserver's
// pkg/apiserver/validation/validation_test.go (TestValidateCustomResource).

test('upstream: !nullable object field', () => {
  const s = field({ type: 'object' });
  ok(s, {});
  ok(s, { field: {} });
  for (const [value, type] of [['foo', 'string'], [42, 'integer'], [true, 'boolean'], [1.2, 'number'], [[], 'array'], [null, 'null']] as const) {
    assert.deepEqual(texts(s, { field: value }), [`field: Invalid value: "${type}": field in body must be of type object: "${type}"`]);
  }
});

test('upstream: nullable object field', () => {
  const s = field({ type: 'object', nullable: true });
  ok(s, { field: null });
  assert.deepEqual(texts(s, { field: 'foo' }), ['field: Invalid value: "string": field in body must be of type object: "string"']);
});

test('upstream: nullable and no type accepts anything', () => {
  const s = field({ nullable: true });
  for (const v of [{}, null, 'foo', 42, true, 1.2, []]) ok(s, { field: v });
});

test('upstream: x-kubernetes-int-or-string', () => {
  const s = field({ 'x-kubernetes-int-or-string': true });
  ok(s, { field: 42 });
  ok(s, { field: 'foo' });
  for (const [value, type] of [[null, 'null'], [true, 'boolean'], [1.2, 'number'], [{}, 'object'], [[], 'array']] as const) {
    assert.deepEqual(texts(s, { field: value }), [`field: Invalid value: "${type}": field in body must be of type integer,string: "${type}"`]);
  }
  ok(field({ 'x-kubernetes-int-or-string': true, nullable: true }), { field: null });
});

test('upstream: int-or-string with user-provided anyOf reports the anyOf and the first alternative', () => {
  const s = field({ nullable: true, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
  ok(s, { field: null });
  ok(s, { field: 42 });
  assert.deepEqual(texts(s, { field: true }), [
    // Upstream reports this one on the root ("<nil>: ..."); here it is on the value's path.
    'field: Invalid value: "": "field" must validate at least one schema (anyOf)',
    'field: Invalid value: "boolean": field in body must be of type integer,string: "boolean"',
    'field: Invalid value: "boolean": field in body must be of type integer: "boolean"',
  ]);
});

test('upstream: int-or-string with allOf(anyOf) reports allOf, anyOf and the alternatives', () => {
  const s = field({ nullable: true, 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }] });
  ok(s, { field: 'foo' });
  assert.deepEqual(texts(s, { field: 1.2 }), [
    'field: Invalid value: "": "field" must validate all the schemas (allOf). None validated',
    'field: Invalid value: "": "field" must validate at least one schema (anyOf)',
    'field: Invalid value: "number": field in body must be of type integer,string: "number"',
    'field: Invalid value: "number": field in body must be of type integer: "number"',
  ]);
});

test('upstream: required fields', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    required: ['field'],
    properties: { field: { type: 'object', required: ['nested'], properties: { nested: {} } } },
  };
  assert.deepEqual(texts(s, { test: 'a' }), ['field: Required value']);
  assert.deepEqual(texts(s, { field: {} }), ['field.nested: Required value']);
});

test('upstream: enum (non-string values are listed as JSON) and type failures are both reported', () => {
  const s = field({
    type: 'object',
    required: ['nestedint', 'nestedstring'],
    properties: { nestedint: { type: 'integer', enum: [1, 2] }, nestedstring: { type: 'string', enum: ['a', 'b'] } },
  });
  assert.deepEqual(texts(s, { field: {} }), ['field.nestedint: Required value', 'field.nestedstring: Required value']);
  assert.deepEqual(texts(s, { field: { nestedint: 'x', nestedstring: true } }), [
    'field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string"',
    'field.nestedint: Unsupported value: "x": supported values: "1", "2"',
    'field.nestedstring: Invalid value: "boolean": field.nestedstring in body must be of type string: "boolean"',
    'field.nestedstring: Unsupported value: true: supported values: "a", "b"',
  ]);
});

test('upstream: maxProperties, maxItems, maxLength', () => {
  const tooMany = { type: 'FieldValueTooMany', field: 'fieldX', badValue: 3, detail: 'must have at most 2 items' };
  assert.deepEqual(validateAgainstSchema({ type: 'object', properties: { fieldX: { type: 'object', maxProperties: 2 } } }, { fieldX: { a: true, b: true, c: true } }), [tooMany]);
  assert.deepEqual(validateAgainstSchema({ type: 'object', properties: { fieldX: { type: 'array', maxItems: 2 } } }, { fieldX: ['a', 'b', 'c'] }), [tooMany]);
  assert.deepEqual(texts({ type: 'object', properties: { fieldX: { type: 'string', maxLength: 2 } } }, { fieldX: 'abc' }), ['fieldX: Too long: may not be more than 2 bytes']);
});

// errors.ts's formatFieldErrorBody leaves the bad value out of "Too many"; upstream prints it.
test('upstream: "Too many" shows the count', () => {
  assert.deepEqual(texts({ type: 'object', properties: { fieldX: { type: 'array', maxItems: 2 } } }, { fieldX: ['a', 'b', 'c'] }), [
    'fieldX: Too many: 3: must have at most 2 items',
  ]);
});

test('upstream: an invalid pattern is reported on the value', () => {
  const errs = texts(field({ type: 'string', pattern: '+' }), { field: 'foo' });
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^field: Invalid value: "foo": field in body should match '\+, but pattern is invalid: /);
});

test("the brief's example: spec.replicas must be an integer", () => {
  const s: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } } };
  assert.deepEqual(texts(s, { spec: { replicas: 'string' } }), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
  ok(s, { spec: { replicas: 3 } });
  // A whole float is an integer (Go decodes 3.0 as float64 and kube-openapi accepts it).
  ok(s, { spec: { replicas: 3.0 } });
  ok({ type: 'number' } as JSONSchemaProps, 3);
});

test('paths carry list indices: spec.ports[1].port', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { ports: { type: 'array', items: { type: 'object', required: ['port'], properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } } } } },
      },
    },
  };
  assert.deepEqual(texts(s, { spec: { ports: [{ port: 80 }, { port: 70000 }, {}] } }), [
    'spec.ports[1].port: Invalid value: 70000: spec.ports[1].port in body should be less than or equal to 65535',
    'spec.ports[2].port: Required value',
  ]);
});

test('every failure is returned, not just the first', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    properties: { a: { type: 'string', minLength: 3, pattern: '^[a-z]+$' }, b: { type: 'integer', minimum: 0 }, c: { type: 'boolean' } },
  };
  assert.deepEqual(texts(s, { a: 'A', b: -1, c: 'yes' }), [
    'a: Invalid value: "A": a in body should be at least 3 chars long',
    "a: Invalid value: \"A\": a in body should match '^[a-z]+$'",
    'b: Invalid value: -1: b in body should be greater than or equal to 0',
    'c: Invalid value: "string": c in body must be of type boolean: "string"',
  ]);
});

test('numeric bounds: exclusive, multipleOf, and Go float formatting in messages', () => {
  const s = (x: JSONSchemaProps) => field(x);
  assert.deepEqual(texts(s({ type: 'number', maximum: 10, exclusiveMaximum: true }), { field: 10 }), ['field: Invalid value: 10: field in body should be less than 10']);
  assert.deepEqual(texts(s({ type: 'number', minimum: 0.5, exclusiveMinimum: true }), { field: 0.5 }), ['field: Invalid value: 0.5: field in body should be greater than 0.5']);
  assert.deepEqual(texts(s({ type: 'integer', multipleOf: 5 }), { field: 12 }), ['field: Invalid value: 12: field in body should be a multiple of 5']);
  ok(s({ type: 'number', multipleOf: 0.1 }), { field: 0.3 });
  assert.deepEqual(texts(s({ type: 'integer', maximum: 1000000 }), { field: 1000001 }), ['field: Invalid value: 1000001: field in body should be less than or equal to 1e+06']);
  assert.equal(formatGoFloat(100000), '100000');
  assert.equal(formatGoFloat(1234567), '1.234567e+06');
  assert.equal(formatGoFloat(0.0001), '0.0001');
  assert.equal(formatGoFloat(0.00001), '1e-05');
  assert.equal(formatGoFloat(-2.5), '-2.5');
});

test('strings: lengths count characters, not UTF-16 units', () => {
  ok(field({ type: 'string', maxLength: 2 }), { field: '😀😀' });
  assert.equal(texts(field({ type: 'string', minLength: 3 }), { field: '😀😀' }).length, 1);
});

test('arrays: minItems, uniqueItems', () => {
  assert.deepEqual(texts(field({ type: 'array', minItems: 1, items: { type: 'string' } }), { field: [] }), ['field: Invalid value: 0: field in body should have at least 1 items']);
  assert.deepEqual(texts(field({ type: 'array', uniqueItems: true, items: { type: 'object' } }), { field: [{ a: 1 }, { a: 1 }] }), [
    'field: Invalid value: "": field in body shouldn\'t contain duplicates',
  ]);
});

test('objects: minProperties, additionalProperties schema and false', () => {
  assert.deepEqual(texts(field({ type: 'object', minProperties: 1 }), { field: {} }), ['field: Invalid value: 0: field in body should have at least 1 properties']);
  assert.deepEqual(texts(field({ type: 'object', additionalProperties: { type: 'string' } }), { field: { a: 'x', b: 1 } }), [
    'field.b: Invalid value: "integer": field.b in body must be of type string: "integer"',
  ]);
  assert.deepEqual(texts(field({ type: 'object', additionalProperties: false }), { field: { a: 1 } }), ['field: Invalid value: "a": field.a in body is a forbidden property']);
});

test('allOf, oneOf and not', () => {
  const oneOf = field({ type: 'object', oneOf: [{ required: ['a'] }, { required: ['b'] }] });
  ok(oneOf, { field: { a: 1 } });
  assert.deepEqual(texts(oneOf, { field: { a: 1, b: 2 } }), ['field: Invalid value: "": "field" must validate one and only one schema (oneOf). Found 2 valid alternatives']);
  assert.deepEqual(texts(oneOf, { field: {} }), ['field.a: Required value', 'field: Invalid value: "": "field" must validate one and only one schema (oneOf). Found none valid']);
  const not = field({ type: 'string', not: { enum: ['forbidden'] } });
  ok(not, { field: 'fine' });
  assert.deepEqual(texts(not, { field: 'forbidden' }), ['field: Invalid value: "": "field" must not validate the schema (not)']);
  const allOf = field({ type: 'integer', allOf: [{ minimum: 1 }, { maximum: 5 }] });
  assert.deepEqual(texts(allOf, { field: 9 }), [
    'field: Invalid value: "": "field" must validate all the schemas (allOf)',
    'field: Invalid value: 9: field in body should be less than or equal to 5',
  ]);
});

test('formats: kube-openapi strfmt checks, unknown formats ignored', () => {
  const s = (format: string) => field({ type: 'string', format });
  assert.deepEqual(texts(s('date-time'), { field: 'yesterday' }), ['field: Invalid value: "yesterday": field in body must be of type date-time: "yesterday"']);
  const valid: [string, string[]][] = [
    ['date-time', ['2024-02-29T10:00:00Z', '2024-01-01t00:00:00.123+01:00']],
    ['date', ['2024-02-29']],
    ['duration', ['1h30m', '-1.5s', '0', '3 days', '1w']],
    ['uuid', ['123e4567-e89b-12d3-a456-426614174000', '123E4567E89B12D3A456426614174000']],
    ['email', ['a.b@example.com', 'Jane <jane@example.com>']],
    ['hostname', ['example.com', 'localhost', 'a-b.example.org']],
    ['ipv4', ['10.0.0.1', '::ffff:10.0.0.1']],
    ['ipv6', ['::1', '2001:db8::8a2e:370:7334', '::']],
    ['cidr', ['10.0.0.0/8', '2001:db8::/32']],
    ['mac', ['00:00:5e:00:53:01', '00-00-5e-00-53-01', '0000.5e00.5301']],
    ['uri', ['https://example.com/a?b=c#d', 'relative/path', 'urn:x:y']],
    ['byte', ['aGVsbG8=', '']],
    ['password', ['anything at all']],
    ['int32', ['not checked']],
    ['no-such-format', ['ignored']],
  ];
  const invalid: [string, string[]][] = [
    ['date-time', ['2024-02-30T10:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01T10:00:00', '2024-01-01']],
    ['date', ['2023-02-29', '2024-1-1']],
    ['duration', ['soon', '5']],
    ['uuid', ['123e4567-e89b-12d3-a456']],
    ['email', ['no-at-sign', 'a@']],
    ['hostname', ['-bad.example.com', 'example.c', 'a..b']],
    ['ipv4', ['256.0.0.1', '01.2.3.4', '1.2.3', '::1']],
    ['ipv6', ['10.0.0.1', '1::2::3', '12345::']],
    ['cidr', ['10.0.0.0', '10.0.0.0/33', '::/129']],
    ['mac', ['00:00:5e:00:53', 'zz:00:5e:00:53:01']],
    ['uri', [':no-scheme', 'a:b/c%zz', 'http://a b/']],
    ['byte', ['aGVsbG8', 'a=bc']],
  ];
  for (const [format, values] of valid) for (const v of values) assert.ok(isValidFormat(format, v), `${format} should accept ${JSON.stringify(v)}`);
  for (const [format, values] of invalid) for (const v of values) assert.ok(!isValidFormat(format, v), `${format} should reject ${JSON.stringify(v)}`);
});

test('x-kubernetes-list-type set: each repeated value once, at its second occurrence', () => {
  const s = field({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } });
  ok(s, { field: ['a', 'b'] });
  assert.deepEqual(texts(s, { field: ['a', 'b', 'a', 'a', 'b'] }), ['field[2]: Duplicate value: "a"', 'field[4]: Duplicate value: "b"']);
});

test('x-kubernetes-list-type map: unique by the map keys, absent keys count as their defaults', () => {
  const s = field({
    type: 'array',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name', 'protocol'],
    items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } } },
  });
  ok(s, { field: [{ name: 'a', port: 1 }, { name: 'a', protocol: 'UDP', port: 1 }] });
  assert.deepEqual(texts(s, { field: [{ name: 'a', port: 1 }, { name: 'b' }, { name: 'a', protocol: 'TCP', port: 2 }] }), [
    'field[2]: Duplicate value: {"name":"a","protocol":"TCP"}',
  ]);
  // The item schema reports the type too, as upstream's schema validation runs before the list-type check.
  assert.deepEqual(texts(s, { field: [{ name: 'a' }, 'x'] }), [
    'field[1]: Invalid value: "string": field[1] in body must be of type object: "string"',
    'field[1]: Invalid value: "x": must be an object for an array of list-type map',
  ]);
});

test('embedded resources need apiVersion and kind', () => {
  const s = field({ type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true });
  ok(s, { field: { apiVersion: 'v1', kind: 'Pod', spec: {} } });
  assert.deepEqual(texts(s, { field: {} }), ['field.apiVersion: Required value: must not be empty', 'field.kind: Required value: must not be empty']);
  assert.deepEqual(texts(s, { field: { apiVersion: 'a/b/c', kind: '' } }), [
    'field.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
    'field.kind: Invalid value: "": must not be empty',
  ]);
});

test('at a resource root, apiVersion, kind and metadata are the server\'s', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    required: ['metadata', 'spec'],
    properties: { apiVersion: { type: 'integer' }, metadata: { type: 'string' }, spec: { type: 'object' } },
    additionalProperties: false,
  };
  const obj = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} };
  assert.deepEqual(texts(s, obj, { isResourceRoot: true }), []);
  assert.deepEqual(texts(s, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: {} }, { isResourceRoot: true }), ['spec: Required value']);
  // Without the flag, they are ordinary members.
  assert.ok(texts(s, obj).length > 0);
});

test('opts.path prefixes field paths but not the paths quoted in messages', () => {
  const errs = validateAgainstSchema({ type: 'object', properties: { a: { type: 'integer' } } }, { a: 'x' }, { path: 'spec.versions[0].schema.openAPIV3Schema.default' }).map(formatFieldError);
  assert.deepEqual(errs, ['spec.versions[0].schema.openAPIV3Schema.default.a: Invalid value: "string": a in body must be of type integer: "string"']);
});

test('the error objects carry the cause types the Status needs', () => {
  const errs = validateAgainstSchema(
    { type: 'object', required: ['r'], properties: { e: { type: 'string', enum: ['a'] }, t: { type: 'integer' } } },
    { e: 'b', t: 'x' },
  );
  assert.deepEqual(errs.map((e) => [e.field, e.type]).sort(), [
    ['e', 'FieldValueNotSupported'],
    ['r', 'FieldValueRequired'],
    ['t', 'FieldValueTypeInvalid'],
  ]);
});
