/**
 * Schema defaulting of custom resources, as apiextensions-apiserver's structural defaulting:
 * a member that the schema describes with a `default` gets a deep copy of it when it is
 * missing, or when it is `null` and the schema does not allow null. Defaults are applied
 * top-down, so a defaulted object is then defaulted inside. Only the structural schema
 * counts: defaults under allOf/anyOf/oneOf/not are not structural and are ignored.
 *
 * On read, write and in request bodies kube-apiserver runs, in this order: pruning,
 * pruneNonNullableNullsWithoutDefaults, applySchemaDefaults.
 *
 * @example
 * const obj = { spec: {} };
 * applySchemaDefaults({ type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', default: 1 } } } } }, obj);
 * // obj is now { spec: { replicas: 1 } }
 */
import { jsonDeepCopy } from '../patch/json-patch.js';
import type { JSONSchemaProps } from './types.js';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function setOwn(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

const isNonNullableNull = (v: unknown, s: JSONSchemaProps | undefined): boolean => v === null && s !== undefined && !s.nullable;

const itemsOf = (s: JSONSchemaProps): JSONSchemaProps | undefined => (s.items && !Array.isArray(s.items) ? s.items : undefined);
const additionalOf = (s: JSONSchemaProps): JSONSchemaProps | undefined => (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);

/** Applies the schema's defaults to `value` in place. */
export function applySchemaDefaults(schema: JSONSchemaProps, value: unknown): void {
  if (isObject(value)) {
    for (const [k, prop] of Object.entries(schema.properties ?? {})) {
      if (prop.default === undefined) continue;
      if (!hasOwn(value, k) || isNonNullableNull(value[k], prop)) setOwn(value, k, jsonDeepCopy(prop.default));
    }
    const additional = additionalOf(schema);
    for (const k of Object.keys(value)) {
      const prop = schema.properties && hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
      if (prop) {
        applySchemaDefaults(prop, value[k]);
      } else if (additional) {
        if (isNonNullableNull(value[k], additional) && additional.default !== undefined) setOwn(value, k, jsonDeepCopy(additional.default));
        applySchemaDefaults(additional, value[k]);
      }
    }
  } else if (Array.isArray(value)) {
    const items = itemsOf(schema);
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (isNonNullableNull(value[i], items) && items.default !== undefined) value[i] = jsonDeepCopy(items.default);
      applySchemaDefaults(items, value[i]);
    }
  }
}

/**
 * Removes `null` members and items the schema does not allow to be null and that have no
 * default to take their place, as upstream's PruneNonNullableNullsWithoutDefaults does before
 * defaulting (a client's explicit null then means "unset", not an invalid value). Members the
 * schema does not describe are left alone (pruning is for them). Mutates `value` in place.
 */
export function pruneNonNullableNullsWithoutDefaults(schema: JSONSchemaProps, value: unknown): void {
  if (isObject(value)) {
    const additional = additionalOf(schema);
    for (const k of Object.keys(value)) {
      const prop = schema.properties && hasOwn(schema.properties, k) ? schema.properties[k] : additional;
      if (!prop) continue;
      if (isNonNullableNull(value[k], prop) && prop.default === undefined) delete value[k];
      else pruneNonNullableNullsWithoutDefaults(prop, value[k]);
    }
  } else if (Array.isArray(value)) {
    const items = itemsOf(schema);
    if (!items) return;
    // List items are not removed (that would shift the indices); only their insides are cleaned.
    for (const x of value) pruneNonNullableNullsWithoutDefaults(items, x);
  }
}
