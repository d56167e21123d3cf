// The public surface of @keelson/xds: an Envoy xDS control plane (go-control-plane's shape:
// caches separate from the server), resource builders, and the MeshSpec translator.

// Resource types and protos
export * from './resource-types.js';
export { envoyProtos, EnvoyProtos, MessageShapeError } from './proto/envoy-protos.js';
export { clientServiceDefinition, serverServiceDefinition, DISCOVERY_SERVICES, type DiscoveryServiceInfo } from './proto/services.js';
export * from './errors.js';

// Caches
export type { Cache, CancelWatch, ChangeSet, Node, NodeHash, WatchCallback } from './cache/cache.js';
export { idHash } from './cache/cache.js';
export { Resource, makeResource, resourceName, type Message } from './cache/resource.js';
export type { ResourceRef } from './cache/references.js';
export { Snapshot, type SnapshotOptions, type SnapshotResources, type TypeResources } from './cache/snapshot.js';
export { SnapshotCache, diffSnapshots, type SnapshotCacheOptions, type SnapshotCacheStatus } from './cache/snapshot-cache.js';
export { LinearCache, type LinearCacheOptions } from './cache/linear-cache.js';
export { MuxCache } from './cache/mux-cache.js';

// Server
export { AdsServer, type AdsServerOptions } from './server/ads-server.js';
export type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponseInfo,
  DiscoveryRequest,
  DiscoveryResponseInfo,
  NackInfo,
  ServerCallbacks,
} from './server/callbacks.js';
export type { NackRecord } from './server/type-state.js';
export { xdsMetrics, type StreamMode, type XdsMetrics } from './metrics.js';
export { startDebugServer, type DebugServer, type DebugServerOptions } from './debug/csds-http.js';

// Resource builders
export { adsConfigSource, duration, fractionalPercent } from './resources/common.js';
export * from './resources/listener.js';
export * from './resources/route.js';
export * from './resources/cluster.js';
export * from './resources/endpoint.js';
export * from './resources/secret.js';
export { validateResource, type ValidationProblem } from './resources/validate.js';

// MeshSpec → xDS
export type * from './mesh/mesh-spec.js';
export { meshToSnapshot, clusterName } from './translate/mesh-to-snapshot.js';

// ---------------------------------------------------------------------------------------------
// Config sources (mesh.yaml file source, Kubernetes source): exports added here.
// ---------------------------------------------------------------------------------------------
export * from './mesh/index.js';
