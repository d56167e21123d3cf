/**
 * Kubernetes objects → MeshSpec, as a pure function of what the informers hold (plus the memory
 * of each TrafficSplit's last good state), so it is tested without a cluster.
 *
 * The mapping:
 * - One TrafficSplit = one mesh service, named `spec.service` (what clients dial). Services
 *   without a TrafficSplit are not in the mesh: listener names are global in xDS while Service
 *   names are per namespace, so a TrafficSplit is where a user claims a global name (a plain
 *   service is a TrafficSplit with one backend).
 * - Each backend Service (same namespace) is a version, named after the Service without the
 *   `<root>-` prefix (`greeter-v2` → `v2`, so its cluster is `greeter-v2`, the Service's name);
 *   a backend not named so keeps its full name.
 * - Endpoints come from the backend's EndpointSlices (label `kubernetes.io/service-name`) of the
 *   Service's primary IP family: the first address of each endpoint, at the slice's port named
 *   like the gRPC port (`spec.port`, else the Service's only port, else its port named `grpc`).
 *   Conditions give health: terminating → draining, ready false → unhealthy, else healthy
 *   (a missing `ready` means ready, as the API documents); `zone` gives the locality.
 * - Routes: each `spec.matches[i]` (in order) to its backend, then a default route splitting by
 *   the backends' weights. A backend of weight 0 stays in the split: clients keep its cluster
 *   and endpoints warm, so the step that gives it traffic is a route change only
 *   (make-before-break).
 *
 * What cannot be served as written is rejected per TrafficSplit: that service keeps its last
 * good TrafficSplit (with current endpoints), or if even that no longer builds, its last good
 * state whole; a TrafficSplit that never was valid stays out. The rest of the mesh moves on.
 * Two TrafficSplits claiming one root service: the older one (creationTimestamp, then
 * namespace/name) wins.
 */
import type { MeshEndpoint, MeshRoute, MeshService, MeshServiceVersion, MeshSpec } from './mesh-spec.js';
import type { MeshSourceError } from './errors.js';
import { SourceLocations } from './source-locations.js';
import { isCatchAllRoute, isDnsLabel, meshClusterName, validateMeshService } from './validate.js';
import type { TrafficSplit, TrafficSplitSpec } from './traffic-split.js';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The fields of a v1 Service this source reads. */
export interface ServiceObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { type?: string; ports?: { name?: string; port?: number }[] | null; ipFamilies?: string[] | null };
}

/** The fields of a discovery.k8s.io/v1 EndpointSlice this source reads. */
export interface EndpointSliceObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } | null;
    zone?: string | null;
  }[] | null;
}

export interface ClusterMeshState {
  trafficSplits: TrafficSplit[];
  services: ServiceObject[];
  endpointSlices: EndpointSliceObject[];
}

export interface KubernetesMeshBuild {
  spec: MeshSpec;
  /** Problems of TrafficSplits (and the objects they use) that are not served as written. */
  rejected: MeshSourceError[];
  /** `namespace/name` of every Service a TrafficSplit uses: changes to others cannot alter the spec. */
  referencedServices: Set<string>;
}

/** EndpointSlice conditions → MeshEndpoint health. */
export function endpointHealth(c: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } | null | undefined): NonNullable<MeshEndpoint['health']> {
  if (c?.terminating) return 'draining';
  return c?.ready === false ? 'unhealthy' : 'healthy';
}

/** A backend's version name: the Service's name without `<root>-`, if that leaves something. */
export function backendVersionName(root: string, backend: string): string {
  return backend.startsWith(`${root}-`) && backend.length > root.length + 1 ? backend.slice(root.length + 1) : backend;
}

const HEALTH_RANK = { healthy: 0, draining: 1, unhealthy: 2 } as const;

export class KubernetesMeshBuilder {
  private readonly lastGoodSplit = new Map<string, TrafficSplitSpec>();
  private readonly lastGoodService = new Map<string, MeshService>();

  build(state: ClusterMeshState): KubernetesMeshBuild {
    const services = new Map<string, ServiceObject>();
    for (const s of state.services) services.set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s);
    const slices = new Map<string, EndpointSliceObject[]>();
    for (const sl of state.endpointSlices) {
      const svc = sl.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const key = `${sl.metadata?.namespace ?? ''}/${svc}`;
      const list = slices.get(key);
      if (list) list.push(sl);
      else slices.set(key, [sl]);
    }
    const splits = [...state.trafficSplits].sort(olderFirst);
    const rejected: MeshSourceError[] = [];
    const referenced = new Set<string>();
    const accepted: MeshService[] = [];
    const claimedBy = new Map<string, string>(); // root service → TrafficSplit ns/name
    const clusterOwner = new Map<string, string>(); // cluster name → root service
    const present = new Set<string>();

