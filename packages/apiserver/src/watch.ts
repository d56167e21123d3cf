/**
 * The watch verb: newline-delimited JSON events over a chunked 200 response, headers flushed at
 * once. Semantics as kube-apiserver: no resourceVersion (or "0") starts with synthetic ADDED
 * events for the current state; resourceVersion=N starts after N; a compacted N gets an ERROR
 * event with a 410 Expired Status; `sendInitialEvents` streams the state and then a bookmark
 * annotated `k8s.io/initial-events-end`; objects that stop (start) matching a selector arrive as
 * DELETED (ADDED).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  fieldForbidden,
  newInvalid,
  newResourceExpired,
  statusFromError,
  toPartialObjectMetadata,
  type FieldSelector,
  type FieldError,
  type LabelSelector,
} from '@keelson/apimachinery';
import { CompactedError, type KeyValue, type WatchEvent, type WatchHandle } from '@keelson/storage';
import type { ResponseFormat } from './negotiation.js';
import { apiVersionOf, listPrefix } from './object-meta.js';
import { parseResourceVersion, type ListOutcome, type ObjectService } from './object-service.js';
import { jsonListBody } from './json-list-body.js';
import type { ResourceInfo } from './resource-info.js';
import { toTable, type IncludeObject } from './table-convert.js';

export interface WatchParams {
  info: ResourceInfo;
  namespace: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  format: ResponseFormat;
  includeObject: IncludeObject;
  /** Bookmark cadence; kube-apiserver sends one about every minute. */
  bookmarkIntervalMs?: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Objects of the initial state read and written at a time (a LIST page's worth). */
const INITIAL_EVENTS_PAGE = 500;

/** Watch event lines for objects that are already JSON text, as one Buffer. */
function eventLines(type: EventType, items: readonly string[]): Buffer {
  if (items.length === 0) return Buffer.alloc(0);
  return jsonListBody(`{"type":"${type}","object":`, items, '}\n', `}\n{"type":"${type}","object":`);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

// A watcher whose client reads slower than events arrive is closed once this much is queued;
// the client re-watches from its last resourceVersion (what kube's cacher does when a watcher's buffer fills).
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/**
 * kube-apiserver's validateWatchOptions: a bad combination is an invalid ListOptions (422
 * `ListOptions.meta.k8s.io "" is invalid: ...`), which client-go's reflector answers by falling
 * back from a streaming list to LIST+WATCH.
 */
export function validateWatchParams(p: { sendInitialEvents?: boolean; resourceVersionMatch?: string; allowWatchBookmarks: boolean }): void {
  const invalid = (e: FieldError): ApiError => newInvalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [e]);
  if (p.sendInitialEvents !== undefined) {
    if (p.resourceVersionMatch !== 'NotOlderThan') {
      throw invalid(fieldForbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (p.sendInitialEvents && !p.allowWatchBookmarks) {
      throw invalid(fieldForbidden('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks=true'));
    }
  } else if (p.resourceVersionMatch) {
    throw invalid(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
  }
}

export async function serveWatch(svc: ObjectService, req: IncomingMessage, res: ServerResponse, p: WatchParams): Promise<void> {
  validateWatchParams(p);
  const { info } = p;
  const prefix = listPrefix(info, p.namespace);
  const selective = !!(p.labelSelector && !p.labelSelector.isEmpty()) || !!(p.fieldSelector && !p.fieldSelector.isEmpty());
  const rv = p.resourceVersion ?? '';
  const initial = p.sendInitialEvents ?? (rv === '' || rv === '0');
  let after: number;
  // The initial state is read a page at a time, every page at the first one's revision; the
  // first page is read before the 200 goes out, so a bad resourceVersion is a plain error answer.
  let firstPage: ListOutcome | undefined;
  if (initial) {
    firstPage = await svc.list(info, p.namespace, {
      labelSelector: p.labelSelector,
      fieldSelector: p.fieldSelector,
      resourceVersion: rv === '' ? undefined : rv,
      resourceVersionMatch: rv !== '' && rv !== '0' ? 'NotOlderThan' : undefined,
      limit: INITIAL_EVENTS_PAGE,
    });
    after = Number(firstPage.resourceVersion);
  } else {
    after = parseResourceVersion(rv);
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let closed = false;
  let handle: WatchHandle | undefined;
  const timers: NodeJS.Timeout[] = [];
  let lastRevision = after;
  let firstTable = true;

  const close = (): void => {
    if (closed) return;
    closed = true;
    handle?.cancel();
    for (const t of timers) clearTimeout(t); // clearTimeout also clears intervals
    if (!res.writableEnded) res.end();
  };
  req.on('close', close);
  res.on('close', close);
  res.on('error', close);

  const render = (obj: any): unknown => {
    switch (p.format.kind) {
      case 'table': {
        const t = toTable(info, [obj], { includeObject: p.includeObject, version: p.format.version, noHeaders: !firstTable });
        firstTable = false;
        return t;
      }
      case 'partial':
        return toPartialObjectMetadata(obj);
      default:
        return obj;
    }
  };

  const send = (type: EventType, obj: any, raw?: string): void => {
    if (closed) return;
    const body = raw !== undefined && p.format.kind === 'json' ? raw : JSON.stringify(render(obj ?? JSON.parse(raw!)));
    res.write(`{"type":"${type}","object":${body}}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) close();
  };

  const writeRendered = (page: ListOutcome): boolean => {
    const objs = page.parsed ?? page.items.map((s) => JSON.parse(s));
    for (const obj of objs) send('ADDED', obj);
    return !res.writableNeedDrain;
  };

  const sendBookmark = (revision: number, initialEnd = false): void => {
    const metadata: any = { resourceVersion: String(revision), creationTimestamp: null };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    if (closed) return;
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: apiVersionOf(info), metadata } })}\n`);
  };

  if (firstPage) {
    // Page by page, each page one write, waiting for the socket to drain between pages: a slow
    // reader of a big initial state holds one page in memory, not the whole state (and is not
    // cut for it, as a watcher falling behind live events is).
    let page: ListOutcome | undefined = firstPage;
    try {
      while (page && !closed) {
        const written = p.format.kind === 'json' ? res.write(eventLines('ADDED', page.items)) : writeRendered(page);
        if (!written) await drained(res);
        const cont: string | undefined = page.continueToken;
        page = cont && !closed ? await svc.list(info, p.namespace, { labelSelector: p.labelSelector, fieldSelector: p.fieldSelector, limit: INITIAL_EVENTS_PAGE, continueToken: cont }) : undefined;
      }
    } catch (e) {
      // The revision was compacted while a slow reader took the initial state: 410, relist.
      if (!closed) res.write(`${JSON.stringify({ type: 'ERROR', object: statusFromError(e) })}\n`);
      close();
      return;
    }
    if (closed) return;
  }
  if (p.sendInitialEvents) sendBookmark(after, true);

  const decodeKv = (kv: KeyValue): any => svc.decode(info, kv);
  const onEvents = (events: WatchEvent[]): void => {
    for (const e of events) {
      if (closed) return;
      lastRevision = e.revision;
      if (!selective) {
        const type: EventType = e.type === 'delete' ? 'DELETED' : e.prevKv ? 'MODIFIED' : 'ADDED';
        send(type, undefined, svc.serve(info, e.kv));
        continue;
      }
      const cur = e.type === 'delete' ? undefined : decodeKv(e.kv);
      const curMatch = cur !== undefined && svc.matches(info, cur, p.labelSelector, p.fieldSelector);
      let prev: any;
      let prevMatch = false;
      if (e.prevKv) {
        prev = decodeKv({ ...e.prevKv, modRevision: e.revision });
        prevMatch = svc.matches(info, prev, p.labelSelector, p.fieldSelector);
      }
      if (e.type === 'delete') {
        if (prevMatch) send('DELETED', prev);
      } else if (curMatch && prevMatch) send('MODIFIED', cur);
      else if (curMatch) send('ADDED', cur);
      else if (prevMatch) send('DELETED', prev);
    }
  };

  try {
    handle = svc.store.watch(prefix, after, {
      onEvents,
      onError: (err) => {
        const st = statusFromError(err);
        if (!closed) res.write(`${JSON.stringify({ type: 'ERROR', object: st })}\n`);
        close();
      },
    });
  } catch (e) {
    if (e instanceof CompactedError) {
      const st = newResourceExpired(`too old resource version: ${after} (${e.compactedRevision})`).status;
      res.write(`${JSON.stringify({ type: 'ERROR', object: st })}\n`);
      close();
      return;
    }
    const st = statusFromError(e);
    res.write(`${JSON.stringify({ type: 'ERROR', object: st })}\n`);
    close();
    return;
  }

  // A watch ends at its timeout so clients re-watch; without one kube picks 30–60 min.
  const timeoutMs = (p.timeoutSeconds && p.timeoutSeconds > 0 ? p.timeoutSeconds : 1800 + Math.random() * 1800) * 1000;
  timers.push(setTimeout(close, timeoutMs));
  if (p.allowWatchBookmarks) {
    const every = p.bookmarkIntervalMs ?? 60_000;
    timers.push(
      setInterval(() => {
        void svc.store.currentRevision().then((rev) => {
          // Let writes committed before this read deliver their events first, so the bookmark
          // never claims a revision whose events this watcher has not been sent.
          setImmediate(() => {
            if (rev > lastRevision) lastRevision = rev;
            sendBookmark(lastRevision);
          });
          // The store closes while a server stops with watches open: end the watch, do not crash.
        }, close);
      }, every),
    );
  }
}
