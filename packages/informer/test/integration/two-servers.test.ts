// The same informer against two independent servers at once (issue 3): two real `keelson up`
// processes, one KUBECONFIG naming both files, one Client and SharedInformerFactory per context
// in this one process. `keelson up` names its cluster, user and context "keelson" in every
// kubeconfig it writes, and kubectl's merge keeps the first file's entry for a name, so merged
// as written both contexts would reach the first server: the test checks that, then merges
// copies renamed by `kubectl config view` + JSON (keelson-a, keelson-b).
// Objects are made through kubectl on the merged KUBECONFIG (`--context`), different on each
// server plus one namesake (default/shared) on both. Each cache must equal its own server's
// list exactly (keys and resourceVersions, UIDs for the namesake) and hold nothing of the
// other's, after the initial sync and again after changes made on both servers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { GroupVersionResource } from '@keelson/apimachinery';
import { Client, loadKubeconfig } from '@keelson/client';
import { DeletedFinalStateUnknown, SharedInformerFactory, type KubeObject, type SharedIndexInformer } from '../../src/index.js';
import { kubectlPath, run, startKeelson, type Keelson } from '../../../cli/test/integration/harness.js';
import { eventually, newRegistry, silentLogger } from '../helpers.js';

const configmaps: GroupVersionResource = { group: '', version: 'v1', resource: 'configmaps' };

interface Side {
  context: string;
  server: Keelson;
  client: Client;
  informer: SharedIndexInformer<KubeObject>;
  /** What a handler of this informer was told: `add team-a/a1`, `update ...`, `delete ...`. */
  heard: Set<string>;
}

let dir: string;
let merged: string;
const sides: Side[] = [];
const servers: Keelson[] = [];
const stop = new AbortController();
const factories: SharedInformerFactory[] = [];

const keyOf = (o: KubeObject): string => `${o.metadata!.namespace}/${o.metadata!.name}`;
const byKey = (m: Iterable<[string, string]>): Record<string, string> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

/** kubectl on the merged KUBECONFIG (no --kubeconfig), against one of its contexts. */
async function kubectl(context: string, args: string[], input?: string): Promise<string> {
  const r = await run(kubectlPath, ['--context', context, '--cache-dir', join(dir, `cache-${context}`), ...args], { env: { KUBECONFIG: merged }, input });
  assert.equal(r.code, 0, `kubectl --context ${context} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The server's configmaps now, as key → resourceVersion, and key → uid. */
async function fresh(side: Side): Promise<{ rvs: Record<string, string>; uids: Map<string, string> }> {
  const list = await side.client.resource<KubeObject>(configmaps).list();
  return { rvs: byKey(list.items.map((o) => [keyOf(o), o.metadata!.resourceVersion!])), uids: new Map(list.items.map((o) => [keyOf(o), o.metadata!.uid!])) };
}

const cached = (side: Side): Record<string, string> => byKey(side.informer.getIndexer().list().map((o) => [keyOf(o), o.metadata!.resourceVersion!]));

/** Each cache equals its own server's list exactly; neither holds (or heard of) an object of the other. */
async function assertConverged(what: string): Promise<void> {
  const lists = await Promise.all(sides.map(fresh));
  for (const [i, side] of sides.entries()) {
    await eventually(
      () => assert.deepEqual(cached(side), lists[i].rvs, `${side.context}: cache vs. its server's list (${what})`),
      15_000,
      `${side.context} cache equal to its list (${what})`,
    );
    const otherUids = new Set(lists[1 - i].uids.values());
    for (const o of side.informer.getIndexer().list()) {
      assert.ok(!otherUids.has(o.metadata!.uid!), `${side.context} caches ${keyOf(o)} of the other server`);
      assert.equal(o.metadata!.uid, lists[i].uids.get(keyOf(o)), `${side.context}: ${keyOf(o)} is its own server's object`);
    }
    const foreign = side.context === 'keelson-a' ? 'team-b/' : 'team-a/';
    assert.deepEqual(
      [...side.heard].filter((h) => h.includes(` ${foreign}`)),
      [],
      `${side.context}'s handler heard of the other server's objects`,
    );
  }
}

