import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateOpenAPIV3Schema, validateSchemaDefaults, validateStructuralSchema } from '../src/schema/structural.js';
import type { JSONSchemaProps } from '../src/schema/types.js';
import { formatFieldError } from '../src/errors.js';

// Paths and messages are those of apiextensions-apiserver: pkg/apiserver/schema/validation.go
// (structural invariants), complete.go, and pkg/apis/apiextensions/validation (generic checks).

const P = 'spec.versions[0].schema.openAPIV3Schema';
const errors = (schema: JSONSchemaProps): string[] => validateStructuralSchema(schema, P).map(formatFieldError).sort();
const root = (properties: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps => ({ type: 'object', properties, ...extra });

test('a typical CRD schema is structural', () => {
  const schema = root({
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, default: 1 },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
        mode: { type: 'string', enum: ['a', 'b'], allOf: [{ pattern: '^[a-z]$' }], 'x-kubernetes-validations': [{ rule: 'self != "c"' }] },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  });
  assert.deepEqual(validateOpenAPIV3Schema(schema, P), []);
});

test('every node needs a type, unless int-or-string or preserve-unknown-fields', () => {
  assert.deepEqual(errors({ properties: { a: {}, b: { type: 'array', items: {} }, c: { 'x-kubernetes-preserve-unknown-fields': true }, d: { 'x-kubernetes-int-or-string': true } } }), [
    `${P}.properties[a].type: Required value: must not be empty for specified object fields`,
    `${P}.properties[b].items.type: Required value: must not be empty for specified array items`,
    `${P}.type: Required value: must not be empty at the root`,
  ]);
  assert.deepEqual(errors(root({ list: { type: 'array' } })), [`${P}.properties[list].items: Required value: must be specified`]);
  assert.deepEqual(errors({ type: 'string' }), [`${P}.type: Invalid value: "string": must be object at the root`]);
});

test('types must be OpenAPI types; null is spelled nullable', () => {
  assert.deepEqual(errors(root({ a: { type: 'float' } })), [
    `${P}.properties[a].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"`,
  ]);
  assert.deepEqual(errors(root({ a: { type: 'null' } })), [`${P}.properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative`]);
});

test('additionalProperties: not with properties, not at the root, not on embedded resources', () => {
  assert.deepEqual(errors(root({ a: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: { type: 'string' } } })), [
    `${P}.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
  ]);
  assert.deepEqual(errors(root({ a: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: false } })), [
    `${P}.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
  ]);
  // `true` next to properties is tolerated (it changes nothing).
  assert.deepEqual(errors(root({ a: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: true } })), []);
  assert.deepEqual(errors({ type: 'object', additionalProperties: { type: 'string' } }), [`${P}.additionalProperties: Forbidden: must not be used at the root`]);
  assert.deepEqual(errors(root({ e: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true, additionalProperties: { type: 'string' } } })), [
    `${P}.properties[e].additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set`,
  ]);
});

