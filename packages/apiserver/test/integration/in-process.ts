/**
 * An API server inside the test process, over real HTTPS with a bearer token, for tests that
 * need to reach into the server (compaction, settle) while real clients talk to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MemoryStore, SqliteStore, type Store } from '@keelson/storage';
import { ApiServer, generateServingCertificates, writeKubeconfig } from '@keelson/apiserver';

export interface InProcessServer {
  server: ApiServer;
  store: Store;
  url: string;
  token: string;
  caCertPem: string;
  kubeconfig: string;
  dir: string;
  /**
   * Stops the ApiServer (which cuts every connection, watches included), runs `whileDown`, then
   * serves the same store on the same port with a new ApiServer (`server` then names it).
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

let certs: ReturnType<typeof generateServingCertificates> | undefined;

export async function startInProcess(opts: { storage?: 'memory' | 'sqlite'; dir?: string } = {}): Promise<InProcessServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'keelson-inproc-'));
  certs ??= generateServingCertificates();
  const store = opts.storage === 'sqlite' ? new SqliteStore({ path: join(dir, 'keelson.db') }) : new MemoryStore();
  const token = 'test-token-' + Math.random().toString(36).slice(2);
  const tls = certs;
  const newServer = (): ApiServer =>
    new ApiServer({
      store,
      tls,
      tokens: [token],
      logger: pino({ level: process.env.KEELSON_LOG_LEVEL ?? 'warn' }),
      compactionIntervalMs: 0,
    });
  const server = newServer();
  const { url, port } = await server.start({ port: 0 });
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, caCertPem: certs.caCertPem, token });
  const out: InProcessServer = {
    server,
    store,
    url,
    token,
    caCertPem: certs.caCertPem,
    kubeconfig,
    dir,
    async restart(whileDown) {
      await out.server.stop();
      await whileDown?.();
      const next = newServer();
      await next.start({ port });
      out.server = next;
    },
    async stop() {
      await out.server.stop();
      await store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return out;
}
