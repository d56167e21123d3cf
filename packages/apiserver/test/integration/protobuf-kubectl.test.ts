/**
 * decodeKubernetesProtobuf against what kubectl 1.32 really sends. A stub API server records
 * each request body; the oracle for the JSON shape is the same command with
 * `--dry-run=client -o json`, which prints the Go object kubectl built through encoding/json.
 * Bodies kubectl never sends (Node, Event, Lease, …) are built by a small encoder below.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { KUBERNETES_PROTOBUF_CONTENT_TYPE, ProtobufDecodeError, decodeKubernetesProtobuf, protobufKinds } from '../../src/protobuf/index.js';
import { formatDuration, formatTime } from '../../src/protobuf/go-json.js';
import { KIND_MESSAGES, MESSAGES } from '../../src/protobuf/schema.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

// ---------------------------------------------------------------------------------------------
// A stub API server: legacy discovery for the kinds under test, one Deployment to GET (for
// `kubectl expose`), and a 201 echo of every POST, decoded when it is protobuf.

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
}

const resource = (name: string, kind: string, namespaced: boolean) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
});

const WEB_DEPLOYMENT = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
  },
};

function stubApiServer(recorded: Recorded[]): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0];
      const contentType = req.headers['content-type'] ?? '';
      recorded.push({ method: req.method ?? '', url: req.url ?? '', contentType, body });
      const reply = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (path === '/api') return reply(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
      if (path === '/apis') {
        const apps = { groupVersion: 'apps/v1', version: 'v1' };
        return reply(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [apps], preferredVersion: apps }] });
      }
      if (path === '/api/v1') {
        return reply(200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            resource('namespaces', 'Namespace', false),
            resource('configmaps', 'ConfigMap', true),
            resource('secrets', 'Secret', true),
            resource('services', 'Service', true),
            resource('serviceaccounts', 'ServiceAccount', true),
            resource('pods', 'Pod', true),
          ],
        });
      }
      if (path === '/apis/apps/v1') return reply(200, { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [resource('deployments', 'Deployment', true)] });
      if (req.method === 'GET' && path === '/apis/apps/v1/namespaces/default/deployments/web') return reply(200, WEB_DEPLOYMENT);
      if (req.method === 'POST') {
        try {
          const obj = contentType === KUBERNETES_PROTOBUF_CONTENT_TYPE ? decodeKubernetesProtobuf(body) : JSON.parse(body.toString('utf8'));
          // `kubectl create token` prints status.token and fails without one.
          if (path.endsWith('/token')) obj.status.token = 'stub-token';
          return reply(201, obj);
        } catch (err) {
          return reply(415, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'UnsupportedMediaType', code: 415, message: String(err) });
        }
      }
      reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${req.method} ${path} is not stubbed` });
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl 1.32 is the first whose typed clients send protobuf; 1.31 sent these bodies as JSON. */
function kubectlSkipReason(): string | false {
  if (!existsSync(KUBECTL)) return `needs kubectl 1.32 or later at ${KUBECTL} ($KUBECTL)`;
  try {
    const v = JSON.parse(execFileSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion;
    return v.major === '1' && Number.parseInt(v.minor, 10) >= 32 ? false : `${KUBECTL} is ${v.gitVersion}, which sends JSON; needs 1.32 or later`;
  } catch (err) {
    return `${KUBECTL} did not report its version: ${String(err)}`;
  }
}

describe('kubectl 1.32 imperative commands', () => {
  const recorded: Recorded[] = [];
  let server: Server;
  let dir: string;

  before(async () => {
    // The test runner provides kubectl 1.32 (scripts/ensure-kubectl.mjs); without it this fails rather than skips.
    const missing = kubectlSkipReason();
    if (missing) throw new Error(missing);
    server = stubApiServer(recorded);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'keelson-protobuf-'));
    writeFileSync(
      join(dir, 'kubeconfig'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'stub', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'stub', user: {} }],
        contexts: [{ name: 'stub', context: { cluster: 'stub', user: 'stub', namespace: 'default' } }],
        'current-context': 'stub',
      }),
    );
    // Not UTF-8, so kubectl puts it under binaryData.
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x01, 0x7f]));
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
        { timeout: 60_000, env: { ...process.env, HOME: dir, KUBECONFIG: '' } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  /** Runs the command for real and returns its one POST, then the object `--dry-run=client -o json` prints. */
  async function sentAndOracle(args: string[]): Promise<{ post: Recorded; oracle: unknown; run: Run }> {
    const start = recorded.length;
    const run = await kubectl(args);
    assert.equal(run.code, 0, `kubectl ${args.join(' ')}: ${run.stderr}`);
    const posts = recorded.slice(start).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1, `one POST from kubectl ${args.join(' ')}`);
    // Flags go before `--`: what follows it is the container's command.
    const dash = args.includes('--') ? args.indexOf('--') : args.length;
    const flags = args.slice(0, dash).filter((a) => !a.startsWith('--dry-run'));
    const dry = await kubectl([...flags, '--dry-run=client', '-o', 'json', ...args.slice(dash)]);
    assert.equal(dry.code, 0, dry.stderr);
    return { post: posts[0], oracle: JSON.parse(dry.stdout), run };
  }

  async function assertProtobufMatches(args: string[], expected: { apiVersion: string; kind: string }): Promise<Recorded> {
    const { post, oracle } = await sentAndOracle(args);
    assert.equal(post.contentType, KUBERNETES_PROTOBUF_CONTENT_TYPE, `kubectl ${args.join(' ')} sends protobuf`);
    assert.deepEqual(decodeKubernetesProtobuf(post.body, expected), oracle);
    return post;
  }

  test('create namespace', async () => {
    await assertProtobufMatches(['create', 'namespace', 'ns1'], { apiVersion: 'v1', kind: 'Namespace' });
    const { post } = await sentAndOracle(['create', 'namespace', 'ns2']);
    // The exact shape, so a wrong oracle cannot hide a wrong decoder.
    assert.deepEqual(decodeKubernetesProtobuf(post.body), {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'ns2', creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  test('create configmap with a literal and a binary file', async () => {
    await assertProtobufMatches(['create', 'configmap', 'c1', '--from-literal=a=b', `--from-file=${join(dir, 'blob.bin')}`], { apiVersion: 'v1', kind: 'ConfigMap' });
    const { post } = await sentAndOracle(['create', 'configmap', 'c2', '--from-literal=a=b', `--from-file=${join(dir, 'blob.bin')}`]);
    const cm = decodeKubernetesProtobuf(post.body) as { data: unknown; binaryData: unknown };
    assert.deepEqual(cm.data, { a: 'b' });
    assert.deepEqual(cm.binaryData, { 'blob.bin': 'AP/+gAF/' });
  });

  test('create secret generic', async () => {
    await assertProtobufMatches(['create', 'secret', 'generic', 's1', '--from-literal=p=q', `--from-file=${join(dir, 'blob.bin')}`], { apiVersion: 'v1', kind: 'Secret' });
  });

  test('create deployment with replicas and a port', async () => {
    const post = await assertProtobufMatches(['create', 'deployment', 'web', '--image=nginx', '--replicas=3', '--port=80'], { apiVersion: 'apps/v1', kind: 'Deployment' });
    assert.match(post.url, /^\/apis\/apps\/v1\/namespaces\/default\/deployments\?/);
  });

  test('create deployment --dry-run=server sends the same protobuf with dryRun=All', async () => {
    const post = await assertProtobufMatches(['create', 'deployment', 'web2', '--image=nginx', '--dry-run=server'], { apiVersion: 'apps/v1', kind: 'Deployment' });
    assert.match(post.url, /[?&]dryRun=All(&|$)/);
  });

  test('create service clusterip', async () => {
    await assertProtobufMatches(['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080', '--tcp=443:https'], { apiVersion: 'v1', kind: 'Service' });
  });

  test('create serviceaccount', async () => {
    await assertProtobufMatches(['create', 'serviceaccount', 'sa1'], { apiVersion: 'v1', kind: 'ServiceAccount' });
  });

  test('create token sends a TokenRequest', async () => {
    const start = recorded.length;
    const run = await kubectl(['create', 'token', 'sa1', '--duration=10m', '--audience=api']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'stub-token');
    const post = recorded.slice(start).find((r) => r.method === 'POST')!;
    assert.equal(post.url, '/api/v1/namespaces/default/serviceaccounts/sa1/token');
    assert.equal(post.contentType, KUBERNETES_PROTOBUF_CONTENT_TYPE);
    // No dry-run to compare with: this is Go's JSON of authenticationv1.TokenRequest by its tags.
    assert.deepEqual(decodeKubernetesProtobuf(post.body), {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { audiences: ['api'], expirationSeconds: 600, boundObjectRef: null },
      status: { token: '', expirationTimestamp: null },
    });
  });

  // `kubectl run` and `kubectl expose` build their objects as unstructured and send JSON: no
  // protobuf decoding is needed, but the test pins that down so a kubectl change shows up here.
  test('run sends JSON, the object --dry-run=client prints', async () => {
    const { post, oracle } = await sentAndOracle(['run', 'p1', '--image=busybox', '--labels=a=b', '--env=X=1', '--', 'sleep', '10']);
    assert.equal(post.contentType, 'application/json');
    assert.deepEqual(JSON.parse(post.body.toString('utf8')), oracle);
  });

  test('expose deployment sends JSON, the object --dry-run=client prints', async () => {
    const { post, oracle } = await sentAndOracle(['expose', 'deployment', 'web', '--port', '80']);
    assert.equal(post.contentType, 'application/json');
    assert.deepEqual(JSON.parse(post.body.toString('utf8')), oracle);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-built bodies: a protobuf encoder just big enough for the tests.

type Value = number | bigint | boolean | string | Uint8Array | Field[];
type Field = readonly [number, Value];

function varint(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let b = Number(u & 0x7fn);
    u >>= 7n;
    if (u) b |= 0x80;
    out.push(b);
  } while (u);
  return out;
}

function encode(fields: readonly Field[]): Uint8Array {
  const out: number[] = [];
  for (const [no, v] of fields) {
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      out.push(...varint(BigInt(no) << 3n), ...varint(BigInt(typeof v === 'boolean' ? Number(v) : v)));
    } else {
      const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v instanceof Uint8Array ? v : encode(v);
      out.push(...varint((BigInt(no) << 3n) | 2n), ...varint(BigInt(bytes.length)), ...bytes);
    }
  }
  return Uint8Array.from(out);
}

/** `k8s\0` + runtime.Unknown{typeMeta, raw}. */
function body(apiVersion: string, kind: string, raw: readonly Field[], extra: readonly Field[] = []): Uint8Array {
  const typeMeta: Field[] = [];
  if (apiVersion) typeMeta.push([1, apiVersion]);
  if (kind) typeMeta.push([2, kind]);
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...encode([[1, typeMeta], [2, encode(raw)], ...extra])]);
}

const meta = (name: string, more: Field[] = []): Field => [1, [[1, name], ...more]];
const entry = (k: string, v: Value): Field[] => [[1, k], [2, v]];

function decodeError(b: Uint8Array, expected?: { apiVersion: string; kind: string }): ProtobufDecodeError {
  try {
    decodeKubernetesProtobuf(b, expected);
  } catch (err) {
    assert.ok(err instanceof ProtobufDecodeError, `a ProtobufDecodeError, not ${String(err)}`);
    return err;
  }
  assert.fail('decoded without an error');
}

describe('decodeKubernetesProtobuf', () => {
  test('lists the kinds it decodes', () => {
    const kinds = protobufKinds();
    for (const k of ['v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/Endpoints', 'v1/Pod', 'v1/ServiceAccount', 'v1/Node', 'v1/Event', 'apps/v1/Deployment', 'apps/v1/StatefulSet', 'apps/v1/ReplicaSet', 'apps/v1/DaemonSet', 'coordination.k8s.io/v1/Lease', 'discovery.k8s.io/v1/EndpointSlice', 'meta.k8s.io/v1/DeleteOptions', 'apps/v1/DeleteOptions']) {
      assert.ok(kinds.includes(k), k);
    }
  });

  test('a Deployment: pointers kept at zero, structs always written, IntOrString, inline probe handler, int64 and negative int32', () => {
    const container: Field[] = [
      [1, 'app'],
      [2, 'nginx'],
      [6, [[3, 80], [4, 'TCP']]],
      [6, [[3, 0]]],
      [10, [[1, [[2, [[1, '/healthz'], [2, [[1, 1], [3, 'http']]]]]]], [2, 5]]], // livenessProbe.handler.httpGet
      [15, [[1, []], [4, 1000n]]], // securityContext: capabilities{}, runAsUser
    ];
    const raw: Field[] = [
      meta('web', [[11, entry('b', 'x')], [11, entry('a', 'y')], [7, 2n ** 40n]]),
      [2, [
        [1, 0], // replicas: 0 is sent, so kept
        [2, [[1, entry('app', 'web')]]],
        [3, [[1, [[11, entry('app', 'web')]]], [2, [[2, container], [25, -1]]]]], // template: labels; containers, priority
        [4, [[2, [[1, [[1, 0], [2, 25]]], [2, [[1, 1], [3, '25%']]]]]]], // strategy.rollingUpdate
      ]],
    ];
    const obj = decodeKubernetesProtobuf(body('apps/v1', 'Deployment', raw));
    assert.deepEqual(obj, {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', generation: 2 ** 40, creationTimestamp: null, labels: { a: 'y', b: 'x' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'nginx',
                ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 0 }],
                resources: {},
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
                securityContext: { capabilities: {}, runAsUser: 1000 },
              },
            ],
            priority: -1,
          },
        },
        strategy: { rollingUpdate: { maxUnavailable: 25, maxSurge: '25%' } },
      },
      status: {},
    });
    assert.deepEqual(Object.keys(obj as object), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  });

  test('a Secret: bytes values as base64, a non-UTF-8 value intact', () => {
    const raw: Field[] = [meta('s'), [2, entry('k', Uint8Array.from([0xff, 0x00, 0x10]))], [2, entry('empty', new Uint8Array(0))], [3, 'Opaque'], [5, false]];
    assert.deepEqual(decodeKubernetesProtobuf(body('v1', 'Secret', raw)), {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's', creationTimestamp: null },
      immutable: false,
      data: { empty: '', k: '/wAQ' },
      type: 'Opaque',
    });
  });

  test('a Node: Quantity maps, non-omitempty strings, DaemonEndpoint.Port, the zero time and a set one', () => {
    const raw: Field[] = [
      meta('n1', [[8, [[1, 1700000000n]]]]),
      [2, [[1, '10.0.0.0/24'], [4, true]]],
      [3, [
        [1, entry('cpu', [[1, '4']])],
        [1, entry('memory', [[1, '8Gi']])],
        [4, [[1, 'Ready'], [2, 'True'], [3, [[1, 1700000000n]]], [4, []]]],
      ]],
    ];
    assert.deepEqual(decodeKubernetesProtobuf(body('v1', 'Node', raw)), {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { name: 'n1', creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: { podCIDR: '10.0.0.0/24', unschedulable: true },
      status: {
        capacity: { cpu: '4', memory: '8Gi' },
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2023-11-14T22:13:20Z', lastTransitionTime: null }],
        daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
        nodeInfo: {
          machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: '',
          kubeletVersion: '', kubeProxyVersion: '', operatingSystem: '', architecture: '',
        },
      },
    });
  });

  test('an Event: MicroTime with six digits, kept empty strings, an empty involvedObject', () => {
    const raw: Field[] = [meta('e1'), [4, 'hello'], [10, [[1, 1700000000n], [2, 123456789]]], [8, 3]];
    assert.deepEqual(decodeKubernetesProtobuf(body('v1', 'Event', raw)), {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name: 'e1', creationTimestamp: null },
      involvedObject: {},
      message: 'hello',
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      count: 3,
      eventTime: '2023-11-14T22:13:20.123456Z',
      reportingComponent: '',
      reportingInstance: '',
    });
  });

  test('a Lease with MicroTime pointers; an EndpointSlice with its non-omitempty lists', () => {
    const lease: Field[] = [meta('l'), [2, [[1, 'me'], [2, 15], [3, [[1, 0]]], [4, [[1, 1]]]]]];
    assert.deepEqual(decodeKubernetesProtobuf(body('coordination.k8s.io/v1', 'Lease', lease)), {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: { name: 'l', creationTimestamp: null },
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '1970-01-01T00:00:00.000000Z', renewTime: '1970-01-01T00:00:01.000000Z' },
    });
    const slice: Field[] = [meta('s'), [4, 'IPv4']];
    assert.deepEqual(decodeKubernetesProtobuf(body('discovery.k8s.io/v1', 'EndpointSlice', slice)), {
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { name: 's', creationTimestamp: null },
      addressType: 'IPv4',
      endpoints: null,
      ports: null,
    });
  });

  test('managedFields: FieldsV1 bytes become the JSON object; ownerReferences keep their required fields', () => {
    const fields = Buffer.from('{"f:data":{".":{},"f:a":{}}}');
    const raw: Field[] = [
      meta('c', [
        [13, [[5, 'v1'], [1, 'Deployment'], [3, 'web'], [4, 'uid-1'], [6, true]]],
        [17, [[1, 'kubectl'], [2, 'Update'], [3, 'v1'], [4, [[1, 1700000000n]]], [6, 'FieldsV1'], [7, [[1, fields]]]]],
      ]),
    ];
    const cm = decodeKubernetesProtobuf(body('v1', 'ConfigMap', raw)) as { metadata: unknown };
    assert.deepEqual(cm.metadata, {
      name: 'c',
      creationTimestamp: null,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Deployment', name: 'web', uid: 'uid-1', controller: true }],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } }],
    });
  });

  test('packed and unpacked repeated int64 both decode', () => {
    const packed = Uint8Array.from([...varint(1n), ...varint(2n), ...varint(3n)]);
    const raw: Field[] = [meta('p'), [2, [[14, [[4, 7n], [4, packed]]]]]]; // spec.securityContext.supplementalGroups
    const pod = decodeKubernetesProtobuf(body('v1', 'Pod', raw)) as { spec: unknown };
    assert.deepEqual(pod.spec, { containers: null, securityContext: { supplementalGroups: [7, 1, 2, 3] } });
  });

  test('DeleteOptions under any served group version, and an envelope without a type takes the expected one', () => {
    const raw: Field[] = [[1, 0n], [4, 'Foreground'], [5, 'All']];
    assert.deepEqual(decodeKubernetesProtobuf(body('apps/v1', 'DeleteOptions', raw), { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions' }), {
      kind: 'DeleteOptions',
      apiVersion: 'apps/v1',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
    assert.deepEqual(decodeKubernetesProtobuf(body('', '', [meta('x')]), { apiVersion: 'v1', kind: 'ServiceAccount' }), {
      kind: 'ServiceAccount',
      apiVersion: 'v1',
      metadata: { name: 'x', creationTimestamp: null },
    });
  });

  test('an unknown field is an error naming the field, the message and the fix', () => {
    const err = decodeError(body('v1', 'Pod', [meta('p'), [2, [[57, 'x']]]]));
    assert.equal(err.message, 'field 57 of k8s.io.api.core.v1.PodSpec (at spec) is not known to this server; send application/json');
    assert.equal(err.unsupported, true);
    const deep = decodeError(body('apps/v1', 'Deployment', [[2, [[3, [[2, [[2, [[1, 'c'], [99, 1]]]]]]]]]]));
    assert.match(deep.message, /^field 99 of k8s\.io\.api\.core\.v1\.Container \(at spec\.template\.spec\.containers\[0\]\) is not known/);
    assert.match(decodeError(body('v1', 'ConfigMap', [[2, [[1, 'k'], [3, 'v']]]])).message, /field 3 of a data map entry in k8s\.io\.api\.core\.v1\.ConfigMap/);
  });

  test('an unknown kind, a foreign body, a wrong wire type, a mismatch with the URL, and huge int64s are errors', () => {
    const kind = decodeError(body('apps/v1', 'Foo', []));
    assert.equal(kind.message, 'cannot decode protobuf for apps/v1 Foo: kind not known to this server; send application/json');
    assert.equal(kind.unsupported, true);
    const magic = decodeError(Buffer.from('{"kind":"Pod"}'));
    assert.match(magic.message, /does not start with the 4 bytes "k8s\\0"; send application\/json/);
    assert.equal(magic.unsupported, false);
    assert.match(decodeError(body('v1', 'Namespace', [[1, 5]])).message, /field 1 \(metadata\) of k8s\.io\.api\.core\.v1\.Namespace has wire type 0/);
    assert.match(decodeError(body('v1', 'Pod', [meta('p')]), { apiVersion: 'v1', kind: 'Service' }).message, /body holds v1 Pod, but this request takes v1 Service/);
    assert.match(decodeError(body('v1', 'Pod', [meta('p', [[7, 2n ** 60n]])])).message, /field 7 \(generation\) of k8s\.io\.apimachinery\.pkg\.apis\.meta\.v1\.ObjectMeta \(at metadata\) holds 1152921504606846976/);
    const truncated = body('v1', 'Namespace', [meta('ns')]).subarray(0, 12);
    assert.match(decodeError(truncated).message, /^malformed protobuf in the runtime\.Unknown envelope: /);
    assert.match(decodeError(body('v1', 'Pod', [meta('p')], [[3, 'gzip']])).message, /contentEncoding "gzip" is not known/);
    const overflow = decodeError(body('v1', 'Namespace', [[1, Uint8Array.from([0x38, ...new Array(9).fill(0xff), 0x02])]]));
    assert.match(overflow.message, /^malformed protobuf in v1 Namespace: varint overflows 64 bits/);
    assert.equal(overflow.unsupported, false);
    assert.match(decodeError(body('v1', 'Service', [[2, [[1, [[4, [[1, 5], [2, 1]]]]]]]])).message, /IntOrString \(at spec\.ports\[0\]\.targetPort\) has type 5/);
  });

  test('no message reaches itself, so decoding recursion is bounded by the schema, not the body', () => {
    const state = new Map<string, 'open' | 'done'>();
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      assert.notEqual(state.get(name), 'open', `cycle: ${[...path, name].join(' → ')}`);
      state.set(name, 'open');
      for (const [, , type] of MESSAGES[name]) {
        const t = /^map<[^,]+,(.+)>$/.exec(type)?.[1] ?? type;
        if (t.includes('.')) visit(t, [...path, name]);
      }
      state.set(name, 'done');
    };
    for (const m of new Set(Object.values(KIND_MESSAGES))) visit(m, []);
    assert.ok(state.size > 200);
  });
});

