// The mesh as users describe it, independent of where it came from (a mesh.yaml file or the
// Kubernetes source) and of xDS. Config sources produce a MeshSpec; the translator turns one
// into xDS resources (a Snapshot). Keeping this plain data is what lets both sources share one
// translator and one set of validation rules.

/** One backend address of a service version. */
export interface MeshEndpoint {
  /** IPv4/IPv6 literal (loopback in tests). */
  address: string;
  port: number;
  /** Load-balancing weight within its locality; default 1. */
  weight?: number;
  /** Default 'healthy'. 'draining' and 'unhealthy' endpoints receive no new traffic. */
  health?: 'healthy' | 'unhealthy' | 'draining';
  /** Locality (region/zone/subZone); endpoints are grouped by it in the ClusterLoadAssignment. */
  locality?: { region?: string; zone?: string; subZone?: string };
}

/** A version (subset) of a service: becomes one Cluster plus its ClusterLoadAssignment. */
export interface MeshServiceVersion {
  /** DNS-label name, e.g. "v1". The cluster is named `${service}-${version}`. */
  name: string;
  endpoints: MeshEndpoint[];
}

/** A header match for canary rules (exact value unless `prefix` or `present` is given). */
export interface MeshHeaderMatch {
  name: string;
  exact?: string;
  prefix?: string;
  present?: boolean;
  invert?: boolean;
}

/** One route of a service, evaluated in order; the first match wins. */
export interface MeshRoute {
  /** Optional name for logs and debug output. */
  name?: string;
  match?: {
    /** Path prefix, e.g. "/helloworld.Greeter/". Default "/" (everything). */
    prefix?: string;
    /** Exact path, e.g. "/helloworld.Greeter/SayHello". */
    path?: string;
    headers?: MeshHeaderMatch[];
  };
  /** Where matching calls go: versions of this service with integer weights (> 0 total). */
  destinations: { version: string; weight: number }[];
  /** Per-try and overall timeouts, in milliseconds. */
  timeoutMs?: number;
  retry?: { retryOn: string; numRetries: number; perTryTimeoutMs?: number };
  fault?: {
    delay?: { fixedDelayMs: number; percent: number };
    abort?: { grpcStatus?: number; httpStatus?: number; percent: number };
  };
}

export interface MeshService {
  /** DNS-label name; also the xDS listener name clients dial (xds:///NAME). */
  name: string;
  versions: MeshServiceVersion[];
  /**
   * Routes in order. When empty, all traffic goes to the first version.
   * Canary by header = a route with `match.headers` before the default route;
   * canary by weight = a route with two destinations.
   */
  routes: MeshRoute[];
  /** Outlier detection for every version's cluster (gRFC A50 subset). */
  outlierDetection?: {
    intervalMs?: number;
    baseEjectionTimeMs?: number;
    maxEjectionPercent?: number;
    consecutive5xx?: number;
  };
}

export interface MeshSpec {
  services: MeshService[];
}

/** Where in a mesh source a problem is, and what it is; sources collect all of them. */
export interface MeshSpecError {
  /** JSON-path-like location, e.g. "services[2].routes[0].destinations[1].version". */
  path: string;
  message: string;
}
