/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), as
 * k8s.io/apimachinery/pkg/util/strategicpatch applies it on the server.
 *
 * It is a JSON merge patch whose lists can merge instead of being replaced. Which lists merge,
 * and by which key, comes from the `patchStrategy`/`patchMergeKey` tags of the Go types; here a
 * {@link PatchMeta} tree carries them (see builtinPatchMeta for the kinds Keelson serves).
 *
 * - Maps merge recursively; `null` deletes a member.
 * - A list with `patchStrategy: merge` and a `patchMergeKey` merges item by item on that key;
 *   a list of scalars with `merge` is a set union; every other list is replaced.
 * - Directives: `$patch: replace | delete | merge` in a map or a list item,
 *   `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`.
 *
 * The order of a merged list follows upstream: `$setElementOrder` first, then the patch's
 * order, then the live order. Without `$setElementOrder`, items new to the list land before
 * the live items that follow them in no known order, which is why `kubectl patch` adding a
 * container puts it first.
 *
 * Differences from upstream, all in the direction of never leaking a directive into an object:
 * values without a live counterpart (a new field, a replaced list) are themselves cleaned of
 * directives and nulls; `$patch: merge` is accepted (and ignored, merge being the default)
 * where upstream rejects it; any other `$`-key is rejected with 400 rather than stored.
 *
 * @example
 * applyStrategicMergePatch(deployment, {
 *   spec: { template: { spec: { containers: [{ name: 'app', image: 'app:v2' }] } } },
 * }, builtinPatchMeta('apps', 'Deployment'));
 */
import { newBadRequest } from '../errors.js';
import { jsonDeepCopy, jsonDeepEqual } from './json-patch.js';

/** The patch tags of one node of an object tree. */
export interface PatchMeta {
  /** 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys' (the Go `patchStrategy` tag). */
  patchStrategy?: string;
  /** The field that identifies an item of a merging list of objects (the Go `patchMergeKey` tag). */
  patchMergeKey?: string;
  properties?: Record<string, PatchMeta>;
  items?: PatchMeta;
  /** Applies to every member of a map not named in `properties`. */
  additionalProperties?: PatchMeta;
}

type JsonObject = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function setOwn(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** Go's %v of a decoded JSON value, for messages that quote a map as upstream does. */
function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goString(v[k])}`).join(' ')}]`;
  return String(v);
}

function fieldMeta(meta: PatchMeta | undefined, key: string): PatchMeta | undefined {
  if (!meta) return undefined;
  if (meta.properties && hasOwn(meta.properties, key)) return meta.properties[key];
  return meta.additionalProperties;
}

function strategyOf(meta: PatchMeta | undefined): { merge: boolean; replace: boolean } {
  const parts = (meta?.patchStrategy ?? '').split(',').map((s) => s.trim());
  return { merge: parts.includes('merge'), replace: parts.includes('replace') };
}

/** Scalar equality as Go compares interface{} values holding decoded JSON scalars. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || ((typeof a === 'object' || typeof b === 'object') && jsonDeepEqual(a, b));
}

/**
 * Applies a strategic merge patch to `doc` and returns the result; `doc` is never mutated.
 * `meta` describes the object (undefined: no list merges, as for an unknown type).
 * A malformed patch (unknown directive, list item without its merge key, …) throws a 400 ApiError.
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, meta: PatchMeta | undefined): unknown {
  if (!isObject(patch)) {
    const what = patch === null ? 'null' : Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    // kube-apiserver's wording: the patch body is decoded into a Go map first.
    throw newBadRequest(`json: cannot unmarshal ${what} into Go value of type map[string]interface {}`);
  }
  const original = isObject(doc) ? jsonDeepCopy(doc) : {};
  return mergeMap(original, jsonDeepCopy(patch), meta);
}

/** Merges `patch` into `original`; both are owned by the caller and may be mutated. */
function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'delete') return {};
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return mergeMap({}, patch, meta);
    }
    if (directive !== 'merge') throw newBadRequest(`unknown patch type: ${goString(directive)} in map: ${goString(patch)}`);
    delete patch[DIRECTIVE];
  }

  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, meta);

  const deletions: [string, unknown][] = [];
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deletions.push([k, pv]);
      continue;
    }
    if (k.startsWith('$')) throw newBadRequest(`unknown strategic merge patch directive ${JSON.stringify(k)} in map: ${goString(patch)}`);
    if (pv === null) {
      delete original[k];
      continue;
    }
    const fm = fieldMeta(meta, k);
    if (!hasOwn(original, k) || original[k] === null) {
      setOwn(original, k, fresh(pv, fm));
      continue;
    }
    const ov = original[k];
    const strategy = strategyOf(fm);
    if (isObject(ov) && isObject(pv)) {
      setOwn(original, k, strategy.replace ? fresh(pv, fm) : mergeMap(ov, pv, fm));
    } else if (Array.isArray(ov) && Array.isArray(pv)) {
      setOwn(original, k, strategy.merge ? mergeList(ov, pv, fm) : fresh(pv, fm));
    } else {
      setOwn(original, k, fresh(pv, fm));
    }
  }

  // After the merges so that adding and deleting the same scalar in one patch deletes it.
  for (const [k, pv] of deletions) {
    const name = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    if (!name || !Array.isArray(pv)) throw newBadRequest('invalid patch format of primitive list');
    const cur = original[name];
    // Deleting from an absent or null list leaves it as it is (it does not create the list).
    if (Array.isArray(cur)) setOwn(original, name, cur.filter((x) => !pv.some((d) => sameValue(d, x))));
  }
  return original;
}

