/**
 * Listener builders: the API listener a proxyless gRPC client resolves (`xds:///NAME` asks for
 * the Listener named NAME), and an Envoy listener on an address; both with an
 * HttpConnectionManager that fetches its routes over ADS and ends with the router filter.
 *
 * ```ts
 * apiListener({ name: 'greeter', routeConfigName: 'greeter' });
 * apiListener({ name: 'greeter', routeConfigName: 'greeter', httpFilters: [faultFilter()] }); // router appended
 * httpListener({ name: 'ingress', address: '0.0.0.0', port: 10000, routeConfigName: 'ingress' });
 * ```
 */
import type { Message } from '../cache/resource.js';
import { adsConfigSource, duration } from './common.js';

export const HTTP_CONNECTION_MANAGER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const FAULT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';
/** The name routes use in `typed_per_filter_config` for fault injection (must match the filter's). */
export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';

/** The router filter: sends the call to the route's cluster. Must be last. */
export function routerFilter(): Message {
  return { name: ROUTER_FILTER_NAME, typed_config: { '@type': ROUTER_TYPE_URL } };
}

/**
 * The fault injection filter (gRFC A33), with no fault of its own: routes turn it on with
 * `typed_per_filter_config` (see `route({ fault })`).
 */
export function faultFilter(): Message {
  return { name: FAULT_FILTER_NAME, typed_config: { '@type': FAULT_TYPE_URL } };
}

export interface HttpConnectionManagerOptions {
  /** Fetch the route configuration of this name over ADS. */
  routeConfigName?: string;
  /** Or carry it inline (no RDS). */
  routeConfig?: Message;
  /** Filters before the router (fault, RBAC, ...). The router filter is appended if absent. */
  httpFilters?: Message[];
  /** Envoy stats prefix. Default: 'http'. */
  statPrefix?: string;
  /** A deadline for every call on this listener unless its route sets one (gRFC A31), ms. */
  maxStreamDurationMs?: number;
}

/** An `HttpConnectionManager` as a typed `Any`. */
export function httpConnectionManager(opts: HttpConnectionManagerOptions): Message {
  if (!opts.routeConfigName === !opts.routeConfig) {
    throw new TypeError('httpConnectionManager needs exactly one of routeConfigName (RDS over ADS) or routeConfig (inline)');
  }
  const filters = [...(opts.httpFilters ?? [])];
  const routerAt = filters.findIndex((f) => (f.typed_config as Message | undefined)?.['@type'] === ROUTER_TYPE_URL);
  if (routerAt === -1) filters.push(routerFilter());
  else if (routerAt !== filters.length - 1) {
    throw new TypeError(`the router filter is at position ${routerAt} of ${filters.length}; it must be the last HTTP filter (filters after it never run, and gRPC clients reject such a listener)`);
  }
  return {
    '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
    stat_prefix: opts.statPrefix ?? 'http',
    ...(opts.routeConfigName ? { rds: { route_config_name: opts.routeConfigName, config_source: adsConfigSource() } } : { route_config: opts.routeConfig }),
    http_filters: filters,
    ...(opts.maxStreamDurationMs !== undefined ? { common_http_protocol_options: { max_stream_duration: duration(opts.maxStreamDurationMs) } } : {}),
  };
}

export interface ApiListenerOptions extends HttpConnectionManagerOptions {
  /** What clients dial: `xds:///greeter` resolves the listener named `greeter`. */
  name: string;
}

/** The listener a proxyless gRPC client (grpc-js-xds, grpc-go, grpc-java) resolves its target with. */
export function apiListener(opts: ApiListenerOptions): Message {
  const { name, ...hcm } = opts;
  return { name, api_listener: { api_listener: httpConnectionManager(hcm) } };
}

export interface HttpListenerOptions extends HttpConnectionManagerOptions {
  name: string;
  address: string;
  port: number;
}

/** An Envoy listener on `address:port` with one filter chain: the HttpConnectionManager. */
export function httpListener(opts: HttpListenerOptions): Message {
  const { name, address, port, ...hcm } = opts;
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: httpConnectionManager(hcm) }] }],
  };
}
