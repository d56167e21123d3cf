/**
 * Semantic validation of a MeshSpec: the rules both config sources (mesh.yaml and Kubernetes)
 * share, checked before a spec may reach the translator. It returns every problem, each with
 * the path of the offending field and a message that names the fix; a source applies a spec
 * only when the list is empty, so a bad edit never turns into half a mesh.
 *
 * ```ts
 * const errors = validateMeshSpec(spec);
 * if (errors.length) for (const e of errors) log.error(`${e.path}: ${e.message}`);
 * ```
 *
 * Why the rules are what they are:
 * - Names are DNS labels because a service name is the listener clients dial (`xds:///greeter`)
 *   and `${service}-${version}` names the cluster; Kubernetes names fit without mangling.
 * - Cluster names must be unique across the mesh: service `a-b` version `c` and service `a`
 *   version `b-c` would both be cluster `a-b-c` and silently share endpoints.
 * - Weights are integers (xDS `weighted_clusters` weights are UInt32) with a positive sum
 *   (grpc-js picks no cluster when the sum is 0, and crashed on it before 1.14.1).
 * - Endpoint addresses are IP literals: grpc-js resolves no hostnames from EDS.
 * - The last route must catch every call, and nothing may follow a catch-all. A gRPC call that
 *   matches no route fails with UNAVAILABLE, which looks exactly like an outage; a list that
 *   ends in a header-only canary route is nearly always a forgotten default route, and a route
 *   after a catch-all is dead. This is an error, not a warning: sources apply or reject a spec
 *   whole, and a warning nobody reads would ship the outage. Restricting which methods may be
 *   called is an authorization concern (RBAC), not routing.
 * - Header names are lowercase HTTP/2 field names; gRPC never matches pseudo-headers (`:path`)
 *   or binary `-bin` metadata (gRFC A28), so such a rule could never fire.
 */
import { isIP } from 'node:net';
import type { MeshEndpoint, MeshHeaderMatch, MeshRoute, MeshService, MeshServiceVersion, MeshSpec, MeshSpecError } from './mesh-spec.js';

/** xDS weights and per-endpoint weights are protobuf UInt32. */
export const MAX_UINT32 = 4_294_967_295;

/** The `retry_on` conditions Envoy and gRPC clients know; grpc-js acts on the gRPC ones. */
export const RETRY_ON_CONDITIONS: readonly string[] = [
  // gRPC status codes (gRFC A44; all grpc-js supports)
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
  // Envoy's HTTP conditions, for Envoy clients of the same mesh
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;

/** True for an RFC 1123 DNS label: lowercase letters, digits and '-', alphanumeric at both ends, at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return typeof name === 'string' && name.length <= 63 && DNS_LABEL.test(name);
}

/** The xDS cluster (and ClusterLoadAssignment) name of a service version, as MeshServiceVersion documents it. */
export function meshClusterName(service: string, version: string): string {
  return `${service}-${version}`;
}

/** A route that matches every call: no path, no headers, and a prefix of '' or '/' (every gRPC path starts with '/'). */
export function isCatchAllRoute(route: MeshRoute): boolean {
  const m = route.match;
  if (!m) return true;
  if (m.path !== undefined) return false;
  if (m.headers && m.headers.length > 0) return false;
  return m.prefix === undefined || m.prefix === '' || m.prefix === '/';
}

/** Every problem of a whole spec: each service's own, and names that clash across services. */
export function validateMeshSpec(spec: MeshSpec): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  if (!spec || !Array.isArray(spec.services)) {
    return [{ path: 'services', message: 'must be a list of services (use [] for an empty mesh)' }];
  }
  const serviceAt = new Map<string, number>();
  const clusterAt = new Map<string, string>();
  spec.services.forEach((svc, i) => {
    const path = `services[${i}]`;
    errors.push(...validateMeshService(svc, path));
    if (typeof svc?.name === 'string') {
      const first = serviceAt.get(svc.name);
      if (first !== undefined) {
        errors.push({ path: `${path}.name`, message: `service "${svc.name}" is already defined at services[${first}]; service names must be unique: rename one or merge them` });
        return; // its clusters clash with the first one's too; one error says it
      }
      serviceAt.set(svc.name, i);
    }
    (Array.isArray(svc?.versions) ? svc.versions : []).forEach((v, j) => {
      if (typeof v?.name !== 'string' || typeof svc.name !== 'string') return;
      const cluster = meshClusterName(svc.name, v.name);
      const vpath = `${path}.versions[${j}].name`;
      const other = clusterAt.get(cluster);
      // The same service twice is reported above; only clashes between different services here.
      if (other !== undefined && !other.startsWith(`${path}.`)) {
        errors.push({ path: vpath, message: `cluster name "${cluster}" (service "${svc.name}" + version "${v.name}") is also the cluster of ${other}; rename a service or a version so the two differ` });
      } else if (other === undefined) clusterAt.set(cluster, vpath);
    });
  });
  return errors;
}

