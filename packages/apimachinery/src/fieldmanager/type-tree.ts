/**
 * The "schema" server-side apply merges with: for every node of an object, whether it is a
 * scalar, a list (atomic, a set of scalars, or a map keyed by some item fields) or a map
 * (granular or atomic; a struct when its keys are declared fields). This is the part of
 * structured-merge-diff's schema that changes merge results and ownership; everything else
 * (scalar types, required fields) is validation and stays with the API server.
 *
 * Nodes without a schema are "deduced" from the value as structured-merge-diff does: objects
 * are granular maps, arrays are atomic, everything else is a scalar. A deduced node with
 * `structs: true` treats every key of an object as a declared field, which is how the built-in
 * kinds behave when Keelson has no full schema for them (see builtinTypeTree).
 *
 * @example
 * const t = typeTreeFromSchema(crd.spec.versions[0].schema.openAPIV3Schema);
 * // spec.ports with x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [port]
 * // → { kind: 'list', listType: 'map', keys: ['port'], items: … }
 */
import type { JSONSchemaProps } from '../schema/types.js';

export interface ScalarType {
  kind: 'scalar';
}

export interface ListType {
  kind: 'list';
  /** atomic: replaced whole; set: union of scalars; map: items merged by `keys`. */
  listType: 'atomic' | 'set' | 'map';
  keys?: string[];
  /** Values for key fields an item may omit (the schema's defaults, e.g. protocol: TCP). */
  keyDefaults?: Record<string, unknown>;
  items?: TypeNode;
}

export interface MapType {
  kind: 'map';
  /** Declared fields (struct members). */
  fields?: Record<string, TypeNode>;
  /** The type of keys not in `fields` (a granular map's values). */
  elementType?: TypeNode;
  /** Replaced whole, owned as one field (`x-kubernetes-map-type: atomic`, structType=atomic). */
  atomic?: boolean;
  /** Keys not in `fields` are also declared fields (of deduced struct type). */
  openStruct?: boolean;
}

export interface DeducedType {
  kind: 'deduced';
  /** Objects found here are open structs rather than granular maps. */
  structs?: boolean;
}

export type TypeNode = ScalarType | ListType | MapType | DeducedType;

export const SCALAR: ScalarType = Object.freeze({ kind: 'scalar' });
export const DEDUCED: DeducedType = Object.freeze({ kind: 'deduced' });
export const DEDUCED_STRUCT: DeducedType = Object.freeze({ kind: 'deduced', structs: true });
const ATOMIC_LIST: ListType = Object.freeze({ kind: 'list', listType: 'atomic' });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** A node as it applies to one value: deduced nodes and nodes that do not fit the value become concrete. */
export type Resolved = { kind: 'leaf' } | { kind: 'list'; type: ListType } | { kind: 'map'; type: MapType };

const LEAF: Resolved = { kind: 'leaf' };
const DEDUCED_MAP: MapType = { kind: 'map', elementType: DEDUCED };
const DEDUCED_STRUCT_MAP: MapType = { kind: 'map', openStruct: true };

/**
 * How `value` is walked under `type`. A value that does not have the schema's shape (a string
 * where a list is declared) is a leaf: it is compared and replaced whole, and validation
 * reports it later.
 */
export function resolveType(type: TypeNode | undefined, value: unknown): Resolved {
  const t = type ?? DEDUCED;
  switch (t.kind) {
    case 'scalar':
      return LEAF;
    case 'list':
      if (!Array.isArray(value) || t.listType === 'atomic') return LEAF;
      return { kind: 'list', type: t };
    case 'map':
      if (!isObject(value) || t.atomic) return LEAF;
      return { kind: 'map', type: t };
    case 'deduced':
      if (isObject(value)) return { kind: 'map', type: t.structs ? DEDUCED_STRUCT_MAP : DEDUCED_MAP };
      return LEAF;
  }
}

