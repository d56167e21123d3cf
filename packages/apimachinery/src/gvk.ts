/**
 * Group, version, kind and resource: the coordinates of every API type. Mirrors
 * k8s.io/apimachinery/pkg/runtime/schema, with `apiVersion` strings ("v1", "apps/v1") as the wire form.
 */
import { newBadRequest } from './errors.js';

export interface GroupVersion {
  group: string;
  version: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/**
 * Splits an `apiVersion` into group and version.
 *
 * ```ts
 * parseApiVersion('v1');      // { group: '', version: 'v1' }   (the legacy core group)
 * parseApiVersion('apps/v1'); // { group: 'apps', version: 'v1' }
 * ```
 *
 * Throws a 400 BadRequest for an empty string or anything with more than one '/'. Unlike
 * schema.ParseGroupVersion, which maps "" and "/" to the internal version, an empty group or
 * version part is an error too: no object on the wire may carry one.
 */
export function parseApiVersion(apiVersion: string): GroupVersion {
  if (apiVersion === '') throw newBadRequest('apiVersion must not be empty');
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (group === '' || version === '' || version.includes('/')) {
    // schema.ParseGroupVersion's wording, so clients that grep it keep working.
    throw newBadRequest(`unexpected GroupVersion string: ${apiVersion}`);
  }
  return { group, version };
}

/** The `apiVersion` for a group and version: the core group ("") has no prefix. */
export function formatApiVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** `apps/v1, Kind=Deployment`, as schema.GroupVersionKind.String() prints it (core: `/v1, Kind=Pod`). */
export function gvkString(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

/** `apps/v1, Resource=deployments`, as schema.GroupVersionResource.String() prints it. */
export function gvrString(gvr: GroupVersionResource): string {
  return `${gvr.group}/${gvr.version}, Resource=${gvr.resource}`;
}
