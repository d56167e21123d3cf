/**
 * Subresources as discovery lists them, and the storage version hash of a resource.
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../resource-info.js';

export interface SubresourceFacts {
  /** "status" or "scale". */
  name: string;
  /** The kind the subresource answers with: the parent kind, or autoscaling/v1 Scale. */
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** status and scale answer get, update and patch, nothing else. */
const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

/** Sorted by name, as the installer and the aggregated discovery both list them. */
export function subresourcesOf(r: ResourceInfo): SubresourceFacts[] {
  const out: SubresourceFacts[] = [];
  if (r.subresources.scale) out.push({ name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SUBRESOURCE_VERBS });
  if (r.subresources.status) out.push({ name: 'status', group: r.group, version: r.version, kind: r.kind, verbs: SUBRESOURCE_VERBS });
  return out;
}

/**
 * discovery.StorageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>") of
 * the storage version; the core group is "", so pods hash "/v1/Pod" (giving "xPOwRZ+Yhw8=", the
 * value real clusters publish). Clients (the storage version migrator) compare it for equality.
 */
export function storageVersionHash(r: ResourceInfo): string {
  const input = `${r.group}/${r.storageVersion}/${r.kind}`;
  return createHash('sha256').update(input).digest().subarray(0, 8).toString('base64');
}
