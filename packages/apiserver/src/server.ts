/**
 * The Keelson API server: a Kubernetes-compatible HTTP(S) API over a `Store`.
 *
 * ```ts
 * const store = openStore({ kind: 'sqlite', dataDir: './.keelson' });
 * const server = new ApiServer({ store, tls: ensureServingCertificates('./.keelson'), tokens: ['s3cret'] });
 * const { url } = await server.start({ port: 6443 });
 * // ... kubectl --server $url --token s3cret get ns
 * await server.stop();
 * ```
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError, newNotFoundPath, newUnauthorized, newInternalError, newMethodNotSupported } from '@keelson/apimachinery';
import type { Store } from '@keelson/storage';
import { pino, type Logger } from 'pino';
import { builtinResources } from './builtins/catalog.js';
import { CrdController } from './controllers/crd-controller.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { NamespaceController } from './controllers/namespace-controller.js';
import {
  acceptsAggregatedDiscovery,
  aggregatedDiscoveryContentType,
  aggregatedDiscoveryDocument,
  apiGroupDocument,
  apiGroupListDocument,
  apiResourceListDocument,
  apiVersionsDocument,
} from './discovery/index.js';
import { sendError, sendJson } from './http-util.js';
import { ObjectService } from './object-service.js';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, buildOpenApiV2, buildOpenApiV3Documents, encodeOpenApiV2Protobuf } from './openapi/index.js';
import { ResourceRegistry } from './registry.js';
import { parseResourceRequest } from './request-info.js';
import { handleResourceRequest } from './rest-handlers.js';

export interface ApiServerOptions {
  store: Store;
  /** Serving certificate and key (PEM). Without it the server speaks plain HTTP (tests only). */
  tls?: { certPem: string; keyPem: string };
  /** Accepted bearer tokens. Empty or absent: no authentication (tests only). */
  tokens?: string[];
  logger?: Logger;
  /**
   * How often old revisions are compacted. Each run compacts up to the revision seen at the
   * previous run, so at least one interval of history stays watchable (kube-apiserver's
   * etcd compaction works the same way; its default interval is 5 minutes).
   */
  compactionIntervalMs?: number;
  /** Version reported by /version (kubectl warns when client and server minors differ by more than one). */
  version?: { major: string; minor: string; gitVersion: string };
}

export interface StartOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

/** Named checks of /livez and /healthz, and of /readyz (which also waits for the server's informers). */
const HEALTH_CHECKS = ['ping', 'log', 'etcd'];
const READYZ_CHECKS = ['ping', 'log', 'etcd', 'informer-sync', 'shutdown'];
const OPEN_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/healthz/ping', '/livez/ping', '/readyz/ping']);

