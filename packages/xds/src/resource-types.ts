/**
 * The xDS v3 resource types this control plane serves, by type URL (go-control-plane's
 * `resource.ListenerType` etc.), their short names (LDS, RDS, CDS, EDS, SDS: metric labels and
 * logs), and the order in which a stream pushes them.
 */
export const TYPE_PREFIX = 'type.googleapis.com/';

export const ListenerType = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RouteType = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const ClusterType = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EndpointType = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const SecretType = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

export type ResourceTypeUrl = typeof ListenerType | typeof RouteType | typeof ClusterType | typeof EndpointType | typeof SecretType;

export type ShortTypeName = 'LDS' | 'RDS' | 'CDS' | 'EDS' | 'SDS';

/**
 * Make-before-break push order: what is referenced goes before what references it, so a client
 * never holds a listener whose route names a cluster it lacks. Secrets are referenced by clusters
 * and listeners; clusters by routes; endpoints belong to clusters; routes by listeners (but a
 * listener is only usable once its route arrives, so LDS then RDS, as Envoy and istiod order
 * them). Removals go in the reverse order.
 */
export const PUSH_ORDER: readonly ResourceTypeUrl[] = [SecretType, ClusterType, EndpointType, ListenerType, RouteType];

export const ALL_TYPES: readonly ResourceTypeUrl[] = PUSH_ORDER;

const SHORT: Record<ResourceTypeUrl, ShortTypeName> = {
  [ListenerType]: 'LDS',
  [RouteType]: 'RDS',
  [ClusterType]: 'CDS',
  [EndpointType]: 'EDS',
  [SecretType]: 'SDS',
};

/** The protobuf message name of a type URL: `envoy.config.cluster.v3.Cluster`. */
export function messageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function isKnownType(typeUrl: string): typeUrl is ResourceTypeUrl {
  return Object.hasOwn(SHORT, typeUrl);
}

/** LDS, RDS, CDS, EDS or SDS; the message name for anything else. */
export function shortTypeName(typeUrl: string): string {
  return isKnownType(typeUrl) ? SHORT[typeUrl] : messageName(typeUrl);
}

/**
 * In State of the World, a Listener or Cluster response must carry every resource the client
 * subscribed to: omitting one deletes it (Envoy's xds_protocol, grpc-js-xds
 * `allResourcesRequiredInSotW`). Route, endpoint and secret responses may carry only what changed.
 */
export function isFullStateType(typeUrl: string): boolean {
  return typeUrl === ListenerType || typeUrl === ClusterType;
}

/**
 * Types where a first request naming nothing means "everything" (the legacy wildcard of Envoy's
 * xds_protocol: LDS and CDS only). Any type can be subscribed to with an explicit `*`.
 */
export function allowsLegacyWildcard(typeUrl: string): boolean {
  return typeUrl === ListenerType || typeUrl === ClusterType;
}

/** Position in PUSH_ORDER (unknown types last). */
export function pushRank(typeUrl: string): number {
  const i = PUSH_ORDER.indexOf(typeUrl as ResourceTypeUrl);
  return i === -1 ? PUSH_ORDER.length : i;
}
