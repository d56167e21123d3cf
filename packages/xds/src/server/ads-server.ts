/**
 * The xDS management server (go-control-plane's `server.NewServer`): the Aggregated Discovery
 * Service in both variants (State of the World `StreamAggregatedResources`, incremental
 * `DeltaAggregatedResources`) and the per-type services (LDS, RDS, CDS, EDS, SDS: `Stream*`,
 * `Delta*`, `Fetch*`), serving what a Cache holds.
 *
 * ```ts
 * const cache = new SnapshotCache({ nodeHash: () => 'mesh' });
 * cache.setSnapshot('mesh', meshToSnapshot(spec, '1'));
 * const xds = new AdsServer({ cache });
 * const port = await xds.listen('127.0.0.1:18000');
 * // ... later
 * await xds.close();
 * ```
 *
 * Or `xds.register(grpcServer)` to add the services to a server you run.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Cache, Node } from '../cache/cache.js';
import { defaultLogger } from '../logger.js';
import { xdsMetrics, type XdsMetrics } from '../metrics.js';
import { DISCOVERY_SERVICES, serverServiceDefinition } from '../proto/services.js';
import { encodeDiscoveryResponse } from '../proto/wire.js';
import type { DiscoveryRequest, ServerCallbacks } from './callbacks.js';
import { DeltaStream } from './delta-stream.js';
import { SotwStream } from './sotw-stream.js';
import type { StreamBase, StreamContext } from './stream-base.js';
import { SharedResponses } from './shared-responses.js';
import { TurnScheduler } from './turn-scheduler.js';
import { WriteBudget } from './write-budget.js';

export interface AdsServerOptions {
  cache: Cache;
  callbacks?: ServerCallbacks;
  /** prom-client registry for the metrics. Default: the global one. */
  registry?: Registry;
  logger?: Logger;
  /** Sent as `control_plane.identifier` in every response (clients show it in their CSDS). */
  controlPlaneId?: string;
  /**
   * Response bytes a stream may have written but not yet flushed to its connection before it
   * waits. Default 1 MiB: keeps a loopback or LAN connection busy, while a thousand slow clients
   * cannot make the server buffer a thousand full snapshots.
   */
  maxBufferedBytesPerStream?: number;
  /**
   * The same limit, server-wide: streams beyond it wait their turn. Default 256 MiB: enough to
   * keep many connections busy; without it, a thousand streams' first syncs of a 10k-service
   * mesh put gigabytes in flight at once.
   */
  maxBufferedBytes?: number;
  /**
   * Delta pushes with more resource bytes than this go out as several responses (a response
   * holds at least one resource). Default 64 KiB: see delta-parts.ts for why small is fast.
   */
  maxDeltaResponseBytes?: number;
}

