/**
 * RFC 6902 JSON Patch, as kube-apiserver applies `application/json-patch+json` bodies.
 *
 * A body that is not an array of well-formed operations is the client's mistake in the
 * request's shape: 400 BadRequest (kube-apiserver answers `jsonpatch.DecodePatch` errors
 * that way). An operation that is well formed but cannot be applied to this object (a
 * missing path, a failed `test`, an index past the end) is a 422 Invalid with
 * kube-apiserver's generic message `the server rejected our request due to an error in our
 * request`; clients such as controllers that use `test` as a precondition match on exactly
 * that reason and message, so the explanation travels in `details.causes` and `Error.cause`.
 *
 * Unlike evanphx/json-patch (which kube-apiserver uses) this follows the RFC strictly:
 * no negative array indices, no leading zeros, `-` only as an `add` target.
 *
 * @example
 * applyJsonPatch({ spec: { replicas: 1 } }, [{ op: 'replace', path: '/spec/replicas', value: 3 }]);
 * // → { spec: { replicas: 3 } }
 */
import { ApiError, newBadRequest } from '../errors.js';

export type JsonPatchOperation = {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
};

type JsonObject = Record<string, unknown>;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** True for a JSON object (not an array, not null). */
function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Sets an own property even for the key "__proto__", which plain assignment would treat as the prototype. */
function setJsonProperty(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** A deep copy of a JSON value (objects, arrays, scalars), as runtime.DeepCopyJSONValue. */
export function jsonDeepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => jsonDeepCopy(x)) as T;
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) setJsonProperty(out, k, jsonDeepCopy(v[k]));
    return out as T;
  }
  return v;
}

/** JSON equality: objects compare by their members regardless of order, numbers by value. */
export function jsonDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonDeepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasOwn(b, k) || !jsonDeepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** Splits an RFC 6901 pointer into unescaped reference tokens; undefined when the syntax is wrong. */
export function parseJsonPointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  for (const t of tokens) if (/~[^01]|~$/.test(t)) return undefined;
  // ~1 first, then ~0: "~01" must become "~1", not "/".
  return tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The 422 for an operation that does not apply. */
function notApplicable(cause: string): ApiError {
  const err = new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: { causes: [{ message: cause }] },
    code: 422,
  });
  (err as Error).cause = new Error(cause);
  return err;
}

/** Checks the patch's shape before anything is applied. */
function decodePatch(patch: unknown): JsonPatchOperation[] {
  if (!Array.isArray(patch)) {
    const what = patch === null ? 'null' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    // kube-apiserver's wording (the Go decoder's message) for a body that is not a list.
    throw newBadRequest(`json: cannot unmarshal ${what} into Go value of type jsonpatch.Patch`);
  }
  return patch.map((raw, i): JsonPatchOperation => {
    const at = `JSON patch operation ${i}`;
    if (!isJsonObject(raw)) throw newBadRequest(`${at} must be an object, got ${JSON.stringify(raw)}`);
    const op = raw.op;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw newBadRequest(`${at}: unexpected op ${JSON.stringify(op)}: must be one of add, remove, replace, move, copy, test`);
    }
    if (typeof raw.path !== 'string') throw newBadRequest(`${at} (${op}): missing "path" string`);
    if (parseJsonPointer(raw.path) === undefined) throw newBadRequest(`${at} (${op}): invalid JSON pointer ${JSON.stringify(raw.path)}`);
    const out: JsonPatchOperation = { op: op as JsonPatchOperation['op'], path: raw.path };
    if (op === 'add' || op === 'replace' || op === 'test') {
      // The member must be present; its value may be null.
      if (!hasOwn(raw, 'value')) throw newBadRequest(`${at} (${op}): missing "value"`);
      out.value = raw.value;
    }
    if (op === 'move' || op === 'copy') {
      if (typeof raw.from !== 'string') throw newBadRequest(`${at} (${op}): missing "from" string`);
      if (parseJsonPointer(raw.from) === undefined) throw newBadRequest(`${at} (${op}): invalid JSON pointer ${JSON.stringify(raw.from)}`);
      out.from = raw.from;
    }
    return out;
  });
}

/** An array index token: "0" or no leading zeros, no sign. */
function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}

