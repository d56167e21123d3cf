/**
 * Strategic-merge-patch metadata of the built-in kinds Keelson serves: the `patchStrategy` and
 * `patchMergeKey` struct tags of k8s.io/api, written out as {@link PatchMeta} trees. Only the
 * paths that carry a tag (and the paths leading to them) are described; everything else merges
 * as maps and replaces as lists, which is what an untagged Go field does.
 *
 * @example
 * builtinPatchMeta('apps', 'Deployment')?.properties?.spec?.properties?.template
 *   ?.properties?.spec?.properties?.containers; // { patchStrategy: 'merge', patchMergeKey: 'name', … }
 */
import type { PatchMeta } from './strategic-merge-patch.js';

const mergeBy = (patchMergeKey: string, items?: PatchMeta): PatchMeta => (items ? { patchStrategy: 'merge', patchMergeKey, items } : { patchStrategy: 'merge', patchMergeKey });
/** A list of scalars that merges as a set (`patchStrategy:"merge"` without a key). */
const mergeSet: PatchMeta = { patchStrategy: 'merge' };
const conditionsByType = mergeBy('type');

/** metav1.ObjectMeta */
const objectMeta: PatchMeta = {
  properties: {
    ownerReferences: mergeBy('uid'),
    finalizers: mergeSet,
  },
};

/** The fields shared by corev1.Container and corev1.EphemeralContainerCommon. */
const container: PatchMeta = {
  properties: {
    ports: mergeBy('containerPort'),
    env: mergeBy('name'),
    volumeMounts: mergeBy('mountPath'),
    volumeDevices: mergeBy('devicePath'),
  },
};

/** corev1.PodSpec */
const podSpec: PatchMeta = {
  properties: {
    // `retainKeys`: a volume's source is a one-of; a client that switches it sends $retainKeys.
    volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    initContainers: mergeBy('name', container),
    containers: mergeBy('name', container),
    ephemeralContainers: mergeBy('name', container),
    imagePullSecrets: mergeBy('name'),
    hostAliases: mergeBy('ip'),
    topologySpreadConstraints: mergeBy('topologyKey'),
    schedulingGates: mergeBy('name'),
    resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    // tolerations, readinessGates: untagged, replaced whole.
  },
};

/** corev1.PodStatus */
const podStatus: PatchMeta = {
  properties: {
    conditions: conditionsByType,
    podIPs: mergeBy('ip'),
    hostIPs: mergeBy('ip'),
    resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  },
};

/** corev1.PodTemplateSpec */
const podTemplateSpec: PatchMeta = { properties: { metadata: objectMeta, spec: podSpec } };

/** corev1.PersistentVolumeClaim (also the items of a StatefulSet's volumeClaimTemplates). */
const persistentVolumeClaim: PatchMeta = {
  properties: { metadata: objectMeta, status: { properties: { conditions: conditionsByType } } },
};

/** A workload whose spec has a pod template and whose status has typed conditions. */
function workload(spec: Record<string, PatchMeta> = {}): PatchMeta {
  return {
    properties: {
      metadata: objectMeta,
      spec: { properties: { template: podTemplateSpec, ...spec } },
      status: { properties: { conditions: conditionsByType } },
    },
  };
}

const onlyMetadata: PatchMeta = { properties: { metadata: objectMeta } };

const builtins: Record<string, PatchMeta> = {
  '/Pod': { properties: { metadata: objectMeta, spec: podSpec, status: podStatus } },
  '/PodTemplate': { properties: { metadata: objectMeta, template: podTemplateSpec } },
  '/ReplicationController': workload(),
  '/PersistentVolumeClaim': persistentVolumeClaim,
  '/Service': {
    properties: {
      metadata: objectMeta,
      spec: { properties: { ports: mergeBy('port') } },
      status: { properties: { conditions: conditionsByType } },
    },
  },
  // EndpointSubset addresses and ports are untagged: replaced whole.
  '/Endpoints': onlyMetadata,
  '/ConfigMap': onlyMetadata,
  '/Secret': onlyMetadata,
  // NamespaceSpec.finalizers is untagged (unlike metadata.finalizers).
  '/Namespace': { properties: { metadata: objectMeta, status: { properties: { conditions: conditionsByType } } } },
  '/Node': {
    properties: {
      metadata: objectMeta,
      spec: { properties: { podCIDRs: mergeSet } },
      status: { properties: { conditions: conditionsByType, addresses: mergeBy('type') } },
    },
  },
  // imagePullSecrets of a ServiceAccount is untagged, unlike a pod's.
  '/ServiceAccount': { properties: { metadata: objectMeta, secrets: mergeBy('name') } },
  '/Event': onlyMetadata,
  // DeploymentSpec.strategy: `patchStrategy:"retainKeys"` (switching type clears rollingUpdate).
  'apps/Deployment': workload({ strategy: { patchStrategy: 'retainKeys' } }),
  'apps/StatefulSet': workload({ volumeClaimTemplates: { items: persistentVolumeClaim } }),
  'apps/ReplicaSet': workload(),
  'apps/DaemonSet': workload(),
  'batch/Job': workload(),
  'batch/CronJob': {
    properties: {
      metadata: objectMeta,
      spec: { properties: { jobTemplate: { properties: { metadata: objectMeta, spec: { properties: { template: podTemplateSpec } } } } } },
    },
  },
  'coordination.k8s.io/Lease': onlyMetadata,
  // EndpointSlice endpoints and ports are atomic lists.
  'discovery.k8s.io/EndpointSlice': onlyMetadata,
  // CRD versions and conditions are untagged (they are listType=map for server-side apply only).
  'apiextensions.k8s.io/CustomResourceDefinition': onlyMetadata,
};

// Shared subtrees (objectMeta, podSpec, …) appear under many kinds: freeze them so that no
// caller can change the merge behaviour of another kind by editing what it was handed.
function deepFreeze(m: PatchMeta): PatchMeta {
  if (Object.isFrozen(m)) return m;
  Object.freeze(m);
  for (const v of Object.values(m.properties ?? {})) deepFreeze(v);
  if (m.properties) Object.freeze(m.properties);
  if (m.items) deepFreeze(m.items);
  if (m.additionalProperties) deepFreeze(m.additionalProperties);
  return m;
}
for (const m of Object.values(builtins)) deepFreeze(m);

/**
 * The patch metadata of a built-in kind, or undefined for a kind this table does not know
 * (custom resources: kube-apiserver refuses strategic merge patches for them with 415).
 * `group` is '' (or 'core') for the core group.
 */
export function builtinPatchMeta(group: string, kind: string): PatchMeta | undefined {
  const g = group === 'core' ? '' : group;
  return builtins[`${g}/${kind}`];
}
