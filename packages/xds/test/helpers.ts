// Shared test helpers for packages/xds: real gRPC Echo backends, real @grpc/grpc-js-xds clients
// pointed at a control plane on loopback, a control plane (AdsServer + SnapshotCache) with its
// own metrics registry, polling, a silent logger. Integration tests of other parts of the
// package (config sources) import these too.
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { AdsServer, SnapshotCache, type AdsServerOptions, type Cache, type ServerCallbacks } from '../src/index.js';

xds.register();

const ECHO_PROTO = fileURLToPath(new URL('./fixtures/echo.proto', import.meta.url));
const echoPackage = grpc.loadPackageDefinition(protoLoader.loadSync(ECHO_PROTO, { keepCase: true })) as unknown as {
  keelson: { test: { Echo: grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition } } };
};
export const EchoService = echoPackage.keelson.test.Echo;

export function silentLogger(): Logger {
  return pino({ level: process.env.KEELSON_TEST_LOG_LEVEL ?? 'silent' });
}

/** Polls `check` until it returns true (or stops throwing), failing after `timeoutMs`. */
export async function eventually(check: () => boolean | void | Promise<boolean | void>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if ((await check()) !== false) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      if (last) throw last;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Backend {
  name: string;
  address: string;
  port: number;
  /** Calls this backend answered. */
  calls: number;
  /** When set, calls fail with this status instead. */
  failWith?: grpc.status;
  close(): Promise<void>;
}

/** A real gRPC server on 127.0.0.1 answering Echo with its own name. */
export async function startBackend(name: string): Promise<Backend> {
  const server = new grpc.Server();
  const backend: Backend = {
    name,
    address: '127.0.0.1',
    port: 0,
    calls: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  server.addService(EchoService.service, {
    Echo: (call: grpc.ServerUnaryCall<{ message: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (backend.failWith !== undefined) {
        callback({ code: backend.failWith, details: `${name} told to fail` });
        return;
      }
      backend.calls++;
      callback(null, { message: call.request.message, backend: name });
    },
  });
  backend.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  return backend;
}

/** A bootstrap (gRFC A27) pointing at a control plane on 127.0.0.1:port. */
export function xdsBootstrap(port: number, nodeId: string): string {
  return JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${port}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, cluster: 'keelson-test', locality: { zone: 'test' }, metadata: {} },
  });
}

export interface EchoClient extends grpc.Client {
  Echo(req: { message: string }, metadata: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply?: { message: string; backend: string }) => void): grpc.ClientUnaryCall;
}

/**
 * A real @grpc/grpc-js-xds client of `xds:///service`, its bootstrap passed as a channel option
 * so that several control planes can serve clients of one test process.
 */
export function xdsEchoClient(service: string, controlPlanePort: number, nodeId: string): EchoClient {
  return new EchoService(`xds:///${service}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': xdsBootstrap(controlPlanePort, nodeId),
  }) as unknown as EchoClient;
}

/** One Echo call; resolves to the name of the backend that answered. */
export function callEcho(client: EchoClient, headers: Record<string, string> = {}, deadlineMs = 10_000): Promise<string> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return new Promise((resolve, reject) => {
    client.Echo({ message: 'hi' }, md, { deadline: Date.now() + deadlineMs }, (err, reply) => (err ? reject(err) : resolve(reply!.backend)));
  });
}

/** `n` calls, `concurrency` at a time; counts per backend name (errors counted under "error: CODE"). */
export async function tally(client: EchoClient, n: number, headers: Record<string, string> = {}, concurrency = 20): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      let key: string;
      try {
        key = await callEcho(client, headers);
      } catch (err) {
        key = `error: ${grpc.status[(err as grpc.ServiceError).code] ?? String(err)}`;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return counts;
}

/** Calls until one reaches `backend` (or fails after timeoutMs). */
export async function untilServedBy(client: EchoClient, backend: string, timeoutMs = 15_000, headers: Record<string, string> = {}): Promise<void> {
  await eventually(async () => (await callEcho(client, headers).catch(() => '')) === backend, timeoutMs, `a call served by ${backend}`);
}

/** Counts stream opens and closes through the server callbacks. */
export class StreamCounter implements ServerCallbacks {
  opened = 0;
  closed = 0;
  nacks: { typeUrl: string; message: string; resources: string[] }[] = [];
  onStreamOpen(): void {
    this.opened++;
  }
  onStreamClosed(): void {
    this.closed++;
  }
  onDeltaStreamOpen(): void {
    this.opened++;
  }
  onDeltaStreamClosed(): void {
    this.closed++;
  }
  onNack(_id: number, _node: unknown, nack: { typeUrl: string; message: string; resources: string[] }): void {
    this.nacks.push({ typeUrl: nack.typeUrl, message: nack.message, resources: nack.resources });
  }
}

export interface ControlPlane {
  server: AdsServer;
  cache: Cache;
  registry: Registry;
  port: number;
  close(): Promise<void>;
}

/** An AdsServer on 127.0.0.1 (a free port unless given) serving `cache`, with its own registry. */
export async function startControlPlane(opts: { cache?: Cache; port?: number; callbacks?: ServerCallbacks; registry?: Registry } & Partial<AdsServerOptions> = {}): Promise<ControlPlane> {
  const registry = opts.registry ?? new Registry();
  const cache = opts.cache ?? new SnapshotCache({ logger: silentLogger() });
  const server = new AdsServer({ logger: silentLogger(), ...opts, cache, registry });
  const port = await server.listen(`127.0.0.1:${opts.port ?? 0}`);
  return { server, cache, registry, port, close: () => server.close() };
}

/** Value of a metric series in a registry (sum over series matching `labels`). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values
    .filter((v) => !(v as { metricName?: string }).metricName || (v as { metricName?: string }).metricName === name)
    .filter((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))
    .reduce((s, v) => s + v.value, 0);
}