describe('Go JSON of apimachinery values', () => {
  test('Time and MicroTime', () => {
    assert.equal(formatTime(0, 0, false), '1970-01-01T00:00:00Z');
    assert.equal(formatTime(1700000000, 999_999_999, false), '2023-11-14T22:13:20Z');
    assert.equal(formatTime(1700000000, 5_000, true), '2023-11-14T22:13:20.000005Z');
    assert.equal(formatTime(-1, 1_500_000_000, true), '1970-01-01T00:00:00.500000Z');
    assert.equal(formatTime(-62135596800 + 1, 0, false), '0001-01-01T00:00:01Z');
    assert.equal(formatTime(253402300800, 0, false), undefined); // year 10000
  });

  test('Duration as time.Duration.String()', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '0s'], [1n, '1ns'], [1_100n, '1.1µs'], [2_200_000n, '2.2ms'], [1_000_000_000n, '1s'],
      [3_600_000_000_000n, '1h0m0s'], [90_500_000_000n, '1m30.5s'], [-5_000_000_000n, '-5s'],
      [-(2n ** 63n), '-2562047h47m16.854775808s'], [2n ** 63n - 1n, '2562047h47m16.854775807s'],
    ];
    for (const [ns, s] of cases) assert.equal(formatDuration(ns), s, String(ns));
  });
});
