import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySchemaDefaults, pruneNonNullableNullsWithoutDefaults } from '../src/schema/defaults.js';
import type { JSONSchemaProps } from '../src/schema/types.js';

// The cases of apiextensions-apiserver's pkg/apiserver/schema/defaulting/algorithm_test.go
// (TestDefault), with their schemas written as JSONSchemaProps.
const upstream: [name: string, json: string, schema: JSONSchemaProps, expected: string][] = [
  ['scalar', '4', { default: 'foo' }, '4'],
  ['scalar array', '[1,2]', { items: { default: 'foo' } }, '[1,2]'],
  [
    'object array',
    '[{"a":1},{"b":1},{"c":1}]',
    { items: { properties: { a: { default: 'A' }, b: { default: 'B' }, c: { default: 'C' } } } },
    '[{"a":1,"b":"B","c":"C"},{"a":"A","b":1,"c":"C"},{"a":"A","b":"B","c":1}]',
  ],
  [
    'object array object',
    '{"array":[{"a":1},{"b":2}],"object":{"a":1},"additionalProperties":{"x":{"a":1},"y":{"b":2}}}',
    {
      properties: {
        array: { items: { properties: { a: { default: 'A' }, b: { default: 'B' } } } },
        object: { properties: { a: { default: 'N' }, b: { default: 'O' } } },
        additionalProperties: { additionalProperties: { properties: { a: { default: 'alpha' }, b: { default: 'beta' } } } },
        foo: { default: 'bar' },
      },
    },
    '{"array":[{"a":1,"b":"B"},{"a":"A","b":2}],"object":{"a":1,"b":"O"},"additionalProperties":{"x":{"a":1,"b":"beta"},"y":{"a":"alpha","b":2}},"foo":"bar"}',
  ],
  [
    'empty and null',
    '[{},{"a":1},{"a":0},{"a":0.0},{"a":""},{"a":null},{"a":[]},{"a":{}}]',
    { items: { properties: { a: { default: 'A' } } } },
    '[{"a":"A"},{"a":1},{"a":0},{"a":0.0},{"a":""},{"a":"A"},{"a":[]},{"a":{}}]',
  ],
  ['null in nullable list', '[null]', { nullable: true, items: { properties: { a: { default: 'A' } } } }, '[null]'],
  ['null in non-nullable list', '[null]', { nullable: false, items: { default: 'A' } }, '["A"]'],
  ['null in nullable object', '{"a": null}', { properties: { a: { nullable: true, default: 'A' } } }, '{"a": null}'],
  ['null in non-nullable object', '{"a": null}', { properties: { a: { nullable: false, default: 'A' } } }, '{"a": "A"}'],
  ['null in nullable object with additionalProperties', '{"a": null}', { additionalProperties: { nullable: true, default: 'A' } }, '{"a": null}'],
  ['null in non-nullable object with additionalProperties', '{"a": null}', { additionalProperties: { nullable: false, default: 'A' } }, '{"a": "A"}'],
  ['null unknown field', '{"a": null}', { additionalProperties: true }, '{"a": null}'],
];

for (const [name, json, schema, expected] of upstream) {
  test(`upstream: ${name}`, () => {
    const value = JSON.parse(json);
    applySchemaDefaults(schema, value);
    assert.deepEqual(value, JSON.parse(expected));
  });
}

test('defaults are applied top-down: a defaulted object is defaulted inside', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: { replicas: { type: 'integer', default: 1 }, strategy: { type: 'object', default: { type: 'Rolling' }, properties: { type: { type: 'string' }, maxSurge: { type: 'integer', default: 25 } } } },
      },
    },
  };
  const value: Record<string, unknown> = {};
  applySchemaDefaults(schema, value);
  assert.deepEqual(value, { spec: { replicas: 1, strategy: { type: 'Rolling', maxSurge: 25 } } });
});

test('defaults are deep copies: changing the result never changes the schema', () => {
  const schema: JSONSchemaProps = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, default: ['a'] } } };
  const one: { tags?: string[] } = {};
  const two: { tags?: string[] } = {};
  applySchemaDefaults(schema, one);
  one.tags!.push('b');
  applySchemaDefaults(schema, two);
  assert.deepEqual(two.tags, ['a']);
  assert.deepEqual(schema.properties!.tags.default, ['a']);
});

test('defaults under junctors are not structural and are ignored', () => {
  const value: Record<string, unknown> = {};
  applySchemaDefaults({ type: 'object', properties: { a: { type: 'string' } }, allOf: [{ properties: { a: { default: 'x' } as JSONSchemaProps } }] }, value);
  assert.deepEqual(value, {});
});

test('scalars and mismatched shapes are left alone', () => {
  const value = { a: 'not-an-object', b: [1] };
  applySchemaDefaults({ properties: { a: { properties: { x: { default: 1 } } }, b: { properties: { y: { default: 2 } } } } }, value);
  assert.deepEqual(value, { a: 'not-an-object', b: [1] });
});

test('pruneNonNullableNullsWithoutDefaults: drops nulls the schema forbids and cannot default', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      a: { type: 'string' },
      b: { type: 'string', nullable: true },
      c: { type: 'string', default: 'C' },
      nested: { type: 'object', properties: { x: { type: 'integer' } } },
      list: { type: 'array', items: { type: 'object', properties: { y: { type: 'string' } } } },
      map: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  const value = { a: null, b: null, c: null, unknown: null, nested: { x: null }, list: [null, { y: null }], map: { k: null } };
  pruneNonNullableNullsWithoutDefaults(schema, value);
  assert.deepEqual(value, { b: null, c: null, unknown: null, nested: {}, list: [null, {}], map: {} });
  // Then defaulting fills c in, as the server runs them in this order.
  applySchemaDefaults(schema, value);
  assert.deepEqual(value, { b: null, c: 'C', unknown: null, nested: {}, list: [null, {}], map: {} });
});
