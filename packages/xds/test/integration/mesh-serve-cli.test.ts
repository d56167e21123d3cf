// `keelson xds serve` as users run it (the CLI from sources, a child process), with real
// @grpc/grpc-js-xds clients calling real gRPC backends: a mesh.yaml edited while it serves
// (a valid change moves the calls; an invalid one is logged with line:column and the calls
// stay), the debug endpoint, exit codes 0/1/2; and --kubeconfig against the real `keelson up`,
// where kubectl changes to a TrafficSplit steer the clients.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, startKeelson, type Keelson } from '../../../cli/test/integration/harness.js';
import { callEcho, eventually, startBackend, tally, untilServedBy, xdsEchoClient, type Backend, type EchoClient } from '../helpers.js';

const keelsonArgs = ['--conditions=keelson-source', '--import', 'tsx', join(repoRoot, 'packages/cli/src/bin/keelson.ts')];

interface Serve {
  proc: ChildProcess;
  port: number;
  debugUrl?: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `keelson xds serve ARGS` and waits for the line saying where it listens. */
async function startServe(args: string[]): Promise<Serve> {
  const proc = spawn(process.execPath, [...keelsonArgs, 'xds', 'serve', '--port', '0', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => {
    err += d;
    if (process.env.KEELSON_TEST_VERBOSE) process.stderr.write(d);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keelson xds serve did not start within 30 s\nstdout:\n${out}\nstderr:\n${err}`)), 30_000);
    proc.stdout!.on('data', () => {
      const m = /xDS server is up at 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`keelson xds serve exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
  return {
    proc,
    port,
    debugUrl: /Debug: (http:\/\/\S+?)\/debug\/xds\/clients/.exec(out)?.[1],
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

const meshYaml = (b: { v1: Backend; v2: Backend }, canary: string): string => `
services:
  - name: greeter
    versions:
      - name: v1
        endpoints: ["127.0.0.1:${b.v1.port}"]
      - name: v2
        endpoints: ["127.0.0.1:${b.v2.port}"]
    canary: ${canary}
`;

describe('keelson xds serve', () => {
  let v1: Backend;
  let v2: Backend;
  let dir: string;

  before(async () => {
    [v1, v2] = await Promise.all([startBackend('v1'), startBackend('v2')]);
    dir = mkdtempSync(join(tmpdir(), 'keelson-xds-serve-'));
  });
  after(async () => {
    await Promise.all([v1?.close(), v2?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--config: serves the file, follows valid edits, keeps the last good mesh on an invalid one', async () => {
    const file = join(dir, 'mesh.yaml');
    writeFileSync(file, meshYaml({ v1, v2 }, '{ version: v2, weight: 0, header: { name: x-canary, exact: "true" } }'));
    const serve = await startServe(['--config', file, '--debug-port', '0']);
    let client: EchoClient | undefined;
    try {
      assert.match(serve.stdout(), /serving .*mesh\.yaml: version [0-9a-f]{16}, 1 service \(greeter\)/);
      assert.match(serve.stdout(), /GRPC_XDS_BOOTSTRAP_CONFIG='\{"xds_servers":\[\{"server_uri":"127\.0\.0\.1:\d+"/);
      client = xdsEchoClient('greeter', serve.port, 'cli-file-client');
      await untilServedBy(client, 'v1');
      assert.equal(await callEcho(client, { 'x-canary': 'true' }), 'v2');

      writeFileSync(file, meshYaml({ v1, v2 }, '{ version: v2, weight: 100 }'));
      await eventually(async () => (await tally(client!, 50)).get('v2') === 50, 20_000, 'every call on v2 after the edit');

      // Invalid: logged with its line:column; the last good mesh keeps answering.
      writeFileSync(file, meshYaml({ v1, v2 }, '{ version: v3, weight: 100 }'));
      await eventually(() => /mesh\.yaml:9:24: services\[0\]\.canary\.version: \\"v3\\" is not a version of this service/.test(serve.stderr()), 20_000, 'the rejection in the log');
      assert.match(serve.stderr(), /mesh file rejected; the last good mesh stays/);
      assert.deepEqual([...(await tally(client, 50))], [['v2', 50]]);

      const metrics = await (await fetch(`${serve.debugUrl}/metrics`)).text();
      // At least: an in-place write read between truncate and write would add an "empty file" rejection.
      assert.match(metrics, /mesh_config_rejections_total\{source="file"\} [1-9]/);
      assert.match(metrics, /mesh_config_updates_total\{source="file"\} ([2-9]|\d\d)/);
      assert.match(metrics, /xds_server_connected_streams/, 'the xDS server\'s own metrics are there too');
      assert.match(metrics, /process_cpu_seconds_total/, 'and the process metrics');
      const clients = (await (await fetch(`${serve.debugUrl}/debug/xds/clients`)).json()) as { clients: Record<string, unknown> };
      assert.ok('cli-file-client' in clients.clients, JSON.stringify(clients).slice(0, 500));
    } finally {
      client?.close();
      const code = await serve.stop();
      assert.equal(code, 0, serve.stderr());
      assert.match(serve.stdout(), /SIGTERM: stopping\.\.\.\nstopped\n$/);
    }
  });

  it('exits 1 with every problem when the file is invalid at startup, and 2 on a usage mistake', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'services:\n  - name: greeter\n    versions: [{ name: v1, endpoints: ["localhost:1"] }]\n    routs: []\n');
    const bad = await run(process.execPath, [...keelsonArgs, 'xds', 'serve', '--config', file, '--port', '0'], { cwd: repoRoot });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /keelson: .*bad\.yaml is invalid \(2 problems\):/);
    assert.match(bad.stderr, /bad\.yaml:3:40: services\[0\]\.versions\[0\]\.endpoints\[0\]\.address: "localhost" is not an IP address/);
    assert.match(bad.stderr, /bad\.yaml:4:5: services\[0\]\.routs: unknown field "routs"; did you mean "routes"\?/);
    assert.equal(bad.stdout, '', 'nothing claims to be serving');

    const usage = await run(process.execPath, [...keelsonArgs, 'xds', 'serve', '--port', '0'], { cwd: repoRoot });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /nothing to serve: give --config mesh\.yaml, or --kubeconfig PATH/);
    const both = await run(process.execPath, [...keelsonArgs, 'xds', 'serve', '--config', file, '--kubeconfig', file], { cwd: repoRoot });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give --config or --kubeconfig, not both/);
  });

  describe('--kubeconfig against `keelson up`', () => {
    let k: Keelson;
    before(async () => {
      k = await startKeelson({ storage: 'memory' });
    });
    after(async () => {
      await k?.dispose();
    });

    it('installs the CRD, and kubectl changes to TrafficSplits and EndpointSlices steer the clients', async () => {
      const serve = await startServe(['--kubeconfig', k.kubeconfig, '--namespace', 'default', '--log-level', 'warn']);
      let client: EchoClient | undefined;
      const kubectl = async (args: string[], input?: string): Promise<void> => {
        const r = await k.kubectl(args, input === undefined ? undefined : { input });
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
      };
      try {
        assert.match(serve.stdout(), /serving namespace default of the cluster at https:\/\/127\.0\.0\.1:\d+: version [0-9a-f]{16}, 0 services/);
        const manifest = [
          ...['greeter-v1', 'greeter-v2'].map((s) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${s}, namespace: default }\nspec: { ports: [{ name: grpc, port: 50051 }] }`),
          ...[['greeter-v1', v1], ['greeter-v2', v2]].map(
            ([s, b]) =>
              `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: { name: ${s}-a, namespace: default, labels: { kubernetes.io/service-name: ${s} } }\naddressType: IPv4\nports: [{ name: grpc, port: ${(b as Backend).port} }]\nendpoints: [{ addresses: ["127.0.0.1"] }]`,
          ),
          'apiVersion: mesh.keelson.dev/v1alpha1\nkind: TrafficSplit\nmetadata: { name: greeter, namespace: default }\nspec: { service: greeter, backends: [{ service: greeter-v1, weight: 100 }, { service: greeter-v2, weight: 0 }] }',
        ];
        await kubectl(['apply', '-f', '-'], manifest.join('\n---\n'));
        client = xdsEchoClient('greeter', serve.port, 'cli-kube-client');
        await untilServedBy(client, 'v1', 20_000);
        await kubectl(['patch', 'ts', 'greeter', '--type=merge', '-p', '{"spec":{"backends":[{"service":"greeter-v1","weight":0},{"service":"greeter-v2","weight":100}]}}']);
        await eventually(async () => (await tally(client!, 50)).get('v2') === 50, 20_000, 'every call on v2 after kubectl patch');
        // The v2 EndpointSlice now points at v1's backend: the same route, other endpoints.
        await kubectl(['patch', 'endpointslice', 'greeter-v2-a', '--type=json', '-p', `[{"op":"replace","path":"/ports/0/port","value":${v1.port}}]`]);
        await eventually(async () => (await tally(client!, 50)).get('v1') === 50, 20_000, 'every call on the v1 backend after the EndpointSlice change');
      } finally {
        client?.close();
        const code = await serve.stop();
        assert.equal(code, 0, serve.stderr());
      }
    });
  });
});
