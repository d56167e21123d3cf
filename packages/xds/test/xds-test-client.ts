// A spec-following xDS test client on plain @grpc/grpc-js, for protocol tests: it speaks
// SotW or Delta on the aggregated or a per-type service, with messages encoded and decoded by
// @grpc/proto-loader from the Envoy protos (not by the server's own codec), and lets a test
// send exactly the requests it wants and wait for each response.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireHere = createRequire(import.meta.url);
const deps = join(dirname(requireHere.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

const definition = protoLoader.loadSync(
  [
    'envoy/service/discovery/v3/ads.proto',
    'envoy/service/cluster/v3/cds.proto',
    'envoy/service/listener/v3/lds.proto',
    'envoy/config/cluster/v3/cluster.proto',
    'envoy/config/listener/v3/listener.proto',
    'envoy/config/route/v3/route.proto',
    'envoy/config/endpoint/v3/endpoint.proto',
  ],
  { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d)) },
);
const pkg = grpc.loadPackageDefinition(definition) as unknown as {
  envoy: {
    service: {
      discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } };
      cluster: { v3: { ClusterDiscoveryService: grpc.ServiceClientConstructor } };
      listener: { v3: { ListenerDiscoveryService: grpc.ServiceClientConstructor } };
    };
  };
};

export interface AnyMessage {
  type_url: string;
  value: Buffer;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
  control_plane: { identifier: string } | null;
}

export interface DeltaResource {
  name: string;
  version: string;
  resource: AnyMessage | null;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

export const NODE = (id: string): Record<string, unknown> => ({ id, cluster: 'protocol-test', locality: { zone: 'z' } });

/** One bidirectional stream; responses queue up until a test takes them. */
class TestStream<Res> {
  private readonly queue: Res[] = [];
  private waiters: ((r: Res) => void)[] = [];
  ended?: grpc.StatusObject;
  private endWaiters: ((s: grpc.StatusObject) => void)[] = [];

  constructor(readonly call: grpc.ClientDuplexStream<unknown, Res>) {
    call.on('data', (r: Res) => {
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    call.on('status', (s: grpc.StatusObject) => {
      this.ended = s;
      for (const w of this.endWaiters) w(s);
    });
    call.on('error', () => {});
  }

  send(req: Record<string, unknown>): void {
    this.call.write(req);
  }

  /** The next response (in arrival order). */
  next(timeoutMs = 5000): Promise<Res> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (x: Res): void => {
        clearTimeout(timer);
        resolve(x);
      };
      this.waiters.push(take);
    });
  }

  /** Responses received and not taken yet. */
  pending(): Res[] {
    return [...this.queue];
  }

  /** The stream's final status. */
  status(timeoutMs = 5000): Promise<grpc.StatusObject> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('stream did not end')), timeoutMs);
      this.endWaiters.push((s) => {
        clearTimeout(t);
        resolve(s);
      });
    });
  }

  close(): void {
    this.call.cancel();
  }
}

export class SotwTestStream extends TestStream<DiscoveryResponse> {}
export class DeltaTestStream extends TestStream<DeltaDiscoveryResponse> {}

export class XdsTestClient {
  private readonly ads: grpc.Client & Record<string, (...a: unknown[]) => unknown>;
  private readonly cds: grpc.Client & Record<string, (...a: unknown[]) => unknown>;
  private readonly lds: grpc.Client & Record<string, (...a: unknown[]) => unknown>;

  constructor(port: number) {
    const target = `127.0.0.1:${port}`;
    const creds = grpc.credentials.createInsecure();
    this.ads = new pkg.envoy.service.discovery.v3.AggregatedDiscoveryService(target, creds) as never;
    this.cds = new pkg.envoy.service.cluster.v3.ClusterDiscoveryService(target, creds) as never;
    this.lds = new pkg.envoy.service.listener.v3.ListenerDiscoveryService(target, creds) as never;
  }

  sotw(): SotwTestStream {
    return new SotwTestStream(this.ads.StreamAggregatedResources() as grpc.ClientDuplexStream<unknown, DiscoveryResponse>);
  }

  delta(): DeltaTestStream {
    return new DeltaTestStream(this.ads.DeltaAggregatedResources() as grpc.ClientDuplexStream<unknown, DeltaDiscoveryResponse>);
  }

  /** The per-type cluster service (Envoy without ADS). */
  clustersSotw(): SotwTestStream {
    return new SotwTestStream(this.cds.StreamClusters() as grpc.ClientDuplexStream<unknown, DiscoveryResponse>);
  }

  clustersDelta(): DeltaTestStream {
    return new DeltaTestStream(this.cds.DeltaClusters() as grpc.ClientDuplexStream<unknown, DeltaDiscoveryResponse>);
  }

  fetchListeners(req: Record<string, unknown>): Promise<DiscoveryResponse> {
    return new Promise((resolve, reject) => {
      (this.lds.FetchListeners as (r: unknown, cb: (e: grpc.ServiceError | null, v: DiscoveryResponse) => void) => void)(req, (err, v) => (err ? reject(err) : resolve(v)));
    });
  }

  close(): void {
    this.ads.close();
    this.cds.close();
    this.lds.close();
  }
}
