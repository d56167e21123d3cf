/**
 * RESTMapper: kind ↔ resource, from discovery, as client-go's meta.RESTMapper with kubectl's
 * shortcut expansion and priority rules:
 * - a resource argument matches a plural ("deployments"), a singular ("deployment", also the
 *   lower-cased kind) or a short name ("deploy"), case-insensitively; plural beats singular beats
 *   short name, then the server's group order (core first) decides, so "events" is core/v1 events;
 * - without a version, a group's preferred version serves the mapping when it has the resource;
 * - `parseResourceArg` reads kubectl's forms: "deploy", "deployments.apps", "deployments.v1.apps".
 *
 * `RESTMapper` is pure over one DiscoveryResult. `DeferredDiscoveryRESTMapper` (below) caches one
 * and refreshes it when a lookup misses, at most once per `minRefreshIntervalMs`: a CRD created a
 * moment ago is found on the next lookup, and a typo cannot hammer discovery.
 *
 * ```ts
 * const m = await client.restMapper.restMapping({ group: 'apps', kind: 'Deployment' });
 * m.gvr;   // { group: 'apps', version: 'v1', resource: 'deployments' }
 * m.scope; // 'Namespaced'
 * ```
 */
import type { GroupVersionKind, GroupVersionResource } from '@keelson/apimachinery';
import { raceAbort, realClock, type Clock } from './clock.js';
import type { APIResourceInfo, DiscoveryClient, DiscoveryResult } from './discovery.js';

export interface GroupKind {
  group: string;
  kind: string;
}

/** A resource reference with what is known of it: at least the resource name. */
export interface PartialGVR {
  group?: string;
  version?: string;
  resource: string;
}

export interface RESTMapping {
  gvk: GroupVersionKind;
  gvr: GroupVersionResource;
  scope: 'Namespaced' | 'Cluster';
  /** Everything discovery said about the resource. */
  resource: APIResourceInfo;
}

/** No resource serves this kind. */
export class NoKindMatchError extends Error {
  constructor(
    readonly groupKind: GroupKind,
    readonly searchedVersions: string[] = [],
  ) {
    const where = searchedVersions.length ? `in version${searchedVersions.length > 1 ? 's' : ''} ${searchedVersions.map((v) => (groupKind.group ? `"${groupKind.group}/${v}"` : `"${v}"`)).join(', ')}` : `in group "${groupKind.group}"`;
    super(`no matches for kind "${groupKind.kind}" ${where}; is its CustomResourceDefinition installed and established?`);
    this.name = 'NoKindMatchError';
  }
}

/** No resource has this name. */
export class NoResourceMatchError extends Error {
  constructor(readonly partial: PartialGVR) {
    const q = [partial.resource, partial.version, partial.group].filter((s) => s !== undefined && s !== '').join('.');
    super(`the server doesn't have a resource type "${q}"`);
    this.name = 'NoResourceMatchError';
  }
}

export const isNoMatchError = (err: unknown): boolean => err instanceof NoKindMatchError || err instanceof NoResourceMatchError;

const mappingOf = (r: APIResourceInfo): RESTMapping => ({
  gvk: { group: r.group, version: r.version, kind: r.kind },
  gvr: { group: r.group, version: r.version, resource: r.resource },
  scope: r.namespaced ? 'Namespaced' : 'Cluster',
  resource: r,
});

export class RESTMapper {
  private readonly groupRank = new Map<string, number>();
  private readonly preferred = new Map<string, string>();
  private readonly versionRank = new Map<string, number>();

  constructor(readonly discovery: DiscoveryResult) {
    discovery.groups.forEach((g, i) => {
      if (!this.groupRank.has(g.name)) this.groupRank.set(g.name, i);
      this.preferred.set(g.name, g.preferredVersion);
      g.versions.forEach((v, j) => this.versionRank.set(`${g.name}/${v}`, j));
    });
  }

