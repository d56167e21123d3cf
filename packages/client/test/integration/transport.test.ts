// The transport against small local stub servers: retries on 429 and 5xx honoring Retry-After,
// connection resets (retried for GET, not for POST), non-Status error bodies, gzip (whole answers
// and flushed watch frames), the rate limiter on real requests, exec credentials refreshed after
// a 401, Warning headers, timeouts and aborts.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { ApiError } from '@keelson/apimachinery';
import { generateServingCertificates } from '@keelson/apiserver';
import { Client } from '../../src/client.js';
import { DynamicResourceClient } from '../../src/resource-client.js';
import { ConnectionError } from '../../src/errors.js';
import type { RestConfig } from '../../src/rest-config.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

let server: http.Server;
let url: string;
let handler: Handler;
let hits: { method: string; url: string; headers: http.IncomingHttpHeaders; at: number }[];
const clients: Client[] = [];
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keelson-transport-'));
  server = http.createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url!, headers: req.headers, at: performance.now() });
    req.resume();
    req.on('end', () => handler(req, res, hits.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const c of clients) c.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  hits = [];
});

function client(extra: Partial<RestConfig> = {}): Client {
  const c = new Client({ host: url, qps: 0, ...extra });
  clients.push(c);
  return c;
}

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: '7' } });
const json = (res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message });

