/**
 * The garbage collector: deletion propagation through ownerReferences.
 * - Background: an object whose owners are all gone is deleted.
 * - Foreground: an owner with the `foregroundDeletion` finalizer has its dependents deleted;
 *   the finalizer is removed once no dependent with blockOwnerDeletion=true is left.
 * - Orphan: an owner with the `orphan` finalizer has its ownerReference removed from every
 *   dependent, then the finalizer.
 * It keeps only the ownership edges (owner uid → dependent keys), not the objects, so its
 * memory grows with the number of objects that have owners. Owners are verified by reading
 * them (by kind/name, checked against the uid), as kube's GC verifies against the API.
 */
import type { Logger } from 'pino';
import type { KeyValue, WatchEvent, WatchHandle } from '@keelson/storage';
import type { ResourceInfo } from '../resource-info.js';
import type { ObjectService } from '../object-service.js';
import type { ResourceRegistry } from '../registry.js';
import { KeyedWorkQueue } from './work-queue.js';

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
}

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

export class GarbageCollector {
  /** owner uid → keys of objects that name it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** dependent key → owner uids it names (to update edges on change). */
  private readonly owners = new Map<string, string[]>();
  private readonly attemptToDelete: KeyedWorkQueue;
  private readonly processOwner: KeyedWorkQueue;
  private watch?: WatchHandle;

  constructor(
    private readonly svc: ObjectService,
    private readonly registry: ResourceRegistry,
    private readonly log: Logger,
  ) {
    const retry = (q: () => KeyedWorkQueue) => (key: string, err: unknown) => {
      this.log.warn({ key, err: String(err) }, 'garbage collection step failed; retrying');
      q().addAfter(key, 1000);
    };
    this.attemptToDelete = new KeyedWorkQueue((k) => this.attemptToDeleteItem(k), retry(() => this.attemptToDelete), 4);
    this.processOwner = new KeyedWorkQueue((k) => this.processDeletingOwner(k), retry(() => this.processOwner), 2);
  }

  async start(): Promise<void> {
    // One scan builds the edges; only values that mention ownerReferences are parsed.
    let start: string | undefined;
    let revision: number | undefined;
    for (;;) {
      const page = await this.svc.store.list('/registry/', { revision, limit: 5000, startKey: start });
      revision = page.revision;
      for (const kv of page.items) this.observe(kv, true);
      if (!page.more || page.items.length === 0) break;
      start = page.items[page.items.length - 1].key + '\x00';
    }
    this.watch = this.svc.store.watch('/registry/', revision!, {
      onEvents: (events) => this.onEvents(events),
      onError: (err) => this.log.error({ err: String(err) }, 'garbage collector watch ended'),
    });
  }

  stop(): void {
    this.watch?.cancel();
    this.attemptToDelete.stop();
    this.processOwner.stop();
  }

  async idle(): Promise<void> {
    await this.processOwner.idle();
    await this.attemptToDelete.idle();
  }

  private onEvents(events: WatchEvent[]): void {
    for (const e of events) {
      if (e.type === 'delete') {
        this.forget(e.kv.key);
        const uid = uidOf(e.kv.value);
        const deps = uid ? this.dependents.get(uid) : undefined;
        if (deps) for (const k of deps) this.attemptToDelete.add(k);
      } else {
        this.observe(e.kv, false);
      }
    }
  }

  private observe(kv: KeyValue, initial: boolean): void {
    const v = kv.value;
    const hasOwners = v.includes('"ownerReferences"');
    const deleting = v.includes('"deletionTimestamp"') && (v.includes(`"${FOREGROUND}"`) || v.includes(`"${ORPHAN}"`));
    if (!hasOwners && !deleting) {
      if (this.owners.has(kv.key)) this.forget(kv.key);
      return;
    }
    let obj: any;
    try {
      obj = JSON.parse(v);
    } catch {
      return;
    }
    const refs: OwnerRef[] = Array.isArray(obj.metadata?.ownerReferences) ? obj.metadata.ownerReferences : [];
    this.forget(kv.key);
    if (refs.length) {
      const uids = refs.map((r) => r.uid).filter((u) => typeof u === 'string');
      this.owners.set(kv.key, uids);
      for (const u of uids) {
        let s = this.dependents.get(u);
        if (!s) this.dependents.set(u, (s = new Set()));
        s.add(kv.key);
      }
      // A new dependent whose owner is already gone (or, at start, may have gone while we were down).
      if (initial || !kv.value.includes('"deletionTimestamp"')) this.attemptToDelete.addAfter(kv.key, initial ? 0 : 100);
    }
    const fin: string[] = obj.metadata?.finalizers ?? [];
    if (obj.metadata?.deletionTimestamp && (fin.includes(FOREGROUND) || fin.includes(ORPHAN))) this.processOwner.add(kv.key);
    // A dependent that changed while its owner is being deleted in the foreground may unblock it.
    for (const r of refs) {
      if (r.blockOwnerDeletion && obj.metadata?.deletionTimestamp) this.requeueOwnerByUid(r.uid);
    }
  }

  private forget(key: string): void {
    const uids = this.owners.get(key);
    if (!uids) return;
    this.owners.delete(key);
    for (const u of uids) {
      const s = this.dependents.get(u);
      if (!s) continue;
      s.delete(key);
      if (s.size === 0) this.dependents.delete(u);
      // The owner may be waiting for this dependent to go (foreground deletion).
      this.requeueOwnerByUid(u);
    }
  }