test('logical junctors may not introduce types, descriptions, defaults, extensions', () => {
  const errs = errors(
    root({
      a: {
        type: 'string',
        allOf: [{ type: 'string', description: 'd', title: 't', default: 'x', nullable: true, externalDocs: { url: 'u' } }],
        anyOf: [{ 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-int-or-string': true, 'x-kubernetes-embedded-resource': true }],
        oneOf: [{ 'x-kubernetes-list-type': 'set', 'x-kubernetes-map-type': 'atomic', 'x-kubernetes-list-map-keys': ['k'], 'x-kubernetes-validations': [{ rule: 'true' }] }],
        not: { additionalProperties: { type: 'string' } as JSONSchemaProps },
      },
    }),
  );
  const at = `${P}.properties[a]`;
  for (const expected of [
    `${at}.allOf[0].type: Forbidden: must be empty to be structural`,
    `${at}.allOf[0].description: Forbidden: must be empty to be structural`,
    `${at}.allOf[0].title: Forbidden: must be empty to be structural`,
    `${at}.allOf[0].default: Forbidden: must be undefined to be structural`,
    `${at}.allOf[0].nullable: Forbidden: must be false to be structural`,
    `${at}.allOf[0].externalDocs: Forbidden: must be undefined to be structural`,
    `${at}.anyOf[0].x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural`,
    `${at}.anyOf[0].x-kubernetes-int-or-string: Forbidden: must be false to be structural`,
    `${at}.anyOf[0].x-kubernetes-embedded-resource: Forbidden: must be false to be structural`,
    `${at}.oneOf[0].x-kubernetes-list-type: Forbidden: must be undefined to be structural`,
    `${at}.oneOf[0].x-kubernetes-map-type: Forbidden: must be undefined to be structural`,
    `${at}.oneOf[0].x-kubernetes-list-map-keys: Forbidden: must be empty to be structural`,
    `${at}.oneOf[0].x-kubernetes-validations: Forbidden: must be empty to be structural`,
    `${at}.not.additionalProperties: Forbidden: must be undefined to be structural`,
  ]) {
    assert.ok(errs.includes(expected), `missing: ${expected}\n got: ${errs.join('\n')}`);
  }
});

test('int-or-string: anyOf [integer, string] (or allOf[0].anyOf) is the one allowed use of types in junctors', () => {
  assert.deepEqual(errors(root({ p: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } })), []);
  assert.deepEqual(errors(root({ p: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { pattern: '^\\d+$' }] } })), []);
  assert.deepEqual(errors(root({ p: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'string' }, { type: 'integer' }] } })), [
    `${P}.properties[p].anyOf[0].type: Forbidden: must be empty to be structural`,
    `${P}.properties[p].anyOf[1].type: Forbidden: must be empty to be structural`,
  ]);
  assert.deepEqual(errors(root({ p: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true } })), [
    `${P}.properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
  ]);
});

test('junctors at the root may only mention properties the structural part has', () => {
  const schema = root({ a: { type: 'object', properties: { x: { type: 'string' } } } }, {
    anyOf: [{ properties: { a: { properties: { y: { minLength: 1 } } } } }, { properties: { b: {} } }],
    not: { items: {} },
  });
  assert.deepEqual(errors(schema), [
    `${P}.items: Required value: because it is defined in ${P}.not.items`,
    `${P}.properties[a].properties[y]: Required value: because it is defined in ${P}.anyOf[0].properties[a].properties[y]`,
    `${P}.properties[b]: Required value: because it is defined in ${P}.anyOf[1].properties[b]`,
  ]);
});

test('root metadata may only restrict name and generateName', () => {
  assert.deepEqual(errors(root({ metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } } })), []);
  assert.deepEqual(errors(root({ metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } } })), []);
  const forbidden = `${P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`;
  assert.deepEqual(errors(root({ metadata: { type: 'object', properties: { labels: { type: 'object' } } } })), [forbidden]);
  assert.deepEqual(errors(root({ metadata: { type: 'object', maxProperties: 3 } })), [forbidden]);
  assert.deepEqual(errors(root({ metadata: { type: 'string' } })), [`${P}.properties[metadata].type: Invalid value: "string": must be object`]);
  assert.deepEqual(errors(root({ kind: { type: 'integer' } })), [`${P}.properties[kind].type: Invalid value: "integer": must be string`]);
  // Nested (not embedded) objects may have a field called metadata with anything in it.
  assert.deepEqual(errors(root({ spec: { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } } })), []);
});

test('metadata is not to be reasoned about in junctors; no defaults in top-level metadata', () => {
  assert.deepEqual(errors(root({ spec: { type: 'object', properties: { metadata: { type: 'object' } }, allOf: [{ properties: { metadata: {} } }] } })), [
    `${P}.properties[spec].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
  ]);
  assert.deepEqual(errors(root({ metadata: { type: 'object', default: {}, properties: { name: { type: 'string', default: 'x' } } } })), [
    `${P}.properties[metadata].default: Forbidden: must not be set in top-level metadata`,
    `${P}.properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata`,
  ]);
});

