/**
 * MeshControlPlane: a config source (mesh.yaml or Kubernetes) wired to an xDS server, what
 * `keelson xds serve` runs. Every client gets the same snapshot: the source's spec translated by
 * meshToSnapshot, set in a SnapshotCache whose streams push only what changed. The first spec
 * must be valid (start throws otherwise, with every problem); after that a rejected config is
 * logged and counted while the last good snapshot keeps being served.
 *
 * ```ts
 * const cp = await MeshControlPlane.start({ source: new MeshFileSource('mesh.yaml'), port: 18000, debugPort: 18001 });
 * console.log(`xDS on ${cp.address}, serving ${cp.servedVersion}`);
 * await cp.stop();
 * ```
 */
import type { Logger } from 'pino';
import { collectDefaultMetrics, register as globalRegistry, type Registry } from 'prom-client';
import { SnapshotCache } from '../cache/snapshot-cache.js';
import { startDebugServer, type DebugServer } from '../debug/csds-http.js';
import { InvalidSnapshotError } from '../errors.js';
import { AdsServer } from '../server/ads-server.js';
import { meshToSnapshot } from '../translate/mesh-to-snapshot.js';
import { MeshConfigError, formatMeshError, type MeshSourceError } from './errors.js';
import { defaultLogger } from '../logger.js';
import type { MeshSource, MeshSourceEvent, MeshUpdate } from './mesh-source.js';
import { meshSourceMetrics } from './metrics.js';

/** The one SnapshotCache key every node maps to. */
export const MESH_SNAPSHOT_KEY = 'mesh';

export interface MeshControlPlaneOptions {
  source: MeshSource;
  /** Names the source in messages (`mesh.yaml`, `the cluster`). */
  sourceName?: string;
  /** Where the xDS server listens. Default 127.0.0.1: the xDS hop has no TLS (grpc-js cannot use it, gRFC A65), so it stays on loopback unless asked. */
  host?: string;
  /** Default 18000 (go-control-plane's example server); 0 picks a free port. */
  port?: number;
  /** Start the debug HTTP server (`/debug/xds/clients`, `/metrics`, `/healthz`) on this port (0: a free one); none when undefined. */
  debugPort?: number;
  /**
   * Where the xDS server's metrics register, and what the debug server's /metrics shows. Default
   * prom-client's global registry, where the sources and informers also register by default.
   */
  registry?: Registry;
  /** Also export prom-client's process metrics (CPU, memory, event loop lag) in `registry`. Default false. */
  processMetrics?: boolean;
  logger?: Logger;
  /** Gives up waiting for the first state (start then throws the signal's reason). */
  signal?: AbortSignal;
}

type Translated = { ok: true; update: MeshUpdate; snapshot: ReturnType<typeof meshToSnapshot> } | { ok: false; errors: MeshSourceError[] };

export class MeshControlPlane {
  private served?: MeshUpdate;
  private loop?: Promise<void>;

  private constructor(
    readonly xds: AdsServer,
    readonly cache: SnapshotCache,
    readonly registry: Registry,
    private readonly stopSource: AbortController,
    private readonly log: Logger,
    readonly host: string,
    readonly port: number,
    readonly debug: DebugServer | undefined,
  ) {}

