/**
 * Operations on JSON values under a type tree, as structured-merge-diff's typed package does
 * them: the set of fields a value sets, the fields two values differ in, merging an applied
 * configuration into a live object, and removing fields.
 *
 * Rules that decide ownership (upstream's, kept here on purpose):
 * - a scalar, an atomic list or an atomic map is one field;
 * - an item of a set or of a list-type=map list is a field of its own (the item's existence),
 *   and so is every key of a granular map; a struct's declared fields are not, only what is
 *   below them (so that owning `.spec.replicas` does not mean owning `.spec`);
 * - comparing two values, a map or list that appears or disappears is itself added or
 *   removed (this is where the `".": {}` entries of Update operations come from).
 *
 * @example
 * toFieldSet({ data: { a: '1' } }, builtinTypeTree('', 'ConfigMap')).toFieldsV1(); // { 'f:data': { 'f:a': {} } }
 */
import { jsonDeepCopy, jsonDeepEqual } from '../patch/json-patch.js';
import { FieldSet } from './field-set.js';
import { fieldElement, keyElement, pathToString, serializePathElement, valueElement, type Path, type PathElement } from './path.js';
import { listItemType, mapFieldType, resolveType, type ListType, type MapType, type TypeNode } from './type-tree.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value that cannot be walked under its type: a duplicate key, an item missing its key fields. */
export class TypedValueError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

