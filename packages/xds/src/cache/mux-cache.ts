/**
 * Routes each resource type to its own cache (go-control-plane's `MuxCache`). The usual shape:
 * listeners, routes and clusters from a SnapshotCache (consistent, changed together), endpoints
 * from a LinearCache (changed one cluster at a time).
 *
 * ```ts
 * const snapshots = new SnapshotCache({ nodeHash: () => 'mesh' });
 * const endpoints = new LinearCache(EndpointType);
 * const cache = new MuxCache({ [EndpointType]: endpoints }, snapshots);
 * // snapshots carry no EndpointType key, so their consistency check leaves endpoints to the LinearCache
 * ```
 */
import type { Cache, CancelWatch, ChangeSet, Node, WatchCallback } from './cache.js';
import type { TypeResources } from './snapshot.js';

export class MuxCache implements Cache {
  private readonly byType: ReadonlyMap<string, Cache>;
  private readonly fallback?: Cache;

  /** `byType`: the cache for each type URL; `fallback`: for every other type. */
  constructor(byType: Partial<Record<string, Cache>>, fallback?: Cache) {
    const m = new Map<string, Cache>();
    for (const [typeUrl, c] of Object.entries(byType)) if (c) m.set(typeUrl, c);
    this.byType = m;
    this.fallback = fallback;
  }

  private cacheFor(typeUrl: string): Cache | undefined {
    return this.byType.get(typeUrl) ?? this.fallback;
  }

  getResources(node: Node, typeUrl: string): TypeResources | undefined {
    return this.cacheFor(typeUrl)?.getResources(node, typeUrl);
  }

  createWatch(node: Node, onChange: WatchCallback): CancelWatch {
    const caches = new Set<Cache>(this.byType.values());
    if (this.fallback) caches.add(this.fallback);
    const cancels = [...caches].map((c) =>
      c.createWatch(node, (changes) => {
        // A cache reports only the types routed to it: a fallback SnapshotCache that happens to
        // carry endpoints must not shadow the LinearCache that serves them.
        const mine: ChangeSet[] = changes.filter((ch) => this.cacheFor(ch.typeUrl) === c);
        if (mine.length > 0) onChange(mine);
      }),
    );
    return () => cancels.forEach((cancel) => cancel());
  }
}
