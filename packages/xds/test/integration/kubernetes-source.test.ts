// KubernetesMeshSource against a real Keelson API server (in-process, HTTPS, bearer token):
// the CRD installed by installTrafficSplitCrd and by kubectl from examples/, Services,
// EndpointSlices and TrafficSplits written through the API and through the real kubectl, and
// the MeshSpec the source emits following each change; an invalid TrafficSplit is reported
// while its service keeps its last good state.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Client } from '@keelson/client';
import { startInProcess, type InProcessServer } from '../../../apiserver/test/integration/in-process.js';
import { kubectlPath, run } from '../../../cli/test/integration/harness.js';
import { KubernetesMeshSource } from '../../src/mesh/kubernetes-source.js';
import { installTrafficSplitCrd } from '../../src/mesh/install-crd.js';
import { trafficSplitGvr, type TrafficSplit } from '../../src/mesh/traffic-split.js';
import { formatMeshError } from '../../src/mesh/errors.js';
import { MeshEvents, type UpdateEvent } from '../fixtures/mesh/mesh-events.js';

const here = dirname(fileURLToPath(import.meta.url));
const logger = pino({ level: process.env.KEELSON_LOG_LEVEL ?? 'silent' });

const serviceObj = (name: string, ns = 'default') => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { ports: [{ name: 'grpc', port: 50051, protocol: 'TCP' }], selector: { app: name } },
});
const sliceObj = (name: string, service: string, ips: string[], port = 8080, ns = 'default') => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: 'grpc', port, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});
const greeterSplit = (v1: number, v2: number): TrafficSplit => ({
  apiVersion: 'mesh.keelson.dev/v1alpha1',
  kind: 'TrafficSplit',
  metadata: { name: 'greeter', namespace: 'default' },
  spec: {
    service: 'greeter',
    backends: [{ service: 'greeter-v1', weight: v1 }, { service: 'greeter-v2', weight: v2 }],
    matches: [{ name: 'canary', headers: [{ name: 'x-canary', exact: 'true' }], backend: 'greeter-v2' }],
  },
});

const weights = (ev: UpdateEvent, service = 'greeter'): Record<string, number> =>
  Object.fromEntries(ev.spec.services.find((s) => s.name === service)?.routes.at(-1)?.destinations.map((d) => [d.version, d.weight]) ?? []);
const endpointsOf = (ev: UpdateEvent, version: string, service = 'greeter'): string[] =>
  (ev.spec.services.find((s) => s.name === service)?.versions.find((v) => v.name === version)?.endpoints ?? []).map((e) => `${e.address}:${e.port}:${e.health}`);

