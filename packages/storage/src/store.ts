/**
 * The MVCC store every Keelson API server runs on: etcd v3's data model, reduced to the calls
 * kube-apiserver makes (get, range at a revision, guarded create/update/delete, watch from a
 * revision, compaction). One global revision counter; every write bumps it by exactly one, and
 * that revision is the object's resourceVersion.
 *
 * Values are opaque strings to the store (the API server keeps JSON in them).
 */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this value. */
  modRevision: number;
}

export interface ListOptions {
  /** Read at this revision (default: current). Below the compacted revision: CompactedError. */
  revision?: number;
  /** At most this many items; `more` tells whether there are further keys. 0 or absent: all. */
  limit?: number;
  /** Start at this key (inclusive); keys sort as byte strings. For continue tokens. */
  startKey?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when keys after the last returned one exist under the prefix at `revision`. */
  more: boolean;
  /** How many keys under the prefix were not returned (only when `more`). */
  remaining: number;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For 'put': the new value. For 'delete': the key, with the deleted value and modRevision = the deletion's revision. */
  kv: KeyValue;
  /** The value before this event, when there was one. */
  prevKv?: KeyValue;
  /** The revision of this event (== kv.modRevision). */
  revision: number;
}

export interface WatchHandle {
  /** Stops delivery; no listener call happens after cancel() returns. */
  cancel(): void;
}

export interface WatchListener {
  /** Called in revision order, in batches; a batch is never empty. */
  onEvents(events: WatchEvent[]): void;
  /** Called once if the watch cannot go on (e.g. the store was closed); no onEvents after it. */
  onError?(err: Error): void;
}

export interface Store {
  /** "sqlite", "memory", "etcd". */
  readonly backend: string;
  currentRevision(): Promise<number>;
  /** Revisions at or below this one may be gone; 0 when nothing was compacted. */
  compactedRevision(): Promise<number>;
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  /** Keys that start with `prefix`, sorted by key. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /** Fails with KeyExistsError when the key exists. */
  create(key: string, value: string): Promise<KeyValue>;
  /**
   * Replaces the value when the key's modRevision is `expectedRevision`.
   * KeyNotFoundError when absent; RevisionConflictError (carrying the current value) otherwise.
   */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /**
   * Deletes the key, guarded by `expectedRevision` when given. Returns the deleted value, with
   * modRevision set to the deletion's revision (what a watch sees). Errors as for update.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Delivers every change to keys under `prefix` after `afterRevision` (exclusive), first the
   * history still kept, then live changes. CompactedError when `afterRevision` < compactedRevision.
   */
  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle;
  /** Forgets superseded values and tombstones at or below `revision`. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class KeyExistsError extends StorageError {
  constructor(readonly key: string) {
    super(`key ${key} already exists`);
  }
}

export class KeyNotFoundError extends StorageError {
  constructor(readonly key: string) {
    super(`key ${key} not found`);
  }
}

export class RevisionConflictError extends StorageError {
  constructor(
    readonly key: string,
    readonly expectedRevision: number,
    readonly current: KeyValue,
  ) {
    super(`key ${key} is at revision ${current.modRevision}, not ${expectedRevision}`);
  }
}

export class CompactedError extends StorageError {
  constructor(
    readonly requestedRevision: number,
    readonly compactedRevision: number,
  ) {
    super(`revision ${requestedRevision} has been compacted (compacted revision ${compactedRevision})`);
  }
}

/** A revision newer than the store's current one (etcd's ErrFutureRev). */
export class FutureRevisionError extends StorageError {
  constructor(
    readonly requestedRevision: number,
    readonly currentRevision: number,
  ) {
    super(`revision ${requestedRevision} is newer than the current revision ${currentRevision}`);
  }
}

export class StoreClosedError extends StorageError {
  constructor() {
    super('store is closed');
  }
}