/** Every problem of one service, with paths under `path` (e.g. "services[2]"). */
export function validateMeshService(svc: MeshService, path: string): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  const err = (p: string, message: string): void => void errors.push({ path: p, message });
  if (!svc || typeof svc !== 'object') return [{ path, message: 'must be a service: { name, versions, routes }' }];

  if (typeof svc.name !== 'string' || svc.name === '') err(`${path}.name`, 'is required: the name clients dial (xds:///NAME)');
  else if (!isDnsLabel(svc.name)) err(`${path}.name`, `"${svc.name}" is not a DNS label: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`);

  const versions = Array.isArray(svc.versions) ? svc.versions : [];
  if (!Array.isArray(svc.versions)) err(`${path}.versions`, 'must be a list of versions');
  else if (versions.length === 0) err(`${path}.versions`, `service "${svc.name}" has no versions: add at least one version with its endpoints`);
  const versionAt = new Map<string, number>();
  versions.forEach((v, j) => {
    const vpath = `${path}.versions[${j}]`;
    errors.push(...validateVersion(v, vpath));
    if (typeof v?.name === 'string') {
      const first = versionAt.get(v.name);
      if (first !== undefined) err(`${vpath}.name`, `version "${v.name}" is already defined at ${path}.versions[${first}]; version names must be unique within a service`);
      else versionAt.set(v.name, j);
    }
  });

  if (svc.routes !== undefined && !Array.isArray(svc.routes)) err(`${path}.routes`, 'must be a list of routes');
  const routes = Array.isArray(svc.routes) ? svc.routes : [];
  const routeNameAt = new Map<string, number>();
  let catchAllAt = -1;
  routes.forEach((r, k) => {
    const rpath = `${path}.routes[${k}]`;
    errors.push(...validateRoute(r, rpath, versionAt));
    if (typeof r?.name === 'string') {
      const first = routeNameAt.get(r.name);
      if (first !== undefined) err(`${rpath}.name`, `route name "${r.name}" is already used by ${path}.routes[${first}]; route names must be unique within a service`);
      else routeNameAt.set(r.name, k);
    }
    if (!r || typeof r !== 'object') return;
    if (catchAllAt >= 0) {
      err(rpath, `this route can never match: ${path}.routes[${catchAllAt}] before it catches every call; move it above that route or remove it`);
    } else if (isCatchAllRoute(r)) catchAllAt = k;
  });
  if (routes.length > 0 && catchAllAt < 0) {
    err(
      `${path}.routes[${routes.length - 1}]`,
      `no route of service "${svc.name}" catches every call, so calls that match none fail with UNAVAILABLE; end the list with a default route without match (or with prefix "/")`,
    );
  }

  const od = svc.outlierDetection;
  if (od !== undefined) {
    const opath = `${path}.outlierDetection`;
    if (!od || typeof od !== 'object') err(opath, 'must be a map: { intervalMs, baseEjectionTimeMs, maxEjectionPercent, consecutive5xx }');
    else {
      checkInt(errors, `${opath}.intervalMs`, od.intervalMs, 1, MAX_UINT32, 'a positive number of milliseconds');
      checkInt(errors, `${opath}.baseEjectionTimeMs`, od.baseEjectionTimeMs, 1, MAX_UINT32, 'a positive number of milliseconds');
      checkInt(errors, `${opath}.maxEjectionPercent`, od.maxEjectionPercent, 0, 100, 'a percentage from 0 to 100');
      checkInt(errors, `${opath}.consecutive5xx`, od.consecutive5xx, 1, MAX_UINT32, 'a count of at least 1');
    }
  }
  return errors;
}

