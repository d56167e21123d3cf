/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`): objects merge member by member,
 * `null` deletes a member, everything else (arrays included) replaces.
 *
 * @example
 * applyMergePatch({ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: null, c: '3' } } });
 * // → { metadata: { labels: { b: '2', c: '3' } } }
 */
import { jsonDeepCopy, jsonDeepEqual } from './json-patch.js';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function setOwn(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** RFC 7386 section 2 MergePatch(Target, Patch); `doc` is never mutated and the result shares nothing with either input. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return jsonDeepCopy(patch);
  const out: JsonObject = isObject(doc) ? jsonDeepCopy(doc) : {};
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) {
      delete out[k];
    } else {
      const cur = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
      setOwn(out, k, applyMergePatch(cur, pv));
    }
  }
  return out;
}

/**
 * The merge patch that turns `original` into `modified`: removed members become `null`,
 * changed objects recurse, anything else changed is sent whole. When either side is not an
 * object the patch is `modified` itself. A `null` inside `modified` cannot be expressed (it
 * would mean "delete") and is sent as `null`, as evanphx/json-patch does.
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isObject(original) || !isObject(modified)) return jsonDeepCopy(modified);
  const patch: JsonObject = {};
  for (const k of Object.keys(original)) {
    if (!Object.prototype.hasOwnProperty.call(modified, k)) setOwn(patch, k, null);
  }
  for (const k of Object.keys(modified)) {
    const m = modified[k];
    if (!Object.prototype.hasOwnProperty.call(original, k)) {
      setOwn(patch, k, jsonDeepCopy(m));
      continue;
    }
    const o = original[k];
    if (jsonDeepEqual(o, m)) continue;
    if (isObject(o) && isObject(m)) setOwn(patch, k, createMergePatch(o, m));
    else setOwn(patch, k, jsonDeepCopy(m));
  }
  return patch;
}
