/**
 * Object metadata types. The shapes come from `kubernetes-types` (generated from the OpenAPI of
 * Kubernetes 1.30) so every package speaks the same ObjectMeta as client libraries do.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export type { ObjectMeta, OwnerReference, ListMeta, ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';

/**
 * Any API object as it travels over the wire: typed by `apiVersion` and `kind`, named by
 * `metadata`, everything else opaque until a schema says otherwise (unstructured.Unstructured).
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
}
