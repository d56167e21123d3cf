/**
 * The shapes every ResourceClient speaks: objects, lists, watch events and the options of each
 * verb, named as metav1's ListOptions, WatchEvent, CreateOptions/UpdateOptions/PatchOptions and
 * DeleteOptions are named.
 *
 * ```ts
 * const pods: ResourceClient<Pod> = client.coreV1.pods('default');
 * const list: ObjectList<Pod> = await pods.list({ labelSelector: 'app=web', limit: 100 });
 * for await (const ev of pods.watch({ resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true })) {}
 * ```
 */
import type { KubeObject as Unstructured } from '@keelson/apimachinery';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/**
 * What a ResourceClient can carry: anything with the object envelope. This is deliberately not
 * apimachinery's `KubeObject`, whose index signature (`[k: string]: unknown`) the interfaces of
 * `kubernetes-types` (ConfigMap, Pod, ...) do not satisfy; an apimachinery `KubeObject` is
 * assignable to this one, so both typed and unstructured objects fit.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** An object of a kind no TypeScript type describes (unstructured.Unstructured): every field is `unknown`. */
export type { Unstructured };

/** metav1.ListMeta as a list answer always carries it: the revision the list was read at. */
export interface ListMetadata {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T> {
  apiVersion: string;
  kind: string;
  metadata: ListMetadata;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/**
 * One frame of a watch. An `ERROR` frame is never yielded: it is thrown as the ApiError it
 * carries (410 Expired when the requested resourceVersion was compacted away).
 */
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface GetOptions {
  /** "0" lets the server answer from its cache; unset reads the latest. */
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
  /**
   * Called once with the list's metadata as soon as its first bytes arrive, before the items
   * are read and parsed (servers write metadata first). A pager uses the `continue` token to
   * ask for the next page while this one is still coming. Not called when the head does not
   * show it; the resolved list always carries it.
   */
  onMetadata?: (metadata: ListMetadata) => void;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan';
  allowWatchBookmarks?: boolean;
  /** WatchList (KEP-3157): the current state as ADDED events, then a bookmark annotated `k8s.io/initial-events-end`. */
  sendInitialEvents?: boolean;
  /** The server ends the stream after this long; the iterator then ends (it does not throw). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  /** Validate and answer as if written, without persisting (`dryRun=All`). */
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export interface ApplyOptions {
  /** Required by the server: who owns the fields this apply sets. */
  fieldManager: string;
  /** Take ownership of fields another manager owns instead of answering 409 Conflict. */
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** The object a server-side apply sends: the fields the manager cares about, identified by apiVersion, kind and name. */
export type ApplyConfiguration<T> = Partial<T> & { apiVersion: string; kind: string; metadata: { name: string } };

export interface ListAllOptions extends ListOptions {
  /** Items per page; 500 by default, client-go's pager default (see pager.ts). */
  pageSize?: number;
}

/**
 * One resource of one group and version, in one namespace or across all of them. The shape an
 * informer's Reflector codes against; `resource()` on the Client and the typed accessors return it.
 */
export interface ResourceClient<T extends KubeObject> {
  get(name: string, opts?: GetOptions): Promise<T>;
  list(opts?: ListOptions): Promise<ObjectList<T>>;
  /** Every item, fetched page by page (client-go's pager); one list with the first page's resourceVersion. */
  listAll(opts?: ListAllOptions): Promise<ObjectList<T>>;
  /**
   * Events until the server ends the stream (the iterator then ends). ERROR frames and HTTP
   * errors are thrown as ApiError; a malformed frame as WatchDecodeError; an abort as the
   * signal's reason. Breaking out of the loop closes the connection.
   */
  watch(opts?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  create(obj: T, opts?: WriteOptions): Promise<T>;
  update(obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus(obj: T, opts?: WriteOptions): Promise<T>;
  patch(name: string, patch: unknown, type: PatchType, opts?: WriteOptions & { subresource?: string }): Promise<T>;
  /** Server-side apply (`application/apply-patch+yaml`, sent as JSON, which is YAML). */
  apply(obj: ApplyConfiguration<T>, opts: ApplyOptions): Promise<T>;
  delete(name: string, opts?: DeleteOptions): Promise<void>;
  deleteCollection(opts?: ListOptions & DeleteOptions): Promise<void>;
}
