/**
 * gRPC service definitions of the discovery services, built from the loaded protos: the
 * aggregated service (SotW and Delta) and the per-type services Envoy uses without ADS. Requests
 * decode into keepCase objects with defaults; responses go out as bytes the streams encoded
 * (see wire.ts), so the server serializer is the identity.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType } from '../resource-types.js';
import { envoyProtos } from './envoy-protos.js';
import { decodeDeltaDiscoveryRequest, decodeDiscoveryRequest } from './requests.js';

/** Hand-written decoders for the requests every ACK sends (see requests.ts). */
const FAST_DECODERS: Record<string, (b: Buffer) => unknown> = {
  'envoy.service.discovery.v3.DiscoveryRequest': decodeDiscoveryRequest,
  'envoy.service.discovery.v3.DeltaDiscoveryRequest': decodeDeltaDiscoveryRequest,
};

export interface DiscoveryServiceInfo {
  /** Fully qualified service name. */
  name: string;
  /** The type served by a per-type service; undefined for ADS. */
  typeUrl?: string;
  /** Method names: SotW stream, Delta stream, unary fetch (absent for ADS). */
  sotw: string;
  delta: string;
  fetch?: string;
}

export const DISCOVERY_SERVICES: readonly DiscoveryServiceInfo[] = [
  { name: 'envoy.service.discovery.v3.AggregatedDiscoveryService', sotw: 'StreamAggregatedResources', delta: 'DeltaAggregatedResources' },
  { name: 'envoy.service.listener.v3.ListenerDiscoveryService', typeUrl: ListenerType, sotw: 'StreamListeners', delta: 'DeltaListeners', fetch: 'FetchListeners' },
  { name: 'envoy.service.route.v3.RouteDiscoveryService', typeUrl: RouteType, sotw: 'StreamRoutes', delta: 'DeltaRoutes', fetch: 'FetchRoutes' },
  { name: 'envoy.service.cluster.v3.ClusterDiscoveryService', typeUrl: ClusterType, sotw: 'StreamClusters', delta: 'DeltaClusters', fetch: 'FetchClusters' },
  { name: 'envoy.service.endpoint.v3.EndpointDiscoveryService', typeUrl: EndpointType, sotw: 'StreamEndpoints', delta: 'DeltaEndpoints', fetch: 'FetchEndpoints' },
  { name: 'envoy.service.secret.v3.SecretDiscoveryService', typeUrl: SecretType, sotw: 'StreamSecrets', delta: 'DeltaSecrets', fetch: 'FetchSecrets' },
];

const identity = (b: Buffer): Buffer => b;

/**
 * The server side of a service: requests decoded (defaults filled, enums by name), responses
 * passed through as encoded bytes.
 */
export function serverServiceDefinition(serviceName: string): ServiceDefinition {
  const protos = envoyProtos();
  const service = protos.service(serviceName);
  const def: Record<string, MethodDefinition<unknown, Buffer>> = {};
  for (const [methodName, m] of Object.entries(service.methods)) {
    const requestType = m.resolvedRequestType!.fullName.slice(1);
    def[methodName] = {
      path: `/${serviceName}/${methodName}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: (value: unknown) => Buffer.from(protos.encode(requestType, value as Record<string, unknown>)),
      requestDeserialize: FAST_DECODERS[requestType] ?? ((bytes: Buffer) => protos.decodeWithDefaults(requestType, bytes)),
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: methodName,
    };
  }
  return def as ServiceDefinition;
}

/**
 * The client side of a service, for tools and benchmarks that speak xDS themselves: requests
 * encoded from keepCase objects, responses decoded with defaults (resources stay `Any`:
 * `{ type_url, value }` with `value` a Buffer; decode them with `envoyProtos().decode`).
 */
export function clientServiceDefinition(serviceName: string): ServiceDefinition {
  const protos = envoyProtos();
  const service = protos.service(serviceName);
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [methodName, m] of Object.entries(service.methods)) {
    const requestType = m.resolvedRequestType!.fullName.slice(1);
    const responseType = protos.type(m.resolvedResponseType!.fullName.slice(1));
    def[methodName] = {
      path: `/${serviceName}/${methodName}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: (value: unknown) => Buffer.from(protos.encode(requestType, value as Record<string, unknown>)),
      requestDeserialize: (bytes: Buffer) => protos.decodeWithDefaults(requestType, bytes),
      responseSerialize: (value: unknown) => Buffer.from(responseType.encode(responseType.fromObject(value as Record<string, unknown>)).finish()),
      responseDeserialize: (bytes: Buffer) => responseType.toObject(responseType.decode(bytes), { longs: String, enums: String, defaults: true, arrays: true, objects: true }),
      originalName: methodName,
    };
  }
  return def as ServiceDefinition;
}
