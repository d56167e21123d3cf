/**
 * The order kube-apiserver lists groups and versions in. The aggregator sorts APIServices by
 * group priority (descending, then group name) and, within a group, by version priority and then
 * by "kube-aware" version order (v2 > v1 > v2beta1 > v1beta2 > v1beta1 > v1alpha1 > anything
 * else, alphabetically). The first version of a group is its preferred version.
 */
import type { ResourceInfo } from '../resource-info.js';

/**
 * groupPriorityMinimum of the built-in groups (pkg/controlplane/apiserver apiVersionPriorities).
 * CRD groups are registered with 1000, below every built-in group.
 */
const GROUP_PRIORITY: Record<string, number> = {
  '': 18000,
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'storage.k8s.io': 16800,
  'admissionregistration.k8s.io': 16700,
  'apiextensions.k8s.io': 16700,
  'scheduling.k8s.io': 16600,
  'coordination.k8s.io': 16500,
  'node.k8s.io': 16300,
  'discovery.k8s.io': 16200,
  'resource.k8s.io': 16100,
  'flowcontrol.apiserver.k8s.io': 16100,
};
const CRD_GROUP_PRIORITY = 1000;

const groupPriority = (group: string): number => GROUP_PRIORITY[group] ?? CRD_GROUP_PRIORITY;

const kubeVersion = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/** version.CompareKubeAwareVersionStrings, as a sort comparator (preferred first). */
export function compareKubeAwareVersions(a: string, b: string): number {
  const ma = kubeVersion.exec(a);
  const mb = kubeVersion.exec(b);
  if (!ma && !mb) return a < b ? -1 : a > b ? 1 : 0;
  if (!ma) return 1;
  if (!mb) return -1;
  const rank = (m: RegExpExecArray): number => (m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1);
  if (rank(ma) !== rank(mb)) return rank(mb) - rank(ma);
  const majorA = Number(ma[1]);
  const majorB = Number(mb[1]);
  if (majorA !== majorB) return majorB - majorA;
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

export interface GroupVersions {
  group: string;
  /** Preferred first. */
  versions: string[];
}

/** Groups in the order /apis lists them, each with its versions in preference order. */
export function orderedGroups(resources: readonly ResourceInfo[]): GroupVersions[] {
  const byGroup = new Map<string, Set<string>>();
  for (const r of resources) {
    let versions = byGroup.get(r.group);
    if (!versions) byGroup.set(r.group, (versions = new Set()));
    versions.add(r.version);
  }
  return [...byGroup.entries()]
    .map(([group, versions]) => ({ group, versions: [...versions].sort(compareKubeAwareVersions) }))
    .sort((a, b) => groupPriority(b.group) - groupPriority(a.group) || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}

/** Resources of one group/version, sorted by name as the API installer registers them. */
export function resourcesOf(resources: readonly ResourceInfo[], group: string, version: string): ResourceInfo[] {
  return resources
    .filter((r) => r.group === group && r.version === version)
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}
