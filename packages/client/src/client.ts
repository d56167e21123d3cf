/**
 * The Client: one API server, one identity. It owns the transport (connections, rate limit,
 * retries, credentials), discovery and its RESTMapper, and hands out ResourceClients: dynamic by
 * GroupVersionResource, typed for the built-in kinds, or by kind through the RESTMapper.
 * It caches no objects (that is the informer's job).
 *
 * ```ts
 * const client = Client.fromKubeconfig({ context: 'dev' });
 * const cm = await client.coreV1.configMaps(client.namespace).get('settings');
 * const widgets = await client.forKind({ group: 'example.com', kind: 'Widget' }, 'default');
 * await widgets.apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} }, { fieldManager: 'me' });
 * client.close();
 * ```
 */
import { parseApiVersion, type GroupVersionKind, type GroupVersionResource } from '@keelson/apimachinery';
import { DiscoveryClient } from './discovery.js';
import { loadKubeconfig, type LoadKubeconfigOptions } from './kubeconfig.js';
import { DynamicResourceClient } from './resource-client.js';
import type { RestConfig } from './rest-config.js';
import { DeferredDiscoveryRESTMapper, type DeferredMapperOptions, type GroupKind, type RESTMapping } from './rest-mapper.js';
import { HttpTransport, type TransportDeps } from './transport.js';
import { ApiextensionsV1Client, AppsV1Client, CoordinationV1Client, CoreV1Client, DiscoveryV1Client } from './typed.js';
import type { KubeObject, ResourceClient, Unstructured } from './types.js';

export interface ClientOptions extends TransportDeps {
  restMapper?: DeferredMapperOptions;
}

export class Client {
  readonly config: RestConfig;
  readonly transport: HttpTransport;
  readonly discovery: DiscoveryClient;
  readonly restMapper: DeferredDiscoveryRESTMapper;
  readonly coreV1: CoreV1Client;
  readonly appsV1: AppsV1Client;
  readonly coordinationV1: CoordinationV1Client;
  readonly discoveryV1: DiscoveryV1Client;
  readonly apiextensionsV1: ApiextensionsV1Client;

  constructor(config: RestConfig, opts: ClientOptions = {}) {
    this.config = config;
    this.transport = new HttpTransport(config, opts);
    this.discovery = new DiscoveryClient(this.transport);
    this.restMapper = new DeferredDiscoveryRESTMapper(this.discovery, { clock: opts.clock, ...opts.restMapper });
    this.coreV1 = new CoreV1Client(this);
    this.appsV1 = new AppsV1Client(this);
    this.coordinationV1 = new CoordinationV1Client(this);
    this.discoveryV1 = new DiscoveryV1Client(this);
    this.apiextensionsV1 = new ApiextensionsV1Client(this);
  }

  /** A client for a kubeconfig context, loaded as kubectl loads it (see loadKubeconfig). */
  static fromKubeconfig(opts: LoadKubeconfigOptions & ClientOptions & Pick<RestConfig, 'qps' | 'burst' | 'retry' | 'timeoutMs' | 'userAgent' | 'onWarning'> = {}): Client {
    const { qps, burst, retry, timeoutMs, userAgent, onWarning, clock, random, rateLimiter, credentials, restMapper, ...load } = opts;
    const config = { ...loadKubeconfig(load) };
    if (qps !== undefined) config.qps = qps;
    if (burst !== undefined) config.burst = burst;
    if (retry !== undefined) config.retry = retry;
    if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
    if (userAgent !== undefined) config.userAgent = userAgent;
    if (onWarning !== undefined) config.onWarning = onWarning;
    return new Client(config, { clock, random, rateLimiter, credentials, restMapper });
  }

  /** The kubeconfig context's namespace ("default" when it names none). */
  get namespace(): string {
    return this.config.namespace ?? 'default';
  }

  /**
   * A client for one resource by GroupVersionResource, in `namespace` (or across all namespaces /
   * cluster-scoped when unset). `T` types the objects; unstructured by default.
   */
  resource<T extends KubeObject = Unstructured>(gvr: GroupVersionResource, namespace?: string): ResourceClient<T> {
    return new DynamicResourceClient<T>(this.transport, gvr, namespace);
  }

  /**
   * A client for a kind, mapped to its resource through discovery (refreshed if the kind is
   * new). A namespace given for a cluster-scoped kind is ignored. Throws NoKindMatchError.
   */
  async forKind<T extends KubeObject = Unstructured>(
    kind: GroupKind | GroupVersionKind | { apiVersion: string; kind: string },
    namespace?: string,
    signal?: AbortSignal,
  ): Promise<ResourceClient<T>> {
    const m = await this.mappingFor(kind, signal);
    return this.resource<T>(m.gvr, m.scope === 'Namespaced' ? namespace : undefined);
  }

  /** The REST mapping of an object's or a reference's kind. */
  mappingFor(kind: GroupKind | GroupVersionKind | { apiVersion: string; kind: string }, signal?: AbortSignal): Promise<RESTMapping> {
    let gk: GroupKind;
    let version: string | undefined;
    if ('apiVersion' in kind) {
      const gv = parseApiVersion(kind.apiVersion);
      gk = { group: gv.group, kind: kind.kind };
      version = gv.version;
    } else {
      gk = { group: kind.group, kind: kind.kind };
      version = 'version' in kind ? kind.version : undefined;
    }
    return this.restMapper.restMapping(gk, version, signal);
  }

  /** Closes every connection (watches included). */
  close(): void {
    this.transport.close();
  }
}