function validateVersion(v: MeshServiceVersion, path: string): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  const err = (p: string, message: string): void => void errors.push({ path: p, message });
  if (!v || typeof v !== 'object') return [{ path, message: 'must be a version: { name, endpoints }' }];
  if (typeof v.name !== 'string' || v.name === '') err(`${path}.name`, 'is required, e.g. "v1"');
  else if (!isDnsLabel(v.name)) err(`${path}.name`, `"${v.name}" is not a DNS label: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`);
  if (!Array.isArray(v.endpoints)) {
    err(`${path}.endpoints`, 'must be a list of endpoints (use [] for a version without any)');
    return errors;
  }
  const seen = new Map<string, number>();
  v.endpoints.forEach((ep, i) => {
    const epath = `${path}.endpoints[${i}]`;
    errors.push(...validateEndpoint(ep, epath));
    if (ep && typeof ep === 'object' && typeof ep.address === 'string' && typeof ep.port === 'number') {
      const key = isIP(ep.address) === 6 ? `[${ep.address.toLowerCase()}]:${ep.port}` : `${ep.address}:${ep.port}`;
      const first = seen.get(key);
      if (first !== undefined) err(epath, `endpoint ${key} is already listed at ${path}.endpoints[${first}]; list each address:port once (use weight to give it more traffic)`);
      else seen.set(key, i);
    }
  });
  return errors;
}

function validateEndpoint(ep: MeshEndpoint, path: string): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  const err = (p: string, message: string): void => void errors.push({ path: p, message });
  if (!ep || typeof ep !== 'object') return [{ path, message: 'must be an endpoint: { address, port }' }];
  if (typeof ep.address !== 'string' || ep.address === '') err(`${path}.address`, 'is required: an IPv4 or IPv6 literal such as 127.0.0.1 or ::1');
  else if (isIP(ep.address) === 0) {
    err(`${path}.address`, `"${ep.address}" is not an IP address; xDS clients (grpc-js) connect to IP literals only: resolve the host name first or list its addresses`);
  }
  checkInt(errors, `${path}.port`, ep.port, 1, 65535, 'a port number from 1 to 65535', true);
  checkInt(errors, `${path}.weight`, ep.weight, 1, MAX_UINT32, 'a whole number of at least 1 (the endpoint\'s share within its locality)');
  if (ep.health !== undefined && ep.health !== 'healthy' && ep.health !== 'unhealthy' && ep.health !== 'draining') {
    err(`${path}.health`, `"${String(ep.health)}" is not a health state: use healthy, unhealthy or draining`);
  }
  if (ep.locality !== undefined) {
    if (!ep.locality || typeof ep.locality !== 'object') err(`${path}.locality`, 'must be a map: { region, zone, subZone }');
    else {
      for (const key of ['region', 'zone', 'subZone'] as const) {
        const val = ep.locality[key];
        if (val !== undefined && typeof val !== 'string') err(`${path}.locality.${key}`, 'must be a string');
      }
    }
  }
  return errors;
}

