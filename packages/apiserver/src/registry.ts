/**
 * The set of resources the server serves right now: the built-ins plus whatever the established
 * CRDs add. Everything that depends on it (routing, discovery, OpenAPI) reads `generation` to
 * know when to rebuild.
 */
import { gvrKey, groupVersion, type ResourceInfo } from './resource-info.js';

export class ResourceRegistry {
  private readonly builtins: ResourceInfo[];
  private readonly crds = new Map<string, ResourceInfo[]>();
  private byGvr = new Map<string, ResourceInfo>();
  private list: ResourceInfo[] = [];
  /** Bumped on every change; caches of derived documents compare against it. */
  generation = 0;
  private listeners = new Set<() => void>();

  constructor(builtins: ResourceInfo[]) {
    this.builtins = builtins;
    this.rebuild();
  }

  private rebuild(): void {
    const all = [...this.builtins];
    for (const infos of this.crds.values()) all.push(...infos);
    this.list = all;
    this.byGvr = new Map(all.map((r) => [gvrKey(r), r]));
    this.generation++;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  all(): readonly ResourceInfo[] {
    return this.list;
  }

  get(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  /** The served version of `group/resource` objects are stored as. */
  storageInfo(info: ResourceInfo): ResourceInfo {
    return this.get(info.group, info.storageVersion, info.resource) ?? info;
  }

  /** Resolves an ownerReference-style (apiVersion, kind) to a served resource. */
  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.list.find((r) => groupVersion(r.group, r.version) === apiVersion && r.kind === kind);
  }

  /** One entry per stored resource (all served versions share storage): for sweeps. */
  storedResources(): ResourceInfo[] {
    const seen = new Map<string, ResourceInfo>();
    for (const r of this.list) {
      const key = r.storagePrefix;
      const cur = seen.get(key);
      if (!cur || r.version === r.storageVersion) seen.set(key, r);
    }
    return [...seen.values()];
  }

  crdResources(crdName: string): ResourceInfo[] {
    return this.crds.get(crdName) ?? [];
  }

  setCrd(crdName: string, infos: ResourceInfo[]): void {
    this.crds.set(crdName, infos);
    this.rebuild();
  }

  removeCrd(crdName: string): void {
    if (this.crds.delete(crdName)) this.rebuild();
  }

  /** True when (group, resource) is served by something other than CRD `crdName`. */
  conflicts(group: string, resource: string, crdName: string): boolean {
    return this.list.some((r) => r.group === group && r.resource === resource && r.crd?.name !== crdName);
  }
}
