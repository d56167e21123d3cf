import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneUnknownFields } from '../src/schema/prune.js';
import type { JSONSchemaProps } from '../src/schema/types.js';

// The cases of apiextensions-apiserver's pkg/apiserver/schema/pruning/algorithm_test.go
// (TestPrune), with their schemas written as JSONSchemaProps.

function prune(schema: JSONSchemaProps, json: string, isResourceRoot = false): { object: unknown; pruned: string[] } {
  const object = JSON.parse(json);
  const pruned = pruneUnknownFields(schema, object, { isResourceRoot });
  return { object, pruned };
}

test('upstream: scalar and scalar array', () => {
  assert.deepEqual(prune({}, '4'), { object: 4, pruned: [] });
  assert.deepEqual(prune({ items: {} }, '[1,2]'), { object: [1, 2], pruned: [] });
});

test('upstream: object array', () => {
  const r = prune({ items: { properties: { a: {}, c: {} } } }, '[{"a":1},{"b":1},{"a":1,"b":2,"c":3}]');
  assert.deepEqual(r.object, [{ a: 1 }, {}, { a: 1, c: 3 }]);
  assert.deepEqual(r.pruned, ['[1].b', '[2].b']);
});

test('upstream: object array with no items schema', () => {
  const r = prune({}, '[{"a":1},{"b":1},{"a":1,"b":2,"c":3}]');
  assert.deepEqual(r.object, [{}, {}, {}]);
  assert.deepEqual(r.pruned, ['[0].a', '[1].b', '[2].a', '[2].b', '[2].c']);
});

test('upstream: object array object', () => {
  const r = prune(
    { properties: { array: { items: { properties: { a: {}, c: {} } } }, specified: { properties: { a: {}, c: {} } } } },
    '{"array":[{"a":1},{"b":1},{"a":1,"b":2,"c":3}],"unspecified":{"a":1},"specified":{"a":1,"b":2,"c":3}}',
  );
  assert.deepEqual(r.object, { array: [{ a: 1 }, {}, { a: 1, c: 3 }], specified: { a: 1, c: 3 } });
  assert.deepEqual(r.pruned, ['array[1].b', 'array[2].b', 'specified.b', 'unspecified']);
});

test('upstream: nested x-kubernetes-preserve-unknown-fields', () => {
  const objectWith = (properties: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps => ({ type: 'object', properties, ...extra });
  const preserving = (extra: JSONSchemaProps = {}): JSONSchemaProps => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...extra });
  const schema = preserving({
    properties: {
      alpha: { type: 'string' },
      beta: { type: 'number' },
      pruning: objectWith({ preserving: preserving(), pruning: { type: 'object' } }),
      preserving: preserving({ properties: { preserving: preserving(), pruning: { type: 'object' } } }),
      // This x-kubernetes-preserve-unknown-fields is not inherited by the schema inside additionalProperties.
      preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields: preserving({
        additionalProperties: objectWith({ specified: { type: 'object' } }),
      }),
      preservingAdditionalPropertiesKeyPruneValues: { type: 'object', additionalProperties: objectWith({ specified: { type: 'object' } }) },
    },
  });
  const r = prune(
    schema,
    `{
      "unspecified":"bar", "alpha": "abc", "beta": 42.0, "unspecifiedObject": {"unspecified": "bar"},
      "pruning": {"unspecified": "bar", "unspecifiedObject": {"unspecified": "bar"}, "pruning": {"unspecified": "bar"}, "apiVersion": "unknown", "preserving": {"unspecified": "bar"}},
      "preserving": {"unspecified": "bar", "unspecifiedObject": {"unspecified": "bar"}, "pruning": {"unspecified": "bar"}, "preserving": {"unspecified": "bar"}},
      "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields": {"foo": {"specified": {"unspecified":"bar"}, "unspecified": "bar"}},
      "preservingAdditionalPropertiesKeyPruneValues": {"foo": {"specified": {"unspecified":"bar"}, "unspecified": "bar"}}
    }`,
  );
  assert.deepEqual(r.object, {
    unspecified: 'bar',
    alpha: 'abc',
    beta: 42.0,
    unspecifiedObject: { unspecified: 'bar' },
    pruning: { pruning: {}, preserving: { unspecified: 'bar' } },
    preserving: { unspecified: 'bar', unspecifiedObject: { unspecified: 'bar' }, pruning: {}, preserving: { unspecified: 'bar' } },
    preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields: { foo: { specified: {} } },
    preservingAdditionalPropertiesKeyPruneValues: { foo: { specified: {} } },
  });
  assert.deepEqual(r.pruned, [
    'preserving.pruning.unspecified',
    'preservingAdditionalPropertiesKeyPruneValues.foo.specified.unspecified',
    'preservingAdditionalPropertiesKeyPruneValues.foo.unspecified',
    'preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields.foo.specified.unspecified',
    'preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields.foo.unspecified',
    'pruning.apiVersion',
    'pruning.pruning.unspecified',
    'pruning.unspecified',
    'pruning.unspecifiedObject',
  ]);
});

