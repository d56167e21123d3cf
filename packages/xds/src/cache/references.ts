/**
 * Which other resources a resource names (go-control-plane's `GetResourceReferences`): a
 * listener's route configuration, a route's clusters, a cluster's endpoints, TLS secrets. The
 * snapshot uses them to refuse dangling references; nothing else depends on them.
 *
 * Read from the message object as given; an `Any` given pre-encoded (`{ type_url, value }`)
 * is opaque and contributes nothing.
 */
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType } from '../resource-types.js';

export interface ResourceRef {
  typeUrl: string;
  name: string;
  /** Where in the referring resource: `virtual_hosts[0].routes[2].route.cluster`. */
  field: string;
}

type Obj = Record<string, unknown>;

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TLS_TYPES = new Set([
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
]);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export function resourceReferences(typeUrl: string, message: Obj): ResourceRef[] {
  const refs: ResourceRef[] = [];
  switch (typeUrl) {
    case ListenerType:
      listenerRefs(message, refs);
      break;
    case RouteType:
      routeConfigRefs(message, '', refs);
      break;
    case ClusterType:
      clusterRefs(message, refs);
      break;
    default:
      break;
  }
  return refs;
}

function hcmRefs(hcm: Obj, at: string, refs: ResourceRef[]): void {
  const rds = hcm.rds;
  if (isObj(rds) && typeof rds.route_config_name === 'string' && rds.route_config_name !== '') {
    refs.push({ typeUrl: RouteType, name: rds.route_config_name, field: `${at}.rds.route_config_name` });
  }
  if (isObj(hcm.route_config)) routeConfigRefs(hcm.route_config, `${at}.route_config.`, refs);
}

function filterChainRefs(chain: Obj, at: string, refs: ResourceRef[]): void {
  list(chain.filters).forEach((f, i) => {
    const tc = f.typed_config;
    if (isObj(tc) && tc['@type'] === HCM_TYPE) hcmRefs(tc, `${at}.filters[${i}].typed_config`, refs);
  });
  if (isObj(chain.transport_socket)) transportSocketRefs(chain.transport_socket, `${at}.transport_socket`, refs);
}

function listenerRefs(l: Obj, refs: ResourceRef[]): void {
  const api = l.api_listener;
  if (isObj(api) && isObj(api.api_listener) && api.api_listener['@type'] === HCM_TYPE) {
    hcmRefs(api.api_listener, 'api_listener.api_listener', refs);
  }
  list(l.filter_chains).forEach((c, i) => filterChainRefs(c, `filter_chains[${i}]`, refs));
  if (isObj(l.default_filter_chain)) filterChainRefs(l.default_filter_chain, 'default_filter_chain', refs);
}

function routeConfigRefs(rc: Obj, prefix: string, refs: ResourceRef[]): void {
  list(rc.virtual_hosts).forEach((vh, v) => {
    list(vh.routes).forEach((r, i) => {
      const action = r.route;
      if (!isObj(action)) return;
      const at = `${prefix}virtual_hosts[${v}].routes[${i}].route`;
      if (typeof action.cluster === 'string' && action.cluster !== '') {
        refs.push({ typeUrl: ClusterType, name: action.cluster, field: `${at}.cluster` });
      }
      const wc = action.weighted_clusters;
      if (isObj(wc)) {
        list(wc.clusters).forEach((c, j) => {
          if (typeof c.name === 'string' && c.name !== '') refs.push({ typeUrl: ClusterType, name: c.name, field: `${at}.weighted_clusters.clusters[${j}].name` });
        });
      }
      list(action.request_mirror_policies).forEach((m, j) => {
        if (typeof m.cluster === 'string' && m.cluster !== '') refs.push({ typeUrl: ClusterType, name: m.cluster, field: `${at}.request_mirror_policies[${j}].cluster` });
      });
    });
  });
}

function clusterRefs(c: Obj, refs: ResourceRef[]): void {
  const type = c.type;
  if (type === 'EDS' || type === 3) {
    const eds = isObj(c.eds_cluster_config) ? c.eds_cluster_config : {};
    const serviceName = typeof eds.service_name === 'string' && eds.service_name !== '' ? eds.service_name : String(c.name ?? '');
    refs.push({ typeUrl: EndpointType, name: serviceName, field: eds.service_name ? 'eds_cluster_config.service_name' : 'name' });
  }
  if (isObj(c.transport_socket)) transportSocketRefs(c.transport_socket, 'transport_socket', refs);
}

function transportSocketRefs(ts: Obj, at: string, refs: ResourceRef[]): void {
  const tc = ts.typed_config;
  if (!isObj(tc) || !TLS_TYPES.has(String(tc['@type']))) return;
  const common = tc.common_tls_context;
  if (!isObj(common)) return;
  // Only secrets fetched over ADS are ours to serve; others come from Envoy's bootstrap or files.
  const overAds = (s: Obj): boolean => isObj(s.sds_config) && isObj(s.sds_config.ads);
  list(common.tls_certificate_sds_secret_configs).forEach((s, i) => {
    if (typeof s.name === 'string' && s.name !== '' && overAds(s)) refs.push({ typeUrl: SecretType, name: s.name, field: `${at}.typed_config.common_tls_context.tls_certificate_sds_secret_configs[${i}].name` });
  });
  const vc = common.validation_context_sds_secret_config;
  if (isObj(vc) && typeof vc.name === 'string' && vc.name !== '' && overAds(vc)) {
    refs.push({ typeUrl: SecretType, name: vc.name, field: `${at}.typed_config.common_tls_context.validation_context_sds_secret_config.name` });
  }
}
