/**
 * KubernetesMeshSource: the mesh from a cluster's TrafficSplits, Services and EndpointSlices,
 * kept current by three shared informers. Nothing is emitted before all three have synced (a
 * spec built from TrafficSplits without their endpoints would be half a mesh); after that every
 * burst of changes (a `kubectl apply -f` of several objects, a rollout rewriting slices) is
 * coalesced into one rebuild, and a new spec is emitted only when its content changed. How the
 * objects map to the mesh, and what happens to an invalid TrafficSplit, is in kubernetes-mesh.ts.
 *
 * ```ts
 * const client = Client.fromKubeconfig();
 * await installTrafficSplitCrd(client);
 * const source = new KubernetesMeshSource(client, { namespace: 'default' });
 * for await (const ev of source.watch(signal)) {
 *   if (ev.type === 'update') cache.setSnapshot(meshToSnapshot(ev.spec, ev.version));
 * }
 * ```
 */
import { Client, type LoadKubeconfigOptions } from '@keelson/client';
import { DeletedFinalStateUnknown, SharedInformerFactory } from '@keelson/informer';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EventChannel } from './event-channel.js';
import { formatMeshError } from './errors.js';
import { trafficSplitCrdInstalled } from './install-crd.js';
import { KubernetesMeshBuilder, SERVICE_NAME_LABEL, type EndpointSliceObject, type ServiceObject } from './kubernetes-mesh.js';
import { coalesceMeshEvents, type MeshSource, type MeshSourceEvent, type MeshUpdate } from './mesh-source.js';
import { defaultLogger } from '../logger.js';
import { meshSourceMetrics } from './metrics.js';
import { meshSpecVersion } from './spec-version.js';
import { trafficSplitCrd, trafficSplitGvr, type TrafficSplit } from './traffic-split.js';

export interface KubernetesMeshSourceOptions {
  /** Watch one namespace; default all of them. */
  namespace?: string;
  /**
   * Quiet time after a change before the mesh is rebuilt, in ms. Default 25: the objects of one
   * `kubectl apply` or of one rollout step arrive within a few ms of each other on a healthy
   * API server, and one snapshot for all of them spares every client a push per object.
   * (istiod waits 100 ms; it serves thousands of proxies, for which a push costs more.)
   */
  debounceMs?: number;
  /** Longest a rebuild is put off while changes keep coming, in ms. Default 1000 (istiod: 10 s). */
  maxDelayMs?: number;
  /** Default true: refuse to start when the TrafficSplit CRD is missing, instead of waiting for it in silence. */
  requireCrd?: boolean;
  logger?: Logger;
  /** Where informer and source metrics register; default prom-client's global registry. */
  registry?: Registry;
}

type Kind = 'trafficsplit' | 'service' | 'endpointslice';

export class KubernetesMeshSource implements MeshSource {
  private readonly log: Logger;
  private readonly builder = new KubernetesMeshBuilder();
  private good?: MeshUpdate;
  private ownsClient = false;

  constructor(
    readonly client: Client,
    private readonly opts: KubernetesMeshSourceOptions = {},
  ) {
    this.log = (opts.logger ?? defaultLogger()).child({ component: 'mesh-kubernetes-source', ...(opts.namespace ? { namespace: opts.namespace } : {}) });
  }

  /**
   * A source with a client of its own, for a kubeconfig loaded as kubectl loads it (`path`,
   * `context`; KUBECONFIG or ~/.kube/config by default). Throws the client's ConfigError, which
   * names the file, the field and the fix. `close()` closes the client.
   */
  static fromKubeconfig(kubeconfig: Pick<LoadKubeconfigOptions, 'path' | 'context'>, opts: KubernetesMeshSourceOptions = {}): KubernetesMeshSource {
    const source = new KubernetesMeshSource(Client.fromKubeconfig({ ...kubeconfig, inCluster: false }), opts);
    source.ownsClient = true;
    return source;
  }

  /** The API server's URL. */
  get server(): string {
    return this.client.config.host;
  }

  /** Closes the client if this source made it (fromKubeconfig). */
  close(): void {
    if (this.ownsClient) this.client.close();
  }

  /** The last spec emitted, if any. */
  get lastGood(): MeshUpdate | undefined {
    return this.good;
  }