describe('retries', () => {
  test('429 with Retry-After: 1 is retried after one second, for a POST too', async () => {
    handler = (_req, res, n) => (n === 1 ? json(res, 429, status(429, 'TooManyRequests', 'slow down'), { 'Retry-After': '1' }) : json(res, 201, cm('a')));
    const c = client();
    const t0 = performance.now();
    const out = await c.coreV1.configMaps('default').create({ metadata: { name: 'a' } });
    assert.equal(out.metadata?.name, 'a');
    assert.equal(hits.length, 2);
    const waited = hits[1].at - hits[0].at;
    assert.ok(waited >= 990 && waited < 1800, `waited ${waited} ms for Retry-After: 1`);
    assert.ok(performance.now() - t0 >= 990);
    assert.equal(c.transport.stats.retries, 1);
  });

  test('503 on GET is retried with backoff until it succeeds; the Status reason survives when retries run out', async () => {
    handler = (_req, res, n) => (n <= 2 ? json(res, 503, status(503, 'ServiceUnavailable', 'etcd is down')) : json(res, 200, cm('b')));
    const c = client({ retry: { baseDelayMs: 20 } });
    assert.equal((await c.coreV1.configMaps('default').get('b')).metadata?.name, 'b');
    assert.equal(hits.length, 3);
    const gap = hits[2].at - hits[1].at;
    assert.ok(gap >= 19, `second backoff ${gap} ms`);

    hits = [];
    handler = (_req, res) => json(res, 503, status(503, 'ServiceUnavailable', 'etcd is down'));
    const d = client({ retry: { baseDelayMs: 1, maxRetries: 3 } });
    await assert.rejects(d.coreV1.configMaps('default').get('b'), (e: unknown) => e instanceof ApiError && e.code === 503 && e.reason === 'ServiceUnavailable' && e.message === 'etcd is down');
    assert.equal(hits.length, 4, 'one attempt and three retries');
  });

  test('500 on POST is not retried (it may have been acted on); 503 with Retry-After is', async () => {
    handler = (_req, res) => json(res, 500, status(500, 'InternalError', 'boom'));
    const c = client({ retry: { baseDelayMs: 1 } });
    await assert.rejects(c.coreV1.configMaps('default').create({ metadata: { name: 'x' } }), (e: unknown) => e instanceof ApiError && e.code === 500);
    assert.equal(hits.length, 1);

    hits = [];
    handler = (_req, res, n) => (n === 1 ? json(res, 503, status(503, 'ServiceUnavailable', 'later'), { 'Retry-After': '0' }) : json(res, 201, cm('x')));
    await c.coreV1.configMaps('default').create({ metadata: { name: 'x' } });
    assert.equal(hits.length, 2);
  });

  test('a Retry-After beyond the limit is not waited out: the ApiError carries it', async () => {
    handler = (_req, res) => json(res, 429, status(429, 'TooManyRequests', 'come back later'), { 'Retry-After': '120' });
    const c = client();
    await assert.rejects(c.coreV1.configMaps('default').get('x'), (e: unknown) => e instanceof ApiError && e.status.details?.retryAfterSeconds === 120);
    assert.equal(hits.length, 1);
  });

  test('a reset connection is retried for GET, not for POST', async () => {
    handler = (req, res, n) => (n === 1 ? req.socket.destroy() : json(res, 200, cm('r')));
    const c = client({ retry: { baseDelayMs: 1 } });
    assert.equal((await c.coreV1.configMaps('default').get('r')).metadata?.name, 'r');
    assert.equal(hits.length, 2);

    hits = [];
    handler = (req) => req.socket.destroy();
    await assert.rejects(c.coreV1.configMaps('default').create({ metadata: { name: 'r' } }), (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNRESET' && e.method === 'POST' && e.url.includes('/configmaps'));
    assert.equal(hits.length, 1);
  });

  test('a POST that meets a keep-alive connection the server has closed is sent again at once on a new one', async () => {
    handler = (_req, res) => json(res, 201, cm('k'));
    // A backoff of 1 s would show in the time taken: this retry must not wait.
    const c = client({ retry: { baseDelayMs: 2000 } });
    await c.coreV1.configMaps('default').get('k'); // leaves a keep-alive connection in the pool
    server.closeIdleConnections(); // as a server does when it restarts or its idle timeout fires
    const t0 = performance.now();
    const out = await c.coreV1.configMaps('default').create({ metadata: { name: 'k' } });
    assert.equal(out.metadata?.name, 'k');
    assert.ok(performance.now() - t0 < 500, `took ${performance.now() - t0} ms`);
    assert.deepEqual(
      hits.map((h) => h.method),
      ['GET', 'POST'],
      'the POST reached the server once',
    );
    assert.equal(c.transport.stats.retries, 1, 'the first attempt met the closed connection');
  });

  test('a POST cut on a fresh connection is not retried', async () => {
    handler = (req) => req.socket.destroy();
    const c = client({ retry: { baseDelayMs: 1 } });
    await assert.rejects(c.coreV1.configMaps('default').create({ metadata: { name: 'f' } }), (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNRESET');
    assert.equal(hits.length, 1);
    assert.equal(c.transport.stats.retries, 0);
  });

  test('a POST the server received on a reused connection and then cut is not retried (it may have been acted on)', async () => {
    handler = (req, res, n) => (n === 1 ? json(res, 200, cm('u')) : req.socket.destroy());
    const c = client({ retry: { baseDelayMs: 1 } });
    await c.coreV1.configMaps('default').get('u');
    await assert.rejects(c.coreV1.configMaps('default').create({ metadata: { name: 'u' } }), (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNRESET');
    assert.deepEqual(
      hits.map((h) => h.method),
      ['GET', 'POST'],
    );
    assert.equal(hits[0].headers.connection, 'keep-alive');
    assert.equal(c.transport.stats.retries, 0);
  });

  test('connection refused is retried for every verb, then reported with the URL', async () => {
    const c = new Client({ host: 'http://127.0.0.1:9', qps: 0, retry: { baseDelayMs: 1, maxRetries: 2 } });
    clients.push(c);
    await assert.rejects(c.coreV1.configMaps('default').create({ metadata: { name: 'x' } }), (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNREFUSED' && /POST http:\/\/127\.0\.0\.1:9\/api\/v1\/namespaces\/default\/configmaps/.test(e.message));
    assert.equal(c.transport.stats.requests, 3);
  });
});

describe('answers', () => {
  test('a non-Status error body becomes a Status naming the code, the request and the body', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>');
    };
    const c = client({ retry: { maxRetries: 0 } });
    await assert.rejects(c.coreV1.pods('default').get('p'), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 502);
      assert.equal(e.status.kind, 'Status');
      assert.equal(e.status.status, 'Failure');
      assert.equal(e.message, `the server answered HTTP 502 to GET ${url}/api/v1/namespaces/default/pods/p: <html><body><h1>502 Bad Gateway</h1> <p>nginx</p></body></html>`);
      return true;
    });
    handler = (_req, res) => {
      res.writeHead(404);
      res.end();
    };
    await assert.rejects(c.coreV1.pods('default').get('p'), (e: unknown) => e instanceof ApiError && e.reason === 'NotFound' && /with an empty body/.test(e.message));
  });

  test('a 200 whose body is not JSON is an ApiError quoting the body; multi-byte UTF-8 split across chunks decodes whole', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>captive portal</html>');
    };
    await assert.rejects(client({ retry: { maxRetries: 0 } }).coreV1.pods('default').get('p'), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.match(e.message, /HTTP 200 and a body that is not JSON \(Content-Type text\/html\): <html>captive portal<\/html>/);
      return true;
    });
    const value = 'ünïcødé €✓ 𝄞'.repeat(50);
    handler = (_req, res) => {
      const bytes = Buffer.from(JSON.stringify({ ...cm('u'), data: { value } }));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // One byte at a time: every multi-byte character is split between writes.
      let i = 0;
      const next = (): void => {
        if (i >= bytes.length) return void res.end();
        res.write(bytes.subarray(i, i + 1), next);
        i++;
      };
      next();
    };
    const got = await client().coreV1.configMaps('default').get('u');
    assert.equal(got.data?.value, value);
  });

  test('gzip answers are decoded; Accept-Encoding is sent unless compression is disabled', async () => {
    handler = (req, res) => {
      const body = JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [{ metadata: { name: 'z', annotations: { big: 'x'.repeat(50_000) } } }] });
      if (String(req.headers['accept-encoding']).includes('gzip')) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        res.end(zlib.gzipSync(body));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(body);
      }
    };
    const list = await client().coreV1.configMaps('default').list();
    assert.equal(hits[0].headers['accept-encoding'], 'gzip');
    assert.equal(list.items[0].metadata?.name, 'z');
    assert.equal(list.items[0].kind, 'ConfigMap', 'items get the kind of the list');
    assert.equal(list.items[0].apiVersion, 'v1');
    await client({ disableCompression: true }).coreV1.configMaps('default').list();
    assert.equal(hits[1].headers['accept-encoding'], undefined);
  });

  test('a gzip watch stream delivers each frame when the server flushes it', async () => {
    let gz!: zlib.Gzip;
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Transfer-Encoding': 'chunked' });
      gz = zlib.createGzip();
      gz.pipe(res);
      gz.write(JSON.stringify({ type: 'ADDED', object: cm('w1') }) + '\n');
      gz.flush(zlib.constants.Z_SYNC_FLUSH);
    };
    const it = client().coreV1.configMaps('default').watch({ resourceVersion: '1' })[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value?.object.metadata?.name, 'w1', 'the first frame arrives before the stream ends');
    gz.write(JSON.stringify({ type: 'DELETED', object: cm('w1') }) + '\n');
    gz.end();
    assert.equal((await it.next()).value?.type, 'DELETED');
    assert.equal((await it.next()).done, true, 'the iterator ends when the server ends the stream');
    assert.match(hits[0].url, /\?watch=true&resourceVersion=1$/);
  });

  test('watch: an HTTP error is an ApiError; a cut connection a ConnectionError; options reach the query', async () => {
    handler = (_req, res) => json(res, 410, status(410, 'Expired', 'too old resource version: 1 (9)'));
    const c = client({ retry: { maxRetries: 0 } });
    await assert.rejects(
      (async () => {
        for await (const _ of c.coreV1.pods().watch({ resourceVersion: '1', allowWatchBookmarks: true, timeoutSeconds: 30, labelSelector: 'a=b', sendInitialEvents: false })) void _;
      })(),
      (e: unknown) => e instanceof ApiError && e.reason === 'Expired',
    );
    assert.equal(hits[0].url, '/api/v1/pods?watch=true&labelSelector=a%3Db&resourceVersion=1&allowWatchBookmarks=true&sendInitialEvents=false&timeoutSeconds=30');

    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: cm('c1') }) + '\n');
      setTimeout(() => req.socket.destroy(), 20);
    };
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of c.coreV1.configMaps('default').watch()) seen.push(e.object.metadata!.name!);
      })(),
      (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNRESET',
    );
    assert.deepEqual(seen, ['c1']);
  });

  test('a watch the server does not end after its timeoutSeconds is cut as a dead connection', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: cm('stuck') }) + '\n');
      // ...and then silence, as from a half-open TCP connection.
    };
    const saved = DynamicResourceClient.watchDeadlineSlackMs;
    DynamicResourceClient.watchDeadlineSlackMs = 200;
    try {
      const t0 = performance.now();
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const e of client().coreV1.configMaps('default').watch({ timeoutSeconds: 1 })) seen.push(e.type);
        })(),
        (e: unknown) => e instanceof ConnectionError && e.code === 'ETIMEDOUT' && /did not end 0\.2 s after its timeoutSeconds \(1 s\)/.test(e.message),
      );
      const ms = performance.now() - t0;
      assert.ok(ms >= 1150 && ms < 3000, `cut after ${ms} ms`);
      assert.deepEqual(seen, ['ADDED']);
    } finally {
      DynamicResourceClient.watchDeadlineSlackMs = saved;
    }
  });

  test('Warning headers reach onWarning', async () => {
    handler = (_req, res) => json(res, 200, cm('w'), { Warning: '299 - "v1beta1 Foo is deprecated"' });
    const warnings: string[] = [];
    await client({ onWarning: (w) => warnings.push(w) }).coreV1.configMaps('default').get('w');
    assert.deepEqual(warnings, ['v1beta1 Foo is deprecated']);
  });

  test('user agent, bearer token, basic auth and impersonation headers', async () => {
    handler = (_req, res) => json(res, 200, cm('h'));
    await client({ bearerToken: 'abc', impersonate: { user: 'jane', groups: ['a', 'b'] } }).coreV1.configMaps('default').get('h');
    assert.equal(hits[0].headers.authorization, 'Bearer abc');
    assert.equal(hits[0].headers['impersonate-user'], 'jane');
    assert.equal(hits[0].headers['impersonate-group'], 'a, b');
    assert.match(String(hits[0].headers['user-agent']), /^keelson-client\/\S+ \(linux\/\w+\) node\/v20/);
    await client({ username: 'admin', password: 'pw' }).coreV1.configMaps('default').get('h');
    assert.equal(hits[1].headers.authorization, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });
});

