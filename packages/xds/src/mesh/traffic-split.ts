/**
 * The TrafficSplit custom resource (mesh.keelson.dev/v1alpha1): SMI's TrafficSplit (a root
 * service whose calls are split by weight across backend Services) plus header and path rules
 * that send matching calls to one backend first, which is how a canary takes opt-in traffic.
 *
 * ```yaml
 * apiVersion: mesh.keelson.dev/v1alpha1
 * kind: TrafficSplit
 * metadata: { name: greeter, namespace: default }
 * spec:
 *   service: greeter            # the name clients dial: xds:///greeter
 *   backends:                   # Services in the same namespace; their EndpointSlices give the endpoints
 *     - { service: greeter-v1, weight: 90 }
 *     - { service: greeter-v2, weight: 10 }
 *   matches:                    # tried in order before the weighted split
 *     - { name: canary, headers: [{ name: x-canary, exact: "true" }], backend: greeter-v2 }
 * ```
 *
 * `trafficSplitCrd` is the CustomResourceDefinition (also in examples/trafficsplit-crd.yaml);
 * its schema makes the API server refuse malformed objects, and KubernetesMeshSource checks
 * what a schema cannot (backends exist, a match names a backend, weights do not add up to 0).
 */
import type { GroupVersionResource, ObjectMeta } from '@keelson/apimachinery';

export const TRAFFIC_SPLIT_GROUP = 'mesh.keelson.dev';
export const TRAFFIC_SPLIT_VERSION = 'v1alpha1';
export const TRAFFIC_SPLIT_API_VERSION = `${TRAFFIC_SPLIT_GROUP}/${TRAFFIC_SPLIT_VERSION}`;
export const TRAFFIC_SPLIT_KIND = 'TrafficSplit';
export const trafficSplitGvr: GroupVersionResource = { group: TRAFFIC_SPLIT_GROUP, version: TRAFFIC_SPLIT_VERSION, resource: 'trafficsplits' };

export interface TrafficSplitHeaderMatch {
  name: string;
  exact?: string;
  prefix?: string;
  present?: boolean;
  invert?: boolean;
}

export interface TrafficSplitMatch {
  /** Shown in debug output as the route's name; default `match-<index>`. */
  name?: string;
  /** Path prefix (`/helloworld.Greeter/`) or exact path (`/helloworld.Greeter/SayHello`); at most one. */
  prefix?: string;
  path?: string;
  /** All must match. */
  headers?: TrafficSplitHeaderMatch[];
  /** The backend (one of `backends[].service`) matching calls go to. */
  backend: string;
}

export interface TrafficSplitSpec {
  /** The root service: the name clients dial (`xds:///greeter`), unique across the watched namespaces. */
  service: string;
  /** Which port of the backends carries gRPC, by name; default their only port, or the one named `grpc`. */
  port?: string;
  backends: { service: string; weight: number }[];
  matches?: TrafficSplitMatch[];
}

export interface TrafficSplit {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: TrafficSplitSpec;
}

const dnsLabel = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };

const headerMatchSchema = {
  type: 'object',
  description: 'A header (gRPC metadata) the call must carry: exactly one of exact, prefix or present.',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'Lowercase header name, e.g. x-canary.' },
    exact: { type: 'string', description: 'The value must equal this.' },
    prefix: { type: 'string', minLength: 1, description: 'The value must start with this.' },
    present: { type: 'boolean', description: 'true: the header must be there (any value); false: it must not.' },
    invert: { type: 'boolean', description: 'Match calls that do NOT satisfy this rule.' },
  },
};

/** The CustomResourceDefinition of TrafficSplit; apply it once per cluster (installTrafficSplitCrd does). */
export const trafficSplitCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `trafficsplits.${TRAFFIC_SPLIT_GROUP}` },
  spec: {
    group: TRAFFIC_SPLIT_GROUP,
    scope: 'Namespaced',
    names: { plural: 'trafficsplits', singular: 'trafficsplit', kind: TRAFFIC_SPLIT_KIND, listKind: 'TrafficSplitList', shortNames: ['ts'], categories: ['keelson'] },
    versions: [
      {
        name: TRAFFIC_SPLIT_VERSION,
        served: true,
        storage: true,
        additionalPrinterColumns: [
          { name: 'Service', type: 'string', jsonPath: '.spec.service', description: 'The name clients dial (xds:///NAME).' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'TrafficSplit splits the calls to a service across backend Services by weight, after routing calls that match a rule (a header, a path) to one backend.',
            required: ['spec'],
            properties: {
              spec: {
                type: 'object',
                required: ['service', 'backends'],
                properties: {
                  service: { ...dnsLabel, description: 'The root service: the name clients dial (xds:///NAME); unique across the mesh.' },
                  port: { type: 'string', minLength: 1, description: 'The name of the backends\' gRPC port; default their only port, or the one named grpc.' },
                  backends: {
                    type: 'array',
                    minItems: 1,
                    description: 'Services in this namespace, each a version of the root service; their EndpointSlices give the endpoints.',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['service'],
                    items: {
                      type: 'object',
                      required: ['service', 'weight'],
                      properties: {
                        service: { ...dnsLabel, description: 'A Service in this namespace.' },
                        weight: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'Relative share of the calls no match took; 0 keeps the backend ready but idle.' },
                      },
                    },
                  },
                  matches: {
                    type: 'array',
                    description: 'Rules tried in order before the weighted split; the first that matches sends the call to its backend.',
                    items: {
                      type: 'object',
                      required: ['backend'],
                      properties: {
                        name: { ...dnsLabel, description: 'Names the route in debug output.' },
                        prefix: { type: 'string', description: 'Path prefix, e.g. /helloworld.Greeter/.' },
                        path: { type: 'string', description: 'Exact path, e.g. /helloworld.Greeter/SayHello.' },
                        headers: { type: 'array', items: headerMatchSchema },
                        backend: { ...dnsLabel, description: 'One of backends[].service.' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
