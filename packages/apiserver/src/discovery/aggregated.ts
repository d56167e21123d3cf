/**
 * Aggregated discovery (apidiscovery.k8s.io/v2, GA in 1.30): /api and /apis answer with every
 * group, version and resource in one document when the client asks for it. kubectl 1.32 sends
 * `Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
 * application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`
 * and picks its parser from the response Content-Type, so the body's apiVersion and the
 * Content-Type must name the same version.
 *
 * ```ts
 * const v = acceptsAggregatedDiscovery(req.headers.accept ?? '');
 * if (v) send(200, aggregatedDiscoveryContentType(v), aggregatedDiscoveryDocument(registry.all(), 'apis', v));
 * ```
 */
import type { ResourceInfo } from '../resource-info.js';
import { orderedGroups, resourcesOf } from './ordering.js';
import { subresourcesOf } from './subresources.js';

export const AGGREGATED_DISCOVERY_V2_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
/** Deprecated in 1.30 but still served by 1.32 (client-go 1.26–1.29 only know it). */
export const AGGREGATED_DISCOVERY_V2BETA1_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

export const aggregatedDiscoveryContentType = (v: AggregatedDiscoveryVersion): string =>
  v === 'v2' ? AGGREGATED_DISCOVERY_V2_CONTENT_TYPE : AGGREGATED_DISCOVERY_V2BETA1_CONTENT_TYPE;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current' | 'Stale';
}

export interface APIGroupDiscovery {
  /** Go encodes ObjectMeta's zero creationTimestamp as null; the core group's name "" is omitted. */
  metadata: { name?: string; creationTimestamp: null };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2' | 'apidiscovery.k8s.io/v2beta1';
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

function resourceDiscovery(r: ResourceInfo): APIResourceDiscovery {
  const d: APIResourceDiscovery = {
    resource: r.resource,
    // Always set: client-go 0.26.0–0.26.3 dereference it without a nil check.
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) d.shortNames = [...r.shortNames];
  if (r.categories.length > 0) d.categories = [...r.categories];
  const subs = subresourcesOf(r);
  if (subs.length > 0) {
    d.subresources = subs.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return d;
}

/**
 * The APIGroupDiscoveryList for /api (`which` = 'api': one item, the core group) or /apis (every
 * named group, in /apis order). Versions are listed preferred first, resources by name.
 */
export function aggregatedDiscoveryDocument(
  resources: readonly ResourceInfo[],
  which: 'api' | 'apis',
  version: AggregatedDiscoveryVersion = 'v2',
): APIGroupDiscoveryList {
  const groups = orderedGroups(resources).filter((g) => (which === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.group === '' ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: resourcesOf(resources, g.group, v).map(resourceDiscovery),
        freshness: 'Current' as const,
      })),
    })),
  };
}

interface AcceptEntry {
  type: string;
  params: Map<string, string>;
  q: number;
  index: number;
}

function parseAcceptHeader(header: string): AcceptEntry[] {
  const out: AcceptEntry[] = [];
  header.split(',').forEach((raw, index) => {
    const [typePart, ...paramParts] = raw.split(';');
    const type = typePart.trim().toLowerCase();
    if (type === '') return;
    const params = new Map<string, string>();
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (key === 'q') {
        const n = Number.parseFloat(value);
        q = Number.isFinite(n) ? n : 0;
      } else {
        params.set(key, value);
      }
    }
    out.push({ type, params, q, index });
  });
  // goautoneg order: higher q first; on a tie, concrete types before wildcards, then the client's order.
  const wildness = (t: string): number => (t === '*/*' ? 2 : t.endsWith('/*') ? 1 : 0);
  return out.sort((a, b) => b.q - a.q || wildness(a.type) - wildness(b.type) || a.index - b.index);
}

const KNOWN_DISCOVERY_PARAMS = new Set(['g', 'v', 'as']);

/**
 * Which aggregated discovery version the Accept header asks for, undefined for the legacy
 * documents. The first acceptable entry (by q-value, then order) wins, as in kube-apiserver's
 * negotiation: a plain application/json listed before the aggregated type means legacy. Entries
 * with parameters this server does not know (client-go's `profile=nopeer`) are skipped.
 */
export function acceptsAggregatedDiscovery(acceptHeader: string): AggregatedDiscoveryVersion | undefined {
  for (const e of parseAcceptHeader(acceptHeader ?? '')) {
    if (e.q <= 0) continue;
    if (e.params.has('g') || e.params.has('as')) {
      if (e.type !== 'application/json') continue;
      if ([...e.params.keys()].some((k) => !KNOWN_DISCOVERY_PARAMS.has(k))) continue;
      if (e.params.get('g') !== 'apidiscovery.k8s.io' || e.params.get('as') !== 'APIGroupDiscoveryList') continue;
      const v = e.params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
      continue;
    }
    if (e.type === 'application/json' || e.type === 'application/*' || e.type === '*/*') return undefined;
    // Anything else (yaml, protobuf) is not served for discovery here; keep looking.
  }
  return undefined;
}
