/**
 * A MeshSpec's version: a hash of its content, so the same mesh always has the same version
 * (after a restart, or when an edit is undone) and a change that alters nothing (a comment, a
 * reordered key, an EndpointSlice rewritten as it was) makes no new snapshot.
 */
import { createHash } from 'node:crypto';
import type { MeshSpec } from './mesh-spec.js';

/** 16 hex digits of the SHA-256 of the spec's canonical JSON (keys sorted, undefined left out). */
export function meshSpecVersion(spec: MeshSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

/** JSON with object keys in sorted order; list order is kept (it means something: routes, destinations). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
