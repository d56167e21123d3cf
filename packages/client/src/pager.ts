/**
 * Paginated lists, as client-go's tools/pager: ask for `limit` items at a time and follow the
 * `continue` token until the server has none left. Every page comes from the same snapshot
 * (the first page's resourceVersion), so the result is one consistent list.
 *
 * Why 500 items a page by default: it is client-go's pager default (pager.defaultPageSize),
 * what kubectl and every client-go Reflector use. It bounds what the server builds and the
 * client parses per response (500 ~2 KB Pods are ~1 MB of JSON) while keeping the request count
 * low (100 requests for 50,000 objects).
 *
 * When a continue token expires mid-way (410: the snapshot was compacted), the pager falls back
 * to one unpaginated list, as client-go's pager does (FullListIfExpired).
 *
 * ```ts
 * const all = await listAll((o) => pods.list(o), { labelSelector: 'app=web' });
 * for await (const { list } of listPages((o) => pods.list(o), { pageSize: 100 })) handle(list.items);
 * ```
 */
import { isResourceExpired } from '@keelson/apimachinery';
import { PageRequest, type ListFunc } from './page-request.js';
import type { ListAllOptions, ObjectList } from './types.js';

export const DEFAULT_PAGE_SIZE = 500;


export interface Page<T> {
  list: ObjectList<T>;
  /** The continue token expired and this is the whole list, read again without pages: drop what earlier pages gave. */
  restarted: boolean;
}

/**
 * Each page as it arrives (`for await (const { list } of listPages(...))`). The next page is
 * asked for as soon as this one's head shows its continue token (see PageRequest), so the
 * server builds it while this one is read and handled.
 */
export async function* listPages<T>(list: ListFunc<T>, opts: ListAllOptions = {}): AsyncGenerator<Page<T>> {
  const { pageSize = DEFAULT_PAGE_SIZE, ...rest } = opts;
  const limit = pageSize > 0 ? pageSize : undefined;
  let req = new PageRequest<ObjectList<T>>(list, { ...rest, limit });
  for (;;) {
    let page: ObjectList<T>;
    try {
      page = await req.page;
    } catch (e) {
      if (!req.continueToken || !isResourceExpired(e)) throw e;
      const { continue: _c, limit: _l, ...full } = rest;
      yield { list: await list(full), restarted: true };
      return;
    }
    yield { list: page, restarted: false };
    const cont = page.metadata.continue;
    if (!cont) return;
    req = req.next(cont);
  }
}

/** Every item in one list, read page by page; its resourceVersion is the snapshot's. */
export async function listAll<T>(list: ListFunc<T>, opts: ListAllOptions = {}): Promise<ObjectList<T>> {
  let out: ObjectList<T> | undefined;
  for await (const { list: page, restarted } of listPages(list, opts)) {
    if (restarted) return page;
    if (!out) {
      out = { apiVersion: page.apiVersion, kind: page.kind, metadata: { resourceVersion: page.metadata.resourceVersion }, items: page.items };
      continue;
    }
    // A loop, not push(...items): spreading 100k arguments overflows the stack.
    for (const item of page.items) out.items.push(item);
  }
  return out!;
}
