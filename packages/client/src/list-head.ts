/**
 * Reads a list's `metadata` from the first bytes of the answer, before the rest has arrived.
 *
 * kube-apiserver and Keelson both write a list as `{"kind":…,"apiVersion":…,"metadata":{…},
 * "items":[…]}` (Go's field order: TypeMeta, ListMeta, Items), so the `continue` token is in
 * the first few hundred bytes of a megabyte page. A pager that knows it early can ask for the
 * next page while this one is still arriving and being parsed: the server builds page n+1
 * while the client decodes page n. Anything unexpected (another field order, a huge head)
 * answers `undefined` and the pager simply waits for the whole page.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ListMetadata } from './types.js';

/** How far into the body to look: a head is a few hundred bytes; past this, give up. */
export const LIST_HEAD_SCAN_LIMIT = 64 * 1024;

export type ListHeadScan = { done: false } | { done: true; metadata: ListMetadata | undefined };

const NEED_MORE: ListHeadScan = { done: false };
const NOT_FOUND: ListHeadScan = { done: true, metadata: undefined };

/**
 * Scans `text` (the body so far). `done: false` asks for more bytes; `done: true` gives the
 * metadata, or undefined when the head does not have it before `items`.
 */
export function scanListHead(text: string): ListHeadScan {
  let i = skipSpace(text, 0);
  if (i >= text.length) return NEED_MORE;
  if (text.charCodeAt(i) !== 0x7b /* { */) return NOT_FOUND;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (i >= text.length) return NEED_MORE;
    if (text.charCodeAt(i) !== 0x22 /* " */) return NOT_FOUND;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return NEED_MORE;
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (i >= text.length) return NEED_MORE;
    if (text.charCodeAt(i) !== 0x3a /* : */) return NOT_FOUND;
    i = skipSpace(text, i + 1);
    if (key === 'items') return NOT_FOUND;
    const valueEnd = valueEndAt(text, i);
    if (valueEnd === undefined) return NOT_FOUND;
    if (valueEnd < 0) return NEED_MORE;
    if (key === 'metadata') {
      try {
        const m = JSON.parse(text.slice(i, valueEnd)) as ListMetadata;
        return m && typeof m === 'object' ? { done: true, metadata: m } : NOT_FOUND;
      } catch {
        return NOT_FOUND;
      }
    }
    i = skipSpace(text, valueEnd);
    if (i >= text.length) return NEED_MORE;
    if (text.charCodeAt(i) !== 0x2c /* , */) return NOT_FOUND;
    i++;
  }
}

function skipSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index after the closing quote of the string starting at `i`, or -1 if it has not arrived. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c /* \ */) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/**
 * Index after the JSON value starting at `i`: -1 if it has not fully arrived, undefined if it is
 * not JSON. Objects and arrays are matched by depth, skipping strings.
 */
function valueEndAt(s: string, i: number): number | undefined {
  if (i >= s.length) return -1;
  const c = s.charCodeAt(i);
  if (c === 0x22) return stringEnd(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x22) {
        j = stringEnd(s, j);
        if (j < 0) return -1;
        j--;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: it ends at a delimiter.
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) return j > i ? j : undefined;
    j++;
  }
  return -1;
}

/**
 * An `onData` callback for a list request: feeds the body's first bytes to `scanListHead` and
 * calls `onMetadata` once, as soon as the metadata is readable.
 */
export function listHeadWatcher(onMetadata: (metadata: ListMetadata) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let finished = false;
  return (chunk) => {
    if (finished) return;
    // Only the head matters: a chunk is at most a TLS record (16 KiB), so this stays small.
    text += decoder.write(chunk.length > LIST_HEAD_SCAN_LIMIT ? chunk.subarray(0, LIST_HEAD_SCAN_LIMIT) : chunk);
    const r = scanListHead(text);
    if (!r.done) {
      if (text.length >= LIST_HEAD_SCAN_LIMIT) finished = true;
      return;
    }
    finished = true;
    text = '';
    if (r.metadata) onMetadata(r.metadata);
  };
}