test('embedded resources: type object, with properties or preserve-unknown-fields', () => {
  assert.deepEqual(errors(root({ e: { 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } })), [
    `${P}.properties[e].type: Required value: must be object if x-kubernetes-embedded-resource is true`,
  ]);
  assert.deepEqual(errors(root({ e: { type: 'object', 'x-kubernetes-embedded-resource': true } })), [
    `${P}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
  ]);
  assert.deepEqual(errors(root({ e: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } } })), []);
});

test('x-kubernetes-list-type and x-kubernetes-list-map-keys', () => {
  const item = (extra: JSONSchemaProps = {}): JSONSchemaProps => ({ type: 'object', properties: { name: { type: 'string' }, obj: { type: 'object' } }, ...extra });
  assert.deepEqual(errors(root({ l: { type: 'array', items: item({ required: ['name'] }), 'x-kubernetes-list-map-keys': ['name'] } })), [
    `${P}.properties[l].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`,
  ]);
  assert.deepEqual(errors(root({ l: { type: 'array', items: item(), 'x-kubernetes-list-type': 'map' } })), [
    `${P}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
  ]);
  assert.deepEqual(errors(root({ l: { type: 'array', items: item(), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } })), [
    `${P}.properties[l].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
  ]);
  assert.deepEqual(errors(root({ l: { type: 'array', items: item({ required: ['name', 'obj'] }), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'obj', 'nope', 'name'] } })), [
    `${P}.properties[l].items.properties[obj].type: Invalid value: "object": must be a scalar type if parent array's x-kubernetes-list-type is map`,
    `${P}.properties[l].x-kubernetes-list-map-keys: Invalid value: ["name","obj","nope","name"]: entries must all be names of item properties`,
    `${P}.properties[l].x-kubernetes-list-map-keys: Invalid value: ["name","obj","nope","name"]: must not contain duplicate entries`,
  ]);
  assert.deepEqual(errors(root({ l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } })), [
    `${P}.properties[l].items.type: Invalid value: "string": must be object if parent array's x-kubernetes-list-type is map`,
  ]);
  assert.deepEqual(errors(root({ l: { type: 'object', 'x-kubernetes-list-type': 'set' } })), [`${P}.properties[l].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified`]);
  assert.deepEqual(errors(root({ l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' } })), [
    `${P}.properties[l].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
  ]);
  assert.deepEqual(errors(root({ l: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'set' } })), [
    `${P}.properties[l].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set`,
  ]);
  assert.deepEqual(errors(root({ m: { type: 'string', 'x-kubernetes-map-type': 'atomic' } })), [`${P}.properties[m].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified`]);
  assert.deepEqual(errors(root({ m: { type: 'object', 'x-kubernetes-map-type': 'loose' } })), [
    `${P}.properties[m].x-kubernetes-map-type: Unsupported value: "loose": supported values: "atomic", "granular"`,
  ]);
});

test('unsupported OpenAPI keywords', () => {
  assert.deepEqual(
    errors(root({ a: { type: 'string', $ref: '#/x', id: 'i', uniqueItems: true }, b: { type: 'array', items: [{ type: 'string' }] }, c: { type: 'string', 'x-kubernetes-preserve-unknown-fields': false } })),
    [
      `${P}.properties[a].$ref: Forbidden: $ref is not supported`,
      `${P}.properties[a].id: Forbidden: id is not supported`,
      `${P}.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
      `${P}.properties[b].items: Forbidden: items must be a schema object and not an array`,
      `${P}.properties[c].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    ],
  );
  assert.deepEqual(errors(root({ a: { type: 'string', pattern: '(' } })).length, 1);
  assert.match(errors(root({ a: { type: 'string', pattern: '(' } }))[0], /properties\[a\]\.pattern: Invalid value: "\(": must be a valid regular expression, but isn't: /);
});

test('x-kubernetes-validations: shape of the rules', () => {
  assert.deepEqual(errors(root({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: ' ' }, { rule: 'self.size() > 1', message: ' ' }, { rule: 'true', reason: 'Nope' }] } })), [
    `${P}.properties[a].x-kubernetes-validations[0].rule: Required value: rule is not specified`,
    `${P}.properties[a].x-kubernetes-validations[1].message: Invalid value: " ": message must be non-empty if specified`,
    `${P}.properties[a].x-kubernetes-validations[2].reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
  ]);
});

test('defaults must validate against their schema and must not carry unknown fields', () => {
  const schema = root({
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer', minimum: 1, default: 0 },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        config: { type: 'object', properties: { x: { type: 'string' } }, default: { x: 'ok', y: 'unknown' } },
        list: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', default: 'one' } } } },
      },
    },
  });
  assert.deepEqual(validateStructuralSchema(schema, P), []);
  assert.deepEqual(validateSchemaDefaults(schema, P).map(formatFieldError).sort(), [
    `${P}.properties[spec].properties[config].default: Invalid value: {"x":"ok","y":"unknown"}: must not have unknown fields`,
    `${P}.properties[spec].properties[list].items.properties[n].default: Invalid value: "string": in body must be of type integer: "string"`,
    `${P}.properties[spec].properties[replicas].default: Invalid value: 0: in body should be greater than or equal to 1`,
  ]);
  // validateOpenAPIV3Schema runs the default checks only once the schema is structural.
  assert.equal(validateOpenAPIV3Schema(schema, P).length, 3);
  assert.deepEqual(
    validateOpenAPIV3Schema({ ...schema, properties: { ...schema.properties, x: {} } }, P).map(formatFieldError),
    [`${P}.properties[x].type: Required value: must not be empty for specified object fields`],
  );
});
