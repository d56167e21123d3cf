/**
 * Route builders: a RouteConfiguration of virtual hosts of routes; matches by path prefix, exact
 * path and headers; one cluster or weighted clusters; timeouts, retries, fault injection.
 *
 * ```ts
 * routeConfiguration({ name: 'greeter', virtualHosts: [virtualHost({ name: 'greeter', routes: [
 *   route({ match: { headers: [{ name: 'x-canary', exact: 'true' }] }, cluster: 'greeter-v2' }),
 *   route({ weightedClusters: [{ name: 'greeter-v1', weight: 90 }, { name: 'greeter-v2', weight: 10 }],
 *           timeoutMs: 2000, retry: { retryOn: 'unavailable', numRetries: 2 } }),
 * ] })] });
 * ```
 *
 * First match wins, so canary header routes go before the default route. For gRPC, header
 * matches see request metadata (never `-bin` keys, never pseudo-headers).
 */
import type { Message } from '../cache/resource.js';
import { duration, fractionalPercent } from './common.js';
import { FAULT_FILTER_NAME, FAULT_TYPE_URL } from './listener.js';

export interface HeaderMatchSpec {
  name: string;
  /** Exactly one of exact, prefix, suffix, regex, present. */
  exact?: string;
  prefix?: string;
  suffix?: string;
  /** RE2 syntax. */
  regex?: string;
  present?: boolean;
  ignoreCase?: boolean;
  /** Match when the header does NOT match. */
  invert?: boolean;
}

export interface RouteMatchSpec {
  /** Path prefix, e.g. '/helloworld.Greeter/'. Default '' (everything) unless `path` or `regex` is given. */
  prefix?: string;
  /** Exact path, e.g. '/helloworld.Greeter/SayHello'. */
  path?: string;
  /** Path regex (RE2). */
  regex?: string;
  headers?: HeaderMatchSpec[];
  /** Default true. */
  caseSensitive?: boolean;
  /** Match only this share of calls (0–100); the rest fall through to later routes. */
  fractionPercent?: number;
}

export interface RetrySpec {
  /** gRPC status names, comma separated: 'unavailable,cancelled,deadline-exceeded,internal,resource-exhausted' (Envoy also takes '5xx' etc.). */
  retryOn: string;
  /** At least 1. */
  numRetries: number;
  perTryTimeoutMs?: number;
  backoff?: { baseIntervalMs: number; maxIntervalMs?: number };
}

export interface FaultSpec {
  delay?: { fixedDelayMs: number; percent: number };
  /** One of grpcStatus (a gRPC status code) or httpStatus. */
  abort?: { grpcStatus?: number; httpStatus?: number; percent: number };
}

export interface RouteSpec {
  name?: string;
  match?: RouteMatchSpec;
  /** One of cluster or weightedClusters. */
  cluster?: string;
  /** Relative integer weights (a 90/10 split: 90 and 10); at least one above 0. */
  weightedClusters?: { name: string; weight: number }[];
  /** Call deadline, ms: Envoy's route timeout and gRPC's max_stream_duration (gRFC A31). */
  timeoutMs?: number;
  retry?: RetrySpec;
  fault?: FaultSpec;
}

function headerMatcher(h: HeaderMatchSpec): Message {
  const kinds = (['exact', 'prefix', 'suffix', 'regex', 'present'] as const).filter((k) => h[k] !== undefined);
  if (kinds.length !== 1) {
    throw new TypeError(`header match "${h.name}" needs exactly one of exact, prefix, suffix, regex, present (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`);
  }
  const base: Message = { name: h.name, ...(h.invert ? { invert_match: true } : {}) };
  if (h.present !== undefined) return { ...base, present_match: h.present };
  const ignore = h.ignoreCase ? { ignore_case: true } : {};
  if (h.exact !== undefined) return { ...base, string_match: { exact: h.exact, ...ignore } };
  if (h.prefix !== undefined) return { ...base, string_match: { prefix: h.prefix, ...ignore } };
  if (h.suffix !== undefined) return { ...base, string_match: { suffix: h.suffix, ...ignore } };
  return { ...base, string_match: { safe_regex: { regex: h.regex } } };
}

