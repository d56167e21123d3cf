/**
 * Reaching the API server through an HTTP proxy (kubeconfig `proxy-url`): every connection is a
 * CONNECT tunnel through the proxy, then TLS to the API server inside it, so the proxy sees only
 * the host and port and certificates are verified end to end. The agents keep tunnels alive and
 * reuse them like direct sockets. `https://` proxies are reached over TLS first; credentials in
 * the proxy URL (`http://user:pass@proxy:3128`) go as `Proxy-Authorization: Basic`.
 *
 * ```ts
 * const agent = new HttpsProxyAgent(new URL('http://proxy:3128'), { keepAlive: true, ca });
 * https.request('https://10.0.0.1:6443/version', { agent });
 * ```
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

/** Opens a CONNECT tunnel to host:port through the proxy; resolves with the raw socket. */
export function connectTunnel(proxy: URL, host: string, port: number, proxyTls?: tls.ConnectionOptions): Promise<Socket> {
  const target = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { Host: target };
  if (proxy.username || proxy.password) {
    const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(cred).toString('base64')}`;
  }
  const secure = proxy.protocol === 'https:';
  const options: https.RequestOptions = {
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: Number(proxy.port) || (secure ? 443 : 80),
    method: 'CONNECT',
    path: target,
    headers,
    agent: false,
    ...(secure ? proxyTls : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options);
    req.once('connect', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        const err = new Error(`proxy ${proxy.protocol}//${proxy.host} answered ${res.statusCode} ${res.statusMessage ?? ''} to CONNECT ${target}`.trim()) as NodeJS.ErrnoException;
        err.code = 'ERR_PROXY_CONNECT';
        return reject(err);
      }
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.once('error', reject);
    req.end();
  });
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/** An https.Agent whose connections are TLS inside CONNECT tunnels. */
export class HttpsProxyAgent extends https.Agent {
  constructor(
    readonly proxy: URL,
    options: https.AgentOptions,
    private readonly proxyTls?: tls.ConnectionOptions,
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const port = Number(options.port) || 443;
    connectTunnel(this.proxy, host, port, this.proxyTls).then(
      (socket) => {
        const secure = tls.connect({ ...(options as tls.ConnectionOptions), socket });
        callback?.(null, secure);
      },
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** An http.Agent for plain-http servers behind the proxy (tunnelled the same way). */
export class HttpProxyAgent extends http.Agent {
  constructor(
    readonly proxy: URL,
    options: http.AgentOptions,
    private readonly proxyTls?: tls.ConnectionOptions,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const port = Number(options.port) || 80;
    connectTunnel(this.proxy, host, port, this.proxyTls).then(
      (socket) => callback?.(null, socket),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * The proxy the environment asks for, as Go's http.ProxyFromEnvironment (client-go's default when
 * the kubeconfig sets no proxy-url): HTTPS_PROXY for https:// servers, HTTP_PROXY for http://
 * (upper or lower case), except for loopback hosts and hosts NO_PROXY matches. NO_PROXY is a
 * comma-separated list of `*`, IPs, CIDRs and domain names (a name matches itself and its
 * subdomains, a leading "." only subdomains), each optionally with `:port`.
 *
 * ```ts
 * proxyFromEnvironment(new URL('https://10.0.0.1:6443'), { HTTPS_PROXY: 'http://proxy:3128' }); // URL of the proxy
 * ```
 */
export function proxyFromEnvironment(target: URL, env: Record<string, string | undefined> = process.env): URL | undefined {
  const raw = target.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || isLoopback(host)) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (noProxyMatches(host, port, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  for (let entry of noProxy.split(',').map((e) => e.trim().toLowerCase())) {
    if (!entry) continue;
    if (entry === '*') return true;
    const cidr = /^([\d.]+)\/(\d+)$/.exec(entry);
    if (cidr) {
      const net = ipv4ToInt(cidr[1]);
      const ip = ipv4ToInt(host);
      const bits = Number(cidr[2]);
      if (net !== undefined && ip !== undefined && bits <= 32) {
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        if ((net & mask) === (ip & mask)) return true;
      }
      continue;
    }
    // host:port, [v6]:port; a bare IPv6 address has colons but no port.
    const pm = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (pm) {
      if (pm[2] !== port) continue;
      entry = pm[1];
    }
    entry = entry.replace(/^\[|\]$/g, '');
    if (entry.startsWith('.')) {
      if (host.endsWith(entry)) return true;
      continue;
    }
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (host === entry || (!/^[\d.:]+$/.test(entry) && host.endsWith(`.${entry.replace(/^\./, '')}`))) return true;
  }
  return false;
}
