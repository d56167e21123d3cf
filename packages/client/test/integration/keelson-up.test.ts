// The client against the real `keelson up` (a child process, SQLite storage), with the kubeconfig
// it writes, merged through KUBECONFIG with a second file as kubectl would; kubectl and the
// client see each other's writes; a watch receives what kubectl does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '@keelson/apimachinery';
import { startKeelson, type Keelson } from '../../../cli/test/integration/harness.js';
import { Client } from '../../src/client.js';
import type { WatchEvent } from '../../src/types.js';

let k: Keelson;
let client: Client;
let dir: string;

before(async () => {
  k = await startKeelson();
  dir = mkdtempSync(join(tmpdir(), 'keelson-client-up-'));
  // A second file adds a context on the same cluster and user, with its own namespace, and
  // tries to redefine the cluster (the first file's definition must win).
  const extra = join(dir, 'extra');
  writeFileSync(
    extra,
    `
current-context: team
clusters: [{name: keelson, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: team, context: {cluster: keelson, user: keelson, namespace: team-ns}}]
`,
  );
  client = Client.fromKubeconfig({ env: { KUBECONFIG: [k.kubeconfig, extra].join(delimiter) }, context: 'team' });
});

after(async () => {
  client?.close();
  await k?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('KUBECONFIG merge: the context of the second file, the cluster of the first', async () => {
  assert.equal(client.config.host, k.url);
  assert.equal(client.namespace, 'team-ns');
  const v = await client.discovery.serverVersion();
  assert.equal(v.major, '1');
});

test('typed CRUD in the context namespace, and kubectl sees it', async () => {
  await client.coreV1.namespaces().create({ metadata: { name: client.namespace } });
  const cms = client.coreV1.configMaps(client.namespace);
  await cms.create({ metadata: { name: 'from-client' }, data: { who: 'client' } });
  const r = await k.kubectl(['get', 'configmap', 'from-client', '-n', 'team-ns', '-o', 'jsonpath={.data.who}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'client');
  await cms.patch('from-client', { data: { who: 'patched' } }, 'strategic');
  const r2 = await k.kubectl(['get', 'configmap', 'from-client', '-n', 'team-ns', '-o', 'jsonpath={.data.who}']);
  assert.equal(r2.stdout, 'patched');
  await cms.delete('from-client');
  await assert.rejects(cms.get('from-client'), (e: unknown) => isNotFound(e));
});

test('a watch receives what kubectl creates, changes and deletes', async () => {
  const cms = client.coreV1.configMaps(client.namespace);
  const rv = (await cms.list()).metadata.resourceVersion;
  const ac = new AbortController();
  const events: WatchEvent<ConfigMap>[] = [];
  const done = (async () => {
    try {
      for await (const e of cms.watch({ resourceVersion: rv, allowWatchBookmarks: true, signal: ac.signal })) if (e.type !== 'BOOKMARK') events.push(e);
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
  })();
  const run = async (args: string[]): Promise<void> => {
    const r = await k.kubectl(args);
    assert.equal(r.code, 0, r.stderr);
  };
  await run(['create', 'configmap', 'from-kubectl', '-n', 'team-ns', '--from-literal=a=1']);
  await run(['label', 'configmap', 'from-kubectl', '-n', 'team-ns', 'touched=yes']);
  await run(['delete', 'configmap', 'from-kubectl', '-n', 'team-ns']);
  const t0 = Date.now();
  while (events.length < 3 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  await done;
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata?.name, e.object.metadata?.labels?.touched]), [
    ['ADDED', 'from-kubectl', undefined],
    ['MODIFIED', 'from-kubectl', 'yes'],
    ['DELETED', 'from-kubectl', 'yes'],
  ]);
});

test('discovery and the RESTMapper agree with kubectl api-resources', async () => {
  const r = await k.kubectl(['api-resources', '--no-headers', '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  const fromKubectl = r.stdout.trim().split('\n').sort();
  const d = await client.discovery.serverGroupsAndResources();
  assert.equal(d.source, 'aggregated');
  const preferred = new Map(d.groups.map((g) => [g.name, g.preferredVersion]));
  const ours = d.resources
    .filter((x) => preferred.get(x.group) === x.version)
    .map((x) => (x.group ? `${x.resource}.${x.group}` : x.resource))
    .sort();
  assert.deepEqual(ours, fromKubectl);
  for (const arg of ['po', 'deploy', 'crd', 'leases.coordination.k8s.io', 'ev']) {
    const m = await client.restMapper.parseResourceArg(arg);
    assert.ok(fromKubectl.includes(m.gvr.group ? `${m.gvr.resource}.${m.gvr.group}` : m.gvr.resource), arg);
  }
});
