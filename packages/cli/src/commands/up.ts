/**
 * `keelson up`: a local Kubernetes-compatible control plane in about a second. The API server
 * listens on 127.0.0.1 over HTTPS with a CA it makes on first start, stores objects in SQLite
 * under the data dir (or in memory), and writes a kubeconfig next to them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiServer, ensureServingCertificates, writeKubeconfig } from '@keelson/apiserver';
import { openStore, type StoreKind } from '@keelson/storage';
import { destination, pino } from 'pino';

export interface UpOptions {
  dataDir: string;
  port: number;
  host: string;
  storage: StoreKind;
  logLevel: string;
}

export class UsageError extends Error {}

function loadOrCreateToken(dir: string): string {
  const file = join(dir, 'token');
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return t;
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

export interface RunningControlPlane {
  server: ApiServer;
  url: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function startControlPlane(o: UpOptions): Promise<RunningControlPlane> {
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const certs = ensureServingCertificates(dataDir);
  const token = loadOrCreateToken(dataDir);
  const store = openStore({ kind: o.storage, dataDir });
  const logger = pino({ level: o.logLevel, base: { component: 'apiserver' } }, destination(2));
  const server = new ApiServer({ store, tls: certs, tokens: [token], logger });
  let url: string;
  try {
    ({ url } = await server.start({ host: o.host, port: o.port }));
  } catch (err) {
    await store.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${o.port} on ${o.host} is already in use: stop the process that holds it, or pass --port 0 to pick a free port`);
    }
    throw err;
  }
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, { server: url, caCertPem: certs.caCertPem, token });
  return {
    server,
    url,
    kubeconfigPath,
    async stop() {
      await server.stop();
      await store.close();
    },
  };
}

export async function up(o: UpOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const t0 = performance.now();
  const cp = await startControlPlane(o);
  const ms = Math.round(performance.now() - t0);
  const where = o.storage === 'sqlite' ? `sqlite, ${join(resolve(o.dataDir), 'keelson.db')}` : 'memory: objects are lost on exit';
  out.write(
    [
      `Keelson API server is up at ${cp.url} (${ms} ms; storage ${where})`,
      '',
      'Use it with kubectl:',
      `  export KUBECONFIG=${cp.kubeconfigPath}`,
      '  kubectl get namespaces',
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      out.write(`\n${signal}: stopping...\n`);
      cp.stop().then(
        () => {
          out.write('stopped\n');
          resolveStop();
        },
        (err) => {
          process.stderr.write(`error while stopping: ${String(err)}\n`);
          process.exitCode = 1;
          resolveStop();
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
