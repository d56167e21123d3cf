/**
 * What an informer can cache: anything with the object envelope. The same shape as
 * `@keelson/client`'s KubeObject, and for the same reason: apimachinery's `KubeObject` has an
 * index signature that the interfaces of `kubernetes-types` (Pod, ConfigMap, ...) do not
 * satisfy, so typed and unstructured objects both fit only this one.
 */
import type { ObjectMeta } from '@keelson/apimachinery';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}