describe('limits, timeouts, aborts, credentials', () => {
  test('the rate limiter spaces real requests: qps 20, burst 2 → 6 requests take ≥ 200 ms', async () => {
    handler = (_req, res) => json(res, 200, cm('q'));
    const c = client({ qps: 20, burst: 2 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => c.coreV1.configMaps('default').get('q')));
    const ms = performance.now() - t0;
    assert.ok(ms >= 195, `6 requests in ${ms} ms`);
    // The default: 5 qps, burst 10.
    const d = client({ qps: undefined });
    const t1 = performance.now();
    await Promise.all(Array.from({ length: 11 }, () => d.coreV1.configMaps('default').get('q')));
    const ms2 = performance.now() - t1;
    assert.ok(ms2 >= 195 && ms2 < 1000, `11 requests at the default limit in ${ms2} ms`);
  });

  test('timeoutMs bounds a request; an abort ends it at once with the signal reason', async () => {
    handler = () => {}; // never answers
    const c = client({ timeoutMs: 100, retry: { maxRetries: 0 } });
    await assert.rejects(c.coreV1.configMaps('default').get('t'), (e: unknown) => e instanceof ConnectionError && e.code === 'ETIMEDOUT');
    const ac = new AbortController();
    const p = client().coreV1.configMaps('default').get('t', { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    const t0 = performance.now();
    await assert.rejects(p, { name: 'AbortError' });
    assert.ok(performance.now() - t0 < 500);

    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: cm('a') }) + '\n');
    };
    const wc = new AbortController();
    const events: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of client().coreV1.configMaps('default').watch({ signal: wc.signal })) {
          events.push(e.type);
          wc.abort();
        }
      })(),
      { name: 'AbortError' },
    );
    assert.deepEqual(events, ['ADDED']);
  });

  test('an exec credential rejected with 401 is fetched again and the request retried once', async () => {
    const counter = join(dir, 'runs');
    const plugin = join(dir, 'login.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> "${counter}"\nn=$(wc -l < "${counter}" | tr -d ' ')\nprintf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"tok-%s"}}' "$n"\n`,
    );
    chmodSync(plugin, 0o755);
    handler = (req, res) => (req.headers.authorization === 'Bearer tok-2' ? json(res, 200, cm('e')) : json(res, 401, status(401, 'Unauthorized', 'Unauthorized')));
    const c = client({ exec: { command: plugin, apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never' } });
    assert.equal((await c.coreV1.configMaps('default').get('e')).metadata?.name, 'e');
    assert.deepEqual(
      hits.map((h) => h.headers.authorization),
      ['Bearer tok-1', 'Bearer tok-2'],
    );
    // A credential that keeps failing is not fetched in a loop.
    hits = [];
    handler = (_req, res) => json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    await assert.rejects(c.coreV1.configMaps('default').get('e'), (e: unknown) => e instanceof ApiError && e.code === 401);
    assert.equal(hits.length, 2);
  });
});

describe('TLS', () => {
  const serving = generateServingCertificates(['127.0.0.1', 'api.keelson.test']);
  const clientCert = generateServingCertificates(['client.keelson.test']);
  let tlsServer: https.Server;
  let tlsUrl: string;
  const peers: (string | undefined)[] = [];

  before(async () => {
    // Asks for a client certificate without verifying it, so the test can see which one came.
    tlsServer = https.createServer({ key: serving.keyPem, cert: serving.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      peers.push(peer && peer.fingerprint256 ? peer.fingerprint256 : undefined);
      json(res, 200, cm('tls'));
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    tlsServer.closeAllConnections();
    await new Promise((r) => tlsServer.close(r));
  });

  test('the CA verifies the server; the client certificate is presented', async () => {
    const c = new Client({ host: tlsUrl, qps: 0, tls: { caData: serving.caCertPem, certData: clientCert.certPem, keyData: clientCert.keyPem } });
    clients.push(c);
    await c.coreV1.configMaps('default').get('tls');
    assert.equal(peers.at(-1), new X509Certificate(clientCert.certPem).fingerprint256);
  });

  test('a client certificate from an exec plugin is presented', async () => {
    const plugin = join(dir, 'cert-login.sh');
    const status = JSON.stringify({ clientCertificateData: clientCert.certPem, clientKeyData: clientCert.keyPem });
    writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":${status}}\nEOF\n`);
    chmodSync(plugin, 0o755);
    const c = new Client({ host: tlsUrl, qps: 0, tls: { caData: serving.caCertPem }, exec: { command: plugin, apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never' } });
    clients.push(c);
    await c.coreV1.configMaps('default').get('tls');
    assert.equal(peers.at(-1), new X509Certificate(clientCert.certPem).fingerprint256);
  });

  test('an unknown CA fails once with a ConnectionError that points at the kubeconfig; insecure-skip-tls-verify connects', async () => {
    const c = new Client({ host: tlsUrl, qps: 0, tls: { caData: clientCert.caCertPem }, source: '/home/me/.kube/config' });
    clients.push(c);
    await assert.rejects(c.coreV1.configMaps('default').get('tls'), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.code, /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_SIGNATURE_FAILURE/);
      assert.match(e.message, /check certificate-authority \(or tls-server-name\) of the kubeconfig cluster in \/home\/me\/\.kube\/config/);
      return true;
    });
    assert.equal(c.transport.stats.requests, 1, 'not retried');
    const insecure = new Client({ host: tlsUrl, qps: 0, tls: { insecureSkipTLSVerify: true } });
    clients.push(insecure);
    assert.equal((await insecure.coreV1.configMaps('default').get('tls')).metadata?.name, 'tls');
  });

  test('over TLS too, a POST that meets a keep-alive connection the server has closed is sent again', async () => {
    const c = new Client({ host: tlsUrl, qps: 0, tls: { caData: serving.caCertPem }, retry: { baseDelayMs: 2000 } });
    clients.push(c);
    const before = peers.length;
    await c.coreV1.configMaps('default').get('tls');
    tlsServer.closeIdleConnections();
    assert.equal((await c.coreV1.configMaps('default').create({ metadata: { name: 'tls' } })).metadata?.name, 'tls');
    assert.equal(peers.length - before, 2, 'the GET and one POST reached the server');
    assert.equal(c.transport.stats.retries, 1);
  });

  test('tls-server-name: the certificate is checked against that name, not the URL host', async () => {
    const c = new Client({ host: tlsUrl.replace('127.0.0.1', 'localhost'), qps: 0, tls: { caData: serving.caCertPem } });
    clients.push(c);
    await assert.rejects(c.coreV1.configMaps('default').get('tls'), (e: unknown) => e instanceof ConnectionError && e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    const named = new Client({ host: tlsUrl.replace('127.0.0.1', 'localhost'), qps: 0, tls: { caData: serving.caCertPem, serverName: 'api.keelson.test' } });
    clients.push(named);
    assert.equal((await named.coreV1.configMaps('default').get('tls')).metadata?.name, 'tls');
  });
});
