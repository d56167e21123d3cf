/**
 * The built-in resources Keelson serves, with the discovery facts kube-apiserver 1.32 publishes
 * for them (names, verbs, short names, categories, subresources), the etcd key prefixes it uses,
 * the name rule its validation applies, what bumps metadata.generation, the field selectors its
 * registries support and the Table printer of each kind.
 *
 * ```ts
 * const deployments = builtinResources().find((r) => r.group === 'apps' && r.resource === 'deployments');
 * deployments?.shortNames; // ['deploy']
 * ```
 */
import type { GenerationPolicy, ResourceInfo, ScaleSubresource, TablePrinter } from '../resource-info.js';
import {
  configMapPrinter,
  customResourceDefinitionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  endpointSlicePrinter,
  endpointsPrinter,
  eventPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  podPrinter,
  replicaSetPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
  statefulSetPrinter,
} from './printers/index.js';
import {
  eventFieldSelectors,
  namespaceFieldSelectors,
  nodeFieldSelectors,
  podFieldSelectors,
  replicaSetFieldSelectors,
  secretFieldSelectors,
  serviceFieldSelectors,
} from './field-selectors.js';

/** Verbs of a resource with full REST storage; the installer lists them sorted. */
export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces have no deletecollection (deleting every namespace at once is not offered). */
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * Scale of the apps kinds. Note: kube-apiserver builds the Scale's status.selector from
 * spec.selector (metav1.LabelSelectorAsSelector(spec.selector).String()), not from a field of the
 * object's status; ".status.selector" records where a Scale carries it, and the scale handler for
 * built-ins must compute it from spec.selector.
 */
const appsScale: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

interface Spec {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  status?: boolean;
  scale?: ScaleSubresource;
  generation: GenerationPolicy;
  nameRule: ResourceInfo['nameRule'];
  storagePrefix: string;
  fieldSelectors?: ResourceInfo['fieldSelectors'];
  table: TablePrinter;
}

function info(s: Spec): ResourceInfo {
  return {
    group: s.group,
    version: s.version,
    resource: s.resource,
    singular: s.singular,
    kind: s.kind,
    listKind: `${s.kind}List`,
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    storageVersion: s.version,
    subresources: s.scale ? { status: s.status ?? false, scale: s.scale } : { status: s.status ?? false },
    generation: s.generation,
    nameRule: s.nameRule,
    fieldSelectors: s.fieldSelectors ?? {},
    table: s.table,
    storagePrefix: s.storagePrefix,
    strategicMerge: true,
  };
}

/**
 * Every built-in resource, in discovery order (group by group, resources alphabetically).
 * Subresources Keelson does not serve (pods/log, pods/exec, namespaces/finalize, …) are left out so
 * discovery never advertises an endpoint that answers 404.
 */
export function builtinResources(): ResourceInfo[] {
  return [
    // ---- core/v1 ----------------------------------------------------------------------------
    info({
      group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true,
      shortNames: ['cm'], generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/configmaps', table: configMapPrinter,
    }),
    info({
      group: '', version: 'v1', resource: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true,
      shortNames: ['ep'], generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/services/endpoints', table: endpointsPrinter,
    }),
    info({
      group: '', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true,
      shortNames: ['ev'], generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/events',
      fieldSelectors: eventFieldSelectors, table: eventPrinter,
    }),
    info({
      group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
      shortNames: ['ns'], verbs: NAMESPACE_VERBS, status: true, generation: 'none', nameRule: 'label',
      storagePrefix: '/registry/namespaces', fieldSelectors: namespaceFieldSelectors, table: namespacePrinter,
    }),
    info({
      // etcd keeps nodes under their pre-1.0 name, "minions".
      group: '', version: 'v1', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false,
      shortNames: ['no'], status: true, generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/minions',
      fieldSelectors: nodeFieldSelectors, table: nodePrinter,
    }),
    info({
      // Pods get metadata.generation only from 1.33 (PodObservedGenerationTracking); 1.32 leaves it unset.
      group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true,
      shortNames: ['po'], categories: ['all'], status: true, generation: 'none', nameRule: 'subdomain',
      storagePrefix: '/registry/pods', fieldSelectors: podFieldSelectors, table: podPrinter,
    }),
    info({
      group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true,
      generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/secrets',
      fieldSelectors: secretFieldSelectors, table: secretPrinter,
    }),
    info({
      group: '', version: 'v1', resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true,
      shortNames: ['sa'], generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/serviceaccounts', table: serviceAccountPrinter,
    }),
    info({
      // Upstream 1.32 validates Service names as DNS-1035 labels (must start with a letter); the
      // closest rule the contract offers is the DNS-1123 label, which also accepts a leading digit.
      group: '', version: 'v1', resource: 'services', singular: 'service', kind: 'Service', namespaced: true,
      shortNames: ['svc'], categories: ['all'], status: true, generation: 'none', nameRule: 'label',
      storagePrefix: '/registry/services/specs', fieldSelectors: serviceFieldSelectors, table: servicePrinter,
    }),

    // ---- apps/v1 ----------------------------------------------------------------------------
    info({
      group: 'apps', version: 'v1', resource: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true,
      shortNames: ['ds'], categories: ['all'], status: true, generation: 'spec', nameRule: 'subdomain',
      storagePrefix: '/registry/daemonsets', table: daemonSetPrinter,
    }),
    info({
      group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true,
      shortNames: ['deploy'], categories: ['all'], status: true, scale: appsScale, generation: 'spec', nameRule: 'subdomain',
      storagePrefix: '/registry/deployments', table: deploymentPrinter,
    }),
    info({
      group: 'apps', version: 'v1', resource: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true,
      shortNames: ['rs'], categories: ['all'], status: true, scale: appsScale, generation: 'spec', nameRule: 'subdomain',
      storagePrefix: '/registry/replicasets', fieldSelectors: replicaSetFieldSelectors, table: replicaSetPrinter,
    }),
    info({
      // ValidateStatefulSetName is NameIsDNSLabel: the name prefixes pod hostnames.
      group: 'apps', version: 'v1', resource: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true,
      shortNames: ['sts'], categories: ['all'], status: true, scale: appsScale, generation: 'spec', nameRule: 'label',
      storagePrefix: '/registry/statefulsets', table: statefulSetPrinter,
    }),

    // ---- coordination.k8s.io/v1 -------------------------------------------------------------
    info({
      group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singular: 'lease', kind: 'Lease', namespaced: true,
      generation: 'none', nameRule: 'subdomain', storagePrefix: '/registry/leases', table: leasePrinter,
    }),

    // ---- discovery.k8s.io/v1 ----------------------------------------------------------------
    info({
      // EndpointSlice has no status: any change outside metadata bumps the generation.
      group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice',
      namespaced: true, generation: 'all-but-metadata', nameRule: 'subdomain', storagePrefix: '/registry/endpointslices',
      table: endpointSlicePrinter,
    }),

    // ---- apiextensions.k8s.io/v1 ------------------------------------------------------------
    info({
      // metadata.name must also equal <plural>.<group>; crd/validate-crd.ts checks that.
      group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'],
      status: true, generation: 'spec', nameRule: 'subdomain', storagePrefix: '/registry/apiextensions.k8s.io/customresourcedefinitions',
      table: customResourceDefinitionPrinter,
    }),
  ];
}