test('upstream: additionalProperties with schema', () => {
  const r = prune({ properties: { a: {}, c: { additionalProperties: { type: 'integer' } } } }, '{"a":1,"b":1,"c":{"a":1,"b":2,"c":{"a":1}}}');
  assert.deepEqual(r.object, { a: 1, c: { a: 1, b: 2, c: {} } });
  assert.deepEqual(r.pruned, ['b', 'c.c.a']);
});

test('upstream: additionalProperties with bool (members stay, their insides are pruned)', () => {
  const r = prune({ properties: { a: {}, c: { additionalProperties: false } } }, '{"a":1,"b":1,"c":{"a":1,"b":2,"c":{"a":1, "apiVersion": "unknown"}}}');
  assert.deepEqual(r.object, { a: 1, c: { a: 1, b: 2, c: {} } });
  assert.deepEqual(r.pruned, ['b', 'c.c.a', 'c.c.apiVersion']);
});

const embeddedSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    pruned: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
    preserving: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
    nested: {
      type: 'object',
      'x-kubernetes-embedded-resource': true,
      properties: {
        spec: {
          type: 'object',
          properties: { embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } } },
        },
      },
    },
  },
};
const embeddedJSON = () => {
  const resource = () => ({ apiVersion: 'foo/v1', kind: 'Foo', unspecified: 'bar', metadata: { name: 'instance', unspecified: 'bar' }, spec: { unspecified: 'bar' } });
  const nested = resource() as Record<string, any>;
  nested.spec.embedded = resource();
  return JSON.stringify({
    apiVersion: 'foo/v1',
    kind: 'Foo',
    metadata: { name: 'instance', unspecified: 'bar' },
    unspecified: 'bar',
    pruned: resource(),
    preserving: resource(),
    nested,
  });
};
const embeddedPruned = [
  'nested.spec.embedded.spec.unspecified',
  'nested.spec.embedded.unspecified',
  'nested.spec.unspecified',
  'nested.unspecified',
  'pruned.spec.unspecified',
  'pruned.unspecified',
  'unspecified',
];
const prunedResource = { apiVersion: 'foo/v1', kind: 'Foo', metadata: { name: 'instance', unspecified: 'bar' }, spec: {} };
const preservedResource = { apiVersion: 'foo/v1', kind: 'Foo', unspecified: 'bar', metadata: { name: 'instance', unspecified: 'bar' }, spec: { unspecified: 'bar' } };

test('upstream: x-kubernetes-embedded-resource keeps apiVersion, kind and metadata (root not a resource)', () => {
  const r = prune(embeddedSchema, embeddedJSON());
  // Not a resource root: the root's apiVersion/kind/metadata are removed, but not reported.
  assert.deepEqual(r.object, {
    pruned: prunedResource,
    preserving: preservedResource,
    nested: { apiVersion: 'foo/v1', kind: 'Foo', metadata: { name: 'instance', unspecified: 'bar' }, spec: { embedded: prunedResource } },
  });
  assert.deepEqual(r.pruned, embeddedPruned);
});

test('upstream: x-kubernetes-embedded-resource, with root=true', () => {
  const r = prune(embeddedSchema, embeddedJSON(), true);
  assert.deepEqual(r.object, {
    apiVersion: 'foo/v1',
    kind: 'Foo',
    metadata: { name: 'instance', unspecified: 'bar' },
    pruned: prunedResource,
    preserving: preservedResource,
    nested: { apiVersion: 'foo/v1', kind: 'Foo', metadata: { name: 'instance', unspecified: 'bar' }, spec: { embedded: prunedResource } },
  });
  assert.deepEqual(r.pruned, embeddedPruned);
});

test('a custom resource: unknown spec fields are reported as the server words them', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: { type: 'object', properties: { size: { type: 'integer' }, items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } } },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  const obj = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', labels: { a: 'b' } },
    spec: { size: 1, foo: true, items: [{ name: 'x', bar: 1 }] },
    status: { anything: { goes: 1 } },
  };
  assert.deepEqual(pruneUnknownFields(schema, obj, { isResourceRoot: true }), ['spec.foo', 'spec.items[0].bar']);
  assert.deepEqual(obj, {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', labels: { a: 'b' } },
    spec: { size: 1, items: [{ name: 'x' }] },
    status: { anything: { goes: 1 } },
  });
});

test('junctors describe nothing for pruning', () => {
  const obj = { a: 1, b: 2 };
  const pruned = pruneUnknownFields({ type: 'object', properties: { a: { type: 'integer' } }, anyOf: [{ properties: { b: {} } }] }, obj);
  assert.deepEqual(pruned, ['b']);
  assert.deepEqual(obj, { a: 1 });
});
