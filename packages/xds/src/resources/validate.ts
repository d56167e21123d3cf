/**
 * Checks a resource against rules every xDS client enforces, before it is sent: sending it would
 * only earn a NACK from every client at once. Rules only one client implementation has (grpc-js'
 * list of supported HTTP filters, for instance) are left to that client: the control plane cannot
 * know which clients will read a resource, and the NACK path handles the rest.
 */
import { ClusterType, EndpointType, ListenerType, RouteType } from '../resource-types.js';

export interface ValidationProblem {
  field: string;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const UINT32_MAX = 0xffffffff;

function wrapped(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (isObj(v) && typeof v.value === 'number') return v.value;
  return undefined;
}

export function validateResource(typeUrl: string, message: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  switch (typeUrl) {
    case RouteType:
      validateRouteConfiguration(message, '', problems);
      break;
    case ListenerType:
      validateListener(message, problems);
      break;
    case ClusterType:
      validateCluster(message, problems);
      break;
    case EndpointType:
      validateClusterLoadAssignment(message, problems);
      break;
    default:
      break;
  }
  return problems;
}

function validateRouteConfiguration(rc: Obj, prefix: string, problems: ValidationProblem[]): void {
  list(rc.virtual_hosts).forEach((vh, v) => {
    const vhAt = `${prefix}virtual_hosts[${v}]`;
    const domains = Array.isArray(vh.domains) ? vh.domains : [];
    if (domains.length === 0) {
      problems.push({ field: `${vhAt}.domains`, message: 'a virtual host needs at least one domain; use ["*"] to match every authority' });
    }
    for (const d of domains) {
      if (typeof d === 'string' && (d.indexOf('*') !== d.lastIndexOf('*') || (d.includes('*') && !d.startsWith('*') && !d.endsWith('*')))) {
        problems.push({ field: `${vhAt}.domains`, message: `domain "${d}" may hold one "*", only at its start or end` });
      }
    }
    list(vh.routes).forEach((r, i) => {
      const at = `${vhAt}.routes[${i}]`;
      const match = r.match;
      if (!isObj(match) || !('prefix' in match || 'path' in match || 'safe_regex' in match || 'path_separated_prefix' in match || 'path_match_policy' in match)) {
        problems.push({ field: `${at}.match`, message: 'a route needs match.prefix, match.path or match.safe_regex; use prefix "" to match every call' });
      }
      const action = r.route;
      if (!isObj(action)) return;
      const wc = action.weighted_clusters;
      if (isObj(wc)) {
        const clusters = list(wc.clusters);
        const sum = clusters.reduce((s, c) => s + (wrapped(c.weight) ?? 0), 0);
        if (clusters.length === 0) problems.push({ field: `${at}.route.weighted_clusters.clusters`, message: 'weighted_clusters needs at least one cluster' });
        else if (sum <= 0) problems.push({ field: `${at}.route.weighted_clusters`, message: `the weights sum to ${sum}; at least one cluster needs a weight above 0` });
        else if (sum > UINT32_MAX) problems.push({ field: `${at}.route.weighted_clusters`, message: `the weights sum to ${sum}, above 2^32-1; scale them down` });
        clusters.forEach((c, j) => {
          const w = wrapped(c.weight);
          if (w !== undefined && (!Number.isInteger(w) || w < 0)) problems.push({ field: `${at}.route.weighted_clusters.clusters[${j}].weight`, message: `weight ${w} is not a non-negative integer` });
        });
      } else if (!('cluster' in action) && !('cluster_header' in action) && !('cluster_specifier_plugin' in action)) {
        problems.push({ field: `${at}.route`, message: 'a route action needs cluster or weighted_clusters' });
      }
      const retry = action.retry_policy;
      if (isObj(retry)) {
        const n = wrapped(retry.num_retries);
        if (n !== undefined && n < 1) problems.push({ field: `${at}.route.retry_policy.num_retries`, message: `num_retries ${n} must be at least 1; drop retry_policy to disable retries` });
      }
    });
  });
}

function validateListener(l: Obj, problems: ValidationProblem[]): void {
  const api = l.api_listener;
  const hasApi = isObj(api) && isObj(api.api_listener);
  const hasChains = list(l.filter_chains).length > 0 || isObj(l.default_filter_chain);
  if (!hasApi && !hasChains) {
    problems.push({ field: '', message: 'a listener needs api_listener (proxyless gRPC) or filter_chains (Envoy)' });
  }
  if (hasApi) {
    const hcm = (api as Obj).api_listener as Obj;
    if (!isObj(hcm.rds) && !isObj(hcm.route_config)) {
      problems.push({ field: 'api_listener.api_listener', message: 'the HttpConnectionManager needs rds (a route configuration name) or an inline route_config' });
    }
    if (isObj(hcm.route_config)) validateRouteConfiguration(hcm.route_config, 'api_listener.api_listener.route_config.', problems);
    const names = new Set<string>();
    list(hcm.http_filters).forEach((f, i) => {
      const name = String(f.name ?? '');
      if (names.has(name)) problems.push({ field: `api_listener.api_listener.http_filters[${i}].name`, message: `HTTP filter name "${name}" appears twice; names must be unique` });
      names.add(name);
    });
  }
}

function validateCluster(c: Obj, problems: ValidationProblem[]): void {
  if (c.type === 'EDS' || c.type === 3) {
    const eds = c.eds_cluster_config;
    if (!isObj(eds) || !isObj(eds.eds_config)) {
      problems.push({ field: 'eds_cluster_config.eds_config', message: 'an EDS cluster needs eds_cluster_config.eds_config (e.g. { ads: {}, resource_api_version: "V3" })' });
    }
  }
}

function validateClusterLoadAssignment(cla: Obj, problems: ValidationProblem[]): void {
  const seen = new Set<string>();
  const priorities = new Set<number>();
  list(cla.endpoints).forEach((le, i) => {
    const at = `endpoints[${i}]`;
    priorities.add(typeof le.priority === 'number' ? le.priority : 0);
    const w = wrapped(le.load_balancing_weight);
    if (w !== undefined && w <= 0) problems.push({ field: `${at}.load_balancing_weight`, message: 'a locality weight of 0 makes clients skip the locality; use at least 1 or remove the locality' });
    list(le.lb_endpoints).forEach((lb, j) => {
      const ep = lb.endpoint;
      const sa = isObj(ep) && isObj(ep.address) && isObj(ep.address.socket_address) ? ep.address.socket_address : undefined;
      if (!sa) {
        problems.push({ field: `${at}.lb_endpoints[${j}].endpoint.address.socket_address`, message: 'an endpoint needs address.socket_address { address, port_value }' });
        return;
      }
      const key = `${String(sa.address)}:${String(sa.port_value)}`;
      if (seen.has(key)) problems.push({ field: `${at}.lb_endpoints[${j}]`, message: `address ${key} appears twice in the cluster; each endpoint address must be unique` });
      seen.add(key);
    });
  });
  const sorted = [...priorities].sort((a, b) => a - b);
  if (sorted.some((p, i) => p !== i)) {
    problems.push({ field: 'endpoints', message: `priorities must be contiguous from 0, found ${sorted.join(', ')}` });
  }
}
