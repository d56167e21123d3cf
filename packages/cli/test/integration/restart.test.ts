// `keelson up` across restarts of the real CLI on one data dir: every acknowledged write is
// there again with the same uid and resourceVersion (after a clean SIGTERM stop and after a
// SIGKILL in the middle of a burst of writes), deleted objects stay gone, an object waiting on a
// finalizer keeps its deletionTimestamp, custom resources are served as soon as the server says
// it is up, the resourceVersion counter continues above every acknowledged one, and the old
// kubeconfig, token, CA and port keep working. Also the CLI's failures: a port in use (exit 1,
// naming the port and `--port 0`) and an invalid --storage (exit 2, usage).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlPath, repoRoot, run, startKeelson, type Keelson } from './harness.js';

interface Creds {
  url: string;
  token: string;
  ca: string;
}

interface Reply {
  status: number;
  json: any;
  text: string;
}

function credsOf(k: Keelson): Creds {
  return {
    url: k.url,
    token: readFileSync(join(k.dataDir, 'token'), 'utf8').trim(),
    ca: readFileSync(join(k.dataDir, 'pki', 'ca.crt'), 'utf8'),
  };
}

function request(c: Creds, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { Authorization: `Bearer ${c.token}` };
  if (payload !== undefined) {
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, c.url), { method, headers, ca: c.ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** What a client was told: the last acknowledged state of each object, or that it was deleted. */
type Ack = { path: string; uid: string; resourceVersion: string; deleted: boolean; object: any };

class Ledger {
  readonly acks = new Map<string, Ack>();
  /** Paths with a write whose answer was lost (the server died): either outcome is allowed. */
  readonly uncertain = new Set<string>();
  maxRv = 0;

  /** Records a 2xx answer carrying the object (create, update, patch, delete that waits on finalizers). */
  object(path: string, r: Reply, expected: number[] = [200, 201]): any {
    assert.ok(expected.includes(r.status), `${path}: HTTP ${r.status}: ${r.text}`);
    const o = r.json;
    this.acks.set(path, { path, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, deleted: false, object: o });
    this.maxRv = Math.max(this.maxRv, Number(o.metadata.resourceVersion));
    return o;
  }

  /** Records an acknowledged delete (the object is gone). */
  gone(path: string, r: Reply): void {
    assert.equal(r.status, 200, `${path}: HTTP ${r.status}: ${r.text}`);
    const prev = this.acks.get(path);
    this.acks.set(path, { path, uid: prev?.uid ?? '', resourceVersion: '', deleted: true, object: undefined });
    // A Status body carries no resourceVersion; an object body (custom resources) does.
    const rv = Number(r.json?.metadata?.resourceVersion ?? 0);
    if (rv) this.maxRv = Math.max(this.maxRv, rv);
  }

  /** Every acknowledged object is there with its uid and resourceVersion; every deleted one is gone. */
  async verify(c: Creds): Promise<void> {
    const problems: string[] = [];
    await Promise.all(
      [...this.acks.values()].map(async (a) => {
        const r = await request(c, 'GET', a.path);
        if (this.uncertain.has(a.path)) {
          if (r.status === 404) return;
          if (r.status !== 200) problems.push(`${a.path}: GET answers ${r.status}: ${r.text}`);
          else if (!a.deleted && (r.json.metadata.uid !== a.uid || Number(r.json.metadata.resourceVersion) < Number(a.resourceVersion))) {
            problems.push(`${a.path}: uid ${r.json.metadata.uid} rv ${r.json.metadata.resourceVersion}, acknowledged uid ${a.uid} rv ${a.resourceVersion}`);
          }
          return;
        }
        if (a.deleted) {
          if (r.status !== 404) problems.push(`${a.path}: deleted, but GET answers ${r.status}`);
          return;
        }
        if (r.status !== 200) {
          problems.push(`${a.path}: acknowledged (rv ${a.resourceVersion}), but GET answers ${r.status}: ${r.text}`);
          return;
        }
        const m = r.json.metadata;
        if (m.uid !== a.uid) problems.push(`${a.path}: uid ${m.uid}, acknowledged ${a.uid}`);
        if (m.resourceVersion !== a.resourceVersion) problems.push(`${a.path}: resourceVersion ${m.resourceVersion}, acknowledged ${a.resourceVersion}`);
      }),
    );
    assert.deepEqual(problems, []);
  }
}

const NS = 'restart';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const DEPLOY = `/apis/apps/v1/namespaces/${NS}/deployments`;
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const WIDGETS = `/apis/example.com/v1/namespaces/${NS}/widgets`;

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } },
              status: { type: 'object', properties: { ready: { type: 'boolean' } } },
            },
          },
        },
      },
    ],
  },
};

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
};