  private readonly ownerKeyByUid = new Map<string, string>();

  private requeueOwnerByUid(uid: string): void {
    const k = this.ownerKeyByUid.get(uid);
    if (k) this.processOwner.add(k);
  }

  private infoForKey(key: string): { info: ResourceInfo; namespace: string; name: string } | undefined {
    let best: ResourceInfo | undefined;
    for (const r of this.registry.storedResources()) {
      if (key.startsWith(r.storagePrefix + '/') && (!best || r.storagePrefix.length > best.storagePrefix.length)) best = r;
    }
    if (!best) return undefined;
    const rest = key.slice(best.storagePrefix.length + 1).split('/');
    if (best.namespaced) return rest.length === 2 ? { info: best, namespace: rest[0], name: rest[1] } : undefined;
    return rest.length === 1 ? { info: best, namespace: '', name: rest[0] } : undefined;
  }

  /** The owner's state: 'absent' (gone or a different uid), 'deleting-foreground', or 'present'. */
  private async ownerState(ref: OwnerRef, namespace: string): Promise<'absent' | 'deleting-foreground' | 'present' | 'unknown'> {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
    const info =
      this.registry.byKind(ref.apiVersion, ref.kind) ?? this.registry.all().find((r) => r.group === group && r.kind === ref.kind);
    // An owner of a kind this server does not serve cannot be verified; kube's GC leaves such dependents alone.
    if (!info) return 'unknown';
    const owner = await this.svc.tryGet(info, info.namespaced ? namespace : '', ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) return 'absent';
    if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND)) return 'deleting-foreground';
    return 'present';
  }

  private async attemptToDeleteItem(key: string): Promise<void> {
    const where = this.infoForKey(key);
    if (!where) return;
    const obj = await this.svc.tryGet(where.info, where.namespace, where.name);
    if (!obj || obj.metadata.deletionTimestamp) return;
    const refs: OwnerRef[] = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = await Promise.all(refs.map((r) => this.ownerState(r, where.namespace)));
    const dangling = refs.filter((_, i) => states[i] === 'absent');
    const solid = refs.filter((_, i) => states[i] === 'present' || states[i] === 'unknown');
    const waiting = refs.filter((_, i) => states[i] === 'deleting-foreground');
    if (solid.length > 0) {
      if (dangling.length > 0) {
        const gone = new Set(dangling.map((r) => r.uid));
        await this.svc.guaranteedUpdate(where.info, where.namespace, where.name, (cur) => {
          cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r: OwnerRef) => !gone.has(r.uid));
          if (cur.metadata.ownerReferences.length === 0) delete cur.metadata.ownerReferences;
          return cur;
        });
      }
      return;
    }
    // Every owner is gone or being deleted in the foreground: this object goes too. Under a
    // foreground owner it goes in the foreground itself, so the cascade runs depth-first.
    const policy = waiting.length > 0 ? 'Foreground' : 'Background';
    this.log.debug({ key, policy }, 'deleting dependent');
    try {
      await this.svc.delete(where.info, where.namespace, where.name, { propagationPolicy: policy, preconditions: { uid: obj.metadata.uid } });
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404 && code !== 409) throw err;
    }
  }

  private async processDeletingOwner(key: string): Promise<void> {
    const where = this.infoForKey(key);
    if (!where) return;
    const owner = await this.svc.tryGet(where.info, where.namespace, where.name);
    if (!owner || !owner.metadata.deletionTimestamp) return;
    const uid: string = owner.metadata.uid;
    this.ownerKeyByUid.set(uid, key);
    const fin: string[] = owner.metadata.finalizers ?? [];
    const deps = [...(this.dependents.get(uid) ?? [])];
    if (fin.includes(ORPHAN)) {
      for (const dk of deps) {
        const d = this.infoForKey(dk);
        if (!d) continue;
        try {
          await this.svc.guaranteedUpdate(d.info, d.namespace, d.name, (cur) => {
            cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r: OwnerRef) => r.uid !== uid);
            if (cur.metadata.ownerReferences.length === 0) delete cur.metadata.ownerReferences;
            return cur;
          });
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
        }
      }
      await this.svc.removeFinalizer(where.info, where.namespace, where.name, ORPHAN);
      this.ownerKeyByUid.delete(uid);
      return;
    }
    if (fin.includes(FOREGROUND)) {
      let blocking = 0;
      for (const dk of deps) {
        const d = this.infoForKey(dk);
        if (!d) continue;
        const dep = await this.svc.tryGet(d.info, d.namespace, d.name);
        if (!dep) continue;
        const ref = (dep.metadata.ownerReferences ?? []).find((r: OwnerRef) => r.uid === uid);
        if (!ref) continue;
        if (ref.blockOwnerDeletion) blocking++;
        if (!dep.metadata.deletionTimestamp) this.attemptToDelete.add(dk);
      }
      if (blocking === 0) {
        await this.svc.removeFinalizer(where.info, where.namespace, where.name, FOREGROUND);
        this.ownerKeyByUid.delete(uid);
      }
    }
  }
}

function uidOf(value: string): string | undefined {
  try {
    return JSON.parse(value)?.metadata?.uid;
  } catch {
    return undefined;
  }
}
