/**
 * Namespace lifecycle: a namespace marked for deletion (deletionTimestamp, phase Terminating)
 * has every namespaced object of every resource deleted, custom resources included; once none
 * is left the `kubernetes` finalizer is removed from spec.finalizers and the namespace goes.
 */
import type { Logger } from 'pino';
import type { WatchHandle } from '@keelson/storage';
import type { ObjectService } from '../object-service.js';
import type { ResourceRegistry } from '../registry.js';
import { finalizeNamespace } from '../namespace-finalize.js';
import { KeyedWorkQueue } from './work-queue.js';

export const NAMESPACE_FINALIZER = 'kubernetes';

export class NamespaceController {
  private readonly queue: KeyedWorkQueue;
  private watch?: WatchHandle;

  constructor(
    private readonly svc: ObjectService,
    private readonly registry: ResourceRegistry,
    private readonly log: Logger,
  ) {
    this.queue = new KeyedWorkQueue((ns) => this.sync(ns), (ns, err) => {
      this.log.warn({ namespace: ns, err: String(err) }, 'namespace cleanup failed; retrying');
      this.queue.addAfter(ns, 1000);
    }, 2);
  }

  private get nsInfo() {
    return this.registry.get('', 'v1', 'namespaces')!;
  }

  async start(): Promise<void> {
    const listed = await this.svc.list(this.nsInfo, '', {});
    for (const text of listed.items) {
      const ns = JSON.parse(text);
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name);
    }
    this.watch = this.svc.store.watch(`${this.nsInfo.storagePrefix}/`, Number(listed.resourceVersion), {
      onEvents: (events) => {
        for (const e of events) {
          if (e.type === 'delete') continue;
          // Cheap pre-check on the text; the sync re-reads the object.
          if (e.kv.value.includes('"deletionTimestamp"')) this.queue.add(e.kv.key.slice(this.nsInfo.storagePrefix.length + 1));
        }
      },
      onError: (err) => this.log.error({ err: String(err) }, 'namespace watch ended'),
    });
  }

  stop(): void {
    this.watch?.cancel();
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async sync(name: string): Promise<void> {
    const ns = await this.svc.tryGet(this.nsInfo, '', name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    const finalizers: string[] = ns.spec?.finalizers ?? [];
    if (finalizers.includes(NAMESPACE_FINALIZER)) {
      let remaining = 0;
      for (const info of this.registry.storedResources()) {
        if (!info.namespaced) continue;
        const listed = await this.svc.list(info, name, {});
        for (const text of listed.items) {
          remaining++;
          const o = JSON.parse(text);
          if (o.metadata.deletionTimestamp) continue;
          try {
            await this.svc.delete(info, name, o.metadata.name, { propagationPolicy: 'Background' });
          } catch (err) {
            if ((err as { code?: number }).code !== 404) throw err;
          }
        }
      }
      if (remaining > 0) {
        // Objects waiting on finalizers keep the namespace; look again shortly.
        let left = 0;
        for (const info of this.registry.storedResources()) {
          if (info.namespaced) left += (await this.svc.list(info, name, { limit: 1 })).items.length;
        }
        if (left > 0) {
          this.queue.addAfter(name, 500);
          return;
        }
      }
      await finalizeNamespace(this.svc, this.nsInfo, name, finalizers.filter((f) => f !== NAMESPACE_FINALIZER));
      return;
    }
    if (finalizers.length === 0 && !(ns.metadata.finalizers?.length > 0)) {
      await finalizeNamespace(this.svc, this.nsInfo, name, []);
    }
  }
}
