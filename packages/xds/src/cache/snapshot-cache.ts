/**
 * Snapshots by node (go-control-plane's `SnapshotCache`): `setSnapshot(key, snapshot)` replaces
 * what every node hashing to `key` sees, atomically across types; the streams of those nodes
 * hear exactly which resources changed and push them in make-before-break order.
 *
 * Snapshots are consistent by construction (the Snapshot constructor refuses dangling
 * references), so a route never names a cluster the cache lacks.
 *
 * ```ts
 * const cache = new SnapshotCache();                       // keyed by node.id
 * cache.setSnapshot('greeter-client-1', snapshot);
 * // one config for every client: new SnapshotCache({ nodeHash: () => 'mesh' }), setSnapshot('mesh', ...)
 * ```
 *
 * Unlike go-control-plane's ADS mode, a request that names only some of the snapshot's
 * resources is answered (proxyless gRPC clients always do that; go-control-plane #426).
 */
import type { Logger } from 'pino';
import { defaultLogger } from '../logger.js';
import type { Cache, CancelWatch, ChangeSet, Node, NodeHash, WatchCallback } from './cache.js';
import { idHash } from './cache.js';
import type { Snapshot, TypeResources } from './snapshot.js';

export interface SnapshotCacheOptions {
  /** Which snapshot a node sees. Default: its id. */
  nodeHash?: NodeHash;
  logger?: Logger;
}

export interface SnapshotCacheStatus {
  key: string;
  version?: string;
  watches: number;
  lastSetAt?: string;
}

export class SnapshotCache implements Cache {
  readonly nodeHash: NodeHash;
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watches = new Map<string, Set<WatchCallback>>();
  private readonly setAt = new Map<string, string>();
  private readonly logger: Logger;

  constructor(options: SnapshotCacheOptions = {}) {
    this.nodeHash = options.nodeHash ?? idHash;
    this.logger = (options.logger ?? defaultLogger()).child({ component: 'snapshot-cache' });
  }

  /** Replaces the snapshot for `key` and tells the watching streams what changed. */
  setSnapshot(key: string, snapshot: Snapshot): void {
    const previous = this.snapshots.get(key);
    this.snapshots.set(key, snapshot);
    this.setAt.set(key, new Date().toISOString());
    const changes = previous ? diffSnapshots(previous, snapshot) : snapshot.types().map((typeUrl) => ({ typeUrl, names: 'all' as const }));
    this.logger.debug({ key, version: snapshot.version, previous: previous?.version, changedTypes: changes.length }, 'snapshot set');
    if (changes.length > 0) this.notify(key, changes);
  }

  getSnapshot(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  /** Forgets the snapshot of `key`. Clients keep what they have; their streams wait for the next one. */
  clearSnapshot(key: string): void {
    this.snapshots.delete(key);
    this.setAt.delete(key);
  }

  /** Keys that have a snapshot. */
  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  status(key: string): SnapshotCacheStatus {
    return { key, version: this.snapshots.get(key)?.version, watches: this.watches.get(key)?.size ?? 0, lastSetAt: this.setAt.get(key) };
  }

  getResources(node: Node, typeUrl: string): TypeResources | undefined {
    return this.snapshots.get(this.nodeHash(node))?.get(typeUrl);
  }

  createWatch(node: Node, onChange: WatchCallback): CancelWatch {
    const key = this.nodeHash(node);
    let set = this.watches.get(key);
    if (!set) this.watches.set(key, (set = new Set()));
    set.add(onChange);
    return () => {
      const s = this.watches.get(key);
      if (!s) return;
      s.delete(onChange);
      if (s.size === 0) this.watches.delete(key);
    };
  }

  private notify(key: string, changes: readonly ChangeSet[]): void {
    for (const cb of this.watches.get(key) ?? []) {
      try {
        cb(changes);
      } catch (err) {
        this.logger.error({ err, key }, 'a snapshot watch callback threw; the stream will miss this change');
      }
    }
  }
}

/** Per type, the names whose resource was added, changed (by hash) or removed. */
export function diffSnapshots(previous: Snapshot, next: Snapshot): ChangeSet[] {
  const changes: ChangeSet[] = [];
  const types = new Set([...previous.types(), ...next.types()]);
  for (const typeUrl of types) {
    const a = previous.get(typeUrl)?.resources;
    const b = next.get(typeUrl)?.resources;
    if (a === b) continue;
    if (!a || !b) {
      changes.push({ typeUrl, names: 'all' });
      continue;
    }
    const names = new Set<string>();
    for (const [name, r] of b) {
      const old = a.get(name);
      if (!old || old.version !== r.version) names.add(name);
    }
    for (const name of a.keys()) if (!b.has(name)) names.add(name);
    if (names.size > 0) changes.push({ typeUrl, names });
  }
  return changes;
}
