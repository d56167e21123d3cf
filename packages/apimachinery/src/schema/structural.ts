/**
 * Static checks of a CRD's `openAPIV3Schema`, as apiextensions-apiserver runs them when a
 * v1 CustomResourceDefinition is created:
 *
 * 1. the generic OpenAPI checks (supported keywords and types, no `additionalProperties` next
 *    to `properties`, no defaults in top-level metadata, `x-kubernetes-list-type` /
 *    `x-kubernetes-list-map-keys` / `x-kubernetes-map-type` consistency, map keys required or
 *    defaulted, …);
 * 2. the structural-schema rules: every node has a type (unless int-or-string or
 *    preserve-unknown-fields), `additionalProperties` not at the root, logical junctors
 *    (allOf/anyOf/oneOf/not) only restrict values (no type, default, description, nullable,
 *    extensions, and no property or items the structural part does not already have),
 *    root metadata only restricts name and generateName, embedded resources are objects;
 * 3. (validateSchemaDefaults) every default validates against its schema and survives pruning.
 *
 * Errors carry upstream's paths and messages, e.g.
 * `spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields`.
 *
 * Not checked: CEL rules in `x-kubernetes-validations` are not compiled (only their shape is
 * checked), and the cost budget is not estimated.
 *
 * @example
 * const errs = validateOpenAPIV3Schema(crd.spec.versions[0].schema.openAPIV3Schema, 'spec.versions[0].schema.openAPIV3Schema');
 */
import type { FieldError } from '../errors.js';
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, formatFieldError } from '../errors.js';
import { jsonDeepCopy, jsonDeepEqual } from '../patch/json-patch.js';
import { pruneUnknownFields } from './prune.js';
import type { JSONSchemaProps } from './types.js';
import { validateAgainstSchema } from './validate.js';

type Level = 'root' | 'item' | 'field';

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const RESOURCE_META = new Set(['apiVersion', 'kind', 'metadata']);
const RULE_REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isSchema = (v: unknown): v is JSONSchemaProps => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
const key = (path: string, name: string, k: string): string => `${child(path, name)}[${k}]`;
const itemsOf = (s: JSONSchemaProps): JSONSchemaProps | undefined => (isSchema(s.items) ? s.items : undefined);
const props = (s: JSONSchemaProps): [string, JSONSchemaProps][] => Object.entries(s.properties ?? {});
const nonEmpty = (a: unknown[] | undefined): boolean => Array.isArray(a) && a.length > 0;

/**
 * The generic and structural checks of a CRD schema (steps 1 and 2 above). `fieldPath` is the
 * path of the schema itself, e.g. `spec.versions[0].schema.openAPIV3Schema`.
 */
export function validateStructuralSchema(schema: JSONSchemaProps, fieldPath: string): FieldError[] {
  const generic: FieldError[] = [];
  validateOpenAPISchema(schema, fieldPath, { allowDefaults: true, defaultsReason: '', insideResourceMeta: false }, true, generic);

  const structural: FieldError[] = [];
  validateInvariants(schema, 'root', fieldPath, structural);
  validateCompleteness(schema, schema, fieldPath, fieldPath, structural);
  // Upstream sorts these by their text: map iteration would otherwise make the order random.
  structural.sort((a, b) => (formatFieldError(a) < formatFieldError(b) ? -1 : formatFieldError(a) > formatFieldError(b) ? 1 : 0));
  return [...generic, ...structural];
}

/** Steps 1–3 in upstream's order: defaults are only checked once the schema is structural. */
export function validateOpenAPIV3Schema(schema: JSONSchemaProps, fieldPath: string): FieldError[] {
  const errs = validateStructuralSchema(schema, fieldPath);
  return errs.length > 0 ? errs : validateSchemaDefaults(schema, fieldPath);
}

// ---------------------------------------------------------------------------------------------
// 1. Generic checks (apiextensions validation of JSONSchemaProps).

interface DefaultsPolicy {
  allowDefaults: boolean;
  /** Appended to "must not be set" when defaults are forbidden here. */
  defaultsReason: string;
  /** Inside the schema of apiVersion, kind or metadata of the root or of an embedded resource. */
  insideResourceMeta: boolean;
}