  /** Priority of a resource among equals: group order, then preferred version, then version order. */
  private rank(r: APIResourceInfo): number {
    const g = this.groupRank.get(r.group) ?? 1e6;
    const v = this.preferred.get(r.group) === r.version ? -1 : (this.versionRank.get(`${r.group}/${r.version}`) ?? 1e3);
    return g * 1e4 + v;
  }

  private sorted(rs: APIResourceInfo[]): APIResourceInfo[] {
    return rs.sort((a, b) => this.rank(a) - this.rank(b));
  }

  /** Every version's mapping of a kind, the preferred first. */
  restMappings(gk: GroupKind, version?: string): RESTMapping[] {
    const exact = this.discovery.resources.filter((r) => r.group === gk.group && r.kind === gk.kind && (!version || r.version === version));
    const found = exact.length ? exact : this.discovery.resources.filter((r) => r.group === gk.group && r.kind.toLowerCase() === gk.kind.toLowerCase() && (!version || r.version === version));
    return this.sorted(found).map(mappingOf);
  }

  /** The mapping of a kind at a version (the group's preferred one by default). Throws NoKindMatchError. */
  restMapping(gk: GroupKind, version?: string): RESTMapping {
    const all = this.restMappings(gk, version);
    if (all.length === 0) throw new NoKindMatchError(gk, version ? [version] : []);
    return all[0];
  }

  /** Every resource a partial reference could mean, best first. */
  resourcesFor(partial: PartialGVR): GroupVersionResource[] {
    return this.matches(partial).map((r) => ({ group: r.group, version: r.version, resource: r.resource }));
  }

  private matches(partial: PartialGVR): APIResourceInfo[] {
    const name = partial.resource.toLowerCase();
    const tiers: APIResourceInfo[][] = [[], [], []];
    for (const r of this.discovery.resources) {
      if (partial.group !== undefined && r.group !== partial.group) continue;
      if (partial.version !== undefined && partial.version !== '' && r.version !== partial.version) continue;
      if (r.resource === name) tiers[0].push(r);
      else if (r.singular === name || r.kind.toLowerCase() === name) tiers[1].push(r);
      else if (r.shortNames.includes(name)) tiers[2].push(r);
    }
    return tiers.flatMap((t) => this.sorted(t));
  }

  /** The best resource for a partial reference. Throws NoResourceMatchError. */
  resourceFor(partial: PartialGVR): GroupVersionResource {
    const m = this.matches(partial);
    if (m.length === 0) throw new NoResourceMatchError(partial);
    const r = m[0];
    return { group: r.group, version: r.version, resource: r.resource };
  }

  /** The kind a resource serves. Throws NoResourceMatchError. */
  kindFor(partial: PartialGVR): GroupVersionKind {
    const m = this.matches(partial);
    if (m.length === 0) throw new NoResourceMatchError(partial);
    return { group: m[0].group, version: m[0].version, kind: m[0].kind };
  }

  /** The full mapping for a partial resource reference. */
  mappingForResource(partial: PartialGVR): RESTMapping {
    const m = this.matches(partial);
    if (m.length === 0) throw new NoResourceMatchError(partial);
    return mappingOf(m[0]);
  }

  /** "pods" → "pod". */
  resourceSingularizer(resource: string): string {
    return this.mappingForResource({ resource }).resource.singular;
  }