/**
 * A patch value with nothing live to merge into (a new field, a replaced value): merged into
 * an empty value of its own kind so that its directives and nulls are resolved, not stored.
 */
function fresh(pv: unknown, meta: PatchMeta | undefined): unknown {
  if (isObject(pv)) return mergeMap({}, pv, meta);
  if (Array.isArray(pv)) {
    if (strategyOf(meta).merge) return mergeList([], pv, meta);
    return pv.map((x) => (isObject(x) ? mergeMap({}, x, meta?.items) : x));
  }
  return pv;
}

/** `$retainKeys`: members of `original` not listed are cleared; every member the patch sets must be listed. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const keys = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keys)) throw newBadRequest('invalid patch format of retainKeys');
  const retained = new Set(keys.filter((k): k is string => typeof k === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(k)) throw newBadRequest('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/** The element kind of one or more lists: 'map', 'scalar', or undefined when all are empty. */
function elementKind(...lists: unknown[][]): 'map' | 'scalar' | undefined {
  let kind: 'map' | 'scalar' | undefined;
  let sample: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      if (Array.isArray(v)) throw newBadRequest('lists of lists are not supported');
      const k = isObject(v) ? 'map' : 'scalar';
      // Go also rejects lists mixing scalar types (a string next to a number).
      const t = v === null ? 'null' : typeof v;
      if (kind === undefined) {
        kind = k;
        sample = t;
      } else if (kind !== k || sample !== t) {
        throw newBadRequest(`list element types are not identical: ${goString(lists)}`);
      }
    }
  }
  return kind;
}

function mergeKeyValue(item: unknown, mergeKey: string): unknown {
  if (!isObject(item)) throw newBadRequest(`expected a map, but received a ${goString(item)}`);
  if (!hasOwn(item, mergeKey)) throw newBadRequest(`map: ${goString(item)} does not contain declared merge key: ${mergeKey}`);
  return item[mergeKey];
}

/** Index of `item` in `list`, comparing merge-key values for maps and values for scalars; -1 when absent. */
function indexIn(list: unknown[], item: unknown, mergeKey: string): number {
  const key = (x: unknown): unknown => (mergeKey && isObject(x) ? x[mergeKey] : x);
  const want = key(item);
  return list.findIndex((x) => sameValue(key(x), want));
}

/** Merges two lists with the merge strategy; `original` is owned and may be mutated. */
function mergeList(original: unknown[], patch: unknown[], meta: PatchMeta | undefined): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const mergeKey = meta?.patchMergeKey ?? '';
  const kind = elementKind(original, patch);

  let merged: unknown[];
  let patchItems: unknown[];
  // The live order after `$patch: delete` items, before new items are appended.
  let live = original;
  if (kind !== 'map') {
    // A set: the union, each value once.
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => sameValue(m, v))) merged.push(v);
    patchItems = patch;
  } else {
    if (!mergeKey) throw newBadRequest('cannot merge lists without merge key for type map');
    let replace = false;
    const plain: JsonObject[] = [];
    for (const raw of patch) {
      const item = raw as JsonObject;
      if (!hasOwn(item, DIRECTIVE)) {
        plain.push(item);
        continue;
      }
      const directive = item[DIRECTIVE];
      if (directive === 'delete') {
        const value = mergeKeyValue(item, mergeKey);
        original = original.filter((x) => !(isObject(x) && hasOwn(x, mergeKey) && sameValue(x[mergeKey], value)));
      } else if (directive === 'replace') {
        // Keep looking: other directives in the list are dropped with it.
        replace = true;
      } else if (directive === 'merge') {
        const rest = { ...item };
        delete rest[DIRECTIVE];
        if (Object.keys(rest).length > 0) plain.push(rest);
      } else {
        throw newBadRequest(`unknown patch type: ${goString(directive)} in map: ${goString(item)}`);
      }
    }
    if (replace) return plain.map((x) => mergeMap({}, x, meta?.items));

    live = original.slice();
    merged = original;
    for (const item of plain) {
      const value = mergeKeyValue(item, mergeKey);
      const at = merged.findIndex((x) => isObject(x) && hasOwn(x, mergeKey) && sameValue(x[mergeKey], value));
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, meta?.items);
      else merged.push(mergeMap({}, item, meta?.items));
    }
    patchItems = plain;
  }

  return normalizeOrder(merged, patchItems, live, mergeKey);
}

