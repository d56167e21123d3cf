/**
 * Typed clients for the built-in kinds Keelson serves, grouped and named as client-go's
 * clientset (`clientset.CoreV1().Pods(ns)` is `client.coreV1.pods(ns)`), with the types of
 * `kubernetes-types`. Each accessor is a DynamicResourceClient with the type filled in; no
 * generated code, no runtime cost. Namespaced accessors take the namespace; leaving it out means
 * all namespaces (for list, watch and deleteCollection), as client-go's `Pods("")`.
 *
 * ```ts
 * const web = await client.appsV1.deployments('default').get('web');
 * for await (const ev of client.coreV1.pods().watch({ labelSelector: 'app=web' })) {}
 * ```
 */
import type { GroupVersionResource } from '@keelson/apimachinery';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, Endpoints, Event, Namespace, Node, Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject, ResourceClient } from './types.js';

/** What a group client needs from the Client. */
export interface ResourceClientFactory {
  resource<T extends KubeObject>(gvr: GroupVersionResource, namespace?: string): ResourceClient<T>;
}

const core = (resource: string): GroupVersionResource => ({ group: '', version: 'v1', resource });

export class CoreV1Client {
  constructor(private readonly f: ResourceClientFactory) {}
  configMaps(namespace?: string): ResourceClient<ConfigMap> {
    return this.f.resource<ConfigMap>(core('configmaps'), namespace);
  }
  endpoints(namespace?: string): ResourceClient<Endpoints> {
    return this.f.resource<Endpoints>(core('endpoints'), namespace);
  }
  events(namespace?: string): ResourceClient<Event> {
    return this.f.resource<Event>(core('events'), namespace);
  }
  namespaces(): ResourceClient<Namespace> {
    return this.f.resource<Namespace>(core('namespaces'));
  }
  nodes(): ResourceClient<Node> {
    return this.f.resource<Node>(core('nodes'));
  }
  pods(namespace?: string): ResourceClient<Pod> {
    return this.f.resource<Pod>(core('pods'), namespace);
  }
  secrets(namespace?: string): ResourceClient<Secret> {
    return this.f.resource<Secret>(core('secrets'), namespace);
  }
  serviceAccounts(namespace?: string): ResourceClient<ServiceAccount> {
    return this.f.resource<ServiceAccount>(core('serviceaccounts'), namespace);
  }
  services(namespace?: string): ResourceClient<Service> {
    return this.f.resource<Service>(core('services'), namespace);
  }
}

const apps = (resource: string): GroupVersionResource => ({ group: 'apps', version: 'v1', resource });

export class AppsV1Client {
  constructor(private readonly f: ResourceClientFactory) {}
  daemonSets(namespace?: string): ResourceClient<DaemonSet> {
    return this.f.resource<DaemonSet>(apps('daemonsets'), namespace);
  }
  deployments(namespace?: string): ResourceClient<Deployment> {
    return this.f.resource<Deployment>(apps('deployments'), namespace);
  }
  replicaSets(namespace?: string): ResourceClient<ReplicaSet> {
    return this.f.resource<ReplicaSet>(apps('replicasets'), namespace);
  }
  statefulSets(namespace?: string): ResourceClient<StatefulSet> {
    return this.f.resource<StatefulSet>(apps('statefulsets'), namespace);
  }
}

export class CoordinationV1Client {
  constructor(private readonly f: ResourceClientFactory) {}
  leases(namespace?: string): ResourceClient<Lease> {
    return this.f.resource<Lease>({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, namespace);
  }
}

export class DiscoveryV1Client {
  constructor(private readonly f: ResourceClientFactory) {}
  endpointSlices(namespace?: string): ResourceClient<EndpointSlice> {
    return this.f.resource<EndpointSlice>({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' }, namespace);
  }
}

export class ApiextensionsV1Client {
  constructor(private readonly f: ResourceClientFactory) {}
  customResourceDefinitions(): ResourceClient<CustomResourceDefinition> {
    return this.f.resource<CustomResourceDefinition>({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' });
  }
}