    const conflicts = (svc: MeshService, splitRef: string): MeshSourceError[] => {
      const errs: MeshSourceError[] = [];
      const src = `TrafficSplit ${splitRef}`;
      const owner = claimedBy.get(svc.name);
      if (owner) errs.push({ source: src, path: 'spec.service', message: `service "${svc.name}" is already claimed by TrafficSplit ${owner} (older); one TrafficSplit per root service: merge the two or rename one` });
      for (const v of svc.versions) {
        const c = meshClusterName(svc.name, v.name);
        const other = clusterOwner.get(c);
        if (other !== undefined && other !== svc.name) errs.push({ source: src, path: 'spec.backends', message: `cluster name "${c}" (service "${svc.name}" + version "${v.name}") is also a cluster of service "${other}"; rename a Service so the two differ` });
      }
      return errs;
    };
    const accept = (svc: MeshService, splitRef: string): void => {
      accepted.push(svc);
      claimedBy.set(svc.name, splitRef);
      for (const v of svc.versions) clusterOwner.set(meshClusterName(svc.name, v.name), svc.name);
    };

    for (const split of splits) {
      const ns = split.metadata?.namespace ?? '';
      const ref = `${ns}/${split.metadata?.name ?? ''}`;
      present.add(ref);
      for (const b of split.spec?.backends ?? []) if (typeof b?.service === 'string') referenced.add(`${ns}/${b.service}`);
      for (const b of this.lastGoodSplit.get(ref)?.backends ?? []) referenced.add(`${ns}/${b.service}`);

      const built = buildService(split.spec, ns, ref, services, slices);
      const errors = built.service ? conflicts(built.service, ref) : [];
      errors.unshift(...built.errors);
      if (errors.length === 0 && built.service) {
        accept(built.service, ref);
        this.lastGoodSplit.set(ref, split.spec!);
        this.lastGoodService.set(ref, built.service);
        continue;
      }
      rejected.push(...errors);
      const src = `TrafficSplit ${ref}`;
      const goodSplit = this.lastGoodSplit.get(ref);
      const fallback = goodSplit ? buildService(goodSplit, ns, ref, services, slices) : undefined;
      if (fallback?.service && fallback.errors.length === 0 && conflicts(fallback.service, ref).length === 0) {
        accept(fallback.service, ref);
        this.lastGoodService.set(ref, fallback.service);
        rejected.push({ source: src, path: '', message: `not applied; service "${fallback.service.name}" keeps the routes and weights of this TrafficSplit's last good version (with current endpoints) until it is fixed` });
        continue;
      }
      const goodService = this.lastGoodService.get(ref);
      if (goodService && conflicts(goodService, ref).length === 0) {
        accept(goodService, ref);
        rejected.push({ source: src, path: '', message: `not applied; service "${goodService.name}" keeps its last good state (routes, weights and endpoints) until it is fixed` });
        continue;
      }
      rejected.push({ source: src, path: '', message: 'not applied; its service is not in the mesh until it is fixed' });
    }
    for (const key of [...this.lastGoodSplit.keys()]) if (!present.has(key)) this.lastGoodSplit.delete(key);
    for (const key of [...this.lastGoodService.keys()]) if (!present.has(key)) this.lastGoodService.delete(key);

    accepted.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { spec: { services: accepted }, rejected, referencedServices: referenced };
  }
}

