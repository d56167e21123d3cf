/**
 * Object keys (`namespace/name`, or `name` for cluster-scoped objects) and the tombstone a
 * delete carries when the informer missed the object's final state. Names as client-go's
 * tools/cache: MetaNamespaceKeyFunc, SplitMetaNamespaceKey, DeletedFinalStateUnknown.
 */
import type { KubeObject } from './object.js';

/** Computes the key of an object. Must be stable across updates of the same object. */
export type KeyFunc<T> = (obj: T | DeletedFinalStateUnknown<T>) => string;

/**
 * What `onDelete` receives instead of the object when the informer never saw it deleted: the
 * delete happened while no watch was running (a cut connection followed by a relist), so the
 * object is its last state *known to the cache*, which may be older than the real final one.
 *
 * ```ts
 * onDelete(obj) {
 *   const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
 * }
 * ```
 */
export class DeletedFinalStateUnknown<T> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

/** `namespace/name`, or `name` when the object has no namespace. Tombstones answer their key. */
export function metaNamespaceKeyFunc<T extends KubeObject>(obj: T | DeletedFinalStateUnknown<T>): string {
  if (obj instanceof DeletedFinalStateUnknown) return obj.key;
  const meta = obj.metadata;
  const name = meta?.name;
  if (!name) {
    throw new TypeError(
      `object has no metadata.name, so it has no cache key (kind ${String(obj.kind ?? 'unknown')}); objects in an informer must be named`,
    );
  }
  return meta.namespace ? `${meta.namespace}/${name}` : name;
}

/** Splits a key made by metaNamespaceKeyFunc back into namespace ('' for cluster-scoped) and name. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1) return { namespace: '', name: parts[0] };
  if (parts.length === 2) return { namespace: parts[0], name: parts[1] };
  throw new TypeError(`unexpected key format: "${key}" (want "namespace/name" or "name")`);
}

/** The object inside a tombstone, or the object itself. */
export function unwrapTombstone<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}
