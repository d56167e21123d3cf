/**
 * The debug HTTP endpoint: what each client holds, seen from the server (the questions CSDS
 * answers from the client side), plus Prometheus metrics and health. Loopback by default.
 *
 *   GET /debug/xds/clients[?node=ID][&summary=1]
 *                                     per client node id, its streams; per type and resource:
 *                                     version sent, version ACKed, status, last NACK (summary:
 *                                     counts and NACKed resources only)
 *   GET /metrics                      Prometheus text
 *   GET /healthz, /readyz             "ok"
 *
 * ```ts
 * const debug = await startDebugServer({ server: xds, registry });
 * await fetch(`${debug.url}/debug/xds/clients?node=greeter-client`).then((r) => r.json());
 * await debug.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register as globalRegistry, type Registry } from 'prom-client';
import type { AdsServer } from '../server/ads-server.js';

export interface DebugServerOptions {
  server: AdsServer;
  /** Registry whose metrics /metrics serves. Default: the global one. */
  registry?: Registry;
  /** Default 127.0.0.1: the output names every client and resource. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
}

export interface DebugServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startDebugServer(opts: DebugServerOptions): Promise<DebugServer> {
  const registry = opts.registry ?? globalRegistry;
  const host = opts.host ?? '127.0.0.1';
  const http = createServer((req, res) => {
    handle(opts.server, registry, req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${err.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function handle(server: AdsServer, registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    return;
  }
  switch (url.pathname) {
    case '/debug/xds/clients': {
      const node = url.searchParams.get('node') ?? undefined;
      const summary = ['1', 'true'].includes(url.searchParams.get('summary') ?? '');
      const body = server.clientStatus({ node, summary });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2) + '\n');
      return;
    }
    case '/metrics': {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
      return;
    }
    case '/healthz':
    case '/readyz':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    default:
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /debug/xds/clients, /metrics, /healthz\n');
  }
}