function captureOutput(k: Keelson): { out: () => string } {
  let out = '';
  k.proc.stdout!.on('data', (d) => (out += d));
  k.proc.stderr!.on('data', (d) => (out += d));
  return { out: () => out };
}

function exitOf(k: Keelson): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (k.proc.exitCode !== null || k.proc.signalCode !== null) return Promise.resolve({ code: k.proc.exitCode, signal: k.proc.signalCode });
  return new Promise((r) => k.proc.once('exit', (code, signal) => r({ code, signal })));
}

describe('keelson up across restarts', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keelson-restart-'));
  const scratch = mkdtempSync(join(tmpdir(), 'keelson-restart-scratch-'));
  const ledger = new Ledger();
  const running: Keelson[] = [];
  let firstPort = 0;
  let firstCreds: Creds;
  const oldKubeconfig = join(scratch, 'kubeconfig-from-first-start');

  after(async () => {
    for (const k of running) {
      if (k.proc.exitCode === null && k.proc.signalCode === null) await k.stop();
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('first start: writes of several kinds, then SIGTERM stops cleanly', async () => {
    const k = await startKeelson({ dataDir });
    running.push(k);
    const output = captureOutput(k);
    firstPort = Number(new URL(k.url).port);
    firstCreds = credsOf(k);
    copyFileSync(k.kubeconfig, oldKubeconfig);
    const c = firstCreds;

    ledger.object(`/api/v1/namespaces/${NS}`, await request(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
    for (let i = 1; i <= 5; i++) {
      ledger.object(`${CM}/cm-${i}`, await request(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } }));
    }
    // Updates: a PUT guarded by the resourceVersion, then a merge patch.
    const cm2 = ledger.acks.get(`${CM}/cm-2`)!.object;
    ledger.object(`${CM}/cm-2`, await request(c, 'PUT', `${CM}/cm-2`, { ...cm2, data: { i: '2', updated: 'once' } }));
    ledger.object(`${CM}/cm-2`, await request(c, 'PATCH', `${CM}/cm-2`, { data: { updated: 'twice' } }, 'application/merge-patch+json'));
    ledger.gone(`${CM}/cm-3`, await request(c, 'DELETE', `${CM}/cm-3`));

    ledger.object(`${DEPLOY}/web`, await request(c, 'POST', DEPLOY, deployment));
    ledger.object(`${DEPLOY}/web`, await request(c, 'PATCH', `${DEPLOY}/web`, { spec: { replicas: 3 } }, 'application/merge-patch+json'));

    const crd = await request(c, 'POST', CRDS, widgetCrd);
    ledger.object(`${CRDS}/widgets.example.com`, crd);
    for (const n of ['w-1', 'w-2', 'w-3']) {
      ledger.object(`${WIDGETS}/${n}`, await request(c, 'POST', WIDGETS, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: n }, spec: { size: 1 } }));
    }
    ledger.object(`${WIDGETS}/w-2`, await request(c, 'PATCH', `${WIDGETS}/w-2`, { spec: { size: 7 } }, 'application/merge-patch+json'));
    ledger.object(`${WIDGETS}/w-2`, await request(c, 'PATCH', `${WIDGETS}/w-2/status`, { status: { ready: true } }, 'application/merge-patch+json'));
    ledger.gone(`${WIDGETS}/w-3`, await request(c, 'DELETE', `${WIDGETS}/w-3`));

    // An object held by a finalizer: the delete is acknowledged with the object, now carrying a deletionTimestamp.
    ledger.object(`${CM}/held`, await request(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } }));
    const held = ledger.object(`${CM}/held`, await request(c, 'DELETE', `${CM}/held`), [200, 202]);
    assert.ok(held.metadata.deletionTimestamp, 'the delete waits on the finalizer');

    // The cluster-scoped bootstrap objects are acknowledged state too.
    ledger.object('/api/v1/namespaces/default', await request(c, 'GET', '/api/v1/namespaces/default'));

    // The kubeconfig works now (kubectl with it), to compare with after the restart.
    const got = await k.kubectl(['get', 'configmaps', '-n', NS, '-o', 'name']);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.stdout.trim().split('\n').sort(), ['configmap/cm-1', 'configmap/cm-2', 'configmap/cm-4', 'configmap/cm-5', 'configmap/held']);

    const code = await k.stop();
    assert.equal(code, 0, output.out());
    assert.match(output.out(), /SIGTERM: stopping\.\.\.\nstopped\n/);
  });

  test('restart on the same data dir and port: everything acknowledged is there, unchanged', async () => {
    const k = await startKeelson({ dataDir, port: firstPort });
    running.push(k);
    assert.equal(Number(new URL(k.url).port), firstPort, 'the old --port is reusable at once');
    const c = credsOf(k);
    assert.equal(c.token, firstCreds.token, 'the token is kept');
    assert.equal(c.ca, firstCreds.ca, 'the CA is kept');

    // Custom resources right after start, before anything else: the CRD is served again at once.
    const w1 = await request(firstCreds, 'GET', `${WIDGETS}/w-1`);
    assert.equal(w1.status, 200, w1.text);
    const list = await request(firstCreds, 'GET', WIDGETS);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.items.map((i: any) => i.metadata.name), ['w-1', 'w-2']);

    await ledger.verify(firstCreds);
    const w2 = (await request(c, 'GET', `${WIDGETS}/w-2`)).json;
    assert.deepEqual({ spec: w2.spec, status: w2.status }, { spec: { size: 7 }, status: { ready: true } });
    const cm2 = (await request(c, 'GET', `${CM}/cm-2`)).json;
    assert.deepEqual(cm2.data, { i: '2', updated: 'twice' });
    const held = (await request(c, 'GET', `${CM}/held`)).json;
    assert.ok(held.metadata.deletionTimestamp);
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold']);
    const web = (await request(c, 'GET', `${DEPLOY}/web`)).json;
    assert.equal(web.spec.replicas, 3);
    assert.equal(web.metadata.generation, 2);

    // The discovery documents name the custom resource again.
    const disco = await request(c, 'GET', '/apis/example.com/v1');
    assert.equal(disco.status, 200, disco.text);
    assert.ok(disco.json.resources.some((r: any) => r.name === 'widgets'));

    // The counter continues above every acknowledged resourceVersion.
    const fresh = await request(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-restart' } });
    assert.equal(fresh.status, 201, fresh.text);
    assert.ok(Number(fresh.json.metadata.resourceVersion) > ledger.maxRv, `rv ${fresh.json.metadata.resourceVersion} must be above ${ledger.maxRv}`);
    ledger.object(`${CM}/after-restart`, fresh);
    const listRv = Number((await request(c, 'GET', CM)).json.metadata.resourceVersion);
    assert.ok(listRv >= Number(fresh.json.metadata.resourceVersion));

    // kubectl with the kubeconfig written by the first start.
    const got = await run(kubectlPath, ['--kubeconfig', oldKubeconfig, '--cache-dir', join(scratch, 'cache'), 'get', 'widgets.example.com', '-n', NS, '-o', 'name']);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.stdout.trim().split('\n'), ['widget.example.com/w-1', 'widget.example.com/w-2']);
    const finalizer = await run(kubectlPath, ['--kubeconfig', oldKubeconfig, '--cache-dir', join(scratch, 'cache'), 'patch', 'configmap', 'held', '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.equal(finalizer.code, 0, finalizer.stderr);
    ledger.acks.set(`${CM}/held`, { path: `${CM}/held`, uid: '', resourceVersion: '', deleted: true, object: undefined });
    assert.equal((await request(c, 'GET', `${CM}/held`)).status, 404, 'the last finalizer gone, the object goes');
  });

  test('SIGKILL in the middle of a burst of writes: every acknowledged write survives', async (t) => {
    const k = running[running.length - 1];
    const c = credsOf(k);
    const total = 400;
    const concurrency = 16;
    const killAfter = 120;
    let acknowledged = 0;
    let next = 0;
    let killed = false;
    const failed: string[] = [];
    const exited = exitOf(k);

    const worker = async (): Promise<void> => {
      while (next < total && !killed) {
        const i = next++;
        const name = `burst-${String(i).padStart(4, '0')}`;
        let path = `${CM}/${name}`;
        try {
          // Creates, updates of earlier objects, and deletes, interleaved.
          let r: Reply;
          if (i % 5 === 3 && ledger.acks.has(`${CM}/burst-${String(i - 3).padStart(4, '0')}`)) {
            path = `${CM}/burst-${String(i - 3).padStart(4, '0')}`;
            r = await request(c, 'PATCH', path, { data: { updatedBy: String(i) } }, 'application/merge-patch+json');
            if (r.status === 200) ledger.object(path, r);
          } else if (i % 7 === 6 && (i - 6) % 5 !== 0 && ledger.acks.has(`${CM}/burst-${String(i - 6).padStart(4, '0')}`)) {
            path = `${CM}/burst-${String(i - 6).padStart(4, '0')}`;
            r = await request(c, 'DELETE', path);
            if (r.status === 200) ledger.gone(path, r);
          } else {
            r = await request(c, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
            if (r.status === 201) ledger.object(path, r);
          }
          if (r.status >= 200 && r.status < 300) acknowledged++;
          else failed.push(`${path}: ${r.status} ${r.text}`);
          if (acknowledged >= killAfter && !killed) {
            killed = true;
            k.proc.kill('SIGKILL');
          }
        } catch {
          // In flight when the process died: no answer, so no promise either way.
          ledger.uncertain.add(path);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    assert.deepEqual(failed, [], 'no write failed before the kill');
    assert.ok(killed, `the kill happened after ${killAfter} acknowledged writes (got ${acknowledged})`);
    const { signal } = await exited;
    assert.equal(signal, 'SIGKILL');
    t.diagnostic(`killed after ${acknowledged} acknowledged writes; ${ledger.uncertain.size} lost their answer; highest acknowledged rv ${ledger.maxRv}`);

    const k2 = await startKeelson({ dataDir, port: firstPort });
    running.push(k2);
    await ledger.verify(firstCreds);
    const c2 = credsOf(k2);
    const list = await request(c2, 'GET', CM);
    assert.equal(list.status, 200, list.text);
    for (const item of list.json.items) {
      const a = ledger.acks.get(`${CM}/${item.metadata.name}`);
      // An object that exists but was never acknowledged can only be one whose answer was lost in the kill.
      if (!a) assert.match(item.metadata.name, /^burst-/);
    }
    const fresh = await request(c2, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-crash' } });
    assert.equal(fresh.status, 201, fresh.text);
    assert.ok(Number(fresh.json.metadata.resourceVersion) > ledger.maxRv, `rv ${fresh.json.metadata.resourceVersion} must be above ${ledger.maxRv}`);
    const kc = await k2.kubectl(['get', 'widgets.example.com', '-n', NS, '-o', 'name']);
    assert.equal(kc.code, 0, kc.stderr);
  });

  test('a port in use: exit code 1, naming the port and --port 0', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dir = join(scratch, 'port-in-use');
    try {
      const r = await run(
        process.execPath,
        ['--conditions=keelson-source', '--import', 'tsx', join(repoRoot, 'packages/cli/src/bin/keelson.ts'), 'up', '--data-dir', dir, '--port', String(port)],
        { cwd: repoRoot, timeoutMs: 30_000 },
      );
      assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`port ${port}\\b.*already in use`));
      assert.match(r.stderr, /--port 0/);
      assert.doesNotMatch(r.stdout, /is up at/);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  test('an invalid --storage: exit code 2 with a usage message', async () => {
    const r = await run(
      process.execPath,
      ['--conditions=keelson-source', '--import', 'tsx', join(repoRoot, 'packages/cli/src/bin/keelson.ts'), 'up', '--data-dir', join(scratch, 'bad-storage'), '--storage', 'etcd'],
      { cwd: repoRoot, timeoutMs: 30_000 },
    );
    assert.equal(r.code, 2, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stderr, /--storage/);
    assert.match(r.stderr, /etcd/);
    assert.match(r.stderr, /sqlite, memory/);
    assert.match(r.stderr, /--help/);
    assert.doesNotMatch(r.stdout, /is up at/);
  });
});
