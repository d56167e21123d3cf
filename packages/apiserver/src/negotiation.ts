/**
 * Accept-header negotiation for object responses. kubectl asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`;
 * metadata-only clients ask for `as=PartialObjectMetadata(List)`. The first supported entry wins;
 * nothing supported → 406 (conformance checks that).
 */
export type ResponseFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' };

export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const out: MediaRange[] = [];
  for (const raw of header.split(',')) {
    const segs = raw.split(';').map((s) => s.trim());
    const type = segs[0].toLowerCase();
    if (!type) continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of segs.slice(1)) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim();
      const v = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number.parseFloat(v) || 0;
      else params[k] = v;
    }
    out.push({ type, params, q });
  }
  // Stable sort by q: equal q keeps the client's order.
  return out.map((m, i) => ({ m, i })).sort((a, b) => b.m.q - a.m.q || a.i - b.i).map((x) => x.m);
}

/** undefined: nothing acceptable (answer 406). */
export function negotiateObjectFormat(header: string | undefined): ResponseFormat | undefined {
  const ranges = parseAccept(header);
  if (ranges.length === 0) return { kind: 'json' };
  for (const r of ranges) {
    if (r.q <= 0) continue;
    const isJson = r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';
    const as = r.params.as;
    if (as) {
      if (r.type !== 'application/json' || r.params.g !== 'meta.k8s.io') continue;
      const version = r.params.v === 'v1beta1' ? 'v1beta1' : r.params.v === 'v1' ? 'v1' : undefined;
      if (!version) continue;
      if (as === 'Table') return { kind: 'table', version };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'partial', version };
      continue;
    }
    if (isJson) return { kind: 'json' };
    if (r.type === 'application/yaml') return { kind: 'yaml' };
  }
  return undefined;
}
