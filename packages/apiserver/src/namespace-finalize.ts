/**
 * PUT /api/v1/namespaces/<n>/finalize: the only way to change a namespace's spec.finalizers
 * (normal updates keep them). When the last one goes from a terminating namespace, it is removed.
 */
import { newConflict } from '@keelson/apimachinery';
import { RevisionConflictError } from '@keelson/storage';
import { encodeForStorage } from './object-codec.js';
import type { ObjectService } from './object-service.js';
import type { ResourceInfo } from './resource-info.js';

/** Sets a namespace's spec.finalizers (the /finalize subresource). */
export async function finalizeNamespace(svc: ObjectService, info: ResourceInfo, name: string, finalizers: string[]): Promise<any> {
  // The namespace strategy pins spec.finalizers on normal updates, so write through the store directly.
  for (let i = 0; i < 64; i++) {
    const kv = await svc.getKv(info, '', name);
    const cur = svc.decode(info, kv);
    cur.spec = { ...(cur.spec ?? {}), finalizers };
    if (finalizers.length === 0) delete cur.spec.finalizers;
    const finished = cur.metadata.deletionTimestamp && finalizers.length === 0 && !(cur.metadata.finalizers?.length > 0);
    try {
      const written = await svc.store.update(kv.key, encodeForStorage(cur), kv.modRevision);
      cur.metadata.resourceVersion = String(written.modRevision);
      if (finished) {
        await svc.store.delete(kv.key, written.modRevision);
      }
      return cur;
    } catch (e) {
      if (e instanceof RevisionConflictError) continue;
      throw e;
    }
  }
  throw newConflict({ group: '', resource: 'namespaces' }, name, 'too many concurrent writers; please retry');
}
