/**
 * Field selector labels of the built-in kinds beyond metadata.name and metadata.namespace, with
 * the values kube-apiserver's registries compute for them (GetAttrs / ToSelectableFields in
 * pkg/registry/<group>/<kind>/strategy.go). Unset fields select as the empty string, exactly as
 * upstream's fields.Set does, so `spec.nodeName=` finds unscheduled pods.
 */

type Getters = Record<string, (obj: any) => string | undefined>;

const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const bool = (v: unknown): string => (v === true ? 'true' : 'false');
const int = (v: unknown): string => String(typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

/** pkg/registry/core/pod: ToSelectableFields. */
export const podFieldSelectors: Getters = {
  'spec.nodeName': (p) => s(p?.spec?.nodeName),
  'spec.restartPolicy': (p) => s(p?.spec?.restartPolicy),
  'spec.schedulerName': (p) => s(p?.spec?.schedulerName),
  'spec.serviceAccountName': (p) => s(p?.spec?.serviceAccountName),
  'spec.hostNetwork': (p) => bool(p?.spec?.hostNetwork),
  'status.phase': (p) => s(p?.status?.phase),
  // The first of status.podIPs (the internal type has no podIP field).
  'status.podIP': (p) => s(p?.status?.podIPs?.[0]?.ip) || s(p?.status?.podIP),
  'status.nominatedNodeName': (p) => s(p?.status?.nominatedNodeName),
};

/** pkg/registry/core/event: source falls back to reportingComponent for events.k8s.io writers. */
export const eventFieldSelectors: Getters = {
  'involvedObject.kind': (e) => s(e?.involvedObject?.kind),
  'involvedObject.namespace': (e) => s(e?.involvedObject?.namespace),
  'involvedObject.name': (e) => s(e?.involvedObject?.name),
  'involvedObject.uid': (e) => s(e?.involvedObject?.uid),
  'involvedObject.apiVersion': (e) => s(e?.involvedObject?.apiVersion),
  'involvedObject.resourceVersion': (e) => s(e?.involvedObject?.resourceVersion),
  'involvedObject.fieldPath': (e) => s(e?.involvedObject?.fieldPath),
  reason: (e) => s(e?.reason),
  reportingComponent: (e) => s(e?.reportingComponent),
  source: (e) => s(e?.source?.component) || s(e?.reportingComponent),
  type: (e) => s(e?.type),
};

export const nodeFieldSelectors: Getters = {
  'spec.unschedulable': (n) => bool(n?.spec?.unschedulable),
};

export const secretFieldSelectors: Getters = {
  type: (x) => s(x?.type),
};

export const namespaceFieldSelectors: Getters = {
  'status.phase': (n) => s(n?.status?.phase),
};

/** pkg/registry/core/service: spec.clusterIP and spec.type (kube-proxy and e2e use them). */
export const serviceFieldSelectors: Getters = {
  'spec.clusterIP': (x) => s(x?.spec?.clusterIP),
  'spec.type': (x) => s(x?.spec?.type),
};

export const replicaSetFieldSelectors: Getters = {
  'status.replicas': (rs) => int(rs?.status?.replicas),
};
