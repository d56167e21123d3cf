// Bad input over real HTTPS: every malformed, invalid or unauthorized request gets the Status
// kube-apiserver would send (kind Status, status Failure, reason, code, a message naming the
// problem, Content-Type application/json), nothing is stored, and the server keeps serving:
// after each case a good write succeeds, and watches opened at the start (on ConfigMaps and on a
// custom resource) have received no event for the rejected request and do receive the good one.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { startInProcess, type InProcessServer } from './in-process.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface RequestOptions {
  body?: unknown;
  /** Raw body text (or bytes), sent as is. */
  raw?: string | Buffer;
  contentType?: string;
  accept?: string;
  /** null: no Authorization header; a string: that token. Default: the server's token. */
  token?: string | null;
  /** Send the body with Transfer-Encoding: chunked and no Content-Length. */
  chunked?: boolean;
}

let srv: InProcessServer;

function request(method: string, path: string, o: RequestOptions = {}): Promise<Reply> {
  const u = new URL(path, srv.url);
  const payload = o.raw !== undefined ? o.raw : o.body !== undefined ? JSON.stringify(o.body) : undefined;
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? srv.token : o.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json';
  else if (o.contentType) headers['Content-Type'] = o.contentType;
  if (o.accept) headers.Accept = o.accept;
  if (payload !== undefined && !o.chunked) headers['Content-Length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = https.request(u, { method, headers, ca: srv.caCertPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413, 401) before it has read the whole body and then close: the
    // answer is what counts, a reset while still writing is not a failure of the test.
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return;
      reject(e);
    });
    if (payload !== undefined && o.chunked) {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
      const step = 64 * 1024;
      let i = 0;
      const pump = (): void => {
        while (i < buf.length) {
          const ok = req.write(buf.subarray(i, i + step));
          i += step;
          if (!ok) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else {
      req.end(payload);
    }
  });
}

