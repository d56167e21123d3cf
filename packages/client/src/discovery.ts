/**
 * Discovery: which groups, versions and resources the server serves. Aggregated discovery
 * (apidiscovery.k8s.io/v2, GA in Kubernetes 1.30) answers everything in two requests (/api and
 * /apis); servers without it get the legacy walk (/api, /api/v1, /apis, then every
 * /apis/<group>/<version> in parallel), as client-go's discovery client falls back.
 *
 * A group-version that fails (a Stale aggregated entry, an aggregated API server that is down)
 * is reported in `failedGroups` rather than failing everything, like client-go's
 * ErrGroupDiscoveryFailed.
 *
 * ```ts
 * const d = await new DiscoveryClient(transport).serverGroupsAndResources();
 * d.resources.find((r) => r.kind === 'Deployment')?.shortNames; // ['deploy']
 * ```
 */
import type { HttpTransport } from './transport.js';

export interface APIResourceInfo {
  group: string;
  version: string;
  /** Plural, lower case: "deployments". */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  /** "status", "scale", ... */
  subresources: string[];
}

export interface APIGroupInfo {
  /** "" for the core group. */
  name: string;
  /** Preferred first. */
  versions: string[];
  preferredVersion: string;
}

export interface DiscoveryResult {
  /** Core first, then the server's order (which is its priority order). */
  groups: APIGroupInfo[];
  resources: APIResourceInfo[];
  /** Group-versions whose resources could not be read: "metrics.k8s.io/v1beta1" → why. */
  failedGroups: Map<string, string>;
  /** Which protocol answered. */
  source: 'aggregated' | 'legacy';
}

/** The Accept kubectl 1.32 sends: aggregated v2, then v2beta1, then the legacy documents. */
export const AGGREGATED_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      freshness?: 'Current' | 'Stale';
      resources?: {
        resource: string;
        responseKind?: { group?: string; version?: string; kind?: string };
        scope?: 'Namespaced' | 'Cluster';
        singularResource?: string;
        verbs?: string[];
        shortNames?: string[];
        categories?: string[];
        subresources?: { subresource: string }[];
      }[];
    }[];
  }[];
}

interface LegacyResourceList {
  groupVersion?: string;
  resources?: {
    name: string;
    singularName?: string;
    namespaced?: boolean;
    kind: string;
    verbs?: string[];
    shortNames?: string[];
    categories?: string[];
  }[];
}

interface LegacyGroupList {
  groups?: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[];
}

const gvKey = (group: string, version: string): string => (group ? `${group}/${version}` : version);

/** The part of the transport discovery uses (tests hand it a fake). */
export type DiscoveryTransport = Pick<HttpTransport, 'request' | 'requestJson'>;

export class DiscoveryClient {
  constructor(private readonly transport: DiscoveryTransport) {}

  /** GET /version. */
  serverVersion(signal?: AbortSignal): Promise<{ major: string; minor: string; gitVersion: string; [k: string]: unknown }> {
    return this.transport.requestJson({ method: 'GET', path: '/version', signal });
  }

  async serverGroupsAndResources(signal?: AbortSignal): Promise<DiscoveryResult> {
    const [core, named] = await Promise.all([
      this.transport.request({ method: 'GET', path: '/api', accept: AGGREGATED_DISCOVERY_ACCEPT, signal }),
      this.transport.request({ method: 'GET', path: '/apis', accept: AGGREGATED_DISCOVERY_ACCEPT, signal }),
    ]);
    const aggregated = (h: unknown): boolean => /as=APIGroupDiscoveryList/i.test(String(h ?? ''));
    if (aggregated(core.headers['content-type']) && aggregated(named.headers['content-type'])) {
      const result: DiscoveryResult = { groups: [], resources: [], failedGroups: new Map(), source: 'aggregated' };
      for (const body of [core.body, named.body]) this.addAggregated(result, JSON.parse(body.toString('utf8')) as AggregatedList);
      return result;
    }
    return this.legacy(JSON.parse(named.body.toString('utf8')) as LegacyGroupList, signal);
  }

  private addAggregated(result: DiscoveryResult, list: AggregatedList): void {
    for (const g of list.items ?? []) {
      const group = g.metadata?.name ?? '';
      const versions: string[] = [];
      for (const v of g.versions ?? []) {
        versions.push(v.version);
        if (v.freshness === 'Stale') {
          result.failedGroups.set(gvKey(group, v.version), 'discovery for this group-version is Stale (its API service is unavailable)');
        }
        for (const r of v.resources ?? []) {
          result.resources.push({
            group,
            version: v.version,
            resource: r.resource,
            singular: r.singularResource || r.responseKind?.kind?.toLowerCase() || r.resource,
            kind: r.responseKind?.kind ?? '',
            namespaced: r.scope === 'Namespaced',
            verbs: r.verbs ?? [],
            shortNames: r.shortNames ?? [],
            categories: r.categories ?? [],
            subresources: (r.subresources ?? []).map((s) => s.subresource),
          });
        }
      }
      // Aggregated discovery lists versions by preference.
      if (versions.length) result.groups.push({ name: group, versions, preferredVersion: versions[0] });
    }
  }

  private async legacy(groupList: LegacyGroupList, signal?: AbortSignal): Promise<DiscoveryResult> {
    const result: DiscoveryResult = { groups: [{ name: '', versions: ['v1'], preferredVersion: 'v1' }], resources: [], failedGroups: new Map(), source: 'legacy' };
    const gvs: { group: string; version: string }[] = [{ group: '', version: 'v1' }];
    for (const g of groupList.groups ?? []) {
      const versions = g.versions.map((v) => v.version);
      result.groups.push({ name: g.name, versions, preferredVersion: g.preferredVersion?.version ?? versions[0] });
      for (const v of versions) gvs.push({ group: g.name, version: v });
    }
    const lists = await Promise.all(
      gvs.map(async ({ group, version }) => {
        try {
          const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
          return { group, version, list: await this.transport.requestJson<LegacyResourceList>({ method: 'GET', path, signal }) };
        } catch (e) {
          if (signal?.aborted) throw e;
          result.failedGroups.set(gvKey(group, version), (e as Error).message);
          return { group, version, list: undefined };
        }
      }),
    );
    for (const { group, version, list } of lists) {
      const byName = new Map<string, APIResourceInfo>();
      const subs: [string, string][] = [];
      for (const r of list?.resources ?? []) {
        const slash = r.name.indexOf('/');
        if (slash >= 0) {
          subs.push([r.name.slice(0, slash), r.name.slice(slash + 1)]);
          continue;
        }
        const info: APIResourceInfo = {
          group,
          version,
          resource: r.name,
          singular: r.singularName || r.kind.toLowerCase(),
          kind: r.kind,
          namespaced: r.namespaced ?? false,
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
          subresources: [],
        };
        byName.set(r.name, info);
        result.resources.push(info);
      }
      for (const [parent, sub] of subs) byName.get(parent)?.subresources.push(sub);
    }
    return result;
  }
}