describe('KubernetesMeshSource against a Keelson API server', () => {
  let server: InProcessServer;
  let client: Client;
  let cacheDir: string;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await run(kubectlPath, ['--kubeconfig', server.kubeconfig, '--cache-dir', cacheDir, ...args], { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    server = await startInProcess();
    client = Client.fromKubeconfig({ path: server.kubeconfig, qps: 0 });
    cacheDir = mkdtempSync(join(tmpdir(), 'keelson-kubectl-cache-'));
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it('refuses to start without the TrafficSplit CRD, naming the fix', async () => {
    const source = new KubernetesMeshSource(client, { logger, registry: new Registry() });
    const stop = new AbortController();
    try {
      await assert.rejects(
        (async () => {
          for await (const _ of source.watch(stop.signal)) break;
        })(),
        /TrafficSplit CustomResourceDefinition \(trafficsplits\.mesh\.keelson\.dev\) is not installed.*installTrafficSplitCrd\(client\).*kubectl apply -f packages\/xds\/examples\/trafficsplit-crd\.yaml/,
      );
    } finally {
      stop.abort();
    }
  });

  it('installs the CRD (idempotently); the example CRD file applies over it; its schema refuses a negative weight', async () => {
    await installTrafficSplitCrd(client);
    await installTrafficSplitCrd(client); // again: idempotent
    const out = await kubectl(['apply', '--server-side', '--field-manager=keelson-xds', '-f', join(here, '../../examples/trafficsplit-crd.yaml')]);
    assert.match(out, /customresourcedefinition\.apiextensions\.k8s\.io\/trafficsplits\.mesh\.keelson\.dev serverside-applied/);
    // The schema refuses what it can: a negative weight.
    const bad = await run(kubectlPath, ['--kubeconfig', server.kubeconfig, '--cache-dir', cacheDir, 'apply', '-f', '-'], {
      input: JSON.stringify({ ...greeterSplit(1, 1), spec: { service: 'greeter', backends: [{ service: 'greeter-v1', weight: -1 }] } }),
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.backends\[0\]\.weight/);
  });

  it('follows TrafficSplits, Services and EndpointSlices written through the API and through kubectl', async () => {
    const registry = new Registry();
    const source = new KubernetesMeshSource(client, { logger, registry, namespace: 'default' });
    const stop = new AbortController();
    const events = new MeshEvents(source.watch(stop.signal));
    try {
      const empty = await events.update('the empty mesh once synced');
      assert.deepEqual(empty.spec, { services: [] });

      // The objects in an order that makes half-states possible: the split first.
      const splits = client.resource<TrafficSplit>(trafficSplitGvr, 'default');
      await splits.create(greeterSplit(90, 10));
      await client.coreV1.services('default').create(serviceObj('greeter-v1') as never);
      await client.coreV1.services('default').create(serviceObj('greeter-v2') as never);
      await client.discoveryV1.endpointSlices('default').create(sliceObj('greeter-v1-a', 'greeter-v1', ['10.0.0.1', '10.0.0.2']) as never);
      await client.discoveryV1.endpointSlices('default').create(sliceObj('greeter-v2-a', 'greeter-v2', ['10.0.0.3']) as never);
      const full = await events.until('greeter with both versions and their endpoints', (ev) => endpointsOf(ev, 'v1').length === 2 && endpointsOf(ev, 'v2').length === 1);
      assert.deepEqual(full.rejected, []);
      assert.match(await kubectl(['get', 'ts']), /^NAME\s+SERVICE\s+AGE\ngreeter\s+greeter\s+/);
      assert.deepEqual(full.spec.services, [
        {
          name: 'greeter',
          versions: [
            { name: 'v1', endpoints: [{ address: '10.0.0.1', port: 8080, health: 'healthy' }, { address: '10.0.0.2', port: 8080, health: 'healthy' }] },
            { name: 'v2', endpoints: [{ address: '10.0.0.3', port: 8080, health: 'healthy' }] },
          ],
          routes: [
            { name: 'canary', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 1 }] },
            { name: 'default', destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] },
          ],
        },
      ]);

      // kubectl patch of the weights.
      await kubectl(['patch', 'trafficsplit', 'greeter', '--type=json', '-p', '[{"op":"replace","path":"/spec/backends/0/weight","value":50},{"op":"replace","path":"/spec/backends/1/weight","value":50}]']);
      const patched = await events.until('the weights kubectl patched', (ev) => weights(ev).v1 === 50);
      assert.deepEqual(weights(patched), { v1: 50, v2: 50 });
      assert.notEqual(patched.version, full.version);

      // kubectl apply of the example file (weights 90/10 again).
      await kubectl(['apply', '-f', join(here, '../../examples/trafficsplit.yaml')]);
      assert.deepEqual(weights(await events.until('the applied example', (ev) => weights(ev).v1 === 90)), { v1: 90, v2: 10 });

      // An endpoint becomes not ready, another terminates: health follows the conditions.
      const slice = sliceObj('greeter-v1-a', 'greeter-v1', ['10.0.0.1', '10.0.0.2']);
      slice.endpoints[0].conditions = { ready: false } as never;
      (slice.endpoints[1] as { conditions: object }).conditions = { ready: false, serving: true, terminating: true };
      await client.discoveryV1.endpointSlices('default').apply(slice as never, { fieldManager: 'test', force: true });
      const health = await events.until('the new endpoint conditions', (ev) => endpointsOf(ev, 'v1')[0]?.endsWith('unhealthy'));
      assert.deepEqual(endpointsOf(health, 'v1'), ['10.0.0.1:8080:unhealthy', '10.0.0.2:8080:draining']);

      // An EndpointSlice changed through kubectl moves v2 to a new address.
      await kubectl(['patch', 'endpointslice', 'greeter-v2-a', '--type=json', '-p', '[{"op":"replace","path":"/endpoints/0/addresses/0","value":"10.0.0.9"}]']);
      assert.deepEqual(endpointsOf(await events.until('v2 at its new address', (ev) => endpointsOf(ev, 'v2')[0] === '10.0.0.9:8080:healthy'), 'v2'), ['10.0.0.9:8080:healthy']);

      const metrics = await registry.getSingleMetricAsString('mesh_config_updates_total');
      assert.match(metrics, /mesh_config_updates_total\{source="kubernetes"\} [1-9]/);
    } finally {
      stop.abort();
      await events.close();
    }
  });

  it('reports an invalid TrafficSplit and keeps its last good routing, with current endpoints', async () => {
    const source = new KubernetesMeshSource(client, { logger, registry: new Registry() });
    const stop = new AbortController();
    const events = new MeshEvents(source.watch(stop.signal));
    try {
      const start = await events.until('the mesh from the previous test', (ev) => ev.spec.services.length === 1);
      const before = weights(start);
      // Valid for the schema, not for the mesh: the canary rule names a Service that is no backend.
      await kubectl(['patch', 'trafficsplit', 'greeter', '--type=json', '-p', '[{"op":"replace","path":"/spec/matches/0/backend","value":"greeter-v3"},{"op":"replace","path":"/spec/backends/0/weight","value":1}]']);
      const rejected = await events.until('the rejection', (ev) => ev.rejected.length > 0);
      assert.deepEqual(rejected.rejected.map(formatMeshError), [
        `TrafficSplit default/greeter: spec.matches[0].backend: "greeter-v3" is not one of this TrafficSplit's backends (greeter-v1, greeter-v2); add it to spec.backends (weight 0 keeps it out of the split) or fix the name`,
        `TrafficSplit default/greeter: not applied; service "greeter" keeps the routes and weights of this TrafficSplit's last good version (with current endpoints) until it is fixed`,
      ]);
      assert.deepEqual(weights(rejected), before, 'the last good weights stay');

      // Endpoints still move while the TrafficSplit is invalid.
      await client.discoveryV1.endpointSlices('default').create(sliceObj('greeter-v2-b', 'greeter-v2', ['10.0.0.10']) as never);
      const moved = await events.until('the new v2 endpoint', (ev) => endpointsOf(ev, 'v2').includes('10.0.0.10:8080:healthy'));
      assert.equal(moved.rejected.length, 2);

      // Fixed: applied as written, nothing rejected.
      await kubectl(['patch', 'trafficsplit', 'greeter', '--type=json', '-p', '[{"op":"replace","path":"/spec/matches/0/backend","value":"greeter-v2"}]']);
      const fixed = await events.until('the fix', (ev) => ev.rejected.length === 0);
      assert.deepEqual(weights(fixed), { v1: 1, v2: 10 });
    } finally {
      stop.abort();
      await events.close();
    }
  });

  it('watches only its namespace when given one', async () => {
    await client.coreV1.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } } as never);
    await client.coreV1.services('team-a').create(serviceObj('billing', 'team-a') as never);
    await client.discoveryV1.endpointSlices('team-a').create(sliceObj('billing-a', 'billing', ['10.1.0.1'], 9000, 'team-a') as never);
    await client.resource<TrafficSplit>(trafficSplitGvr, 'team-a').create({
      apiVersion: 'mesh.keelson.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'billing', namespace: 'team-a' },
      spec: { service: 'billing', backends: [{ service: 'billing', weight: 1 }] },
    });
    const all = new KubernetesMeshSource(client, { logger, registry: new Registry() });
    const onlyTeamA = new KubernetesMeshSource(client, { logger, registry: new Registry(), namespace: 'team-a' });
    const stop = new AbortController();
    const allEvents = new MeshEvents(all.watch(stop.signal));
    const teamEvents = new MeshEvents(onlyTeamA.watch(stop.signal));
    try {
      const everything = await allEvents.until('both services', (ev) => ev.spec.services.length === 2);
      assert.deepEqual(everything.spec.services.map((s) => s.name), ['billing', 'greeter']);
      const team = await teamEvents.update('the team-a mesh');
      assert.deepEqual(team.spec.services.map((s) => `${s.name}:${s.versions.map((v) => `${v.name}=${v.endpoints.map((e) => `${e.address}:${e.port}`).join(',')}`).join(';')}`), ['billing:billing=10.1.0.1:9000']);
    } finally {
      stop.abort();
      await allEvents.close();
      await teamEvents.close();
    }
  });
});