function olderFirst(a: TrafficSplit, b: TrafficSplit): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** One TrafficSplit (spec) with the current Services and EndpointSlices → a validated MeshService, or the reasons it is not one. */
function buildService(
  spec: TrafficSplitSpec | undefined,
  ns: string,
  ref: string,
  services: Map<string, ServiceObject>,
  slicesByService: Map<string, EndpointSliceObject[]>,
): { service?: MeshService; errors: MeshSourceError[] } {
  const src = `TrafficSplit ${ref}`;
  const errors: MeshSourceError[] = [];
  const err = (path: string, message: string, source = src): void => void errors.push({ source, path, message });
  if (!spec || typeof spec !== 'object') {
    err('spec', 'is missing: a TrafficSplit needs spec.service and spec.backends');
    return { errors };
  }
  if (typeof spec.service !== 'string' || !isDnsLabel(spec.service)) {
    err('spec.service', `${JSON.stringify(spec.service)} is not a DNS label: the root service clients dial (xds:///NAME)`);
    return { errors };
  }
  const root = spec.service;
  if (!Array.isArray(spec.backends) || spec.backends.length === 0) {
    err('spec.backends', 'must list at least one backend: { service, weight }');
    return { errors };
  }

  const locations = new SourceLocations(src);
  locations.alias('service.name', 'spec.service');
  const versions: MeshServiceVersion[] = [];
  const versionOf = new Map<string, string>(); // backend Service → version name
  const versionFrom = new Map<string, number>(); // version name → backend index
  spec.backends.forEach((b, i) => {
    const bpath = `spec.backends[${i}]`;
    if (!b || typeof b.service !== 'string' || b.service === '') return err(`${bpath}.service`, 'is required: the name of a Service in this namespace');
    if (versionOf.has(b.service)) return err(`${bpath}.service`, `Service "${b.service}" is listed twice; list each backend once`);
    const version = backendVersionName(root, b.service);
    const first = versionFrom.get(version);
    if (first !== undefined) {
      return err(`${bpath}.service`, `makes version "${version}", as spec.backends[${first}] does (a backend's version is its name without "${root}-"); rename one of the Services`);
    }
    versionOf.set(b.service, version);
    versionFrom.set(version, i);

    const svc = services.get(`${ns}/${b.service}`);
    if (!svc) return err(`${bpath}.service`, `Service "${b.service}" does not exist in namespace "${ns}"; create it or fix the name`);
    if (svc.spec?.type === 'ExternalName') {
      return err(`${bpath}.service`, `Service "${b.service}" is of type ExternalName, which has no endpoints; xDS clients connect to IP endpoints: use a Service with a selector or EndpointSlices`);
    }
    const portName = gRpcPortName(svc, spec.port, (m) => err(spec.port !== undefined ? 'spec.port' : `${bpath}.service`, m));
    if (portName === undefined) return;
    const endpoints = endpointsOf(svc, slicesByService.get(`${ns}/${b.service}`) ?? [], portName, (m) => err(`${bpath}.service`, m));
    if (!endpoints) return;
    locations.alias(`service.versions[${versions.length}]`, bpath);
    endpoints.forEach((e, j) => locations.alias(`service.versions[${versions.length}].endpoints[${j}]`, `endpoints[${e.index}]`, `EndpointSlice ${ns}/${e.slice}`));
    versions.push({ name: version, endpoints: endpoints.map((e) => e.endpoint) });
  });

  const routes: MeshRoute[] = [];
  const routeNames = new Map<string, number>();
  const matches = Array.isArray(spec.matches) ? spec.matches : [];
  matches.forEach((m, k) => {
    const mpath = `spec.matches[${k}]`;
    if (!m || typeof m !== 'object') return err(mpath, 'must be a rule: { headers | prefix | path, backend }');
    const version = typeof m.backend === 'string' ? versionOf.get(m.backend) : undefined;
    if (version === undefined) {
      const known = spec.backends.map((b) => b?.service).filter(Boolean).join(', ');
      return err(`${mpath}.backend`, `${JSON.stringify(m.backend)} is not one of this TrafficSplit's backends (${known}); add it to spec.backends (weight 0 keeps it out of the split) or fix the name`);
    }
    const name = m.name ?? `match-${k}`;
    const first = routeNames.get(name);
    if (first !== undefined) return err(`${mpath}.name`, `"${name}" is already the name of spec.matches[${first}]; names must be unique`);
    routeNames.set(name, k);
    const route: MeshRoute = { name, destinations: [{ version, weight: 1 }] };
    const match: NonNullable<MeshRoute['match']> = {};
    if (m.prefix !== undefined) match.prefix = m.prefix;
    if (m.path !== undefined) match.path = m.path;
    if (m.headers !== undefined) match.headers = m.headers.map((h) => ({ ...h }));
    route.match = match;
    if (isCatchAllRoute(route)) {
      return err(mpath, 'has no headers, prefix or path, so it takes every call and the weighted backends get none; add a rule, or drop the match and set weights');
    }
    locations.alias(`service.routes[${routes.length}].match`, `${mpath}`);
    locations.alias(`service.routes[${routes.length}].destinations`, `${mpath}.backend`);
    locations.alias(`service.routes[${routes.length}]`, mpath);
    routes.push(route);
  });
  const weighted = spec.backends.map((b, i) => ({ version: versionOf.get(b?.service), weight: b?.weight, i })).filter((d) => d.version !== undefined);
  if (weighted.length > 0 && weighted.length === spec.backends.length && weighted.every((d) => d.weight === 0)) {
    err('spec.backends', 'every weight is 0, so the calls no match takes would fail; give at least one backend a positive weight');
  }
  const defaultIndex = routes.length;
  locations.alias(`service.routes[${defaultIndex}].destinations`, 'spec.backends');
  weighted.forEach((d, n) => locations.alias(`service.routes[${defaultIndex}].destinations[${n}]`, `spec.backends[${d.i}]`));
  locations.alias(`service.routes[${defaultIndex}]`, 'spec.backends');
  routes.push({ name: 'default', destinations: weighted.map((d) => ({ version: d.version!, weight: d.weight })) });
  if (errors.length) return { errors };

  const service: MeshService = { name: root, versions, routes };
  const problems = validateMeshService(service, 'service').map((e) => locations.locate(e));
  if (problems.length) return { errors: problems };
  return { service, errors };
}

