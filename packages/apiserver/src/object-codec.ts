/**
 * How objects sit in storage and leave the server. Stored values are JSON with apiVersion, kind
 * and metadata first and no metadata.resourceVersion: the storage revision *is* the
 * resourceVersion, and it is spliced in when a value leaves the server. Because apiVersion and
 * kind are strings and metadata is the first object-valued key, the first `"metadata":{` in the
 * text is the top-level one (inside a JSON string a quote is always escaped), so the splice
 * needs no parse: a list of 10k objects is concatenation.
 */
import type { KeyValue } from '@keelson/storage';

export function encodeForStorage(obj: any): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const meta = { ...(metadata ?? {}) };
  delete meta.resourceVersion;
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

const META = '"metadata":{';

export function withResourceVersion(stored: string, rv: number | string): string {
  const i = stored.indexOf(META);
  if (i < 0) return stored;
  const j = i + META.length;
  const sep = stored.charCodeAt(j) === 125 /* } */ ? '' : ',';
  return `${stored.slice(0, j)}"resourceVersion":"${rv}"${sep}${stored.slice(j)}`;
}

/** Rewrites the leading `{"apiVersion":"<from>"` (conversion strategy None between CRD versions). */
export function withApiVersion(json: string, apiVersion: string): string {
  const prefix = '{"apiVersion":"';
  if (!json.startsWith(prefix)) return json;
  const end = json.indexOf('"', prefix.length);
  if (json.slice(prefix.length, end) === apiVersion) return json;
  return `${prefix}${apiVersion}${json.slice(end)}`;
}

/** The object as a client sees it (resourceVersion set), as text. */
export function servedJson(kv: KeyValue, apiVersion?: string): string {
  const s = withResourceVersion(kv.value, kv.modRevision);
  return apiVersion ? withApiVersion(s, apiVersion) : s;
}

export function decodeServed(kv: KeyValue, apiVersion?: string): any {
  return JSON.parse(servedJson(kv, apiVersion));
}