  /**
   * The mesh once the informers have synced, then every change, until `signal` aborts. Throws
   * when the TrafficSplit CRD is not installed (unless `requireCrd` is false).
   */
  async *watch(signal: AbortSignal): AsyncGenerator<MeshSourceEvent> {
    if (this.opts.requireCrd !== false && (await trafficSplitCrdInstalled(this.client, signal)) === false) {
      throw new Error(
        `the TrafficSplit CustomResourceDefinition (${trafficSplitCrd.metadata.name}) is not installed in this cluster: ` +
          'let `keelson xds serve --kubeconfig ...` install it (the default), call installTrafficSplitCrd(client), or kubectl apply -f packages/xds/examples/trafficsplit-crd.yaml',
      );
    }
    if (signal.aborted) return;
    const metrics = meshSourceMetrics(this.opts.registry);
    let synced = false;
    let referenced = new Set<string>();
    let lastVersion: string | undefined;
    let lastRejected = '';
    let quietTimer: NodeJS.Timeout | undefined;
    let firstChangeAt: number | undefined;

    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const channel = new EventChannel<MeshSourceEvent>(coalesceMeshEvents);
    // Released on abort itself: a consumer that stops reading without return() must not keep timers alive.
    stop.signal.addEventListener(
      'abort',
      () => {
        channel.close();
        clearTimeout(quietTimer);
      },
      { once: true },
    );

    const factory = new SharedInformerFactory(this.client, { namespace: this.opts.namespace, defaultResync: 0, logger: this.opts.logger, registry: this.opts.registry });
    const splits = factory.forResource<TrafficSplit>(trafficSplitGvr);
    const services = factory.forResource({ group: '', version: 'v1', resource: 'services' });
    const slices = factory.forResource({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' });

    const rebuild = (): void => {
      if (stop.signal.aborted) return;
      let built;
      try {
        built = this.builder.build({
          trafficSplits: splits.getIndexer().list(),
          services: services.getIndexer().list() as ServiceObject[],
          endpointSlices: slices.getIndexer().list() as EndpointSliceObject[],
        });
      } catch (err) {
        // A bug, not bad config: keep serving what we have and say so loudly.
        this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'building the mesh from the cluster failed; the last good spec stays');
        return;
      }
      referenced = built.referencedServices;
      const version = meshSpecVersion(built.spec);
      const rejectedText = built.rejected.map(formatMeshError);
      const rejectedKey = rejectedText.join('\n');
      metrics.rejected.set({ source: 'kubernetes' }, built.rejected.length);
      if (version === lastVersion && rejectedKey === lastRejected) return;
      if (rejectedKey !== lastRejected && built.rejected.length > 0) {
        metrics.rejectionsTotal.inc({ source: 'kubernetes' });
        this.log.warn({ rejected: rejectedText }, 'some mesh config in the cluster is not applied as written');
      }
      if (version !== lastVersion) {
        metrics.updatesTotal.inc({ source: 'kubernetes' });
        metrics.lastUpdate.set({ source: 'kubernetes' }, Date.now() / 1000);
        this.log.info({ version, services: built.spec.services.map((s) => s.name) }, 'mesh built from the cluster');
      }
      lastVersion = version;
      lastRejected = rejectedKey;
      this.good = { spec: built.spec, version };
      channel.push({ type: 'update', spec: built.spec, version, rejected: built.rejected });
    };
    const onChange = (kind: Kind, obj: unknown): void => {
      if (!synced || stop.signal.aborted) return;
      if (kind !== 'trafficsplit' && !referenced.has(serviceKeyOf(kind, obj))) return;
      const now = Date.now();
      firstChangeAt ??= now;
      clearTimeout(quietTimer);
      const wait = Math.min(this.debounceMs, Math.max(0, firstChangeAt + this.maxDelayMs - now));
      quietTimer = setTimeout(() => {
        firstChangeAt = undefined;
        rebuild();
      }, wait);
    };
    const handler = (kind: Kind) => ({
      onAdd: (o: unknown) => onChange(kind, o),
      onUpdate: (_old: unknown, o: unknown) => onChange(kind, o),
      onDelete: (o: unknown) => onChange(kind, o),
    });
    splits.addEventHandler(handler('trafficsplit'), { name: 'mesh-source' });
    services.addEventHandler(handler('service'), { name: 'mesh-source' });
    slices.addEventHandler(handler('endpointslice'), { name: 'mesh-source' });

    try {
      await factory.start(stop.signal);
      if (!(await factory.waitForCacheSync(stop.signal))) return;
      synced = true;
      rebuild();
      for await (const ev of channel) yield ev;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(quietTimer);
      stop.abort();
      channel.close();
      await factory.shutdown();
    }
  }

  private get debounceMs(): number {
    return this.opts.debounceMs ?? 25;
  }

  private get maxDelayMs(): number {
    return this.opts.maxDelayMs ?? 1000;
  }
}

/** `namespace/service` a Service or EndpointSlice event is about (a tombstone carries its last object). */
function serviceKeyOf(kind: Kind, obj: unknown): string {
  const o = (obj instanceof DeletedFinalStateUnknown ? obj.obj : obj) as { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };
  const name = kind === 'endpointslice' ? o?.metadata?.labels?.[SERVICE_NAME_LABEL] : o?.metadata?.name;
  return `${o?.metadata?.namespace ?? ''}/${name ?? ''}`;
}
