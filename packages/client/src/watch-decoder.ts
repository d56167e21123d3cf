/**
 * Watch streams: newline-delimited JSON frames `{"type":"ADDED","object":{...}}`, as
 * kube-apiserver writes them for `Accept: application/json`. Decoding is strict, unlike
 * client-node's readline loop that drops what it cannot parse: a frame that is not valid JSON,
 * not an object, of an unknown type or without an object is thrown as a WatchDecodeError (a
 * consumer that skipped it would silently miss an event), and an ERROR frame is thrown as the
 * ApiError its Status describes.
 *
 * ```ts
 * for await (const ev of decodeWatchStream<Pod>(response)) console.log(ev.type, ev.object.metadata?.name);
 * ```
 */
import { ApiError, type Status } from '@keelson/apimachinery';
import { bodyExcerpt, WatchDecodeError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import type { WatchEvent, WatchEventType } from './types.js';

const EVENT_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/** One frame's text to its event; throws for ERROR frames (ApiError) and malformed ones (WatchDecodeError). */
export function parseWatchFrame<T>(text: string, offset = 0): WatchEvent<T> {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (e) {
    throw new WatchDecodeError(`watch frame at byte ${offset} is not valid JSON (${(e as Error).message}): ${bodyExcerpt(text)}`, {
      excerpt: bodyExcerpt(text),
      offset,
      cause: e,
    });
  }
  const bad = (why: string): WatchDecodeError =>
    new WatchDecodeError(`watch frame at byte ${offset} ${why}: ${bodyExcerpt(text)}`, { excerpt: bodyExcerpt(text), offset });
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) throw bad('is not a JSON object');
  const { type, object } = frame as { type?: unknown; object?: unknown };
  if (object === null || typeof object !== 'object' || Array.isArray(object)) throw bad('has no object');
  if (type === 'ERROR') throw errorFromFrame(object as Partial<Status>);
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) throw bad(`has unknown type ${JSON.stringify(type)}`);
  return { type: type as WatchEventType, object: object as T };
}

/** An ERROR frame's object is a Status; a server that sent something else still gets its words through. */
function errorFromFrame(obj: Partial<Status>): ApiError {
  if (obj.kind === 'Status' && typeof obj.code === 'number') return new ApiError(obj as Status);
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code: typeof obj.code === 'number' ? obj.code : 500,
    reason: obj.reason ?? 'InternalError',
    message: obj.message ?? `watch ERROR frame without a Status: ${bodyExcerpt(JSON.stringify(obj))}`,
  });
}

const WHITESPACE = /^\s*$/;

/**
 * Events from a byte stream (a response body, or any async iterable of chunks). Ends when the
 * source ends; a last frame without a newline is decoded too. Empty lines are skipped.
 */
export async function* decodeWatchStream<T>(source: AsyncIterable<Buffer | string>, maxFrameBytes?: number): AsyncGenerator<WatchEvent<T>> {
  const split = new LineSplitter(maxFrameBytes);
  for await (const chunk of source) {
    const lines = split.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    for (const line of lines) {
      if (line.bytes.length === 0) continue;
      const text = line.bytes.toString('utf8');
      if (WHITESPACE.test(text)) continue;
      yield parseWatchFrame<T>(text, line.offset);
    }
  }
  const last = split.end();
  if (last) {
    const text = last.bytes.toString('utf8');
    if (!WHITESPACE.test(text)) yield parseWatchFrame<T>(text, last.offset);
  }
}
