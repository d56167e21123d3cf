/** Small shared helpers on object metadata and field access used across the server. */
import type { ResourceInfo } from './resource-info.js';
import { groupVersion } from './resource-info.js';

export function apiVersionOf(info: ResourceInfo): string {
  return groupVersion(info.group, info.version);
}

export function storageApiVersionOf(info: ResourceInfo): string {
  return groupVersion(info.group, info.storageVersion);
}

export function groupResource(info: ResourceInfo): { group: string; resource: string } {
  return { group: info.group, resource: info.resource };
}

export function objectKey(info: ResourceInfo, namespace: string, name: string): string {
  return info.namespaced ? `${info.storagePrefix}/${namespace}/${name}` : `${info.storagePrefix}/${name}`;
}

/** Prefix of every object of `info` in `namespace` ('' = all namespaces). Always ends in '/'. */
export function listPrefix(info: ResourceInfo, namespace: string): string {
  return info.namespaced && namespace ? `${info.storagePrefix}/${namespace}/` : `${info.storagePrefix}/`;
}

/** Reads a dotted path (".spec.replicas" or "spec.replicas"). */
export function getPath(obj: any, path: string): unknown {
  let cur = obj;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (part === '') continue;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[part];
  }
  return cur;
}

export function setPath(obj: any, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.').filter((p) => p !== '');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (cur[part] === null || typeof cur[part] !== 'object') cur[part] = {};
    cur = cur[part];
  }
  cur[parts[parts.length - 1]] = value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as any)[k], (b as any)[k])) return false;
  return true;
}

/** RFC 3339 with seconds and Z, as Kubernetes writes metav1.Time. */
export function nowTimestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The ObjectMeta fields a client may send; anything else is an unknown field. */
export const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const OMIT_EMPTY_META_COLLECTIONS = ['labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];

/**
 * kube-apiserver round-trips metadata through the typed ObjectMeta (custom resources too, via
 * schemaobjectmeta.Coerce), whose fields are `omitempty`: a null field and an empty labels,
 * annotations, ownerReferences, finalizers or managedFields are not stored. kubectl relies on
 * it: `kubectl diff` and client-side apply send `"annotations":{}`, which must not show up.
 */
export function dropEmptyMetadataFields(meta: Record<string, unknown>): void {
  for (const k of Object.keys(meta)) {
    const v = meta[k];
    if (v === null) delete meta[k];
    else if (OMIT_EMPTY_META_COLLECTIONS.includes(k) && typeof v === 'object' && Object.keys(v).length === 0) delete meta[k];
  }
}