/** The port name gRPC uses on a backend Service, or undefined after reporting why there is none. */
function gRpcPortName(svc: ServiceObject, wanted: string | undefined, fail: (message: string) => void): string | undefined {
  const ports = svc.spec?.ports ?? [];
  const name = svc.metadata?.name;
  const names = ports.map((p) => p.name || '(unnamed)').join(', ');
  if (wanted !== undefined) {
    if (ports.some((p) => (p.name ?? '') === wanted)) return wanted;
    fail(`Service "${name}" has no port named "${wanted}" (its ports: ${names || 'none'}); fix spec.port or the Service`);
    return undefined;
  }
  if (ports.length === 1) return ports[0].name ?? '';
  if (ports.some((p) => p.name === 'grpc')) return 'grpc';
  fail(
    ports.length === 0
      ? `Service "${name}" has no ports; add its gRPC port`
      : `Service "${name}" has several ports (${names}) and none is named grpc; set spec.port to the name of the gRPC port`,
  );
  return undefined;
}

/** A backend's endpoints from its EndpointSlices, deduplicated and sorted, with where each came from. */
function endpointsOf(
  svc: ServiceObject,
  slices: EndpointSliceObject[],
  portName: string,
  fail: (message: string) => void,
): { endpoint: MeshEndpoint; slice: string; index: number }[] | undefined {
  const family = svc.spec?.ipFamilies?.[0] ?? (slices.some((s) => s.addressType === 'IPv4') ? 'IPv4' : 'IPv6');
  const ofFamily = slices.filter((s) => s.addressType === family);
  const byAddress = new Map<string, { endpoint: MeshEndpoint; slice: string; index: number }>();
  let withPort = 0;
  for (const slice of [...ofFamily].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1))) {
    const port = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined || port === null) continue;
    withPort++;
    (slice.endpoints ?? []).forEach((ep, index) => {
      const address = ep.addresses?.[0];
      // Kubernetes lets consumers use only the first address: the rest are the same endpoint.
      if (!address) return;
      const endpoint: MeshEndpoint = { address, port, health: endpointHealth(ep.conditions) };
      if (ep.zone) endpoint.locality = { zone: ep.zone };
      const key = `${address}|${port}`;
      const seen = byAddress.get(key);
      // An endpoint moving between slices shows up in both for a moment; the healthier copy wins.
      if (!seen || HEALTH_RANK[endpoint.health!] < HEALTH_RANK[seen.endpoint.health!]) byAddress.set(key, { endpoint, slice: slice.metadata?.name ?? '', index });
    });
  }
  if (ofFamily.length > 0 && withPort === 0) {
    const theirs = [...new Set(ofFamily.flatMap((s) => (s.ports ?? []).map((p) => p.name || '(unnamed)')))].join(', ');
    fail(`the EndpointSlices of Service "${svc.metadata?.name}" carry no port named "${portName || '(unnamed)'}" (theirs: ${theirs || 'none'}); name the slice port as the Service port`);
    return undefined;
  }
  return [...byAddress.values()].sort((a, b) =>
    a.endpoint.address < b.endpoint.address ? -1 : a.endpoint.address > b.endpoint.address ? 1 : a.endpoint.port - b.endpoint.port,
  );
}