function validateRoute(r: MeshRoute, path: string, versionAt: Map<string, number>): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  const err = (p: string, message: string): void => void errors.push({ path: p, message });
  if (!r || typeof r !== 'object') return [{ path, message: 'must be a route: { match, destinations }' }];
  if (r.name !== undefined && (typeof r.name !== 'string' || r.name === '')) err(`${path}.name`, 'must be a non-empty string');

  const m = r.match;
  if (m !== undefined) {
    const mpath = `${path}.match`;
    if (!m || typeof m !== 'object') err(mpath, 'must be a map: { prefix | path, headers }');
    else {
      if (m.prefix !== undefined && m.path !== undefined) {
        err(mpath, 'has both prefix and path; a route matches by one of them: keep path for one method or prefix for many');
      }
      if (m.prefix !== undefined && (typeof m.prefix !== 'string' || (m.prefix !== '' && !m.prefix.startsWith('/')))) {
        err(`${mpath}.prefix`, `"${String(m.prefix)}" must start with '/': gRPC paths look like /package.Service/Method`);
      }
      if (m.path !== undefined && (typeof m.path !== 'string' || !m.path.startsWith('/'))) {
        err(`${mpath}.path`, `"${String(m.path)}" must start with '/': gRPC paths look like /package.Service/Method`);
      }
      if (m.headers !== undefined) {
        if (!Array.isArray(m.headers)) err(`${mpath}.headers`, 'must be a list of header matches');
        else m.headers.forEach((h, i) => errors.push(...validateHeaderMatch(h, `${mpath}.headers[${i}]`)));
      }
    }
  }

  const dpath = `${path}.destinations`;
  if (r.destinations === undefined) {
    err(dpath, 'is required: where matching calls go, e.g. [{ version: v1 }]');
  } else if (!Array.isArray(r.destinations) || r.destinations.length === 0) {
    err(dpath, 'must list at least one destination: { version, weight }');
  } else {
    let sum = 0;
    const seen = new Map<string, number>();
    r.destinations.forEach((d, i) => {
      const p = `${dpath}[${i}]`;
      if (!d || typeof d !== 'object') return err(p, 'must be a destination: { version, weight }');
      if (typeof d.version !== 'string' || d.version === '') err(`${p}.version`, 'is required: the name of one of this service\'s versions');
      else if (!versionAt.has(d.version)) {
        const known = [...versionAt.keys()];
        err(`${p}.version`, `"${d.version}" is not a version of this service (${known.length ? `its versions: ${known.join(', ')}` : 'it has none'}); fix the name or add the version`);
      } else {
        const first = seen.get(d.version);
        if (first !== undefined) err(`${p}.version`, `version "${d.version}" is already a destination at ${dpath}[${first}]; list each version once and add up its weights`);
        else seen.set(d.version, i);
      }
      if (checkInt(errors, `${p}.weight`, d.weight, 0, MAX_UINT32, 'a whole number of at least 0', true)) sum += d.weight;
    });
    const weightsOk = r.destinations.every((d) => d && Number.isInteger(d.weight) && d.weight >= 0);
    if (weightsOk && sum === 0) err(dpath, 'weights add up to 0, so no call could be routed; give at least one destination a positive weight');
    if (weightsOk && sum > MAX_UINT32) err(dpath, `weights add up to ${sum}, more than xDS allows (${MAX_UINT32}); scale them down (percentages work well)`);
  }

  checkInt(errors, `${path}.timeoutMs`, r.timeoutMs, 0, MAX_UINT32, 'a whole number of milliseconds (0: no timeout)');
  if (r.retry !== undefined) {
    const rp = `${path}.retry`;
    if (!r.retry || typeof r.retry !== 'object') err(rp, 'must be a map: { retryOn, numRetries, perTryTimeoutMs }');
    else {
      if (typeof r.retry.retryOn !== 'string' || r.retry.retryOn.trim() === '') {
        err(`${rp}.retryOn`, `is required: a comma-separated list of conditions, e.g. "unavailable,resource-exhausted"`);
      } else {
        for (const c of r.retry.retryOn.split(',').map((s) => s.trim())) {
          if (!RETRY_ON_CONDITIONS.includes(c)) err(`${rp}.retryOn`, `"${c}" is not a retry condition; use any of: ${RETRY_ON_CONDITIONS.join(', ')}`);
        }
      }
      checkInt(errors, `${rp}.numRetries`, r.retry.numRetries, 1, MAX_UINT32, 'a count of at least 1', true);
      checkInt(errors, `${rp}.perTryTimeoutMs`, r.retry.perTryTimeoutMs, 1, MAX_UINT32, 'a positive number of milliseconds');
    }
  }
  if (r.fault !== undefined) {
    const fp = `${path}.fault`;
    const f = r.fault;
    if (!f || typeof f !== 'object') err(fp, 'must be a map: { delay, abort }');
    else {
      if (f.delay === undefined && f.abort === undefined) err(fp, 'has neither delay nor abort; add one or remove fault');
      if (f.delay !== undefined) {
        if (!f.delay || typeof f.delay !== 'object') err(`${fp}.delay`, 'must be a map: { fixedDelayMs, percent }');
        else {
          checkInt(errors, `${fp}.delay.fixedDelayMs`, f.delay.fixedDelayMs, 0, MAX_UINT32, 'a whole number of milliseconds', true);
          checkInt(errors, `${fp}.delay.percent`, f.delay.percent, 0, 100, 'a whole percentage from 0 to 100', true);
        }
      }
      if (f.abort !== undefined) {
        const ap = `${fp}.abort`;
        if (!f.abort || typeof f.abort !== 'object') err(ap, 'must be a map: { grpcStatus | httpStatus, percent }');
        else {
          const hasGrpc = f.abort.grpcStatus !== undefined;
          const hasHttp = f.abort.httpStatus !== undefined;
          if (hasGrpc === hasHttp) err(ap, 'needs exactly one of grpcStatus (1-16) or httpStatus (200-599)');
          checkInt(errors, `${ap}.grpcStatus`, f.abort.grpcStatus, 1, 16, 'a gRPC status code from 1 to 16 (0 is OK, which is no abort)');
          checkInt(errors, `${ap}.httpStatus`, f.abort.httpStatus, 200, 599, 'an HTTP status from 200 to 599');
          checkInt(errors, `${ap}.percent`, f.abort.percent, 0, 100, 'a whole percentage from 0 to 100', true);
        }
      }
    }
  }
  return errors;
}

