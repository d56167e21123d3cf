/**
 * One resource type, updated resource by resource, the same for every node (go-control-plane's
 * `LinearCache`). Meant for endpoints: a pod going away changes one ClusterLoadAssignment, and
 * only the streams subscribed to that one hear about it. The type version is a counter
 * (`versionPrefix` + n) that moves on every change; resource versions are content hashes.
 *
 * ```ts
 * const endpoints = new LinearCache(EndpointType);
 * endpoints.updateResource(clusterLoadAssignment({ clusterName: 'greeter-v1', endpoints }));
 * endpoints.deleteResource('greeter-v2');
 * ```
 *
 * Each change makes a new name → resource map (streams share the one it replaces: see
 * ClientView) as a layer over the last flat one, so it costs the size of the change, not of the
 * cache (layered-map.ts). Batch changes with `updateResources`: one version, one notification.
 */
import type { Logger } from 'pino';
import { InvalidResourceError } from '../errors.js';
import { defaultLogger } from '../logger.js';
import type { Cache, CancelWatch, Node, WatchCallback } from './cache.js';
import { LayeredMap } from './layered-map.js';
import { makeResource, Resource, type Message } from './resource.js';
import type { TypeResources } from './snapshot.js';

export interface LinearCacheOptions {
  /** Prefix of the type version, so versions of two control-plane replicas differ. Default ''. */
  versionPrefix?: string;
  /** Resources to start with. */
  initialResources?: ReadonlyArray<Resource | Message>;
  logger?: Logger;
}

export class LinearCache implements Cache {
  readonly typeUrl: string;
  private readonly versionPrefix: string;
  private counter = 0;
  private current: TypeResources;
  private readonly watches = new Set<WatchCallback>();
  private readonly logger: Logger;

  constructor(typeUrl: string, options: LinearCacheOptions = {}) {
    this.typeUrl = typeUrl;
    this.versionPrefix = options.versionPrefix ?? '';
    this.logger = (options.logger ?? defaultLogger()).child({ component: 'linear-cache', type: typeUrl });
    const map = new Map<string, Resource>();
    for (const r of options.initialResources ?? []) {
      const res = this.toResource(r);
      map.set(res.name, res);
    }
    this.current = { version: this.nextVersion(), resources: map };
  }

  /** The type version: moves on every change. */
  get version(): string {
    return this.current.version;
  }

  get size(): number {
    return this.current.resources.size;
  }

  getResource(name: string): Resource | undefined {
    return this.current.resources.get(name);
  }

  /** Adds or replaces one resource. A resource with the same content changes nothing. */
  updateResource(resource: Resource | Message): void {
    this.updateResources([resource], []);
  }

  deleteResource(name: string): void {
    this.updateResources([], [name]);
  }

  /** Adds, replaces and deletes in one change (one version, one notification). */
  updateResources(toUpdate: ReadonlyArray<Resource | Message>, toDelete: readonly string[]): void {
    const updates = toUpdate.map((r) => this.toResource(r));
    const changed = new Set<string>();
    for (const r of updates) if (this.current.resources.get(r.name)?.version !== r.version) changed.add(r.name);
    for (const n of toDelete) if (this.current.resources.has(n)) changed.add(n);
    if (changed.size === 0) return;
    // A layered map: the change costs its own size, not the cache's (layered-map.ts).
    const map = LayeredMap.from(this.current.resources).with(
      updates.map((r): [string, Resource] => [r.name, r]),
      toDelete,
    );
    this.commit(map, changed);
  }

  /** Replaces everything: what is not in `resources` is deleted. */
  setResources(resources: ReadonlyArray<Resource | Message>): void {
    const map = new Map<string, Resource>();
    for (const r of resources) {
      const res = this.toResource(r);
      map.set(res.name, res);
    }
    const changed = new Set<string>();
    for (const [name, r] of map) if (this.current.resources.get(name)?.version !== r.version) changed.add(name);
    for (const name of this.current.resources.keys()) if (!map.has(name)) changed.add(name);
    if (changed.size === 0) return;
    this.commit(map, changed);
  }

  getResources(_node: Node, typeUrl: string): TypeResources | undefined {
    return typeUrl === this.typeUrl ? this.current : undefined;
  }

  createWatch(_node: Node, onChange: WatchCallback): CancelWatch {
    this.watches.add(onChange);
    return () => this.watches.delete(onChange);
  }

  private commit(map: ReadonlyMap<string, Resource>, changed: ReadonlySet<string>): void {
    this.current = { version: this.nextVersion(), resources: map };
    const changes = [{ typeUrl: this.typeUrl, names: changed }];
    for (const cb of this.watches) {
      try {
        cb(changes);
      } catch (err) {
        this.logger.error({ err }, 'a linear cache watch callback threw; the stream will miss this change');
      }
    }
  }

  private nextVersion(): string {
    return `${this.versionPrefix}${++this.counter}`;
  }

  private toResource(r: Resource | Message): Resource {
    const res = r instanceof Resource ? r : makeResource(this.typeUrl, r);
    if (res.typeUrl !== this.typeUrl) {
      throw new InvalidResourceError(res.typeUrl, res.name, '', `this LinearCache holds ${this.typeUrl} resources only; use another cache (or a MuxCache) for ${res.typeUrl}`);
    }
    return res;
  }
}