/** The container holding the last token of `tokens`, or undefined when some step is missing. */
function parentOf(doc: unknown, tokens: string[]): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(t);
      if (i === undefined || i >= cur.length) return undefined;
      cur = cur[i];
    } else if (isJsonObject(cur)) {
      if (!hasOwn(cur, t)) return undefined;
      cur = cur[t];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** The value at `tokens`, and whether it exists. */
function getAt(doc: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  if (tokens.length === 0) return { found: true, value: doc };
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(last);
    return i !== undefined && i < parent.length ? { found: true, value: parent[i] } : { found: false };
  }
  if (isJsonObject(parent) && hasOwn(parent, last)) return { found: true, value: parent[last] };
  return { found: false };
}

/** Applies one operation to `doc` (which this function owns) and returns the new document. */
function applyOne(doc: unknown, op: JsonPatchOperation): unknown {
  const path = parseJsonPointer(op.path)!;
  switch (op.op) {
    case 'add':
      return add(doc, path, jsonDeepCopy(op.value), op);
    case 'remove':
      return remove(doc, path, op).doc;
    case 'replace': {
      if (path.length === 0) return jsonDeepCopy(op.value);
      const parent = parentOf(doc, path);
      const last = path[path.length - 1];
      if (Array.isArray(parent)) {
        const i = arrayIndex(last);
        if (i === undefined || i >= parent.length) throw notApplicable(`replace operation does not apply: invalid index ${JSON.stringify(last)} in ${op.path}`);
        parent[i] = jsonDeepCopy(op.value);
        return doc;
      }
      if (!isJsonObject(parent) || !hasOwn(parent, last)) throw notApplicable(`replace operation does not apply: doc is missing key: ${op.path}`);
      setJsonProperty(parent, last, jsonDeepCopy(op.value));
      return doc;
    }
    case 'move': {
      const from = parseJsonPointer(op.from!)!;
      if (op.from === op.path) {
        if (!getAt(doc, from).found) throw notApplicable(`move operation does not apply: doc is missing from path: ${op.from}`);
        return doc;
      }
      if (op.path.startsWith(`${op.from}/`)) throw notApplicable(`move operation does not apply: cannot move ${op.from} into its own child ${op.path}`);
      const removed = remove(doc, from, op, 'from');
      return add(removed.doc, path, removed.value, op);
    }
    case 'copy': {
      const src = getAt(doc, parseJsonPointer(op.from!)!);
      if (!src.found) throw notApplicable(`copy operation does not apply: doc is missing from path: ${op.from}`);
      return add(doc, path, jsonDeepCopy(src.value), op);
    }
    case 'test': {
      const cur = getAt(doc, path);
      if (!cur.found) throw notApplicable(`testing value ${op.path} failed: doc is missing path`);
      if (!jsonDeepEqual(cur.value, op.value)) throw notApplicable(`testing value ${op.path} failed: test failed`);
      return doc;
    }
  }
}

function add(doc: unknown, path: string[], value: unknown, op: JsonPatchOperation): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : arrayIndex(last);
    if (i === undefined || i > parent.length) throw notApplicable(`${op.op} operation does not apply: invalid index ${JSON.stringify(last)} in ${op.path}`);
    parent.splice(i, 0, value);
    return doc;
  }
  if (!isJsonObject(parent)) throw notApplicable(`${op.op} operation does not apply: doc is missing path: ${JSON.stringify(op.path)}`);
  setJsonProperty(parent, last, value);
  return doc;
}

function remove(doc: unknown, path: string[], op: JsonPatchOperation, which: 'path' | 'from' = 'path'): { doc: unknown; value: unknown } {
  const pointer = which === 'path' ? op.path : op.from;
  if (path.length === 0) throw notApplicable(`${op.op} operation does not apply: cannot remove the whole document`);
  const parent = parentOf(doc, path);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(last);
    if (i === undefined || i >= parent.length) throw notApplicable(`${op.op} operation does not apply: invalid index ${JSON.stringify(last)} in ${pointer}`);
    const [value] = parent.splice(i, 1);
    return { doc, value };
  }
  if (!isJsonObject(parent) || !hasOwn(parent, last)) {
    throw notApplicable(`${op.op} operation does not apply: doc is missing ${which === 'from' ? 'from ' : ''}path: ${JSON.stringify(pointer)}`);
  }
  const value = parent[last];
  delete parent[last];
  return { doc, value };
}

/**
 * Applies an RFC 6902 patch and returns the patched document; `doc` is never mutated.
 * Throws a 400 ApiError for a malformed patch and a 422 ApiError (reason Invalid) for an
 * operation that does not apply; the patch is all-or-nothing.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodePatch(patch);
  let out = jsonDeepCopy(doc);
  for (const op of ops) out = applyOne(out, op);
  return out;
}