  /** Every resource in a category ("all", "api-extensions"), one per group-resource, preferred version. */
  resourcesInCategory(category: string): RESTMapping[] {
    const seen = new Set<string>();
    const out: RESTMapping[] = [];
    for (const r of this.sorted(this.discovery.resources.filter((x) => x.categories.includes(category)))) {
      const key = `${r.group}/${r.resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(mappingOf(r));
    }
    return out;
  }

  /**
   * kubectl's resource argument: "po", "deployments.apps", "deployments.v1.apps", "foos.example.com".
   * A form with two dots or more is tried as resource.version.group first, then as resource.group.
   */
  parseResourceArg(arg: string): RESTMapping {
    const parts = arg.split('.');
    if (parts.length >= 3) {
      const m = this.matches({ resource: parts[0], version: parts[1], group: parts.slice(2).join('.') });
      if (m.length) return mappingOf(m[0]);
    }
    if (parts.length >= 2) {
      const m = this.matches({ resource: parts[0], group: parts.slice(1).join('.') });
      if (m.length) return mappingOf(m[0]);
      throw new NoResourceMatchError({ resource: parts[0], group: parts.slice(1).join('.') });
    }
    return this.mappingForResource({ resource: arg });
  }
}

export interface DeferredMapperOptions {
  /** The least time between two discovery refreshes caused by misses; 1 s by default. */
  minRefreshIntervalMs?: number;
  clock?: Clock;
}

/** A one-second floor between refreshes: a CRD established a second ago is found, a loop looking up a typo costs one discovery a second. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 1000;

/**
 * A RESTMapper over cached discovery: loaded on first use, refreshed when a lookup misses (waiting
 * out what remains of `minRefreshIntervalMs` since the last load), then the lookup is tried once
 * more. Concurrent misses share one refresh.
 */
export class DeferredDiscoveryRESTMapper {
  private current?: RESTMapper;
  private loading?: Promise<RESTMapper>;
  private loadedAt = -Infinity;
  private generation = 0;
  private readonly minInterval: number;
  private readonly clock: Clock;
  /** How many times discovery was read (tests and metrics). */
  loads = 0;

  constructor(
    private readonly discovery: DiscoveryClient,
    opts: DeferredMapperOptions = {},
  ) {
    this.minInterval = opts.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
    this.clock = opts.clock ?? realClock;
  }

  /** The cached mapper (loading discovery the first time). */
  async mapper(signal?: AbortSignal): Promise<RESTMapper> {
    if (this.current) return this.current;
    return raceAbort(this.load(), signal);
  }

  /** Forget the cache; the next lookup reads discovery again. */
  reset(): void {
    this.current = undefined;
  }

  /** One discovery read shared by every caller (so no caller's signal cancels it for the others). */
  private load(): Promise<RESTMapper> {
    this.loading ??= (async () => {
      try {
        this.loads++;
        const d = await this.discovery.serverGroupsAndResources();
        this.current = new RESTMapper(d);
        this.loadedAt = this.clock.now();
        this.generation++;
        return this.current;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async refreshAfterMiss(seenGeneration: number, signal?: AbortSignal): Promise<RESTMapper> {
    if (this.loading) return raceAbort(this.loading, signal);
    if (this.generation !== seenGeneration && this.current) return this.current; // someone refreshed meanwhile
    const wait = this.loadedAt + this.minInterval - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, signal);
    if (this.generation !== seenGeneration && this.current) return this.current;
    return raceAbort(this.load(), signal);
  }

  /** Runs a lookup; on a miss, refreshes discovery once and runs it again. */
  async lookup<R>(fn: (m: RESTMapper) => R, signal?: AbortSignal): Promise<R> {
    const m = await this.mapper(signal);
    const gen = this.generation;
    try {
      return fn(m);
    } catch (e) {
      if (!isNoMatchError(e)) throw e;
      return fn(await this.refreshAfterMiss(gen, signal));
    }
  }

  restMapping(gk: GroupKind, version?: string, signal?: AbortSignal): Promise<RESTMapping> {
    return this.lookup((m) => m.restMapping(gk, version), signal);
  }

  resourceFor(partial: PartialGVR, signal?: AbortSignal): Promise<GroupVersionResource> {
    return this.lookup((m) => m.resourceFor(partial), signal);
  }

  kindFor(partial: PartialGVR, signal?: AbortSignal): Promise<GroupVersionKind> {
    return this.lookup((m) => m.kindFor(partial), signal);
  }

  parseResourceArg(arg: string, signal?: AbortSignal): Promise<RESTMapping> {
    return this.lookup((m) => m.parseResourceArg(arg), signal);
  }
}