function validateHeaderMatch(h: MeshHeaderMatch, path: string): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  const err = (p: string, message: string): void => void errors.push({ path: p, message });
  if (!h || typeof h !== 'object') return [{ path, message: 'must be a header match: { name, exact | prefix | present }' }];
  if (typeof h.name !== 'string' || h.name === '') err(`${path}.name`, 'is required: the header (gRPC metadata key) to match, e.g. x-canary');
  else if (h.name.startsWith(':')) err(`${path}.name`, `"${h.name}" is a pseudo-header, which gRPC clients never match (gRFC A28); match the path with match.prefix or match.path instead`);
  else if (h.name.endsWith('-bin')) err(`${path}.name`, `"${h.name}" is binary metadata, which gRPC clients treat as absent (gRFC A28); match a text header instead`);
  else if (!HEADER_NAME.test(h.name)) {
    const lower = h.name.toLowerCase();
    err(`${path}.name`, lower !== h.name && HEADER_NAME.test(lower) ? `"${h.name}" must be lowercase (HTTP/2 and gRPC metadata keys are): write "${lower}"` : `"${h.name}" is not a valid header name: use lowercase letters, digits and - _ .`);
  }
  const given = (['exact', 'prefix', 'present'] as const).filter((k) => h[k] !== undefined);
  if (given.length !== 1) {
    err(path, given.length === 0 ? 'says nothing about the value: give exactly one of exact, prefix or present' : `has ${given.join(' and ')}; give exactly one of exact, prefix or present`);
  }
  if (h.exact !== undefined && typeof h.exact !== 'string') err(`${path}.exact`, 'must be a string (quote values such as "true" or "1")');
  if (h.prefix !== undefined && (typeof h.prefix !== 'string' || h.prefix === '')) err(`${path}.prefix`, 'must be a non-empty string (use present: true to match any value)');
  if (h.present !== undefined && typeof h.present !== 'boolean') err(`${path}.present`, 'must be true or false');
  if (h.invert !== undefined && typeof h.invert !== 'boolean') err(`${path}.invert`, 'must be true or false');
  return errors;
}

/** Pushes an error unless `value` is an integer in [min, max] (or absent and optional); true when it is a valid integer. */
function checkInt(errors: MeshSpecError[], path: string, value: unknown, min: number, max: number, what: string, required = false): value is number {
  if (value === undefined) {
    if (required) errors.push({ path, message: `is required: ${what}` });
    return false;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    errors.push({ path, message: `${typeof value === 'string' ? `"${value}"` : String(value)} is not ${what}` });
    return false;
  }
  return true;
}