/** The type of one key of a map and whether that key is a declared (struct) field. */
export function mapFieldType(t: MapType, key: string): { type: TypeNode; named: boolean } {
  if (t.fields && hasOwn(t.fields, key)) return { type: t.fields[key], named: true };
  if (t.elementType) return { type: t.elementType, named: false };
  if (t.openStruct) return { type: DEDUCED_STRUCT, named: true };
  return { type: DEDUCED, named: false };
}

/** The element type of a list type (deduced when not given). */
export function listItemType(t: ListType): TypeNode {
  return t.items ?? DEDUCED;
}

// ---------------------------------------------------------------- from a CRD schema

/** metav1.ObjectMeta as server-side apply sees it. */
export const OBJECT_META_TYPE: MapType = Object.freeze({
  kind: 'map',
  openStruct: true,
  fields: {
    labels: { kind: 'map', elementType: SCALAR },
    annotations: { kind: 'map', elementType: SCALAR },
    finalizers: { kind: 'list', listType: 'set', items: SCALAR },
    ownerReferences: { kind: 'list', listType: 'map', keys: ['uid'], items: { kind: 'map', openStruct: true } },
    managedFields: ATOMIC_LIST,
  },
}) as MapType;

/**
 * The type tree of a CRD's structural schema: `x-kubernetes-list-type` (lists without one are
 * atomic), `x-kubernetes-list-map-keys` (with the key fields' defaults),
 * `x-kubernetes-map-type`, `additionalProperties`, and deduced types under
 * `x-kubernetes-preserve-unknown-fields`. The root gets ObjectMeta's type for `metadata`.
 * Without a schema the whole object is deduced.
 */
export function typeTreeFromSchema(schema: JSONSchemaProps | undefined): TypeNode {
  if (!schema) return { kind: 'map', elementType: DEDUCED, fields: { metadata: OBJECT_META_TYPE, apiVersion: SCALAR, kind: SCALAR } };
  const root = fromSchema(schema);
  if (root.kind !== 'map') return root;
  return { ...root, fields: { ...(root.fields ?? {}), metadata: OBJECT_META_TYPE, apiVersion: SCALAR, kind: SCALAR } };
}

function fromSchema(s: JSONSchemaProps): TypeNode {
  if (s['x-kubernetes-int-or-string']) return SCALAR;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const type = s.type ?? (s.properties || s.additionalProperties ? 'object' : s.items ? 'array' : undefined);
  if (type === 'array') {
    const items = isObject(s.items) ? fromSchema(s.items as JSONSchemaProps) : DEDUCED;
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'set') return { kind: 'list', listType: 'set', items };
    if (lt === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const keyDefaults: Record<string, unknown> = {};
      const itemProps = isObject(s.items) ? (s.items as JSONSchemaProps).properties ?? {} : {};
      for (const k of keys) if (itemProps[k] && hasOwn(itemProps[k], 'default')) keyDefaults[k] = itemProps[k].default;
      return { kind: 'list', listType: 'map', keys: [...keys], keyDefaults, items };
    }
    return ATOMIC_LIST;
  }
  if (type === 'object' || s['x-kubernetes-embedded-resource']) {
    const out: MapType = { kind: 'map' };
    if (s['x-kubernetes-map-type'] === 'atomic') out.atomic = true;
    if (s.properties) {
      out.fields = {};
      for (const [k, v] of Object.entries(s.properties)) out.fields[k] = fromSchema(v);
    }
    if (s['x-kubernetes-embedded-resource']) {
      out.fields = { ...(out.fields ?? {}), apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META_TYPE };
    }
    if (isObject(s.additionalProperties)) out.elementType = fromSchema(s.additionalProperties as JSONSchemaProps);
    else if (s.additionalProperties === true || preserve || (!s.properties && !s.additionalProperties)) out.elementType = DEDUCED;
    return out;
  }
  if (preserve) return DEDUCED;
  return SCALAR;
}
