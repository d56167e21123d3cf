/**
 * Legacy (unaggregated) discovery documents: /api (APIVersions), /apis (APIGroupList),
 * /apis/<group> (APIGroup), /api/v1 and /apis/<group>/<version> (APIResourceList). kubectl falls
 * back to these when the server does not answer the aggregated Accept type, and the Python client
 * reads them always. Field order and presence follow the Go types' JSON encoding.
 *
 * ```ts
 * apiResourceListDocument('apps', 'v1', registry.all()).resources[0].name; // "daemonsets"
 * ```
 */
import type { ResourceInfo } from '../resource-info.js';
import { groupVersion } from '../resource-info.js';
import { orderedGroups, resourcesOf } from './ordering.js';
import { storageVersionHash, subresourcesOf } from './subresources.js';

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

export interface APIVersions {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: ServerAddressByClientCIDR[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

/** GET /api. kube-apiserver sends no apiVersion here (APIVersions is unversioned). */
export function apiVersionsDocument(serverAddress: string): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** The preferred version is a copy of the first entry, so the two compare equal key for key. */
function discoveryGroup(group: string, versions: string[]): APIGroup {
  const entries = versions.map((v) => ({ groupVersion: groupVersion(group, v), version: v }));
  return { name: group, versions: entries, preferredVersion: { ...entries[0] } };
}

/** GET /apis: every named group (the core group lives at /api), in kube-apiserver's order. */
export function apiGroupListDocument(resources: readonly ResourceInfo[]): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: orderedGroups(resources)
      .filter((g) => g.group !== '')
      .map((g) => discoveryGroup(g.group, g.versions)),
  };
}

/** GET /apis/<group>; undefined when the group is not served (answer 404). */
export function apiGroupDocument(group: string, resources: readonly ResourceInfo[]): APIGroup | undefined {
  const g = orderedGroups(resources).find((x) => x.group === group);
  if (!g || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...discoveryGroup(g.group, g.versions) };
}

function resourceEntry(r: ResourceInfo): APIResource {
  const e: APIResource = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs] };
  if (r.shortNames.length > 0) e.shortNames = [...r.shortNames];
  if (r.categories.length > 0) e.categories = [...r.categories];
  e.storageVersionHash = storageVersionHash(r);
  return e;
}

/**
 * GET /api/v1 or /apis/<group>/<version>: resources and their subresources ("deployments",
 * "deployments/scale", "deployments/status"), sorted by name as the installer sorts its paths.
 * Subresources carry an empty singularName and, when they answer with another kind
 * (scale → autoscaling/v1 Scale), that kind's group and version.
 */
export function apiResourceListDocument(group: string, version: string, resources: readonly ResourceInfo[]): APIResourceList {
  const out: APIResource[] = [];
  for (const r of resourcesOf(resources, group, version)) {
    out.push(resourceEntry(r));
    for (const sub of subresourcesOf(r)) {
      const name = `${r.resource}/${sub.name}`;
      // Built as literals so the keys come out in Go's field order (group and version before kind).
      out.push(
        sub.group !== r.group || sub.version !== r.version
          ? { name, singularName: '', namespaced: r.namespaced, group: sub.group, version: sub.version, kind: sub.kind, verbs: [...sub.verbs] }
          : { name, singularName: '', namespaced: r.namespaced, kind: sub.kind, verbs: [...sub.verbs] },
      );
    }
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources: out };
}
