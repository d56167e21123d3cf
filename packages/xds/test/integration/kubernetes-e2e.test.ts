// End to end: the real `keelson up` (a child process), the Kubernetes source and the ADS server
// (MeshControlPlane), real @grpc/grpc-js-xds clients calling real gRPC backends. Changing a
// TrafficSplit with kubectl (patch, apply) changes where the calls land; changing an
// EndpointSlice (a new address, an endpoint no longer ready) moves the traffic.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@keelson/client';
import { Registry } from 'prom-client';
import { startKeelson, type Keelson } from '../../../cli/test/integration/harness.js';
import { KubernetesMeshSource } from '../../src/mesh/kubernetes-source.js';
import { MeshControlPlane } from '../../src/mesh/mesh-control-plane.js';
import { installTrafficSplitCrd } from '../../src/mesh/install-crd.js';
import { callEcho, eventually, silentLogger, startBackend, tally, untilServedBy, xdsEchoClient, type Backend, type EchoClient } from '../helpers.js';

const service = (name: string): string => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  selector: { app: ${name} }
  ports: [{ name: grpc, port: 50051, protocol: TCP }]
`;
const slice = (name: string, svc: string, endpoints: { port: number; ready?: boolean }[]): string => `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}, namespace: default, labels: { kubernetes.io/service-name: ${svc} } }
addressType: IPv4
ports: [{ name: grpc, port: ${endpoints[0].port}, protocol: TCP }]
endpoints:
${endpoints.map((e) => `  - { addresses: ["127.0.0.1"], conditions: { ready: ${e.ready ?? true} } }`).join('\n')}
`;
const split = (v1: number, v2: number): string => `
apiVersion: mesh.keelson.dev/v1alpha1
kind: TrafficSplit
metadata: { name: greeter, namespace: default }
spec:
  service: greeter
  backends:
    - { service: greeter-v1, weight: ${v1} }
    - { service: greeter-v2, weight: ${v2} }
  matches:
    - { name: canary, headers: [{ name: x-canary, exact: "true" }], backend: greeter-v2 }
`;

/** Share of `n` calls each backend answered, once `accept` holds for a fresh tally (calls during the switch-over are not counted). */
async function settlesTo(client: EchoClient, what: string, accept: (counts: Map<string, number>) => boolean, n = 100, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  let last = new Map<string, number>();
  await eventually(async () => accept((last = await tally(client, n, headers))), 20_000, `${what} (last tally: ${JSON.stringify([...last])})`);
  return last;
}

describe('Kubernetes source end to end: kubectl on `keelson up` steers real gRPC clients', () => {
  let k: Keelson;
  let api: Client;
  let cp: MeshControlPlane;
  let client: EchoClient;
  const backends: Backend[] = [];

  before(async () => {
    k = await startKeelson({ storage: 'memory' });
    api = Client.fromKubeconfig({ path: k.kubeconfig, qps: 0 });
    const [v1, v2, v1b] = await Promise.all([startBackend('v1'), startBackend('v2'), startBackend('v1b')]);
    backends.push(v1, v2, v1b);
    await installTrafficSplitCrd(api);
    const manifests = [service('greeter-v1'), service('greeter-v2'), slice('greeter-v1-a', 'greeter-v1', [{ port: v1.port }]), slice('greeter-v2-a', 'greeter-v2', [{ port: v2.port }]), split(100, 0)];
    const r = await k.kubectl(['apply', '-f', '-'], { input: manifests.join('\n---\n') });
    assert.equal(r.code, 0, r.stderr);
    const registry = new Registry();
    cp = await MeshControlPlane.start({ source: new KubernetesMeshSource(api, { logger: silentLogger(), registry }), sourceName: 'the cluster', port: 0, registry, logger: silentLogger() });
    client = xdsEchoClient('greeter', cp.port, 'e2e-client');
  });

  after(async () => {
    client?.close();
    await cp?.stop();
    api?.close();
    await Promise.all(backends.map((b) => b.close()));
    await k?.dispose();
  });

  const kubectl = async (args: string[], input?: string): Promise<void> => {
    const r = await k.kubectl(args, input === undefined ? undefined : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  };

  it('routes by the TrafficSplit: weights to v1, the canary header to v2', async () => {
    await untilServedBy(client, 'v1');
    assert.deepEqual([...(await tally(client, 50))], [['v1', 50]]);
    for (let i = 0; i < 5; i++) assert.equal(await callEcho(client, { 'x-canary': 'true' }), 'v2');
  });

  it('kubectl patch of the weights moves every call to v2', async () => {
    await kubectl(['patch', 'trafficsplit', 'greeter', '--type=json', '-p', '[{"op":"replace","path":"/spec/backends/0/weight","value":0},{"op":"replace","path":"/spec/backends/1/weight","value":100}]']);
    await settlesTo(client, 'all calls on v2', (c) => c.get('v2') === 100);
  });

  it('kubectl apply of a 50/50 split spreads the calls over both', async () => {
    await kubectl(['apply', '-f', '-'], split(50, 50));
    // 200 calls at 50%: fewer than 40 on a side has a probability below 1e-17.
    const counts = await settlesTo(client, 'both versions answering', (c) => (c.get('v1') ?? 0) >= 40 && (c.get('v2') ?? 0) >= 40, 200);
    assert.equal((counts.get('v1') ?? 0) + (counts.get('v2') ?? 0), 200);
  });

  it('an EndpointSlice change moves v1 to another backend, and an endpoint no longer ready gets no calls', async () => {
    await kubectl(['apply', '-f', '-'], split(100, 0));
    await settlesTo(client, 'all calls on v1', (c) => c.get('v1') === 100);
    const [, , v1b] = backends;
    await kubectl(['patch', 'endpointslice', 'greeter-v1-a', '--type=json', '-p', `[{"op":"replace","path":"/ports/0/port","value":${v1b.port}}]`]);
    await settlesTo(client, 'all calls on the new v1 backend', (c) => c.get('v1b') === 100);
    // A second slice (one slice per port) adds the first v1 backend; then the second one stops
    // being ready. (Never all v1 endpoints unready at once: grpc-js-xds 1.14.1 then drops the
    // locality and leaks a 15-minute timer that keeps the test process alive after close.)
    await kubectl(['apply', '-f', '-'], slice('greeter-v1-b', 'greeter-v1', [{ port: backends[0].port }]));
    await settlesTo(client, 'calls on both v1 backends', (c) => (c.get('v1') ?? 0) > 0 && (c.get('v1b') ?? 0) > 0);
    await kubectl(['patch', 'endpointslice', 'greeter-v1-a', '--type=json', '-p', '[{"op":"replace","path":"/endpoints/0/conditions/ready","value":false}]']);
    await settlesTo(client, 'all calls on the ready v1 backend', (c) => c.get('v1') === 100);
    assert.ok(cp.servedMesh!.spec.services[0].versions[0].endpoints.some((e) => e.health === 'unhealthy'), 'the not-ready endpoint is in the mesh, marked unhealthy');
  });
});