interface StatusBody {
  kind: string;
  apiVersion: string;
  status: string;
  reason: string;
  code: number;
  message: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

/** Asserts a failure Status with this code and reason, and a message matching `message`. */
function expectStatus(r: Reply, code: number, reason: string, message: RegExp): StatusBody {
  assert.equal(r.status, code, `expected ${code} ${reason}, got ${r.status}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, 'a Status is application/json');
  const s = JSON.parse(r.text) as StatusBody;
  assert.equal(s.kind, 'Status');
  assert.equal(s.apiVersion, 'v1');
  assert.equal(s.status, 'Failure');
  assert.equal(s.reason, reason, r.text);
  assert.equal(s.code, code);
  assert.match(s.message, message);
  return s;
}

function causeFields(s: StatusBody): string[] {
  return (s.details?.causes ?? []).map((c) => c.field ?? '');
}

// ------------------------------------------------------------------ watches

interface WatchEventLine {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string } };
}

class Watch {
  readonly events: WatchEventLine[] = [];
  private seen = 0;
  private waiters: (() => void)[] = [];
  private req?: ReturnType<typeof https.request>;
  ended = false;

  open(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const u = new URL(path, srv.url);
      this.req = https.request(u, { method: 'GET', headers: { Authorization: `Bearer ${srv.token}` }, ca: srv.caCertPem, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          return;
        }
        resolve();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) this.events.push(JSON.parse(line) as WatchEventLine);
          }
          for (const w of this.waiters.splice(0)) w();
        });
        res.on('end', () => {
          this.ended = true;
          for (const w of this.waiters.splice(0)) w();
        });
      });
      this.req.on('error', (e) => {
        if (!this.ended) reject(e);
      });
      this.req.end();
    });
  }

  /** The events that arrived since the last call, once at least `n` are there (5 s at most). */
  async next(n: number): Promise<WatchEventLine[]> {
    const deadline = Date.now() + 5000;
    while (this.events.length - this.seen < n && !this.ended && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const out = this.events.slice(this.seen);
    this.seen = this.events.length;
    return out;
  }

  /** Forgets what arrived so far (a failed case must not fail the next one). */
  drain(): void {
    this.seen = this.events.length;
  }

  close(): void {
    this.ended = true;
    this.req?.destroy();
  }
}

// ------------------------------------------------------------------ fixtures

const NS = 'bad-input';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
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
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1 },
                  color: { type: 'string', enum: ['red', 'blue'] },
                  label: { type: 'string', maxLength: 5 },
                  tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
                },
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

const cm = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { k: 'v' },
  ...extra,
});

const widget = (name: string, spec: Record<string, unknown> = { size: 1 }): Record<string, unknown> => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name },
  spec,
});

let cmWatch: Watch;
let widgetWatch: Watch;
let goodCount = 0;

/**
 * The server still serves, and the watches saw nothing of what came before: a good ConfigMap
 * and a good Widget are created, and each watch's next events are exactly their ADDED events.
 * A case that made good writes itself passes their names as `expected`.
 */
async function stillServing(expected: { cms?: string[]; widgets?: string[] } = {}): Promise<void> {
  const n = ++goodCount;
  const cmName = `good-${n}`;
  const r1 = await request('POST', CM, { body: cm(cmName) });
  assert.equal(r1.status, 201, r1.text);
  const r2 = await request('POST', WIDGETS, { body: widget(`good-${n}`) });
  assert.equal(r2.status, 201, r2.text);
  const wantCms = [...(expected.cms ?? []), cmName];
  const wantWidgets = [...(expected.widgets ?? []), `good-${n}`];
  const gotCms = await cmWatch.next(wantCms.length);
  const gotWidgets = await widgetWatch.next(wantWidgets.length);
  assert.deepEqual(gotCms.map((e) => `${e.type} ${e.object.metadata?.name}`), wantCms.map((x) => (x.includes(' ') ? x : `ADDED ${x}`)));
  assert.deepEqual(gotWidgets.map((e) => `${e.type} ${e.object.metadata?.name}`), wantWidgets.map((x) => (x.includes(' ') ? x : `ADDED ${x}`)));
}

async function expectAbsent(path: string): Promise<void> {
  const r = await request('GET', path);
  assert.equal(r.status, 404, `${path} must not exist: ${r.text}`);
}

/** Every ConfigMap name in the namespace (to prove a rejected create left nothing behind). */
async function cmNames(): Promise<string[]> {
  const r = await request('GET', CM);
  assert.equal(r.status, 200, r.text);
  return (JSON.parse(r.text).items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
}

describe('bad input', () => {
  before(async () => {
    srv = await startInProcess();
    const ns = await request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
    assert.equal(ns.status, 201, ns.text);
    const crd = await request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: widgetCrd });
    assert.equal(crd.status, 201, crd.text);
    const existing = await request('POST', CM, { body: cm('existing') });
    assert.equal(existing.status, 201, existing.text);
    const w = await request('POST', WIDGETS, { body: widget('existing') });
    assert.equal(w.status, 201, w.text);
    const cmList = JSON.parse((await request('GET', CM)).text);
    const wList = JSON.parse((await request('GET', WIDGETS)).text);
    cmWatch = new Watch();
    widgetWatch = new Watch();
    await cmWatch.open(`${CM}?watch=true&resourceVersion=${cmList.metadata.resourceVersion}`);
    await widgetWatch.open(`${WIDGETS}?watch=true&resourceVersion=${wList.metadata.resourceVersion}`);
  });

  beforeEach(() => {
    cmWatch?.drain();
    widgetWatch?.drain();
  });

  after(async () => {
    cmWatch?.close();
    widgetWatch?.close();
    await srv?.stop();
  });

  test('malformed JSON: 400 BadRequest naming the position', async () => {
    const before = await cmNames();
    const r = await request('POST', CM, { raw: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"},"data":{"a":1,}}' });
    expectStatus(r, 400, 'BadRequest', /line 1, column \d+ \(offset \d+\)/);
    const truncated = await request('POST', CM, { raw: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"' });
    expectStatus(truncated, 400, 'BadRequest', /json parse error/);
    assert.deepEqual(await cmNames(), before);
    await stillServing();
  });

  test('a JSON array, string, number or null body: 400 BadRequest', async () => {
    for (const raw of ['[{"metadata":{"name":"arr"}}]', '"a string"', '42', 'null']) {
      const r = await request('POST', CM, { raw });
      expectStatus(r, 400, 'BadRequest', /must be a JSON object/);
    }
    const put = await request('PUT', `${CM}/existing`, { raw: '[1,2]' });
    expectStatus(put, 400, 'BadRequest', /must be a JSON object/);
    await expectAbsent(`${CM}/arr`);
    await stillServing();
  });

  test('metadata fields of the wrong JSON type: 400 BadRequest, nothing stored', async () => {
    const before = await cmNames();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 5 }, /cannot unmarshal number into Go struct field ObjectMeta\.metadata\.name of type string/],
      [{ name: 'typed-labels', labels: ['a'] }, /cannot unmarshal array into Go struct field ObjectMeta\.metadata\.labels of type map\[string\]string/],
      [{ name: 'typed-annotations', annotations: 'x' }, /metadata\.annotations of type map\[string\]string/],
      [{ name: 'typed-finalizers', finalizers: 'a/b' }, /metadata\.finalizers of type \[\]string/],
      [{ name: 'typed-owners', ownerReferences: {} }, /metadata\.ownerReferences/],
      [{ name: 'typed-ns', namespace: true }, /cannot unmarshal bool into Go struct field ObjectMeta\.metadata\.namespace/],
    ];
    for (const [metadata, message] of cases) {
      const r = await request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata } });
      expectStatus(r, 400, 'BadRequest', message);
      assert.match(JSON.parse(r.text).message, /^ConfigMap in version "v1" cannot be handled as a ConfigMap: json: /);
    }
    const w = await request('POST', WIDGETS, { body: { ...widget('typed'), metadata: { name: 'typed', labels: [] } } });
    expectStatus(w, 400, 'BadRequest', /^Widget in version "v1" cannot be handled as a Widget: .*metadata\.labels/);
    const metaArray = await request('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: [] } });
    expectStatus(metaArray, 400, 'BadRequest', /metadata must be an object/);
    assert.deepEqual(await cmNames(), before);
    await expectAbsent(`${WIDGETS}/typed`);
    await stillServing();
  });

  test('POST to an object path: 405 MethodNotAllowed, nothing created', async () => {
    const r = await request('POST', `${CM}/posted`, { body: cm('posted') });
    expectStatus(r, 405, 'MethodNotAllowed', /not supported on resources of kind "configmaps"/);
    await expectAbsent(`${CM}/posted`);
    const ns = await request('POST', '/api/v1/namespaces/posted-ns', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'posted-ns' } } });
    expectStatus(ns, 405, 'MethodNotAllowed', /./);
    await expectAbsent('/api/v1/namespaces/posted-ns');
    await stillServing();
  });

  test('a malformed escape in the path: 400 BadRequest, not 500', async () => {
    const r = await request('GET', `${CM}/%`);
    expectStatus(r, 400, 'BadRequest', /invalid URL escape/);
    const put = await request('PUT', `${CM}/a%zz`, { body: cm('a') });
    expectStatus(put, 400, 'BadRequest', /invalid URL escape/);
    await stillServing();
  });

  test('PUT carrying the uid of a deleted predecessor: 409 Conflict, the successor is untouched', async () => {
    const first = await request('POST', CM, { body: cm('reborn', { data: { gen: '1' } }) });
    assert.equal(first.status, 201, first.text);
    const old = JSON.parse(first.text);
    assert.equal((await request('DELETE', `${CM}/reborn`)).status, 200);
    const second = await request('POST', CM, { body: cm('reborn', { data: { gen: '2' } }) });
    assert.equal(second.status, 201, second.text);
    const successor = JSON.parse(second.text);
    // No resourceVersion (an unconditional update), but the old uid.
    const { resourceVersion: _rv, ...oldMeta } = old.metadata;
    const r = await request('PUT', `${CM}/reborn`, { body: { ...old, metadata: oldMeta, data: { gen: 'stale' } } });
    expectStatus(r, 409, 'Conflict', new RegExp(`^Operation cannot be fulfilled on configmaps "reborn": Precondition failed: UID in precondition: ${old.metadata.uid}, UID in object meta: ${successor.metadata.uid}$`));
    const after = JSON.parse((await request('GET', `${CM}/reborn`)).text);
    assert.deepEqual(after.data, { gen: '2' });
    assert.equal(after.metadata.resourceVersion, successor.metadata.resourceVersion);
    await stillServing({ cms: ['reborn', 'DELETED reborn', 'reborn'] });
  });

  test('an empty body: 400 BadRequest', async () => {
    const r = await request('POST', CM, { raw: '' });
    expectStatus(r, 400, 'BadRequest', /body is empty/);
    await stillServing();
  });

  test('wrong apiVersion for the URL: 400 BadRequest', async () => {
    const r = await request('POST', CM, { body: { ...cm('wrong-version'), apiVersion: 'apps/v1' } });
    expectStatus(r, 400, 'BadRequest', /the API version in the data \(apps\/v1\) does not match the expected API version \(v1\)/);
    const w = await request('POST', WIDGETS, { body: { ...widget('wrong-version'), apiVersion: 'example.com/v2' } });
    expectStatus(w, 400, 'BadRequest', /example\.com\/v2.*example\.com\/v1/);
    await expectAbsent(`${CM}/wrong-version`);
    await expectAbsent(`${WIDGETS}/wrong-version`);
    await stillServing();
  });

  test('wrong kind for the URL: 400 BadRequest', async () => {
    const r = await request('POST', CM, { body: { ...cm('wrong-kind'), kind: 'Secret' } });
    expectStatus(r, 400, 'BadRequest', /the kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)/);
    const put = await request('PUT', `${CM}/existing`, { body: { ...cm('existing'), kind: 'Pod' } });
    expectStatus(put, 400, 'BadRequest', /kind in the data \(Pod\)/);
    await expectAbsent(`${CM}/wrong-kind`);
    await stillServing();
  });

  test('namespace in the body differs from the URL: 400 BadRequest', async () => {
    const r = await request('POST', CM, { body: cm('other-ns', { metadata: { name: 'other-ns', namespace: 'default' } }) });
    expectStatus(r, 400, 'BadRequest', /the namespace of the provided object does not match the namespace sent on the request/);
    await expectAbsent(`${CM}/other-ns`);
    await expectAbsent('/api/v1/namespaces/default/configmaps/other-ns');
    await stillServing();
  });

  test('name in the body differs from the URL on PUT: 400 BadRequest', async () => {
    const cur = JSON.parse((await request('GET', `${CM}/existing`)).text);
    const r = await request('PUT', `${CM}/existing`, { body: { ...cur, metadata: { ...cur.metadata, name: 'renamed' }, data: { changed: 'yes' } } });
    expectStatus(r, 400, 'BadRequest', /the name of the object \(renamed\) does not match the name on the URL \(existing\)/);
    const after = JSON.parse((await request('GET', `${CM}/existing`)).text);
    assert.equal(after.metadata.resourceVersion, cur.metadata.resourceVersion);
    assert.deepEqual(after.data, cur.data);
    await expectAbsent(`${CM}/renamed`);
    await stillServing();
  });

  test('invalid names: 422 Invalid with a cause on metadata.name', async () => {
    const before = await cmNames();
    const cases: [unknown, RegExp][] = [
      ['Upper-Case', /metadata\.name: Invalid value: "Upper-Case": a lowercase RFC 1123 subdomain/],
      ['a'.repeat(254), /metadata\.name: Invalid value: .*must be no more than 253 characters/],
      ['..', /metadata\.name: Invalid value: "\.\."/],
      ['has space', /metadata\.name: Invalid value: "has space"/],
      ['', /metadata\.name: Required value: name or generateName is required/],
      [undefined, /metadata\.name: Required value: name or generateName is required/],
    ];
    for (const [name, message] of cases) {
      const body = cm('x');
      body.metadata = name === undefined ? {} : { name };
      const r = await request('POST', CM, { body });
      const s = expectStatus(r, 422, 'Invalid', message);
      assert.match(s.message, /^ConfigMap ".*" is invalid: /);
      assert.equal(s.details?.kind, 'ConfigMap');
      assert.ok(causeFields(s).includes('metadata.name'), r.text);
    }
    // A namespace name is a DNS label: dots are not allowed there (upstream's wording since 1.30).
    const ns = await request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } } });
    const nsStatus = expectStatus(ns, 422, 'Invalid', /^Namespace "a\.b" is invalid: metadata\.name: Invalid value: "a\.b": must not contain dots$/);
    assert.deepEqual(causeFields(nsStatus), ['metadata.name']);
    await expectAbsent('/api/v1/namespaces/a.b');
    assert.deepEqual(await cmNames(), before);
    await stillServing();
  });

  test('invalid label keys and values: 422 Invalid naming metadata.labels', async () => {
    const before = await cmNames();
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'bad key!': 'v' }, /metadata\.labels: Invalid value: "bad key!"/],
      [{ '-leading': 'v' }, /metadata\.labels: Invalid value: "-leading"/],
      [{ ok: 'x'.repeat(64) }, /metadata\.labels: Invalid value: "x+": must be no more than 63 characters/],
      [{ ok: 'bad value' }, /metadata\.labels: Invalid value: "bad value"/],
      [{ 'UPPER.example.com/x': 'v' }, /metadata\.labels: Invalid value: "UPPER\.example\.com\/x"/],
    ];
    for (const [labels, message] of cases) {
      const r = await request('POST', CM, { body: cm('labelled', { metadata: { name: 'labelled', labels } }) });
      const s = expectStatus(r, 422, 'Invalid', message);
      assert.ok(causeFields(s).includes('metadata.labels'), r.text);
    }
    // On update too: the stored object keeps its labels.
    const cur = JSON.parse((await request('GET', `${CM}/existing`)).text);
    const put = await request('PUT', `${CM}/existing`, { body: { ...cur, metadata: { ...cur.metadata, labels: { 'a/b/c': 'v' } } } });
    expectStatus(put, 422, 'Invalid', /metadata\.labels/);
    assert.equal(JSON.parse((await request('GET', `${CM}/existing`)).text).metadata.resourceVersion, cur.metadata.resourceVersion);
    assert.deepEqual(await cmNames(), before);
    await stillServing();
  });

  test('custom resource schema violations: 422 Invalid with every field path in details.causes', async () => {
    const r = await request('POST', WIDGETS, { body: widget('bad-widget', { size: 0, color: 'green', label: 'much too long', tags: ['a', 'b', 'c'] }) });
    const s = expectStatus(r, 422, 'Invalid', /^Widget\.example\.com "bad-widget" is invalid: \[/);
    const fields = causeFields(s);
    for (const f of ['spec.size', 'spec.color', 'spec.label', 'spec.tags']) assert.ok(fields.includes(f), `causes name ${f}: ${r.text}`);
    assert.equal(s.details?.group, 'example.com');
    assert.equal(s.details?.kind, 'Widget');
    const missing = await request('POST', WIDGETS, { body: widget('no-size', {}) });
    const ms = expectStatus(missing, 422, 'Invalid', /spec\.size: Required value/);
    assert.ok(causeFields(ms).includes('spec.size'));
    const wrongType = await request('POST', WIDGETS, { body: widget('wrong-type', { size: 'three' }) });
    expectStatus(wrongType, 422, 'Invalid', /spec\.size: Invalid value: "string": spec\.size in body must be of type integer/);
    for (const n of ['bad-widget', 'no-size', 'wrong-type']) await expectAbsent(`${WIDGETS}/${n}`);
    await stillServing();
  });

  test('unknown fields: Strict 400, Warn 201 with a Warning header, Ignore 201 without', async () => {
    const strict = await request('POST', `${CM}?fieldValidation=Strict`, { body: cm('strict', { bogus: 1 }) });
    expectStatus(strict, 400, 'BadRequest', /^strict decoding error: unknown field "bogus"$/);
    const strictCr = await request('POST', `${WIDGETS}?fieldValidation=Strict`, { body: widget('strict', { size: 1, bogus: true, extra: 'x' }) });
    expectStatus(strictCr, 400, 'BadRequest', /strict decoding error: .*unknown field "spec\.bogus"/);
    assert.match(JSON.parse(strictCr.text).message, /unknown field "spec\.extra"/);
    await expectAbsent(`${CM}/strict`);
    await expectAbsent(`${WIDGETS}/strict`);

    const warn = await request('POST', `${CM}?fieldValidation=Warn`, { body: cm('warned', { bogus: 1 }) });
    assert.equal(warn.status, 201, warn.text);
    assert.match(String(warn.headers.warning), /^299 - "unknown field \\"bogus\\""$/);
    assert.equal(JSON.parse(warn.text).bogus, undefined, 'the unknown field is dropped');
    const warnCr = await request('POST', WIDGETS, { body: widget('warned', { size: 1, bogus: true }) });
    assert.equal(warnCr.status, 201, warnCr.text);
    assert.match(String(warnCr.headers.warning), /unknown field \\"spec\.bogus\\"/, 'Warn is the default');

    const ignore = await request('POST', `${CM}?fieldValidation=Ignore`, { body: cm('ignored', { bogus: 1 }) });
    assert.equal(ignore.status, 201, ignore.text);
    assert.equal(ignore.headers.warning, undefined);
    const stored = JSON.parse((await request('GET', `${CM}/ignored`)).text);
    assert.equal(stored.bogus, undefined);

    const badMode = await request('POST', `${CM}?fieldValidation=Loud`, { body: cm('loud') });
    expectStatus(badMode, 422, 'Invalid', /fieldValidation: Unsupported value: "Loud"/);
    await expectAbsent(`${CM}/loud`);
    await stillServing({ cms: ['warned', 'ignored'], widgets: ['warned'] });
  });

  test('duplicate JSON keys with Strict: 400 naming the duplicate field path', async () => {
    const raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","labels":{"a":"1","a":"2"}},"data":{"k":"v"},"data":{"k":"w"}}';
    const r = await request('POST', `${CM}?fieldValidation=Strict`, { raw });
    const s = expectStatus(r, 400, 'BadRequest', /^strict decoding error: /);
    assert.match(s.message, /duplicate field "metadata\.labels\.a"/);
    assert.match(s.message, /duplicate field "data"/);
    await expectAbsent(`${CM}/dup`);
    const crRaw = '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"dup"},"spec":{"size":1,"size":2}}';
    const cr = await request('POST', `${WIDGETS}?fieldValidation=Strict`, { raw: crRaw });
    expectStatus(cr, 400, 'BadRequest', /duplicate field "spec\.size"/);
    await expectAbsent(`${WIDGETS}/dup`);
    await stillServing();
  });

  test('unknown resource, group or version: 404 NotFound', async () => {
    for (const path of [
      `/api/v1/namespaces/${NS}/frobnicators`,
      '/api/v1/frobnicators',
      '/api/v2/namespaces',
      '/apis/nope.example.com/v1/namespaces/x/things',
      '/apis/example.com/v9/namespaces/x/widgets',
      '/apis/apps/v1/namespaces/x/widgets',
      '/apis/nope.example.com/v1',
      '/apis/nope.example.com',
      '/definitely/not/an/api',
    ]) {
      const r = await request('GET', path);
      expectStatus(r, 404, 'NotFound', /the server could not find the requested resource/);
    }
    const post = await request('POST', `/api/v1/namespaces/${NS}/frobnicators`, { body: { apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'f' } } });
    expectStatus(post, 404, 'NotFound', /could not find the requested resource/);
    await stillServing();
  });

  test('a namespace that does not exist: 404 namespaces "x" not found', async () => {
    const r = await request('POST', '/api/v1/namespaces/no-such-ns/configmaps', { body: cm('orphan') });
    const s = expectStatus(r, 404, 'NotFound', /^namespaces "no-such-ns" not found$/);
    assert.equal(s.details?.kind, 'namespaces');
    assert.equal(s.details?.name, 'no-such-ns');
    const w = await request('POST', '/apis/example.com/v1/namespaces/no-such-ns/widgets', { body: widget('orphan') });
    expectStatus(w, 404, 'NotFound', /^namespaces "no-such-ns" not found$/);
    await expectAbsent('/api/v1/namespaces/no-such-ns/configmaps/orphan');
    await expectAbsent('/api/v1/namespaces/no-such-ns');
    await stillServing();
  });

  test('create into a terminating namespace: 403 Forbidden', async () => {
    const name = 'terminating-ns';
    const created = await request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, finalizers: ['example.com/hold'] } },
    });
    assert.equal(created.status, 201, created.text);
    const del = await request('DELETE', `/api/v1/namespaces/${name}`);
    assert.equal(del.status, 200, del.text);
    const r = await request('POST', `/api/v1/namespaces/${name}/configmaps`, { body: cm('late') });
    const s = expectStatus(r, 403, 'Forbidden', /unable to create new content in namespace terminating-ns because it is being terminated/);
    assert.equal(s.details?.causes?.[0]?.reason, 'NamespaceTerminating');
    const w = await request('POST', `/apis/example.com/v1/namespaces/${name}/widgets`, { body: widget('late') });
    expectStatus(w, 403, 'Forbidden', /being terminated/);
    await srv.server.settle();
    await expectAbsent(`/api/v1/namespaces/${name}/configmaps/late`);
    await expectAbsent(`/apis/example.com/v1/namespaces/${name}/widgets/late`);
    await stillServing();
  });

  test('a body over 3 MiB: 413 RequestEntityTooLarge, with Content-Length and chunked', async () => {
    const big = JSON.stringify(cm('huge', { data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } }));
    const r = await request('POST', CM, { raw: big });
    expectStatus(r, 413, 'RequestEntityTooLarge', /Request entity too large: limit is 3145728/);
    const chunked = await request('POST', CM, { raw: big, chunked: true });
    expectStatus(chunked, 413, 'RequestEntityTooLarge', /Request entity too large/);
    const put = await request('PUT', `${CM}/existing`, { raw: big, chunked: true });
    expectStatus(put, 413, 'RequestEntityTooLarge', /Request entity too large/);
    const patch = await request('PATCH', `${CM}/existing`, { raw: big, contentType: 'application/merge-patch+json' });
    expectStatus(patch, 413, 'RequestEntityTooLarge', /Request entity too large/);
    await expectAbsent(`${CM}/huge`);
    // Just under the limit is fine (and is not a ConfigMap's 1 MiB data limit case: use a widget-free check).
    await stillServing();
  });

  test('no token and a wrong token: 401 Unauthorized with a Status body', async () => {
    const none = await request('GET', CM, { token: null });
    expectStatus(none, 401, 'Unauthorized', /Unauthorized/);
    const wrong = await request('POST', CM, { token: 'not-the-token', body: cm('sneaky') });
    expectStatus(wrong, 401, 'Unauthorized', /Unauthorized/);
    const basic = await request('GET', CM, { token: null, contentType: undefined });
    expectStatus(basic, 401, 'Unauthorized', /Unauthorized/);
    await expectAbsent(`${CM}/sneaky`);
    await stillServing();
  });

  test('an unsupported Content-Type on create: 415 UnsupportedMediaType', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'application/merge-patch+json']) {
      const r = await request('POST', CM, { raw: JSON.stringify(cm('typed')), contentType });
      expectStatus(r, 415, 'UnsupportedMediaType', /the body of the request was in an unknown format - accepted media types include: application\/json/);
    }
    // Built-in kinds take Kubernetes protobuf (kubectl's typed clients send it): JSON labelled
    // as protobuf is a malformed body; custom resources have no protobuf form at all.
    const notProto = await request('POST', CM, { raw: JSON.stringify(cm('typed')), contentType: 'application/vnd.kubernetes.protobuf' });
    expectStatus(notProto, 400, 'BadRequest', /not application\/vnd\.kubernetes\.protobuf/);
    const crProto = await request('POST', WIDGETS, { raw: Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x00])]), contentType: 'application/vnd.kubernetes.protobuf' });
    expectStatus(crProto, 415, 'UnsupportedMediaType', /unknown format/);
    await expectAbsent(`${CM}/typed`);
    await expectAbsent(`${WIDGETS}/typed`);
    await stillServing();
  });

  test('strategic merge patch on a custom resource: 415; unknown patch type: 415', async () => {
    const before = JSON.parse((await request('GET', `${WIDGETS}/existing`)).text);
    const r = await request('PATCH', `${WIDGETS}/existing`, { raw: '{"spec":{"size":5}}', contentType: 'application/strategic-merge-patch+json' });
    expectStatus(r, 415, 'UnsupportedMediaType', /accepted media types include: application\/json-patch\+json, application\/merge-patch\+json/);
    const other = await request('PATCH', `${CM}/existing`, { raw: '{"data":{"k":"z"}}', contentType: 'application/json' });
    expectStatus(other, 415, 'UnsupportedMediaType', /unknown format/);
    const afterPatch = JSON.parse((await request('GET', `${WIDGETS}/existing`)).text);
    assert.equal(afterPatch.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(afterPatch.spec.size, 1);
    await stillServing();
  });

  test('an invalid JSON patch document: 400; a JSON patch whose op fails: 422', async () => {
    const before = JSON.parse((await request('GET', `${CM}/existing`)).text);
    const jp = 'application/json-patch+json';
    for (const raw of ['{"op":"add","path":"/data/x","value":"1"}', '[{"op":"frob","path":"/data/x"}]', '[{"op":"add","value":"1"}]', '[{"op":"add","path":"data/x","value":"1"}]', '[{"op":"add","path":"/data/x"}]', '[1,2]']) {
      const r = await request('PATCH', `${CM}/existing`, { raw, contentType: jp });
      expectStatus(r, 400, 'BadRequest', /./);
    }
    const broken = await request('PATCH', `${CM}/existing`, { raw: '[{"op":', contentType: jp });
    expectStatus(broken, 400, 'BadRequest', /json parse error/);
    const remove = await request('PATCH', `${CM}/existing`, { raw: '[{"op":"remove","path":"/data/missing"}]', contentType: jp });
    const rs = expectStatus(remove, 422, 'Invalid', /the server rejected our request due to an error in our request/);
    assert.match(JSON.stringify(rs.details?.causes ?? []), /missing/);
    const failedTest = await request('PATCH', `${CM}/existing`, { raw: '[{"op":"test","path":"/data/k","value":"nope"},{"op":"replace","path":"/data/k","value":"changed"}]', contentType: jp });
    expectStatus(failedTest, 422, 'Invalid', /the server rejected our request/);
    // A patch that produces an invalid object: the object's validation, 422.
    const invalid = await request('PATCH', `${CM}/existing`, { raw: '[{"op":"add","path":"/metadata/labels","value":{"bad key":"v"}}]', contentType: jp });
    expectStatus(invalid, 422, 'Invalid', /metadata\.labels/);
    const mergeArray = await request('PATCH', `${CM}/existing`, { raw: '[1]', contentType: 'application/merge-patch+json' });
    expectStatus(mergeArray, 400, 'BadRequest', /./);
    const after = JSON.parse((await request('GET', `${CM}/existing`)).text);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual(after.data, before.data);
    const missing = await request('PATCH', `${CM}/not-there`, { raw: '{"data":{"a":"b"}}', contentType: 'application/merge-patch+json' });
    expectStatus(missing, 404, 'NotFound', /^configmaps "not-there" not found$/);
    await expectAbsent(`${CM}/not-there`);
    await stillServing();
  });

  test('a stale resourceVersion on PUT: 409 Conflict with the upstream message', async () => {
    const cur = JSON.parse((await request('GET', `${CM}/existing`)).text);
    const upd = await request('PUT', `${CM}/existing`, { body: { ...cur, data: { k: 'v2' } } });
    assert.equal(upd.status, 200, upd.text);
    const fresh = JSON.parse(upd.text);
    const stale = await request('PUT', `${CM}/existing`, { body: { ...cur, data: { k: 'stale' } } });
    const s = expectStatus(
      stale,
      409,
      'Conflict',
      /^Operation cannot be fulfilled on configmaps "existing": the object has been modified; please apply your changes to the latest version and try again$/,
    );
    assert.deepEqual({ name: s.details?.name, kind: s.details?.kind }, { name: 'existing', kind: 'configmaps' });
    const patchStale = await request('PATCH', `${CM}/existing`, {
      raw: JSON.stringify({ metadata: { resourceVersion: cur.metadata.resourceVersion }, data: { k: 'stale' } }),
      contentType: 'application/merge-patch+json',
    });
    expectStatus(patchStale, 409, 'Conflict', /the object has been modified/);
    const after = JSON.parse((await request('GET', `${CM}/existing`)).text);
    assert.equal(after.metadata.resourceVersion, fresh.metadata.resourceVersion);
    assert.deepEqual(after.data, { k: 'v2' });
    await stillServing({ cms: ['MODIFIED existing'] });
  });

  test('create of an existing name: 409 AlreadyExists', async () => {
    const before = JSON.parse((await request('GET', `${CM}/existing`)).text);
    const r = await request('POST', CM, { body: cm('existing', { data: { k: 'overwrite' } }) });
    const s = expectStatus(r, 409, 'AlreadyExists', /^configmaps "existing" already exists$/);
    assert.deepEqual({ name: s.details?.name, kind: s.details?.kind }, { name: 'existing', kind: 'configmaps' });
    const w = await request('POST', WIDGETS, { body: widget('existing', { size: 9 }) });
    expectStatus(w, 409, 'AlreadyExists', /^widgets\.example\.com "existing" already exists$/);
    const after = JSON.parse((await request('GET', `${CM}/existing`)).text);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.metadata.uid, before.metadata.uid);
    await stillServing();
  });

  test('bad selectors: 400 BadRequest', async () => {
    for (const ls of ['a in (', 'a==b==c', '!', 'a in (b', 'Bad Key=v', 'a=b c']) {
      const r = await request('GET', `${CM}?labelSelector=${encodeURIComponent(ls)}`);
      expectStatus(r, 400, 'BadRequest', /./);
    }
    for (const fs of ['metadata.name', 'metadata.name~x', '=x']) {
      const r = await request('GET', `${CM}?fieldSelector=${encodeURIComponent(fs)}`);
      expectStatus(r, 400, 'BadRequest', /./);
    }
    const unsupported = await request('GET', `${CM}?fieldSelector=${encodeURIComponent('spec.foo=bar')}`);
    expectStatus(unsupported, 400, 'BadRequest', /^field label not supported: spec\.foo$/);
    const onWatch = await request('GET', `${CM}?watch=true&fieldSelector=${encodeURIComponent('status.phase=Running')}`);
    expectStatus(onWatch, 400, 'BadRequest', /^field label not supported: status\.phase$/);
    const onWidgets = await request('GET', `${WIDGETS}?fieldSelector=${encodeURIComponent('spec.size=1')}`);
    expectStatus(onWidgets, 400, 'BadRequest', /^field label not supported: spec\.size$/);
    await stillServing();
  });

  test('bad limit and continue: 400 BadRequest', async () => {
    for (const limit of ['abc', '1.5', '10x']) {
      const r = await request('GET', `${CM}?limit=${limit}`);
      expectStatus(r, 400, 'BadRequest', /limit/);
    }
    for (const token of ['garbage', Buffer.from('{"v":"meta.k8s.io/v1","rv":"x","start":"a"}').toString('base64url'), '%%%']) {
      const r = await request('GET', `${CM}?limit=1&continue=${encodeURIComponent(token)}`);
      expectStatus(r, 400, 'BadRequest', /continue key is not valid/);
    }
    const escape = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 0, start: '../../secrets/' })).toString('base64url');
    const r = await request('GET', `${CM}?limit=1&continue=${escape}`);
    expectStatus(r, 400, 'BadRequest', /continue key is not valid/);
    const badRv = await request('GET', `${CM}?resourceVersion=abc`);
    expectStatus(badRv, 400, 'BadRequest', /invalid resource version "abc"/);
    await stillServing();
  });

  // kube-apiserver validates ListOptions, CreateOptions and DeleteOptions and answers a bad
  // value with 422 Invalid on the options kind (`ListOptions.meta.k8s.io "" is invalid: ...`),
  // not 400 (k8s.io/apiserver handlers: errors.NewInvalid(GroupKind{meta.k8s.io, "ListOptions"})).
  test('resourceVersionMatch without resourceVersion: rejected as invalid ListOptions', async () => {
    const r = await request('GET', `${CM}?resourceVersionMatch=NotOlderThan`);
    const s = expectStatus(r, 422, 'Invalid', /^ListOptions\.meta\.k8s\.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided$/);
    assert.deepEqual({ group: s.details?.group, kind: s.details?.kind }, { group: 'meta.k8s.io', kind: 'ListOptions' });
    const bogus = await request('GET', `${CM}?resourceVersion=1&resourceVersionMatch=Bogus`);
    expectStatus(bogus, 422, 'Invalid', /resourceVersionMatch: Unsupported value: "Bogus"/);
    await stillServing();
  });

  test('dryRun=Bogus and propagationPolicy=Bogus: rejected as invalid options, nothing changes', async () => {
    const r = await request('POST', `${CM}?dryRun=Bogus`, { body: cm('dry') });
    const s = expectStatus(r, 422, 'Invalid', /^CreateOptions\.meta\.k8s\.io "" is invalid: dryRun: Unsupported value: "Bogus": supported values: "All"$/);
    assert.deepEqual(causeFields(s), ['dryRun']);
    await expectAbsent(`${CM}/dry`);
    const cur = JSON.parse((await request('GET', `${CM}/existing`)).text);
    const put = await request('PUT', `${CM}/existing?dryRun=Bogus`, { body: { ...cur, data: { k: 'dry' } } });
    expectStatus(put, 422, 'Invalid', /^UpdateOptions\.meta\.k8s\.io "" is invalid: dryRun: Unsupported value: "Bogus"/);
    const patch = await request('PATCH', `${CM}/existing?dryRun=Bogus`, { raw: '{"data":{"k":"dry"}}', contentType: 'application/merge-patch+json' });
    expectStatus(patch, 422, 'Invalid', /^PatchOptions\.meta\.k8s\.io "" is invalid: dryRun: Unsupported value: "Bogus"/);
    const del = await request('DELETE', `${CM}/existing?dryRun=Bogus`);
    expectStatus(del, 422, 'Invalid', /^DeleteOptions\.meta\.k8s\.io "" is invalid: dryRun: Unsupported value: "Bogus"/);
    const pp = await request('DELETE', `${CM}/existing?propagationPolicy=Bogus`);
    const pps = expectStatus(
      pp,
      422,
      'Invalid',
      /^DeleteOptions\.meta\.k8s\.io "" is invalid: propagationPolicy: Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan"$/,
    );
    assert.deepEqual(causeFields(pps), ['propagationPolicy']);
    const ppBody = await request('DELETE', `${CM}/existing`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Sideways' } });
    expectStatus(ppBody, 422, 'Invalid', /propagationPolicy: Unsupported value: "Sideways"/);
    const dc = await request('DELETE', `${CM}?propagationPolicy=Bogus`);
    expectStatus(dc, 422, 'Invalid', /propagationPolicy: Unsupported value: "Bogus"/);
    const after = JSON.parse((await request('GET', `${CM}/existing`)).text);
    assert.equal(after.metadata.resourceVersion, cur.metadata.resourceVersion);
    assert.ok((await cmNames()).includes('existing'));
    await stillServing();
  });

  test('watch sendInitialEvents=true without resourceVersionMatch=NotOlderThan: rejected, no stream', async () => {
    const r = await request('GET', `${CM}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true`);
    const s = expectStatus(r, 422, 'Invalid', /^ListOptions\.meta\.k8s\.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan$/);
    assert.equal(s.details?.kind, 'ListOptions');
    const exact = await request('GET', `${CM}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=Exact`);
    expectStatus(exact, 422, 'Invalid', /resourceVersionMatch/);
    const rvmOnly = await request('GET', `${CM}?watch=true&resourceVersionMatch=NotOlderThan`);
    expectStatus(rvmOnly, 422, 'Invalid', /resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/);
    await stillServing();
  });

  test('an Accept header nothing satisfies: 406 NotAcceptable, as JSON', async () => {
    for (const accept of ['application/xml', 'text/html', 'application/json;as=Frob;v=v1;g=meta.k8s.io', 'application/json;q=0']) {
      const r = await request('GET', `${CM}/existing`, { accept });
      expectStatus(r, 406, 'NotAcceptable', /only the following media types are accepted/);
    }
    const create = await request('POST', CM, { body: cm('not-acceptable'), accept: 'application/xml' });
    expectStatus(create, 406, 'NotAcceptable', /./);
    await expectAbsent(`${CM}/not-acceptable`);
    // A list of which one entry is acceptable is fine.
    const ok = await request('GET', `${CM}/existing`, { accept: 'application/xml, application/json' });
    assert.equal(ok.status, 200);
    await stillServing();
  });

  test('concurrent PUTs with the same resourceVersion: exactly one wins, the rest 409', async () => {
    const created = await request('POST', CM, { body: cm('contended') });
    assert.equal(created.status, 201, created.text);
    const base = JSON.parse(created.text);
    const N = 12;
    const replies = await Promise.all(
      Array.from({ length: N }, (_, i) => request('PUT', `${CM}/contended`, { body: { ...base, data: { writer: String(i) } } })),
    );
    const wins = replies.filter((r) => r.status === 200);
    const conflicts = replies.filter((r) => r.status === 409);
    assert.equal(wins.length, 1, replies.map((r) => r.status).join(','));
    assert.equal(conflicts.length, N - 1, replies.map((r) => r.status).join(','));
    for (const c of conflicts) expectStatus(c, 409, 'Conflict', /^Operation cannot be fulfilled on configmaps "contended": the object has been modified/);
    const winner = JSON.parse(wins[0].text);
    const stored = JSON.parse((await request('GET', `${CM}/contended`)).text);
    assert.deepEqual(stored.data, winner.data);
    assert.equal(stored.metadata.resourceVersion, winner.metadata.resourceVersion);
    await stillServing({ cms: ['contended', 'MODIFIED contended'] });
  });

  test('the watches stayed open through every case', () => {
    assert.equal(cmWatch.ended, false);
    assert.equal(widgetWatch.ended, false);
  });
});
