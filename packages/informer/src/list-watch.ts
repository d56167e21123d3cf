/**
 * ListerWatcher: the two calls a Reflector makes, and nothing else (client-go's
 * cache.ListerWatcher). Keelson's `ResourceClient` has this shape already; `listWatchFor` narrows
 * one to a label/field selector so the Reflector never has to know about selectors.
 *
 * ```ts
 * const lw = listWatchFromClient(client.resource<Pod>(pods, 'default'), { labelSelector: 'app=web' });
 * const reflector = new Reflector(lw, fifo);
 * ```
 */
import type { ResourceClient } from '@keelson/client';
import type { KubeObject } from './object.js';

/** Options of the LIST and WATCH calls the Reflector makes: the client's own. */
export type { ListOptions, WatchOptions } from '@keelson/client';
import type { ListOptions, WatchOptions } from '@keelson/client';

/** One page of a LIST: the list's resourceVersion, its continue token (when more pages follow), the items. */
export interface ObjectList<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** One event of a watch stream. ERROR frames never arrive as events: the stream throws them as `ApiError`. */
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/**
 * What a Reflector needs from the API. Contract (the one Keelson's client keeps):
 * - `list` resolves with one page; errors reject with `ApiError` (410 Expired for a continue
 *   token or resourceVersion that was compacted away).
 * - `watch` returns an async iterable; the request starts when iteration starts; an ERROR frame
 *   or a failed request is thrown from `next()`; a watch the server ends normally (timeout,
 *   connection closed) simply completes.
 * - Both honour `signal`: once it aborts, a pending `list` rejects and a pending `next()` rejects
 *   (or completes) promptly. The Reflector relies on this to stop and to cut stalled watches.
 */
export interface ListerWatcher<T> {
  list(opts: ListOptions): Promise<ObjectList<T>>;
  watch(opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

export interface SelectorOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Narrows a client (anything with `list` and `watch` in the shape above, such as
 * `@keelson/client`'s ResourceClient) to a label and field selector: every call the Reflector
 * makes carries them. Without selectors it returns a ListerWatcher calling the client as is.
 */
export function listWatchFor<T>(client: ListerWatcher<T>, selectors: SelectorOptions = {}): ListerWatcher<T> {
  const extra: SelectorOptions = {};
  if (selectors.labelSelector) extra.labelSelector = selectors.labelSelector;
  if (selectors.fieldSelector) extra.fieldSelector = selectors.fieldSelector;
  return {
    list: (opts) => client.list({ ...opts, ...extra }),
    watch: (opts) => client.watch({ ...opts, ...extra }),
  };
}

/**
 * The adapter from `@keelson/client`: a ResourceClient (from `client.resource(gvr, namespace)`
 * or a typed accessor such as `client.coreV1.pods(ns)`), narrowed to `selectors`.
 */
export function listWatchFromClient<T extends KubeObject>(client: Pick<ResourceClient<T>, 'list' | 'watch'>, selectors: SelectorOptions = {}): ListerWatcher<T> {
  return listWatchFor<T>(client, selectors);
}
