/**
 * Names kube-apiserver gives things in its OpenAPI documents: definition (schema) names,
 * operation ids and tags. kubectl never matches on these (it matches on
 * `x-kubernetes-group-version-kind`), but people and generators read them, so they follow
 * kube's scheme: `io.k8s.api.apps.v1.Deployment`, `com.example.v1.Widget`,
 * `listAppsV1NamespacedDeployment`, tag `apps_v1`.
 */
import type { ResourceInfo } from '../resource-info.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The apimachinery types every document shares. */
export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const DEF = {
  objectMeta: `${META_V1}.ObjectMeta`,
  listMeta: `${META_V1}.ListMeta`,
  time: `${META_V1}.Time`,
  ownerReference: `${META_V1}.OwnerReference`,
  managedFieldsEntry: `${META_V1}.ManagedFieldsEntry`,
  fieldsV1: `${META_V1}.FieldsV1`,
  status: `${META_V1}.Status`,
  statusDetails: `${META_V1}.StatusDetails`,
  statusCause: `${META_V1}.StatusCause`,
  deleteOptions: `${META_V1}.DeleteOptions`,
  preconditions: `${META_V1}.Preconditions`,
  patch: `${META_V1}.Patch`,
  watchEvent: `${META_V1}.WatchEvent`,
  rawExtension: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  scale: 'io.k8s.api.autoscaling.v1.Scale',
  scaleSpec: 'io.k8s.api.autoscaling.v1.ScaleSpec',
  scaleStatus: 'io.k8s.api.autoscaling.v1.ScaleStatus',
} as const;

/** The GVK kube puts on every `/scale` operation, whatever the parent kind. */
export const SCALE_GVK: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

/**
 * Go package prefixes of built-in groups whose name does not follow the "first label of
 * <x>.k8s.io" rule (kube names definitions after the Go package that declares the type).
 */
const BUILTIN_PACKAGE_EXCEPTIONS: Record<string, string> = {
  '': 'io.k8s.api.core',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
  'internal.apiserver.k8s.io': 'io.k8s.api.apiserverinternal',
};

/** kube-openapi's ToRESTFriendlyName: reverse the DNS labels of the part before the first '/'. */
export function toRestFriendlyName(name: string): string {
  const parts = name.split('/');
  if (parts[0].includes('.')) parts[0] = parts[0].split('.').reverse().join('.');
  return parts.join('.');
}

function packagePrefix(r: Pick<ResourceInfo, 'group' | 'crd'>): string {
  if (r.crd) return toRestFriendlyName(r.group);
  const exception = BUILTIN_PACKAGE_EXCEPTIONS[r.group];
  if (exception !== undefined) return exception;
  if (!r.group.includes('.')) return `io.k8s.api.${r.group}`;
  if (r.group.endsWith('.k8s.io')) return `io.k8s.api.${r.group.split('.')[0]}`;
  return toRestFriendlyName(r.group);
}

/** `io.k8s.api.core.v1.ConfigMap`, `com.example.v1.Widget`. */
export function kindDefinitionName(r: Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'crd'>): string {
  return `${packagePrefix(r)}.${r.version}.${r.kind}`;
}

/** `io.k8s.api.core.v1.ConfigMapList`, `com.example.v1.WidgetList`. */
export function listDefinitionName(r: Pick<ResourceInfo, 'group' | 'version' | 'listKind' | 'crd'>): string {
  return `${packagePrefix(r)}.${r.version}.${r.listKind}`;
}

function upperFirst(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}

/** Group words as kube's operation ids spell them: "" → core, rbac.authorization.k8s.io → rbac authorization. */
function groupWords(group: string): string[] {
  if (group === '') return ['core'];
  const trimmed = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  return trimmed.split(/[.-]/).filter((w) => w.length > 0);
}

/** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`, `ExampleComV1`: the middle of an operation id. */
export function operationGroupVersion(group: string, version: string): string {
  return groupWords(group).map(upperFirst).join('') + upperFirst(version);
}

/** `core_v1`, `apps_v1`, `rbacAuthorization_v1`, `exampleCom_v1`. */
export function operationTag(group: string, version: string): string {
  const words = groupWords(group);
  return words[0] + words.slice(1).map(upperFirst).join('') + '_' + version;
}

/** "/api/v1" or "/apis/apps/v1". */
export function groupVersionPathPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** "api/v1" or "apis/apps/v1": the key of a group-version in the `/openapi/v3` index. */
export function openApiV3PathKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** "a" or "an", as kube's generated operation descriptions choose it. */
export function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}