function setProp(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** The path element of one item of a set or list-type=map list. Throws TypedValueError. */
export function listItemElement(t: ListType, item: unknown, at: Path): PathElement {
  if (t.listType === 'map') {
    if (item === null) throw new TypedValueError(pathToString(at), 'associative list with keys may not have a null element');
    if (!isObject(item)) throw new TypedValueError(pathToString(at), 'associative list with keys may not have non-map elements');
    const fields: [string, unknown][] = [];
    for (const k of t.keys ?? []) {
      if (Object.prototype.hasOwnProperty.call(item, k) && item[k] !== undefined) fields.push([k, item[k]]);
      else if (t.keyDefaults && Object.prototype.hasOwnProperty.call(t.keyDefaults, k)) fields.push([k, t.keyDefaults[k]]);
      else throw new TypedValueError(pathToString(at), `associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
    }
    return keyElement(fields);
  }
  if (isObject(item)) throw new TypedValueError(pathToString(at), "associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new TypedValueError(pathToString(at), 'not supported: associative list with lists as elements');
  if (item === null) throw new TypedValueError(pathToString(at), "associative list without keys has an element that's an explicit null");
  return valueElement(item);
}

interface IndexedItem {
  pe: PathElement;
  /** The element's FieldsV1 key. */
  key: string;
  item: unknown;
}

interface IndexedList {
  order: IndexedItem[];
  byKey: Map<string, IndexedItem>;
  duplicates: boolean;
}

/** Items by path element; a repeated element keeps its first item. `at` names the list in errors. */
function indexList(t: ListType, list: unknown[], at: () => Path): IndexedList {
  const order: IndexedItem[] = [];
  const byKey = new Map<string, IndexedItem>();
  let duplicates = false;
  for (const item of list) {
    const pe = listItemElementAt(t, item, at);
    const key = serializePathElement(pe);
    if (byKey.has(key)) {
      duplicates = true;
      continue;
    }
    const entry = { pe, key, item };
    byKey.set(key, entry);
    order.push(entry);
  }
  return { order, byKey, duplicates };
}

/** listItemElement with the list's path computed only for an error. */
function listItemElementAt(t: ListType, item: unknown, at: () => Path): PathElement {
  if (t.listType === 'map' ? isObject(item) : item !== null && !isObject(item) && !Array.isArray(item)) {
    if (t.listType !== 'map') return valueElement(item);
    const obj = item as Record<string, unknown>;
    const fields: [string, unknown][] = [];
    let complete = true;
    for (const k of t.keys ?? []) {
      if (Object.prototype.hasOwnProperty.call(obj, k) && obj[k] !== undefined) fields.push([k, obj[k]]);
      else if (t.keyDefaults && Object.prototype.hasOwnProperty.call(t.keyDefaults, k)) fields.push([k, t.keyDefaults[k]]);
      else complete = false;
    }
    if (complete) return keyElement(fields);
  }
  return listItemElement(t, item, at());
}

/**
 * Checks that an applied configuration can be merged: no duplicate items, every item of a
 * list-type=map list has its keys, no sets of objects. Throws TypedValueError listing the first problem.
 */
export function validateTyped(value: unknown, type: TypeNode | undefined, at: Path = []): void {
  const r = resolveType(type, value);
  if (r.kind === 'list') {
    const idx = indexList(r.type, value as unknown[], () => at);
    if (idx.duplicates) {
      const seen = new Set<string>();
      for (const item of value as unknown[]) {
        const pe = listItemElement(r.type, item, at);
        const k = serializePathElement(pe);
        if (seen.has(k)) throw new TypedValueError(pathToString(at), `duplicate entries for key ${pathToString([pe])}`);
        seen.add(k);
      }
    }
    for (const e of idx.order) validateTyped(e.item, listItemType(r.type), [...at, e.pe]);
  } else if (r.kind === 'map') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) validateTyped(v, mapFieldType(r.type, k).type, [...at, fieldElement(k)]);
  }
}

/** A list walked item by item, or undefined when it cannot be (duplicates, bad items): then it is a leaf. */
function tryIndex(t: ListType, list: unknown[]): IndexedList | undefined {
  try {
    const idx = indexList(t, list, () => []);
    return idx.duplicates ? undefined : idx;
  } catch (e) {
    if (e instanceof TypedValueError) return undefined;
    throw e;
  }
}

/**
 * Where a walker is in the set it builds: the node of the current value is created only when
 * something is inserted at or below it, so walking an unchanged subtree allocates nothing.
 */
class Cursor {
  private n: FieldSet | undefined;
  constructor(
    private readonly parent: Cursor | undefined,
    private readonly key: string,
    private readonly pe: PathElement | undefined,
    root?: FieldSet,
  ) {
    this.n = root;
  }
  static root(set: FieldSet): Cursor {
    return new Cursor(undefined, '', undefined, set);
  }
  child(key: string, pe: PathElement): Cursor {
    return new Cursor(this, key, pe);
  }
  node(): FieldSet {
    return (this.n ??= this.parent!.node().descendKey(this.key, this.pe!));
  }
  /** Marks the current value itself as a member (a no-op at the root). */
  mark(): void {
    if (this.parent) this.parent.node().insertMemberKey(this.key, this.pe!);
  }
}

const fieldKey = (name: string): string => `f:${name}`;

// ---------------------------------------------------------------- toFieldSet

/** The fields `value` sets (structured-merge-diff's ToFieldSet). */
export function toFieldSet(value: unknown, type: TypeNode | undefined): FieldSet {
  const out = new FieldSet();
  const r = resolveType(type, value);
  if (r.kind === 'leaf') return out; // a root that is not an object owns nothing
  walkSet(value, type, Cursor.root(out));
  return out;
}

function walkSet(value: unknown, type: TypeNode | undefined, at: Cursor): void {
  const r = resolveType(type, value);
  switch (r.kind) {
    case 'leaf':
      // An explicit null for a granular map or list sets nothing (upstream walks it as an empty one).
      if (value === null && type && ((type.kind === 'map' && !type.atomic) || (type.kind === 'list' && type.listType !== 'atomic'))) return;
      at.mark();
      return;
    case 'list': {
      const idx = tryIndex(r.type, value as unknown[]);
      if (!idx) {
        at.mark();
        return;
      }
      const itemType = listItemType(r.type);
      for (const e of idx.order) {
        const c = at.child(e.key, e.pe);
        walkSet(e.item, itemType, c);
        c.mark();
      }
      return;
    }
    case 'map':
      for (const k of Object.keys(value as Record<string, unknown>)) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        const f = mapFieldType(r.type, k);
        const c = at.child(fieldKey(k), fieldElement(k));
        walkSet(v, f.type, c);
        if (!f.named) c.mark();
      }
  }
}

// ---------------------------------------------------------------- compare

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** The fields `rhs` adds, changes and removes relative to `lhs` (structured-merge-diff's Compare). */
export function compareTyped(lhs: unknown, rhs: unknown, type: TypeNode | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  if (lhs === undefined && rhs === undefined) return c;
  const cur: CompareCursors = { added: Cursor.root(c.added), modified: Cursor.root(c.modified), removed: Cursor.root(c.removed) };
  walkCompare(lhs ?? {}, rhs ?? {}, type, cur, true);
  return c;
}

interface CompareCursors {
  added: Cursor;
  modified: Cursor;
  removed: Cursor;
}

function childCursors(c: CompareCursors, key: string, pe: PathElement): CompareCursors {
  return { added: c.added.child(key, pe), modified: c.modified.child(key, pe), removed: c.removed.child(key, pe) };
}

function leafCompare(lhs: unknown, rhs: unknown, c: CompareCursors): void {
  if (lhs === undefined) c.added.mark();
  else if (rhs === undefined) c.removed.mark();
  else if (!jsonDeepEqual(lhs, rhs)) c.modified.mark();
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

function walkCompare(lhs: unknown, rhs: unknown, type: TypeNode | undefined, c: CompareCursors, root = false): void {
  // Identical values have nothing to compare, however large (scalars included).
  if (lhs === rhs) return;
  const rl = lhs === undefined ? undefined : resolveType(type, lhs);
  const rr = rhs === undefined ? undefined : resolveType(type, rhs);
  const kind = rl && rr ? (rl.kind === rr.kind ? rl.kind : 'leaf') : (rl ?? rr)!.kind;
  // Both empty (or one missing and the other empty): a leaf, which keeps {} and absent apart.
  if (kind === 'leaf' || (isEmptyContainer(lhs) && isEmptyContainer(rhs))) {
    if (!root) leafCompare(lhs, rhs, c);
    return;
  }
  if (kind === 'list') {
    const t = ((rl ?? rr) as { type: ListType }).type;
    const li = lhs === undefined ? EMPTY_INDEX : tryIndex(t, lhs as unknown[]);
    const ri = rhs === undefined ? EMPTY_INDEX : tryIndex(t, rhs as unknown[]);
    if (!li || !ri) {
      leafCompare(lhs, rhs, c);
      return;
    }
    const itemType = listItemType(t);
    for (const e of li.order) walkCompare(e.item, ri.byKey.get(e.key)?.item, itemType, childCursors(c, e.key, e.pe));
    for (const e of ri.order) if (!li.byKey.has(e.key)) walkCompare(undefined, e.item, itemType, childCursors(c, e.key, e.pe));
  } else {
    const t = ((rl ?? rr) as { type: MapType }).type;
    const l = (lhs ?? {}) as Record<string, unknown>;
    const r = (rhs ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(l)) {
      if (l[k] === undefined && r[k] === undefined) continue;
      walkCompare(l[k], r[k], mapFieldType(t, k).type, childCursors(c, fieldKey(k), fieldElement(k)));
    }
    for (const k of Object.keys(r)) {
      if (Object.prototype.hasOwnProperty.call(l, k) || r[k] === undefined) continue;
      walkCompare(undefined, r[k], mapFieldType(t, k).type, childCursors(c, fieldKey(k), fieldElement(k)));
    }
  }
  if (!root) {
    if (lhs === undefined) c.added.mark();
    else if (rhs === undefined) c.removed.mark();
  }
}

const EMPTY_INDEX: IndexedList = { order: [], byKey: new Map(), duplicates: false };

// ---------------------------------------------------------------- merge

/**
 * The live object with the applied configuration merged in (structured-merge-diff's Merge):
 * scalars and atomic values are replaced, maps merged key by key, sets and list-type=map
 * lists item by item. Items keep the live order; new items go before the next item both
 * sides share, in the configuration's order. A null in the configuration removes the field.
 */
export function mergeTyped(lhs: unknown, rhs: unknown, type: TypeNode | undefined): unknown {
  return walkMerge(lhs, rhs, type, []);
}

function walkMerge(lhs: unknown, rhs: unknown, type: TypeNode | undefined, at: Path): unknown {
  if (rhs === undefined) return jsonDeepCopy(lhs);
  if (lhs === undefined || lhs === null) return withoutNullMembers(rhs);
  const rl = resolveType(type, lhs);
  const rr = resolveType(type, rhs);
  if (rl.kind !== rr.kind || rr.kind === 'leaf') return withoutNullMembers(rhs);
  if (rr.kind === 'map') {
    const t = rr.type;
    const l = lhs as Record<string, unknown>;
    const r = rhs as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(l)) {
      if (Object.prototype.hasOwnProperty.call(r, k)) {
        if (r[k] === null) continue;
        setProp(out, k, walkMerge(l[k], r[k], mapFieldType(t, k).type, [...at, fieldElement(k)]));
      } else {
        setProp(out, k, jsonDeepCopy(l[k]));
      }
    }
    for (const k of Object.keys(r)) {
      if (Object.prototype.hasOwnProperty.call(l, k) || r[k] === null || r[k] === undefined) continue;
      setProp(out, k, walkMerge(undefined, r[k], mapFieldType(t, k).type, [...at, fieldElement(k)]));
    }
    return out;
  }
  const t = rr.type;
  const li = tryIndex(t, lhs as unknown[]);
  const ri = indexList(t, rhs as unknown[], () => at);
  if (!li) return withoutNullMembers(rhs);
  const itemType = listItemType(t);
  const L = li.order;
  const R = ri.order;
  const shared = R.filter((e) => li.byKey.has(e.key)).map((e) => e.key);
  let next = 0;
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < L.length || j < R.length) {
    if (i < L.length && j < R.length && L[i].key === R[j].key) {
      out.push(walkMerge(L[i].item, R[j].item, itemType, [...at, L[i].pe]));
      if (shared[next] === L[i].key) next++;
      i++;
      j++;
      continue;
    }
    if (i < L.length) {
      if (!ri.byKey.has(L[i].key)) {
        out.push(jsonDeepCopy(L[i].item));
        i++;
        continue;
      }
      // A shared item the configuration puts later: it is written when the configuration reaches it.
      if (shared[next] !== L[i].key) {
        i++;
        continue;
      }
    }
    if (j < R.length) {
      const k = R[j].key;
      out.push(walkMerge(li.byKey.get(k)?.item, R[j].item, itemType, [...at, R[j].pe]));
      if (shared[next] === k) next++;
      j++;
      continue;
    }
    i++;
  }
  return out;
}

/** A copy of a configuration value whose object members that are null are left out (null means "unset"). */
function withoutNullMembers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullMembers);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) setProp(out, k, withoutNullMembers(x));
    return out;
  }
  return v;
}

// ---------------------------------------------------------------- remove

/**
 * `value` without the fields in `set` (structured-merge-diff's RemoveItems): a member path goes
 * with everything below it. A map or list left empty by the removal is dropped.
 */
export function removeItems(value: unknown, set: FieldSet, type: TypeNode | undefined): unknown {
  if (set.isEmpty()) return jsonDeepCopy(value);
  const out = walkRemove(value, set, type);
  return out === undefined ? {} : out;
}

function walkRemove(value: unknown, set: FieldSet, type: TypeNode | undefined): unknown {
  const r = resolveType(type, value);
  if (r.kind === 'leaf') return jsonDeepCopy(value);
  if (r.kind === 'map') {
    const out: Record<string, unknown> = {};
    let removedSome = false;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const pe = fieldElement(k);
      if (set.hasMember(pe)) {
        removedSome = true;
        continue;
      }
      const sub = set.withPrefix(pe);
      if (sub.isEmpty()) {
        setProp(out, k, jsonDeepCopy(v));
        continue;
      }
      const nv = walkRemove(v, sub, mapFieldType(r.type, k).type);
      if (nv === undefined) removedSome = true;
      else setProp(out, k, nv);
    }
    return removedSome && Object.keys(out).length === 0 ? undefined : out;
  }
  const t = r.type;
  const list = value as unknown[];
  const out: unknown[] = [];
  let removedSome = false;
  for (const item of list) {
    let pe: PathElement;
    try {
      pe = listItemElement(t, item, []);
    } catch (e) {
      if (!(e instanceof TypedValueError)) throw e;
      out.push(jsonDeepCopy(item));
      continue;
    }
    if (set.hasMember(pe)) {
      removedSome = true;
      continue;
    }
    const sub = set.withPrefix(pe);
    out.push(sub.isEmpty() ? jsonDeepCopy(item) : (walkRemove(item, sub, listItemType(t)) ?? {}));
  }
  return removedSome && out.length === 0 ? undefined : out;
}

// ---------------------------------------------------------------- named fields

/**
 * `set` plus the declared struct fields on the way to its members (structured-merge-diff's
 * EnsureNamedFieldsAreMembers): owning `.spec.replicas` then also means owning `.spec`, which
 * keeps `.spec` from being removed while anyone owns something in it.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, type: TypeNode | undefined): FieldSet {
  const out = new FieldSet();
  walkNamed(set, type, out);
  return out;
}

function walkNamed(set: FieldSet, type: TypeNode | undefined, out: FieldSet): void {
  const { members, children } = set.entries();
  for (const pe of members) out.insertMember(pe);
  const t = type ?? { kind: 'deduced' };
  for (const { pe, set: sub } of children) {
    let childType: TypeNode | undefined;
    let named = false;
    if (t.kind === 'map' && pe.kind === 'field') {
      const f = mapFieldType(t, pe.name);
      childType = f.type;
      named = f.named;
    } else if (t.kind === 'deduced' && pe.kind === 'field') {
      childType = t;
      named = !!t.structs;
    } else if (t.kind === 'list') {
      childType = listItemType(t);
    }
    if (named) out.insertMember(pe);
    const o = out.descend(pe);
    walkNamed(sub, childType, o);
  }
}