  /**
   * Waits for the source's first state, serves it, and follows the source from then on.
   * Throws MeshConfigError when the first state is invalid (nothing is started then).
   */
  static async start(opts: MeshControlPlaneOptions): Promise<MeshControlPlane> {
    const logger = opts.logger ?? defaultLogger();
    const log = logger.child({ component: 'mesh-control-plane' });
    const registry = opts.registry ?? globalRegistry;
    if (opts.processMetrics) collectDefaultMetrics({ register: registry });
    const sourceName = opts.sourceName ?? 'the mesh config';
    const metrics = meshSourceMetrics(registry);
    const stopSource = new AbortController();
    const onAbort = (): void => stopSource.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const events = opts.source.watch(stopSource.signal)[Symbol.asyncIterator]();
    const translate = (ev: Extract<MeshSourceEvent, { type: 'update' }>): Translated => {
      try {
        return { ok: true, update: { spec: ev.spec, version: ev.version }, snapshot: meshToSnapshot(ev.spec, ev.version) };
      } catch (err) {
        if (!(err instanceof InvalidSnapshotError)) throw err;
        // The sources validate first; this is what the translator still refused.
        return { ok: false, errors: err.problems.map((p) => ({ path: '', message: `${p.message} (${p.typeUrl.split('.').pop()} ${p.resourceName})`, source: sourceName })) };
      }
    };

    let first: Translated;
    try {
      const r = await events.next();
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      if (r.done) throw new Error(`${sourceName} ended before giving a mesh`);
      const ev = r.value;
      if (ev.type === 'invalid') throw new MeshConfigError(ev.errors, sourceName);
      for (const e of ev.rejected) log.warn({ problem: formatMeshError(e) }, 'config not applied as written');
      first = translate(ev);
      if (!first.ok) throw new MeshConfigError(first.errors, sourceName);
    } catch (err) {
      stopSource.abort();
      await events.return?.();
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }

    const cache = new SnapshotCache({ nodeHash: () => MESH_SNAPSHOT_KEY, logger });
    cache.setSnapshot(MESH_SNAPSHOT_KEY, first.snapshot);
    const xds = new AdsServer({ cache, registry, logger, controlPlaneId: 'keelson' });
    const host = opts.host ?? '127.0.0.1';
    let port: number;
    let debug: DebugServer | undefined;
    try {
      port = await xds.listen(`${host.includes(':') ? `[${host}]` : host}:${opts.port ?? 18000}`);
      if (opts.debugPort !== undefined) debug = await startDebugServer({ server: xds, registry, host, port: opts.debugPort });
    } catch (err) {
      stopSource.abort();
      await events.return?.();
      await xds.close();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE' || /address already in use|EADDRINUSE/i.test(e.message)) {
        throw new Error(`${e.message}: another process holds the port; stop it, or pick another port (0 picks a free one)`, { cause: err });
      }
      throw err;
    }
    const cp = new MeshControlPlane(xds, cache, registry, stopSource, log, host, port, debug);
    cp.served = first.update;
    log.info({ version: first.update.version, services: first.update.spec.services.map((s) => s.name) }, 'serving the mesh');

    cp.loop = (async () => {
      for (;;) {
        const r = await events.next();
        if (r.done) return;
        const ev = r.value;
        if (ev.type === 'invalid') {
          log.warn({ errors: ev.errors.map(formatMeshError), serving: cp.served?.version }, `${sourceName} rejected; still serving the last good mesh`);
          continue;
        }
        for (const e of ev.rejected) log.warn({ problem: formatMeshError(e) }, 'config not applied as written');
        if (ev.version === cp.served?.version) continue;
        const t = translate(ev);
        if (!t.ok) {
          metrics.rejectionsTotal.inc({ source: 'translator' });
          log.error({ errors: t.errors.map(formatMeshError), serving: cp.served?.version }, 'the mesh could not be translated to xDS; still serving the last good mesh');
          continue;
        }
        cache.setSnapshot(MESH_SNAPSHOT_KEY, t.snapshot);
        cp.served = t.update;
        log.info({ version: t.update.version, services: t.update.spec.services.map((s) => s.name) }, 'serving the mesh');
      }
    })();
    // Stopping is the only expected end; a source that fails is reported by `done`.
    cp.loop.catch(() => {});
    return cp;
  }

  /** `host:port` clients put in their bootstrap's server_uri. */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** The spec and version being served. */
  get servedMesh(): MeshUpdate | undefined {
    return this.served;
  }

  get servedVersion(): string | undefined {
    return this.served?.version;
  }

  /** Settles when the source stops: resolves after `stop`, rejects if the source failed (the snapshot then no longer follows it). */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Stops following the source, then the debug and xDS servers (open streams are cancelled). */
  async stop(): Promise<void> {
    this.stopSource.abort();
    await this.loop?.catch((err: unknown) => this.log.debug({ err: String(err) }, 'source ended with an error while stopping'));
    await this.debug?.close();
    await this.xds.close();
  }
}