const configMapsYaml = (ns: string, names: string[]): string =>
  [
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
    ...names.map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n  namespace: ${ns}\ndata:\n  v: "1"\n`),
  ].join('---\n');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keelson-two-servers-'));
  servers.push(...(await Promise.all([startKeelson(), startKeelson()])));
  const [a, b] = servers;
  assert.notEqual(a.url, b.url);

  // As written, both files name everything "keelson": merged, the first file's entries win.
  const asWritten = { KUBECONFIG: [a.kubeconfig, b.kubeconfig].join(delimiter) };
  assert.equal(loadKubeconfig({ env: asWritten, context: 'keelson', inCluster: false }).host, a.url);

  // Renamed copies: cluster, user and context of each file get the file's own name.
  const files: string[] = [];
  for (const [i, k] of servers.entries()) {
    const name = `keelson-${'ab'[i]}`;
    const view = await run(kubectlPath, ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', k.kubeconfig]);
    assert.equal(view.code, 0, view.stderr);
    const kc = JSON.parse(view.stdout) as {
      clusters: { name: string }[];
      users: { name: string }[];
      contexts: { name: string; context: { cluster: string; user: string } }[];
      'current-context': string;
    };
    for (const c of kc.clusters) c.name = name;
    for (const u of kc.users) u.name = name;
    for (const c of kc.contexts) Object.assign(c, { name, context: { ...c.context, cluster: name, user: name } });
    kc['current-context'] = name;
    const file = join(dir, `${name}.kubeconfig`);
    writeFileSync(file, JSON.stringify(kc, null, 2), { mode: 0o600 });
    files.push(file);
  }
  merged = files.join(delimiter);

  for (const [i, server] of servers.entries()) {
    const context = `keelson-${'ab'[i]}`;
    const client = Client.fromKubeconfig({ env: { KUBECONFIG: merged }, context, inCluster: false, qps: 0 });
    assert.equal(client.config.host, server.url, `${context} reaches its own server`);
    const factory = new SharedInformerFactory(client, { logger: silentLogger, registry: newRegistry() });
    factories.push(factory);
    sides.push({ context, server, client, informer: factory.forResource<KubeObject>(configmaps), heard: new Set() });
  }
});

after(async () => {
  stop.abort();
  await Promise.all(factories.map((f) => f.shutdown()));
  for (const s of sides) s.client.close();
  await Promise.all(servers.map((k) => k.dispose()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('one informer per server, two servers, one process', () => {
  it('each cache equals its own server exactly after the initial list, and converges after changes on both', async () => {
    const [a, b] = sides;
    await kubectl(a.context, ['apply', '-f', '-'], configMapsYaml('team-a', ['a1', 'a2', 'a3', 'a4']));
    await kubectl(b.context, ['apply', '-f', '-'], configMapsYaml('team-b', ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']));
    for (const s of sides) await kubectl(s.context, ['create', 'configmap', 'shared', '-n', 'default', `--from-literal=owner=${s.context}`]);

    for (const s of sides) {
      const heard = s.heard;
      s.informer.addEventHandler({
        onAdd: (o) => void heard.add(`add ${keyOf(o)}`),
        onUpdate: (_old, o) => void heard.add(`update ${keyOf(o)}`),
        onDelete: (o) => void heard.add(`delete ${o instanceof DeletedFinalStateUnknown ? o.key : keyOf(o)}`),
      });
    }
    await Promise.all(factories.map((f) => f.start(stop.signal)));
    for (const f of factories) assert.ok(await f.waitForCacheSync(stop.signal));

    await assertConverged('initial list');
    assert.equal(a.informer.getIndexer().getByKey('team-a/a1')?.metadata?.name, 'a1');
    assert.equal(a.informer.getIndexer().getByKey('team-b/b1'), undefined);
    assert.equal(b.informer.getIndexer().getByKey('team-b/b6')?.metadata?.name, 'b6');
    assert.equal(b.informer.getIndexer().getByKey('team-a/a1'), undefined);
    const sharedA = a.informer.getIndexer().getByKey('default/shared') as (KubeObject & { data?: Record<string, string> }) | undefined;
    const sharedB = b.informer.getIndexer().getByKey('default/shared') as (KubeObject & { data?: Record<string, string> }) | undefined;
    assert.equal(sharedA?.data?.owner, 'keelson-a');
    assert.equal(sharedB?.data?.owner, 'keelson-b');
    assert.notEqual(sharedA?.metadata?.uid, sharedB?.metadata?.uid);

    // Changes on both servers at once: updates, deletes, creates, and the namesake changed on B only.
    const sharedARv = sharedA!.metadata!.resourceVersion;
    await Promise.all([
      (async () => {
        await kubectl(a.context, ['patch', 'configmap', 'a1', '-n', 'team-a', '--type=merge', '-p', '{"data":{"v":"2"}}']);
        await kubectl(a.context, ['delete', 'configmap', 'a2', '-n', 'team-a']);
        await kubectl(a.context, ['create', 'configmap', 'a5', '-n', 'team-a', '--from-literal=v=1']);
      })(),
      (async () => {
        await kubectl(b.context, ['patch', 'configmap', 'b1', '-n', 'team-b', '--type=merge', '-p', '{"data":{"v":"2"}}']);
        await kubectl(b.context, ['delete', 'configmap', 'b2', 'b3', '-n', 'team-b']);
        await kubectl(b.context, ['create', 'configmap', 'b7', '-n', 'team-b', '--from-literal=v=1']);
        await kubectl(b.context, ['patch', 'configmap', 'shared', '-n', 'default', '--type=merge', '-p', '{"data":{"changed":"yes"}}']);
      })(),
    ]);

    await assertConverged('after changes on both');
    const ia = a.informer.getIndexer();
    const ib = b.informer.getIndexer();
    assert.equal((ia.getByKey('team-a/a1') as { data?: Record<string, string> } | undefined)?.data?.v, '2');
    assert.equal(ia.getByKey('team-a/a2'), undefined);
    assert.ok(ia.getByKey('team-a/a5'));
    assert.equal((ib.getByKey('team-b/b1') as { data?: Record<string, string> } | undefined)?.data?.v, '2');
    assert.equal(ib.getByKey('team-b/b2'), undefined);
    assert.equal(ib.getByKey('team-b/b3'), undefined);
    assert.ok(ib.getByKey('team-b/b7'));
    assert.equal(ia.getByKey('default/shared')?.metadata?.resourceVersion, sharedARv, "B's change to its namesake leaves A's untouched");
    assert.equal((ib.getByKey('default/shared') as { data?: Record<string, string> } | undefined)?.data?.changed, 'yes');
    for (const key of ['team-a/a2', 'team-b/b2', 'team-b/b3']) {
      const side = key.startsWith('team-a/') ? a : b;
      assert.ok(side.heard.has(`delete ${key}`), `${side.context} was told of the delete of ${key}`);
    }
  });
});