/**
 * Orders a merged list as upstream does: the items named by `order` (the patch list or
 * `$setElementOrder`) in that order, interleaved with the others in their live order. An item
 * of the first group goes before a live-only item unless both are live and the live-only item
 * came first.
 */
function normalizeOrder(merged: unknown[], order: unknown[], live: unknown[], mergeKey: string): unknown[] {
  const named: unknown[] = [];
  const liveOnly: unknown[] = [];
  for (const v of merged) (indexIn(order, v, mergeKey) >= 0 ? named : liveOnly).push(v);
  const byIndexIn = (list: unknown[]) => (a: unknown, b: unknown): number => {
    const ia = indexIn(list, a, mergeKey);
    const ib = indexIn(list, b, mergeKey);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || 0;
  };
  named.sort(byIndexIn(order));
  liveOnly.sort(byIndexIn(live));

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < liveOnly.length || j < named.length) {
    if (i >= liveOnly.length) out.push(named[j++]);
    else if (j >= named.length) out.push(liveOnly[i++]);
    else {
      const li = indexIn(live, liveOnly[i], mergeKey);
      const ri = indexIn(live, named[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(liveOnly[i++]);
      else out.push(named[j++]);
    }
  }
  return out;
}

/**
 * `$setElementOrder/<list>`: merges `<list>` (when the patch has it) and then orders the result
 * by the directive; removes both from the patch so the main loop does not see them again.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    const name = key.slice(SET_ELEMENT_ORDER.length);
    if (!name || !Array.isArray(order)) throw newBadRequest('invalid patch format of setElementOrder list');

    const fm = fieldMeta(meta, name);
    const mergeKey = fm?.patchMergeKey ?? '';
    const foundOriginal = hasOwn(original, name) && original[name] !== null;
    const foundPatch = hasOwn(patch, name) && patch[name] !== null;
    const originalList = foundOriginal ? original[name] : [];
    const patchList = foundPatch ? patch[name] : [];
    if (!Array.isArray(originalList) || !Array.isArray(patchList)) throw newBadRequest(`expected a list for ${JSON.stringify(name)} with ${key}`);
    checkPatchAgainstOrder(patchList, order, mergeKey);
    if (!foundOriginal && !foundPatch) continue;

    let merged: unknown[];
    if (!foundPatch) merged = originalList;
    else if (strategyOf(fm).merge) merged = mergeList(originalList.slice(), patchList, fm);
    else merged = fresh(patchList, fm) as unknown[];
    if (mergeKey) for (const v of [...merged, ...order]) mergeKeyValue(v, mergeKey);

    setOwn(original, name, normalizeOrder(merged, order, originalList, mergeKey));
    delete patch[name];
  }
}

/** The relative order of the patch list's items must agree with `$setElementOrder`, which must name them all. */
function checkPatchAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (patchList.length === 0 || order.length === 0) return;
  const items = mergeKey ? patchList.filter((x) => !(isObject(x) && x[DIRECTIVE] === 'delete')) : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isObject(items[p]) && hasOwn(items[p] as JsonObject, DIRECTIVE)) {
      p++;
      continue;
    }
    const equal = mergeKey ? sameValue(mergeKeyValue(items[p], mergeKey), mergeKeyValue(order[o], mergeKey)) : sameValue(items[p], order[o]);
    if (equal) p++;
    o++;
  }
  if (p < items.length) {
    throw newBadRequest(`The order in patch list:\n${goString(patchList)}\n doesn't match $setElementOrder list:\n${goString(order)}\n`);
  }
}
