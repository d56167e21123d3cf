/**
 * Pruning of custom resources, as apiextensions-apiserver's structural pruning: members a
 * structural schema does not describe are removed, unless a node says
 * `x-kubernetes-preserve-unknown-fields: true` (then unknown members stay, and the ones it
 * does describe are still pruned inside). Embedded resources
 * (`x-kubernetes-embedded-resource`) keep apiVersion, kind and metadata, and so does the
 * resource root; metadata is pruned to ObjectMeta by the server separately. Junctors
 * (allOf/anyOf/oneOf/not) describe nothing for pruning.
 *
 * The returned paths (`spec.foo`, `spec.items[0].bar`, sorted) are what kube-apiserver reports
 * as `unknown field "spec.foo"` under fieldValidation=Strict (an error) or Warn (a warning).
 *
 * @example
 * const obj = { apiVersion: 'x.io/v1', kind: 'X', spec: { size: 1, colour: 'red' } };
 * pruneUnknownFields(schema, obj, { isResourceRoot: true }); // → ['spec.colour']
 */
import type { JSONSchemaProps } from './types.js';

export interface PruneOptions {
  /** The value is a whole object: apiVersion, kind and metadata are kept. */
  isResourceRoot?: boolean;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const RESOURCE_META = new Set(['apiVersion', 'kind', 'metadata']);

const child = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const itemsOf = (s: JSONSchemaProps): JSONSchemaProps | undefined => (s.items && !Array.isArray(s.items) ? s.items : undefined);

/**
 * The schema for members not named in `properties`: a schema for `additionalProperties: {…}`;
 * null for `additionalProperties: true` or `false` (the member itself stays, as upstream keeps
 * it, but nothing inside it is described; `false` is then rejected by validation); undefined
 * when there is no additionalProperties.
 */
function additionalOf(s: JSONSchemaProps): JSONSchemaProps | null | undefined {
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) return s.additionalProperties;
  return typeof s.additionalProperties === 'boolean' ? null : undefined;
}

/** Removes the members `schema` does not describe from `value`, in place; returns their paths, sorted. */
export function pruneUnknownFields(schema: JSONSchemaProps, value: unknown, opts: PruneOptions = {}): string[] {
  const pruned: string[] = [];
  // The root of a resource is treated as an embedded resource: its type meta and metadata stay.
  const root = opts.isResourceRoot && !schema['x-kubernetes-embedded-resource'] ? { ...schema, 'x-kubernetes-embedded-resource': true } : schema;
  prune(value, root, '', pruned);
  return pruned.sort();
}

/** `s` null: nothing is described here (under `additionalProperties: true`), so every member is unknown. */
function prune(x: unknown, s: JSONSchemaProps | null, path: string, pruned: string[]): void {
  if (s && s['x-kubernetes-preserve-unknown-fields']) {
    pruneDescribed(x, s, path, pruned);
    return;
  }
  if (isObject(x)) {
    if (!s) {
      for (const k of Object.keys(x)) {
        pruned.push(child(path, k));
        delete x[k];
      }
      return;
    }
    const additional = additionalOf(s);
    for (const k of Object.keys(x)) {
      if (s['x-kubernetes-embedded-resource'] && RESOURCE_META.has(k)) continue;
      const prop = s.properties && hasOwn(s.properties, k) ? s.properties[k] : undefined;
      if (prop) prune(x[k], prop, child(path, k), pruned);
      else if (additional !== undefined) prune(x[k], additional, child(path, k), pruned);
      else {
        // At the root, apiVersion/kind/metadata are not reported even when not embedded.
        if (!RESOURCE_META.has(k) || path !== '') pruned.push(child(path, k));
        delete x[k];
      }
    }
  } else if (Array.isArray(x)) {
    const items = s ? itemsOf(s) ?? null : null;
    x.forEach((v, i) => prune(v, items, `${path}[${i}]`, pruned));
  }
}

/** Under x-kubernetes-preserve-unknown-fields: unknown members stay, described ones are pruned inside. */
function pruneDescribed(x: unknown, s: JSONSchemaProps, path: string, pruned: string[]): void {
  if (isObject(x)) {
    const additional = additionalOf(s);
    for (const k of Object.keys(x)) {
      if (s['x-kubernetes-embedded-resource'] && RESOURCE_META.has(k)) continue;
      const prop = s.properties && hasOwn(s.properties, k) ? s.properties[k] : undefined;
      if (prop) prune(x[k], prop, child(path, k), pruned);
      else if (additional !== undefined) prune(x[k], additional, child(path, k), pruned);
    }
  } else if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (items) x.forEach((v, i) => pruneDescribed(v, items, `${path}[${i}]`, pruned));
  }
}