const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class ApiServer {
  readonly registry: ResourceRegistry;
  readonly objects: ObjectService;
  readonly log: Logger;
  private readonly crds: CrdController;
  private readonly namespaces: NamespaceController;
  private readonly gc: GarbageCollector;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private compactionTimer?: NodeJS.Timeout;
  private lastSeenRevision = 0;
  private ready = false;
  private address = '';
  private readonly tokenHashes: Buffer[];
  private discoveryCache = new Map<string, { generation: number; body: string; etag: string }>();

  constructor(private readonly opts: ApiServerOptions) {
    this.log = opts.logger ?? pino({ level: process.env.KEELSON_LOG_LEVEL ?? 'info', base: { component: 'apiserver' } });
    this.registry = new ResourceRegistry(builtinResources());
    this.objects = new ObjectService(opts.store, this.registry);
    this.crds = new CrdController(this.objects, this.registry, this.log.child({ component: 'crd-controller' }));
    this.namespaces = new NamespaceController(this.objects, this.registry, this.log.child({ component: 'namespace-controller' }));
    this.gc = new GarbageCollector(this.objects, this.registry, this.log.child({ component: 'garbage-collector' }));
    this.tokenHashes = (opts.tokens ?? []).map((t) => createHash('sha256').update(t).digest());
    this.registry.onChange(() => this.discoveryCache.clear());
  }

  get store(): Store {
    return this.opts.store;
  }

  /** Starts controllers, creates the default namespaces, and listens. */
  async start(opts: StartOptions = {}): Promise<{ url: string; port: number }> {
    await this.crds.start();
    await this.bootstrap();
    await this.namespaces.start();
    await this.gc.start();
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    const server = this.opts.tls ? https.createServer({ cert: this.opts.tls.certPem, key: this.opts.tls.keyPem }, handler) : http.createServer(handler);
    // Watches are long-lived; Node's default 5 min request timeout would cut them.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    const connEvent = this.opts.tls ? 'secureConnection' : 'connection';
    server.on(connEvent, (s: Socket) => s.setNoDelay(true));
    this.server = server;
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 6443, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    this.address = `${hostPart}:${port}`;
    const interval = this.opts.compactionIntervalMs ?? 5 * 60_000;
    if (interval > 0) {
      this.compactionTimer = setInterval(() => void this.compactOnce(), interval);
      this.compactionTimer.unref();
    }
    this.ready = true;
    return { url: `${this.opts.tls ? 'https' : 'http'}://${this.address}`, port };
  }

  async stop(): Promise<void> {
    this.ready = false;
    if (this.compactionTimer) clearInterval(this.compactionTimer);
    this.gc.stop();
    this.namespaces.stop();
    this.crds.stop();
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      // Watches never end by themselves: cut every connection.
      for (const s of this.sockets) s.destroy();
      await closed;
    }
  }

  /** Compacts history up to the revision seen at the previous call (the periodic policy). */
  async compactOnce(): Promise<void> {
    try {
      const target = this.lastSeenRevision;
      this.lastSeenRevision = await this.store.currentRevision();
      if (target > (await this.store.compactedRevision())) await this.store.compact(target);
    } catch (err) {
      this.log.error({ err: String(err) }, 'compaction failed');
    }
  }

  /** Waits until the server's own controllers have nothing queued (for tests). */
  async settle(): Promise<void> {
    await this.gc.idle();
    await this.namespaces.idle();
  }

  private async bootstrap(): Promise<void> {
    const ns = this.registry.get('', 'v1', 'namespaces')!;
    for (const name of BOOTSTRAP_NAMESPACES) {
      if (!(await this.objects.tryGet(ns, '', name))) {
        await this.objects.create(ns, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      }
    }
    const svc = this.registry.get('', 'v1', 'services')!;
    if (!(await this.objects.tryGet(svc, 'default', 'kubernetes'))) {
      // Clients (the e2e framework among them) read default/kubernetes to learn the service IP family.
      await this.objects.create(svc, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
      });
    }
  }

  private authenticated(req: IncomingMessage): boolean {
    if (this.tokenHashes.length === 0) return true;
    const h = req.headers.authorization;
    if (!h || !/^bearer /i.test(h)) return false;
    const got = createHash('sha256').update(h.slice(7).trim()).digest();
    return this.tokenHashes.some((t) => timingSafeEqual(t, got));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendError(res, newNotFoundPath());
      return;
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    try {
      if (OPEN_PATHS.has(path) || path.startsWith('/livez/') || path.startsWith('/readyz/') || path.startsWith('/healthz/')) {
        this.handleOpen(path, res, url.searchParams);
        return;
      }
      if (!this.authenticated(req)) throw newUnauthorized();
      await this.route(req, res, path, url.searchParams);
    } catch (err) {
      const st = sendError(res, err instanceof ApiError ? err : newInternalError(err));
      if (st.code >= 500) this.log.error({ method: req.method, path, err: err instanceof Error ? err.stack : String(err) }, 'request failed');
    } finally {
      if (this.log.isLevelEnabled('debug')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        this.log.debug({ method: req.method, url: req.url, code: res.statusCode, ms }, 'request');
      }
    }
  }

  private versionInfo(): { major: string; minor: string; gitVersion: string } {
    return this.opts.version ?? { major: '1', minor: '32', gitVersion: 'v1.32.0+keelson' };
  }

  private handleOpen(path: string, res: ServerResponse, q: URLSearchParams): void {
    if (path === '/version') {
      const v = this.versionInfo();
      sendJson(res, 200, {
        major: v.major,
        minor: v.minor,
        gitVersion: v.gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-11-25T00:00:00Z',
        goVersion: `node${process.versions.node}`,
        compiler: 'keelson',
        platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      });
      return;
    }
    const ok = this.ready || path.startsWith('/livez') || path.startsWith('/healthz');
    // kube-apiserver serves each named check under the endpoint (/readyz/etcd) and 404s any other
    // name; `?verbose` lists the checks ("[+]ping ok" ... "readyz check passed").
    const [, endpoint, check] = /^\/(livez|readyz|healthz)(?:\/(.+))?$/.exec(path) ?? [];
    const checks = endpoint === 'readyz' ? READYZ_CHECKS : HEALTH_CHECKS;
    if (check !== undefined && !checks.includes(check)) {
      sendError(res, newNotFoundPath());
      return;
    }
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    if (q.has('verbose') && check === undefined) {
      const lines = checks.map((c) => (ok || c !== 'informer-sync' ? `[+]${c} ok` : `[-]${c} failed: reason withheld`));
      res.end(`${lines.join('\n')}\n${endpoint} check ${ok ? 'passed' : 'failed'}\n`);
      return;
    }
    res.end(ok ? 'ok' : 'not ready');
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): Promise<void> {
    if (path === '/api' || path === '/apis') return this.discoveryRoot(req, res, path === '/api' ? 'api' : 'apis');
    if (path === '/openapi/v2') return this.openapiV2(req, res);
    if (path === '/openapi/v3') return this.cached(req, res, 'openapi-v3', () => JSON.stringify(this.openapiV3Docs().index));
    if (path.startsWith('/openapi/v3/')) return this.openapiV3(req, res, path.slice('/openapi/v3/'.length));
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) return this.groupVersionDiscovery(req, res, '', parts[1]);
    if (parts[0] === 'apis' && parts.length === 2) return this.groupDiscovery(req, res, parts[1]);
    if (parts[0] === 'apis' && parts.length === 3) return this.groupVersionDiscovery(req, res, parts[1], parts[2]);
    const ri = parseResourceRequest(req.method ?? 'GET', path, q);
    if (!ri) {
      if (!['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')) throw newMethodNotSupported({ group: '', resource: path }, req.method ?? '');
      throw newNotFoundPath();
    }
    if (!this.registry.all().some((r) => r.group === ri.group && r.version === ri.version)) throw newNotFoundPath();
    await handleResourceRequest({ svc: this.objects, registry: this.registry }, req, res, ri, q);
  }

  /** Serves a derived document with an ETag; rebuilt when the set of resources changes. */
  private cached(req: IncomingMessage, res: ServerResponse, key: string, build: () => string, contentType = 'application/json'): void {
    let entry = this.discoveryCache.get(key);
    if (!entry || entry.generation !== this.registry.generation) {
      const body = build();
      entry = { generation: this.registry.generation, body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
      this.discoveryCache.set(key, entry);
    }
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, { ETag: entry.etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, ETag: entry.etag, 'Content-Length': Buffer.byteLength(entry.body) });
    res.end(entry.body);
  }

  private discoveryRoot(req: IncomingMessage, res: ServerResponse, which: 'api' | 'apis'): void {
    const aggregated = acceptsAggregatedDiscovery(req.headers.accept ?? '');
    const resources = [...this.registry.all()];
    res.setHeader('Vary', 'Accept');
    if (aggregated) {
      // The Content-Type tells the client which parser to use: it must name the form we send.
      return this.cached(
        req,
        res,
        `agg-${aggregated}-${which}`,
        () => JSON.stringify(aggregatedDiscoveryDocument(resources, which, aggregated)),
        aggregatedDiscoveryContentType(aggregated),
      );
    }
    if (which === 'api') return this.cached(req, res, 'legacy-api', () => JSON.stringify(apiVersionsDocument(this.address)));
    return this.cached(req, res, 'legacy-apis', () => JSON.stringify(apiGroupListDocument(resources)));
  }

  private groupDiscovery(req: IncomingMessage, res: ServerResponse, group: string): void {
    if (!this.registry.all().some((r) => r.group === group)) throw newNotFoundPath();
    sendJson(res, 200, apiGroupDocument(group, [...this.registry.all()]));
  }

  private groupVersionDiscovery(req: IncomingMessage, res: ServerResponse, group: string, version: string): void {
    const resources = this.registry.all().filter((r) => r.group === group && r.version === version);
    if (resources.length === 0) throw newNotFoundPath();
    this.cached(req, res, `gv-${group}/${version}`, () => JSON.stringify(apiResourceListDocument(group, version, resources)));
  }

  private openapiV2(req: IncomingMessage, res: ServerResponse): void {
    const accept = req.headers.accept ?? '';
    // kubectl asks for the gnostic protobuf; everyone else gets JSON.
    if (accept.includes('protobuf')) {
      let entry = this.discoveryCache.get('openapi-v2-pb');
      if (!entry || entry.generation !== this.registry.generation) {
        const bytes = encodeOpenApiV2Protobuf(buildOpenApiV2([...this.registry.all()]));
        entry = { generation: this.registry.generation, body: Buffer.from(bytes).toString('latin1'), etag: `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"` };
        this.discoveryCache.set('openapi-v2-pb', entry);
      }
      if (req.headers['if-none-match'] === entry.etag) {
        res.writeHead(304, { ETag: entry.etag });
        res.end();
        return;
      }
      const buf = Buffer.from(entry.body, 'latin1');
      res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE, ETag: entry.etag, 'Content-Length': buf.length });
      res.end(buf);
      return;
    }
    this.cached(req, res, 'openapi-v2-json', () => JSON.stringify(buildOpenApiV2([...this.registry.all()])));
  }

  private openapiV3(req: IncomingMessage, res: ServerResponse, gvPath: string): void {
    const parts = gvPath.split('/');
    let group: string;
    let version: string;
    if (parts[0] === 'api' && parts.length === 2) [group, version] = ['', parts[1]];
    else if (parts[0] === 'apis' && parts.length === 3) [group, version] = [parts[1], parts[2]];
    else throw newNotFoundPath();
    const resources = this.registry.all().filter((r) => r.group === group && r.version === version);
    if (resources.length === 0) throw newNotFoundPath();
    const doc = this.openapiV3Docs().groupVersions.get(gvPath);
    if (!doc) throw newNotFoundPath();
    const etag = `"${doc.hash}"`;
    res.setHeader('Cache-Control', 'public, immutable');
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag, 'Content-Length': Buffer.byteLength(doc.json) });
    res.end(doc.json);
  }

  private v3Docs?: { generation: number; docs: ReturnType<typeof buildOpenApiV3Documents> };

  /** Every OpenAPI v3 document, built in one pass per change of the served resources. */
  private openapiV3Docs(): ReturnType<typeof buildOpenApiV3Documents> {
    if (!this.v3Docs || this.v3Docs.generation !== this.registry.generation) {
      this.v3Docs = { generation: this.registry.generation, docs: buildOpenApiV3Documents([...this.registry.all()], { serverVersion: this.versionInfo().gitVersion }) };
    }
    return this.v3Docs.docs;
  }
}