function routeMatch(m: RouteMatchSpec = {}): Message {
  const paths = [m.prefix !== undefined, m.path !== undefined, m.regex !== undefined].filter(Boolean).length;
  if (paths > 1) throw new TypeError('a route match takes one of prefix, path or regex');
  const out: Message = {};
  if (m.path !== undefined) out.path = m.path;
  else if (m.regex !== undefined) out.safe_regex = { regex: m.regex };
  else out.prefix = m.prefix ?? '';
  if (m.caseSensitive === false) out.case_sensitive = { value: false };
  if (m.headers?.length) out.headers = m.headers.map(headerMatcher);
  if (m.fractionPercent !== undefined) out.runtime_fraction = { default_value: fractionalPercent(m.fractionPercent), runtime_key: '' };
  return out;
}

function faultConfig(f: FaultSpec): Message {
  const out: Message = { '@type': FAULT_TYPE_URL };
  if (f.delay) out.delay = { fixed_delay: duration(f.delay.fixedDelayMs), percentage: fractionalPercent(f.delay.percent) };
  if (f.abort) {
    const { grpcStatus, httpStatus, percent } = f.abort;
    if ((grpcStatus === undefined) === (httpStatus === undefined)) throw new TypeError('fault.abort needs exactly one of grpcStatus or httpStatus');
    out.abort = { ...(grpcStatus !== undefined ? { grpc_status: grpcStatus } : { http_status: httpStatus }), percentage: fractionalPercent(percent) };
  }
  return out;
}

/** One route. */
export function route(spec: RouteSpec): Message {
  if ((spec.cluster === undefined) === (spec.weightedClusters === undefined)) {
    throw new TypeError(`route ${spec.name ? `"${spec.name}" ` : ''}needs exactly one of cluster or weightedClusters`);
  }
  const action: Message = {};
  if (spec.cluster !== undefined) action.cluster = spec.cluster;
  else {
    action.weighted_clusters = { clusters: spec.weightedClusters!.map((c) => ({ name: c.name, weight: { value: c.weight } })) };
  }
  if (spec.timeoutMs !== undefined) {
    action.timeout = duration(spec.timeoutMs);
    action.max_stream_duration = { max_stream_duration: duration(spec.timeoutMs) };
  }
  if (spec.retry) {
    const r = spec.retry;
    if (!Number.isInteger(r.numRetries) || r.numRetries < 1) throw new TypeError(`retry.numRetries ${r.numRetries}: use an integer >= 1 (omit retry to disable retries)`);
    action.retry_policy = {
      retry_on: r.retryOn,
      num_retries: { value: r.numRetries },
      ...(r.perTryTimeoutMs !== undefined ? { per_try_timeout: duration(r.perTryTimeoutMs) } : {}),
      ...(r.backoff
        ? { retry_back_off: { base_interval: duration(r.backoff.baseIntervalMs), ...(r.backoff.maxIntervalMs !== undefined ? { max_interval: duration(r.backoff.maxIntervalMs) } : {}) } }
        : {}),
    };
  }
  return {
    ...(spec.name ? { name: spec.name } : {}),
    match: routeMatch(spec.match),
    route: action,
    ...(spec.fault ? { typed_per_filter_config: { [FAULT_FILTER_NAME]: faultConfig(spec.fault) } } : {}),
  };
}

export interface VirtualHostOptions {
  name: string;
  /** Authorities this host serves. Default ['*']. */
  domains?: string[];
  routes: Message[];
}

export function virtualHost(opts: VirtualHostOptions): Message {
  return { name: opts.name, domains: opts.domains ?? ['*'], routes: opts.routes };
}

export interface RouteConfigurationOptions {
  name: string;
  virtualHosts: Message[];
}

export function routeConfiguration(opts: RouteConfigurationOptions): Message {
  return { name: opts.name, virtual_hosts: opts.virtualHosts };
}