const forbidDefaults = (p: DefaultsPolicy, reason: string): DefaultsPolicy => ({ ...p, allowDefaults: false, defaultsReason: reason });

function validateOpenAPISchema(s: JSONSchemaProps, path: string, policy: DefaultsPolicy, isRoot: boolean, errs: FieldError[]): void {
  if (!isSchema(s)) return;

  if (s.type !== undefined && s.type !== '' && s.type !== 'null' && !OPENAPI_TYPES.includes(s.type)) {
    errs.push(fieldNotSupported(child(path, 'type'), s.type, OPENAPI_TYPES));
  }
  if (s.default !== undefined && !policy.allowDefaults) {
    errs.push(fieldForbidden(child(path, 'default'), policy.defaultsReason ? `must not be set ${policy.defaultsReason}` : 'must not be set'));
  }
  if (s.id) errs.push(fieldForbidden(child(path, 'id'), 'id is not supported'));
  if (s.additionalItems !== undefined) errs.push(fieldForbidden(child(path, 'additionalItems'), 'additionalItems is not supported'));
  if (s.patternProperties && Object.keys(s.patternProperties).length > 0) errs.push(fieldForbidden(child(path, 'patternProperties'), 'patternProperties is not supported'));
  if (s.definitions && Object.keys(s.definitions).length > 0) errs.push(fieldForbidden(child(path, 'definitions'), 'definitions is not supported'));
  if (s.dependencies !== undefined) errs.push(fieldForbidden(child(path, 'dependencies'), 'dependencies is not supported'));
  if (s.$ref !== undefined) errs.push(fieldForbidden(child(path, '$ref'), '$ref is not supported'));
  if (s.type === 'null') errs.push(fieldForbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(s.items) && s.items.length > 0) errs.push(fieldForbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (policy.insideResourceMeta && s['x-kubernetes-embedded-resource']) {
    errs.push(fieldForbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'));
  }

  if (s.uniqueItems === true) errs.push(fieldForbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));

  // properties are for structs, additionalProperties for maps: together they would contradict
  // the API convention of ignoring (pruning) unknown fields.
  if (s.additionalProperties !== undefined) {
    if (s.properties && Object.keys(s.properties).length > 0 && (s.additionalProperties === false || isSchema(s.additionalProperties))) {
      errs.push(fieldForbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
    }
    if (isSchema(s.additionalProperties)) {
      // Pruning a default inside a map of metadata would be ambiguous.
      const sub = policy.insideResourceMeta ? forbidDefaults(policy, 'inside additionalProperties applying to object metadata') : policy;
      validateOpenAPISchema(s.additionalProperties, child(path, 'additionalProperties'), sub, false, errs);
    }
  }

  for (const [k, p] of props(s)) {
    let sub = policy;
    if ((isRoot || s['x-kubernetes-embedded-resource']) && RESOURCE_META.has(k)) {
      sub = { ...sub, insideResourceMeta: true };
      if (isRoot) sub = forbidDefaults(sub, `in top-level ${k}`);
    }
    validateOpenAPISchema(p, key(path, 'properties', k), sub, false, errs);
  }

  if (s.not) validateOpenAPISchema(s.not, child(path, 'not'), policy, false, errs);
  for (const junctor of ['allOf', 'oneOf', 'anyOf'] as const) {
    (s[junctor] ?? []).forEach((sub, i) => validateOpenAPISchema(sub, `${child(path, junctor)}[${i}]`, policy, false, errs));
  }
  for (const [k, d] of Object.entries(s.definitions ?? {})) validateOpenAPISchema(d, key(path, 'definitions', k), policy, false, errs);
  if (isSchema(s.items)) validateOpenAPISchema(s.items, child(path, 'items'), policy, false, errs);
  else if (Array.isArray(s.items)) s.items.forEach((sub, i) => validateOpenAPISchema(sub, `${child(path, 'items')}[${i}]`, policy, false, errs));
  for (const [k, d] of Object.entries(s.dependencies ?? {})) if (isSchema(d)) validateOpenAPISchema(d, key(path, 'dependencies', k), policy, false, errs);

  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(fieldInvalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }

  validateMapAndListTypes(s, path, errs);
  validateRuleShapes(s, path, errs);
}

function validateMapAndListTypes(s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const mapType = s['x-kubernetes-map-type'];
  const listType = s['x-kubernetes-list-type'];
  const mapKeys = s['x-kubernetes-list-map-keys'];
  const items = itemsOf(s);

  if (mapType !== undefined && s.type !== 'object') {
    if (!s.type) errs.push(fieldRequired(child(path, 'type'), 'must be object if x-kubernetes-map-type is specified'));
    else errs.push(fieldInvalid(child(path, 'type'), s.type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    errs.push(fieldNotSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  }

  if (listType !== undefined && s.type !== 'array') {
    if (!s.type) errs.push(fieldRequired(child(path, 'type'), 'must be array if x-kubernetes-list-type is specified'));
    else errs.push(fieldInvalid(child(path, 'type'), s.type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (listType === 'set' && items) {
    // A set compares whole items: they must be atomic.
    if (items.type === 'array' && items['x-kubernetes-list-type'] !== undefined && items['x-kubernetes-list-type'] !== 'atomic') {
      errs.push(fieldInvalid(`${child(path, 'items')}.x-kubernetes-list-type`, items['x-kubernetes-list-type'], 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      errs.push(fieldInvalid(`${child(path, 'items')}.x-kubernetes-map-type`, items['x-kubernetes-map-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
  }
  if (listType !== undefined && listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
    errs.push(fieldNotSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  }

  if (nonEmpty(mapKeys)) {
    if (listType === undefined) errs.push(fieldRequired(child(path, 'x-kubernetes-list-type'), 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (listType !== 'map') errs.push(fieldInvalid(child(path, 'x-kubernetes-list-type'), listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }

  if (listType === 'map') {
    if (!nonEmpty(mapKeys)) errs.push(fieldRequired(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (s.items === undefined) errs.push(fieldRequired(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    if (Array.isArray(s.items)) errs.push(fieldInvalid(child(path, 'items'), s.items, 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object') {
      errs.push(fieldInvalid(`${child(path, 'items')}.type`, items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items && items.type === 'object') {
      const seen = new Set<string>();
      for (const k of mapKeys ?? []) {
        const p = items.properties && hasOwn(items.properties, k) ? items.properties[k] : undefined;
        if (!p) errs.push(fieldInvalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'entries must all be names of item properties'));
        else if (p.type === 'array' || p.type === 'object') {
          errs.push(fieldInvalid(`${key(`${child(path, 'items')}`, 'properties', k)}.type`, items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        }
        if (seen.has(k)) errs.push(fieldInvalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }

  // Items of sets and maps, and the keys of maps, must be identifiable: not null, and present.
  if (items && (listType === 'set' || listType === 'map')) {
    if (items.nullable) errs.push(fieldForbidden(`${child(path, 'items')}.nullable`, `cannot be nullable when x-kubernetes-list-type is ${listType}`));
    if (listType === 'map') {
      const required = new Set(items.required ?? []);
      for (const k of mapKeys ?? []) {
        const p = items.properties && hasOwn(items.properties, k) ? items.properties[k] : undefined;
        if (!p) continue;
        const at = key(child(path, 'items'), 'properties', k);
        if (!required.has(k) && p.default === undefined) {
          errs.push(fieldRequired(child(at, 'default'), 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
        }
        if (p.nullable) errs.push(fieldForbidden(child(at, 'nullable'), 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
      }
    }
  }
}

/** The shape of x-kubernetes-validations (the CEL expressions themselves are not compiled here). */
function validateRuleShapes(s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  (s['x-kubernetes-validations'] ?? []).forEach((rule, i) => {
    const at = `${child(path, 'x-kubernetes-validations')}[${i}]`;
    const message = rule.message ?? '';
    if (!rule.rule || rule.rule.trim() === '') errs.push(fieldRequired(child(at, 'rule'), 'rule is not specified'));
    else if (message.length > 0 && message.trim() === '') errs.push(fieldInvalid(child(at, 'message'), message, 'message must be non-empty if specified'));
    else if (/[\r\n]/.test(message.trim())) errs.push(fieldInvalid(child(at, 'message'), message, 'message must not contain line breaks'));
    if (rule.reason !== undefined && !RULE_REASONS.includes(rule.reason)) errs.push(fieldNotSupported(child(at, 'reason'), rule.reason, RULE_REASONS));
  });
}

// ---------------------------------------------------------------------------------------------
// 2. Structural invariants.

/** anyOf: [{type: integer}, {type: string}] exactly: the one junctor allowed to name types. */
function isIntOrStringAnyOf(anyOf: JSONSchemaProps[] | undefined): boolean {
  if (!anyOf || anyOf.length !== 2) return false;
  const only = (s: JSONSchemaProps, type: string): boolean =>
    isSchema(s) && s.type === type && Object.entries(s).every(([k, v]) => k === 'type' || v === undefined);
  return only(anyOf[0], 'integer') && only(anyOf[1], 'string');
}

function validateInvariants(s: JSONSchemaProps, lvl: Level, path: string, errs: FieldError[]): void {
  if (!isSchema(s)) return;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;

  if (s.type === 'array' && s.items === undefined) errs.push(fieldRequired(child(path, 'items'), 'must be specified'));
  const items = itemsOf(s);
  if (items) validateInvariants(items, 'item', child(path, 'items'), errs);
  for (const [k, p] of props(s)) validateInvariants(p, 'field', key(path, 'properties', k), errs);

  if (s.additionalProperties !== undefined) {
    if (lvl === 'root') errs.push(fieldForbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    if (isSchema(s.additionalProperties)) validateInvariants(s.additionalProperties, 'field', child(path, 'additionalProperties'), errs);
  }

  if (intOrString && preserve) errs.push(fieldInvalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded) errs.push(fieldInvalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));

  // The two int-or-string shapes: anyOf [integer, string], or allOf whose first entry is that anyOf.
  const skipAnyOf = isIntOrStringAnyOf(s.anyOf);
  const skipFirstAllOfAnyOf = !!s.allOf?.length && isIntOrStringAnyOf(s.allOf[0]?.anyOf);
  validateJunctors(s, skipAnyOf, skipFirstAllOfAnyOf, lvl, path, errs);

  const checkMetadata = lvl === 'root' || embedded;
  if (embedded && s.type !== 'object') {
    if (!s.type) errs.push(fieldRequired(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(fieldInvalid(child(path, 'type'), s.type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!s.type && !intOrString && !preserve) {
    const detail = { root: 'must not be empty at the root', item: 'must not be empty for specified array items', field: 'must not be empty for specified object fields' }[lvl];
    errs.push(fieldRequired(child(path, 'type'), detail));
  }
  if (embedded && s.additionalProperties !== undefined) {
    errs.push(fieldForbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (lvl === 'root' && s.type && s.type !== 'object') errs.push(fieldInvalid(child(path, 'type'), s.type, 'must be object at the root'));

  const properties = s.properties ?? {};
  for (const name of ['kind', 'apiVersion']) {
    if (checkMetadata && hasOwn(properties, name) && properties[name].type !== 'string') {
      errs.push(fieldInvalid(child(key(path, 'properties', name), 'type'), properties[name].type ?? '', 'must be string'));
    }
  }
  if (hasOwn(properties, 'metadata')) validateMetadataInvariants(properties.metadata, checkMetadata, lvl, key(path, 'properties', 'metadata'), errs);

  if (embedded && !preserve && Object.keys(properties).length === 0) {
    errs.push(fieldRequired(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
}

/** Keywords that a structural schema keeps (the rest, like example and externalDocs, it drops). */
const STRUCTURAL_KEYWORDS = [
  'description', 'type', 'title', 'default', 'nullable', 'items', 'properties', 'additionalProperties',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
  'format', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum', 'maxProperties', 'minProperties', 'required',
  'allOf', 'oneOf', 'anyOf', 'not',
] as const;

/** A keyword's value that Go's zero value would equal (absent, false, empty). */
function isZero(v: unknown): boolean {
  return v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0);
}

function validateMetadataInvariants(m: JSONSchemaProps, checkMetadata: boolean, lvl: Level, path: string, errs: FieldError[]): void {
  if (!isSchema(m)) return;
  if (checkMetadata && m.type !== 'object') errs.push(fieldInvalid(child(path, 'type'), m.type ?? '', 'must be object'));
  if (lvl !== 'root') return;

  // At the root, metadata may only restrict name and generateName (ObjectMeta is the server's).
  const names = Object.keys(m.properties ?? {});
  const onlyNames = names.length > 0 && names.length <= 2 && names.every((n) => n === 'name' || n === 'generateName');
  const rest = STRUCTURAL_KEYWORDS.filter((k) => {
    if (k === 'type' || k === 'default') return false; // type is checked above, default by the generic checks
    if (k === 'properties') return !onlyNames && !isZero(names);
    return !isZero(m[k]);
  });
  if (rest.length > 0) {
    errs.push(fieldForbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
}

/** Value validations (junctors and pattern) of a structural node. */
function validateJunctors(v: JSONSchemaProps, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, lvl: Level, path: string, errs: FieldError[]): void {
  if (!skipAnyOf) (v.anyOf ?? []).forEach((n, i) => validateNested(n, false, lvl, `${child(path, 'anyOf')}[${i}]`, errs));
  (v.allOf ?? []).forEach((n, i) => validateNested(n, skipFirstAllOfAnyOf && i === 0, lvl, `${child(path, 'allOf')}[${i}]`, errs));
  (v.oneOf ?? []).forEach((n, i) => validateNested(n, false, lvl, `${child(path, 'oneOf')}[${i}]`, errs));
  if (v.not) validateNested(v.not, false, lvl, child(path, 'not'), errs);

  if (typeof v.pattern === 'string' && v.pattern.length > 0) {
    try {
      new RegExp(v.pattern, 'u');
    } catch {
      try {
        new RegExp(v.pattern);
      } catch (err) {
        errs.push(fieldInvalid(child(path, 'pattern'), v.pattern, `must be a valid regular expression, but isn't: ${(err as Error).message}`));
      }
    }
  }
}

/** A schema under a junctor: it may only restrict values, never describe new structure. */
function validateNested(v: JSONSchemaProps, skipAnyOf: boolean, lvl: Level, path: string, errs: FieldError[]): void {
  if (!isSchema(v)) return;
  validateJunctors(v, skipAnyOf, false, lvl, path, errs);
  const items = itemsOf(v);
  if (items) validateNested(items, false, lvl, child(path, 'items'), errs);
  for (const [k, p] of props(v)) validateNested(p, false, 'field', key(path, 'properties', k), errs);

  const forbid = (kw: string, detail: string): number => errs.push(fieldForbidden(child(path, kw), detail));
  if (v.type) forbid('type', 'must be empty to be structural');
  if (v.additionalProperties !== undefined) forbid('additionalProperties', 'must be undefined to be structural');
  if (v.default !== undefined) forbid('default', 'must be undefined to be structural');
  if (v.title) forbid('title', 'must be empty to be structural');
  if (v.description) forbid('description', 'must be empty to be structural');
  if (v.nullable) forbid('nullable', 'must be false to be structural');
  if (v.externalDocs !== undefined) forbid('externalDocs', 'must be undefined to be structural');
  if (v['x-kubernetes-preserve-unknown-fields']) forbid('x-kubernetes-preserve-unknown-fields', 'must be false to be structural');
  if (v['x-kubernetes-embedded-resource']) forbid('x-kubernetes-embedded-resource', 'must be false to be structural');
  if (v['x-kubernetes-int-or-string']) forbid('x-kubernetes-int-or-string', 'must be false to be structural');
  if (nonEmpty(v['x-kubernetes-list-map-keys'])) forbid('x-kubernetes-list-map-keys', 'must be empty to be structural');
  if (v['x-kubernetes-list-type'] !== undefined) forbid('x-kubernetes-list-type', 'must be undefined to be structural');
  if (v['x-kubernetes-map-type'] !== undefined) forbid('x-kubernetes-map-type', 'must be undefined to be structural');
  if (nonEmpty(v['x-kubernetes-validations'])) forbid('x-kubernetes-validations', 'must be empty to be structural');
  // Reasoning about metadata in a junctor could restrict it in ways the server does not check.
  if (v.properties && hasOwn(v.properties, 'metadata')) {
    errs.push(fieldForbidden(key(path, 'properties', 'metadata'), 'must not be specified in a nested context'));
  }
}

/**
 * Every property or items a junctor mentions must exist in the structural part too. As
 * upstream, this looks at the junctors of the root schema (and what they nest), not at
 * junctors deeper in the tree.
 */
function validateCompleteness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string, errs: FieldError[]): void {
  if (!isSchema(v)) return;
  const nested = (n: JSONSchemaProps, at: string): void => validateNestedCompleteness(n, s, sPath, at, errs);
  if (v.not) nested(v.not, child(vPath, 'not'));
  (v.allOf ?? []).forEach((n, i) => nested(n, `${child(vPath, 'allOf')}[${i}]`));
  (v.anyOf ?? []).forEach((n, i) => nested(n, `${child(vPath, 'anyOf')}[${i}]`));
  (v.oneOf ?? []).forEach((n, i) => nested(n, `${child(vPath, 'oneOf')}[${i}]`));
}

function validateNestedCompleteness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string, errs: FieldError[]): void {
  if (!isSchema(v)) return;
  if (!s) {
    errs.push(fieldRequired(sPath, `because it is defined in ${vPath}`));
    return;
  }
  validateCompleteness(v, s, sPath, vPath, errs);
  const vItems = itemsOf(v);
  if (vItems) validateNestedCompleteness(vItems, itemsOf(s), child(sPath, 'items'), child(vPath, 'items'), errs);
  for (const [k, p] of props(v)) {
    const sp = s.properties && hasOwn(s.properties, k) ? s.properties[k] : undefined;
    if (!sp) errs.push(fieldRequired(key(sPath, 'properties', k), `because it is defined in ${key(vPath, 'properties', k)}`));
    else validateNestedCompleteness(p, sp, key(sPath, 'properties', k), key(vPath, 'properties', k), errs);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Defaults.

/**
 * Every `default` in the structural part must validate against the schema it sits in and must
 * not carry fields pruning would remove (`must not have unknown fields`). Defaults under
 * additionalProperties and junctors are not visited (they are forbidden or ignored there).
 * Run it on a schema validateStructuralSchema accepted.
 */
export function validateSchemaDefaults(schema: JSONSchemaProps, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  // The root is an embedded resource for defaulting purposes, as upstream treats it.
  const root = schema['x-kubernetes-embedded-resource'] ? schema : { ...schema, 'x-kubernetes-embedded-resource': true };
  validateDefaultsAt(root, fieldPath, false, errs);
  return errs;
}

function validateDefaultsAt(s: JSONSchemaProps, path: string, insideMeta: boolean, errs: FieldError[]): void {
  if (!isSchema(s)) return;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (embedded) insideMeta = false;

  if (s.default !== undefined) {
    const at = child(path, 'default');
    // ObjectMeta defaults are the server's to validate (metadata coercion); the rest validates here.
    if (!insideMeta) errs.push(...validateAgainstSchema(s, s.default, { path: at }));
    const pruned = jsonDeepCopy(s.default);
    pruneUnknownFields(s, pruned, { isResourceRoot: embedded });
    if (!jsonDeepEqual(pruned, s.default)) errs.push(fieldInvalid(at, s.default, 'must not have unknown fields'));
  }

  const items = itemsOf(s);
  if (items) validateDefaultsAt(items, child(path, 'items'), insideMeta, errs);
  for (const [k, p] of props(s)) {
    validateDefaultsAt(p, key(path, 'properties', k), insideMeta || (embedded && RESOURCE_META.has(k)), errs);
  }
}
