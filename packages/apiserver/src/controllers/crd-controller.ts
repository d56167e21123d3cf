/**
 * CustomResourceDefinitions: admission (validation, status on create, the cleanup finalizer),
 * serving (a written CRD is registered before the write returns, so a client can create
 * objects of it at once), and deletion (every custom resource goes, then the CRD).
 */
import type { Logger } from 'pino';
import { resourcesFromCrd } from '../crd/resources-from-crd.js';
import { validateCrd } from '../crd/validate-crd.js';
import { nowTimestamp } from '../object-meta.js';
import type { ObjectService, WriteEvent } from '../object-service.js';
import type { ResourceRegistry } from '../registry.js';
import type { ResourceInfo } from '../resource-info.js';
import { KeyedWorkQueue } from './work-queue.js';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const isCrdInfo = (info: ResourceInfo): boolean => info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions';

function acceptedNames(crd: any): any {
  const n = crd.spec?.names ?? {};
  const out: any = { plural: n.plural, singular: n.singular || String(n.kind ?? '').toLowerCase(), kind: n.kind, listKind: n.listKind || `${n.kind}List` };
  if (n.shortNames?.length) out.shortNames = n.shortNames;
  if (n.categories?.length) out.categories = n.categories;
  return out;
}

function condition(type: string, status: string, reason: string, message: string, old?: any[]): any {
  const prev = old?.find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : nowTimestamp();
  return { type, status, lastTransitionTime, reason, message };
}

export class CrdController {
  private readonly queue: KeyedWorkQueue;

  constructor(
    private readonly svc: ObjectService,
    private readonly registry: ResourceRegistry,
    private readonly log: Logger,
  ) {
    this.queue = new KeyedWorkQueue((name) => this.cleanup(name), (name, err) => {
      this.log.warn({ crd: name, err: String(err) }, 'custom resource cleanup failed; retrying');
      this.queue.addAfter(name, 1000);
    }, 2);
    svc.admission.push({
      admitCreate: (info, obj) => {
        if (!isCrdInfo(info)) return;
        if (!obj.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER];
        this.setStatus(obj, undefined);
      },
      admitUpdate: (info, next, current) => {
        if (!isCrdInfo(info)) return;
        this.setStatus(next, current);
      },
      validate: (info, obj, current) => (isCrdInfo(info) ? validateCrd(obj, current) : []),
    });
    svc.afterWrite.push((e) => this.onWrite(e));
  }

  private setStatus(obj: any, current: any | undefined): void {
    const old = current?.status;
    const stored = new Set<string>(old?.storedVersions ?? []);
    const storage = (obj.spec?.versions ?? []).find((v: any) => v.storage)?.name;
    if (storage) stored.add(storage);
    const conflict = this.nameConflict(obj);
    const conds = [
      conflict
        ? condition('NamesAccepted', 'False', 'NameConflict', conflict, old?.conditions)
        : condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', old?.conditions),
      condition('Established', conflict ? 'False' : 'True', conflict ? 'NotAccepted' : 'InitialNamesAccepted', conflict ? 'not all names are accepted' : 'the initial names have been accepted', old?.conditions),
    ];
    if (obj.metadata.deletionTimestamp) {
      conds.push(condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress', old?.conditions));
    }
    obj.status = { conditions: conds, acceptedNames: acceptedNames(obj), storedVersions: [...stored] };
  }

  private nameConflict(crd: any): string | undefined {
    const group = crd.spec?.group;
    const plural = crd.spec?.names?.plural;
    if (!group || !plural) return undefined;
    if (this.registry.conflicts(group, plural, crd.metadata?.name)) return `"${plural}" is already in use`;
    return undefined;
  }

  private async onWrite(e: WriteEvent): Promise<void> {
    if (!isCrdInfo(e.info)) return;
    this.sync(e.verb === 'delete' ? undefined : e.object, e.object.metadata.name);
  }

  /** Registers (or unregisters) what a CRD serves; starts cleanup when it is being deleted. */
  sync(crd: any | undefined, name: string): void {
    if (!crd) {
      this.registry.removeCrd(name);
      return;
    }
    const established = crd.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
    if (established) {
      try {
        this.registry.setCrd(name, resourcesFromCrd(crd));
      } catch (err) {
        this.log.error({ crd: name, err: String(err) }, 'cannot serve CRD');
      }
    }
    if (crd.metadata.deletionTimestamp && crd.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) this.queue.add(name);
  }

  /** Loads every stored CRD (server start). */
  async start(): Promise<void> {
    const info = this.registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const listed = await this.svc.list(info, '', {});
    for (const text of listed.items) {
      const crd = JSON.parse(text);
      this.sync(crd, crd.metadata.name);
    }
  }

  stop(): void {
    this.queue.stop();
  }

  private async cleanup(name: string): Promise<void> {
    const crdInfo = this.registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const crd = await this.svc.tryGet(crdInfo, '', name);
    if (!crd || !crd.metadata.deletionTimestamp) return;
    const infos = this.registry.crdResources(name);
    const info = infos.find((i) => i.version === i.storageVersion) ?? infos[0];
    if (info) {
      const listed = await this.svc.list(info, '', {});
      let remaining = 0;
      for (const text of listed.items) {
        const o = JSON.parse(text);
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        try {
          await this.svc.delete(info, o.metadata.namespace ?? '', o.metadata.name, {});
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
        }
      }
      if (remaining > 0) {
        const after = await this.svc.list(info, '', { limit: 1 });
        if (after.items.length > 0) {
          // Some wait on their own finalizers: look again shortly.
          this.queue.addAfter(name, 500);
          return;
        }
      }
    }
    await this.svc.removeFinalizer(crdInfo, '', name, CRD_CLEANUP_FINALIZER);
  }
}