/** Server options for `listen`. */
const DEFAULT_SERVER_OPTIONS: grpc.ServerOptions = {
  // Pings every 30 s find dead clients and keep NAT entries alive (go-control-plane's example
  // server). 20 s to answer, gRPC's default: go-control-plane's 5 s dropped healthy clients in
  // the 10k-service benchmark, whose event loops and links are busy with megabytes of snapshot.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 20_000,
  // A full snapshot of a large mesh can exceed gRPC's 4 MiB default.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

export class AdsServer {
  readonly cache: Cache;
  readonly metrics: XdsMetrics;
  private readonly callbacks: ServerCallbacks;
  private readonly logger: Logger;
  private readonly ctx: StreamContext;
  private readonly streams = new Map<number, StreamBase>();
  private nextStreamId = 0;
  private ownServer?: grpc.Server;
  private boundPort?: number;

  constructor(options: AdsServerOptions) {
    for (const k of ['maxBufferedBytesPerStream', 'maxBufferedBytes', 'maxDeltaResponseBytes'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`AdsServer option ${k} must be a positive whole number of bytes, got ${String(v)}`);
    }
    this.cache = options.cache;
    this.callbacks = options.callbacks ?? {};
    this.metrics = xdsMetrics(options.registry);
    this.logger = (options.logger ?? defaultLogger()).child({ component: 'xds-server' });
    this.ctx = {
      cache: this.cache,
      callbacks: this.callbacks,
      metrics: this.metrics,
      logger: this.logger,
      controlPlaneId: options.controlPlaneId,
      maxBufferedBytes: options.maxBufferedBytesPerStream ?? 1024 * 1024,
      budget: new WriteBudget(options.maxBufferedBytes ?? 256 * 1024 * 1024),
      shared: new SharedResponses(options.controlPlaneId),
      turns: new TurnScheduler(),
      maxResponseBytes: options.maxDeltaResponseBytes ?? 64 * 1024,
      onClosed: (s) => this.streams.delete(s.id),
    };
  }

  /** Adds the discovery services to `server`. */
  register(server: grpc.Server): void {
    for (const svc of DISCOVERY_SERVICES) {
      const impl: grpc.UntypedServiceImplementation = {
        [svc.sotw]: (call: grpc.ServerDuplexStream<unknown, Buffer>) => this.open(new SotwStream(this.ctx, call, ++this.nextStreamId, svc.typeUrl)),
        [svc.delta]: (call: grpc.ServerDuplexStream<unknown, Buffer>) => this.open(new DeltaStream(this.ctx, call, ++this.nextStreamId, svc.typeUrl)),
      };
      if (svc.fetch && svc.typeUrl) {
        const typeUrl = svc.typeUrl;
        impl[svc.fetch] = (call: grpc.ServerUnaryCall<unknown, Buffer>, callback: grpc.sendUnaryData<Buffer>) => this.fetch(typeUrl, call.request as DiscoveryRequest, callback);
      }
      server.addService(serverServiceDefinition(svc.name), impl);
    }
  }

  /**
   * Starts a gRPC server of its own with the discovery services, on `address` (loopback by
   * default; port 0 picks a free one). Resolves to the port.
   */
  async listen(address = '127.0.0.1:0', serverOptions: grpc.ServerOptions = {}): Promise<number> {
    if (this.ownServer) throw new Error(`this AdsServer already listens on port ${this.boundPort}; close() it first or create another`);
    const server = new grpc.Server({ ...DEFAULT_SERVER_OPTIONS, ...serverOptions });
    this.register(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${address}: ${err.message}`, { cause: err })) : resolve(p)));
    });
    this.ownServer = server;
    this.boundPort = port;
    this.logger.info({ address, port }, 'xDS server listening');
    return port;
  }

  /** The port `listen` bound, if it did. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * Stops the server `listen` started: open streams are cancelled (clients reconnect elsewhere
   * or later). With `graceMs`, waits that long for clients to end their streams first.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    const server = this.ownServer;
    this.ownServer = undefined;
    this.boundPort = undefined;
    if (!server) return;
    if (options.graceMs && options.graceMs > 0) {
      await Promise.race([new Promise<void>((resolve) => server.tryShutdown(() => resolve())), new Promise<void>((resolve) => setTimeout(resolve, options.graceMs).unref())]);
    }
    server.forceShutdown();
    for (const s of [...this.streams.values()]) s.close('server shut down', false);
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Resolves when no stream has anything waiting to be sent. */
  async idle(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.idle()));
  }

  /**
   * Per client node id, its streams and, per type and resource, the version sent, the version
   * ACKed, and the last NACK (what the debug endpoint serves). `summary` gives counts and NACKs
   * instead of every resource (a 10k-service mesh has 40k per client); `node` one client only.
   */
  clientStatus(options: { summary?: boolean; node?: string } = {}): { clients: Record<string, Record<string, unknown>[]> } {
    const clients: Record<string, Record<string, unknown>[]> = {};
    for (const s of this.streams.values()) {
      const id = s.node?.id ?? '(no request yet)';
      if (options.node !== undefined && id !== options.node) continue;
      (clients[id] ??= []).push(s.toJSON(options.summary));
    }
    return { clients };
  }

  private open(stream: StreamBase): void {
    this.streams.set(stream.id, stream);
    stream.start();
  }

  private fetch(typeUrl: string, req: DiscoveryRequest, callback: grpc.sendUnaryData<Buffer>): void {
    try {
      this.callbacks.onFetchRequest?.(req);
      if (!req.node?.id) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: 'a fetch request must carry node (with an id)' });
        return;
      }
      const current = this.cache.getResources(req.node as Node, typeUrl);
      if (!current) {
        callback({ code: grpc.status.UNAVAILABLE, details: `the cache has no ${typeUrl} resources for node "${req.node.id}" yet` });
        return;
      }
      const wanted = req.resource_names.length > 0 ? req.resource_names.map((n) => current.resources.get(n)).filter((r) => r !== undefined) : [...current.resources.values()];
      const response = { version_info: current.version, type_url: typeUrl, nonce: '', resources: wanted };
      this.callbacks.onFetchResponse?.(req, response);
      callback(null, encodeDiscoveryResponse({ versionInfo: current.version, resourceEntries: wanted.map((r) => r.sotwEntry), typeUrl, nonce: '' }));
    } catch (err) {
      callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
    }
  }
}
