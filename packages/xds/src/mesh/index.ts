// The config sources of @keelson/xds (re-exported by src/index.ts): mesh.yaml and Kubernetes
// (TrafficSplit, Services, EndpointSlices) to MeshSpec, the validation both share, and the
// control plane that serves a source over xDS. The MeshSpec types are exported by src/index.ts.
export { validateMeshSpec, validateMeshService, isDnsLabel, isCatchAllRoute, meshClusterName, MAX_UINT32, RETRY_ON_CONDITIONS } from './validate.js';
export { formatMeshError, MeshConfigError, type MeshSourceError } from './errors.js';
export { parseMeshFile, loadMeshFile, MESH_FILE_API_VERSION, MESH_FILE_KIND, type MeshFileResult, type ParseMeshFileOptions } from './mesh-file.js';
export { expandCanary, validateCanary, canaryStableVersion, CANARY_HEADER_ROUTE, CANARY_DEFAULT_ROUTE, type CanaryRule } from './canary.js';
export { meshSpecVersion, canonicalJson } from './spec-version.js';
export { coalesceMeshEvents, type MeshSource, type MeshSourceEvent, type MeshUpdate } from './mesh-source.js';
export { MeshFileSource, type MeshFileSourceOptions } from './file-source.js';
export {
  trafficSplitCrd,
  trafficSplitGvr,
  TRAFFIC_SPLIT_API_VERSION,
  TRAFFIC_SPLIT_GROUP,
  TRAFFIC_SPLIT_KIND,
  TRAFFIC_SPLIT_VERSION,
  type TrafficSplit,
  type TrafficSplitSpec,
  type TrafficSplitMatch,
  type TrafficSplitHeaderMatch,
} from './traffic-split.js';
export { installTrafficSplitCrd, trafficSplitCrdInstalled, type InstallCrdOptions } from './install-crd.js';
export {
  KubernetesMeshBuilder,
  backendVersionName,
  endpointHealth,
  SERVICE_NAME_LABEL,
  type ClusterMeshState,
  type KubernetesMeshBuild,
  type ServiceObject,
  type EndpointSliceObject,
} from './kubernetes-mesh.js';
export { KubernetesMeshSource, type KubernetesMeshSourceOptions } from './kubernetes-source.js';
export { meshSourceMetrics, type MeshSourceMetrics } from './metrics.js';
export { MeshControlPlane, MESH_SNAPSHOT_KEY, type MeshControlPlaneOptions } from './mesh-control-plane.js';
