// Discovery parsing (aggregated v2 and the legacy walk, through a fake transport) and the
// RESTMapper over it: kind ↔ resource, short names, singulars, categories, preferred versions,
// kubectl's resource arguments, and the cached mapper's refresh on a miss.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '@keelson/apimachinery';
import { DiscoveryClient, type DiscoveryTransport } from '../src/discovery.js';
import { DeferredDiscoveryRESTMapper, NoKindMatchError, NoResourceMatchError, RESTMapper, isNoMatchError } from '../src/rest-mapper.js';
import type { HttpRequest, HttpResponse } from '../src/transport.js';
import { FakeClock, flush } from './fakes.js';

const AGG = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const res = (group: string, version: string, resource: string, kind: string, extra: Record<string, unknown> = {}) => ({
  resource,
  responseKind: { group, version, kind },
  scope: 'Namespaced',
  singularResource: kind.toLowerCase(),
  verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  ...extra,
});

function aggregatedDocs(extraGroups: unknown[] = []): { api: unknown; apis: unknown } {
  return {
    api: {
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      items: [
        {
          metadata: {},
          versions: [
            {
              version: 'v1',
              resources: [
                res('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'], subresources: [{ subresource: 'status' }, { subresource: 'log' }] }),
                res('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
                res('', 'v1', 'namespaces', 'Namespace', { scope: 'Cluster', shortNames: ['ns'] }),
                res('', 'v1', 'endpoints', 'Endpoints', { singularResource: 'endpoints', shortNames: ['ep'] }),
              ],
            },
          ],
        },
      ],
    },
    apis: {
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      items: [
        { metadata: { name: 'apps' }, versions: [{ version: 'v1', resources: [res('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'], categories: ['all'] })] }] },
        { metadata: { name: 'events.k8s.io' }, versions: [{ version: 'v1', resources: [res('events.k8s.io', 'v1', 'events', 'Event', { shortNames: ['ev'] })] }] },
        {
          metadata: { name: 'example.com' },
          versions: [
            { version: 'v2', resources: [res('example.com', 'v2', 'widgets', 'Widget', { shortNames: ['wd'], categories: ['all', 'toys'] })] },
            { version: 'v1', resources: [res('example.com', 'v1', 'widgets', 'Widget', { shortNames: ['wd'], categories: ['all', 'toys'] })] },
            { version: 'v1beta1', freshness: 'Stale', resources: [] },
          ],
        },
        ...extraGroups,
      ],
    },
  };
}

/** Answers GETs from a path → [content-type, body] table; counts requests. */
function fakeTransport(routes: () => Record<string, [string, unknown] | ApiError>): DiscoveryTransport & { calls: string[] } {
  const calls: string[] = [];
  const answer = (req: HttpRequest): HttpResponse => {
    calls.push(req.path);
    const r = routes()[req.path];
    if (!r) throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: `no ${req.path}` });
    if (r instanceof ApiError) throw r;
    return { status: 200, headers: { 'content-type': r[0] }, body: Buffer.from(JSON.stringify(r[1])) };
  };
  return {
    calls,
    request: async (req) => answer(req),
    requestJson: async <T>(req: HttpRequest) => JSON.parse(answer(req).body.toString()) as T,
  } as DiscoveryTransport & { calls: string[] };
}

describe('discovery', () => {
  test('aggregated: two requests, preferred version first, Stale versions reported', async () => {
    const docs = aggregatedDocs();
    const t = fakeTransport(() => ({ '/api': [AGG, docs.api], '/apis': [AGG, docs.apis] }));
    const d = await new DiscoveryClient(t).serverGroupsAndResources();
    assert.deepEqual(t.calls.sort(), ['/api', '/apis']);
    assert.equal(d.source, 'aggregated');
    assert.deepEqual(
      d.groups.map((g) => [g.name, g.preferredVersion, g.versions]),
      [
        ['', 'v1', ['v1']],
        ['apps', 'v1', ['v1']],
        ['events.k8s.io', 'v1', ['v1']],
        ['example.com', 'v2', ['v2', 'v1', 'v1beta1']],
      ],
    );
    const pods = d.resources.find((r) => r.resource === 'pods')!;
    assert.deepEqual(pods.subresources, ['status', 'log']);
    assert.equal(pods.namespaced, true);
    assert.equal(d.resources.find((r) => r.resource === 'namespaces')!.namespaced, false);
    assert.deepEqual([...d.failedGroups.keys()], ['example.com/v1beta1']);
  });

  test('legacy: /api, /apis, then each group-version; subresources folded; a failing group-version reported', async () => {
    const t = fakeTransport(() => ({
      '/api': ['application/json', { kind: 'APIVersions', versions: ['v1'] }],
      '/apis': [
        'application/json',
        {
          kind: 'APIGroupList',
          groups: [
            { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } },
            { name: 'metrics.k8s.io', versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }] },
          ],
        },
      ],
      '/api/v1': [
        'application/json',
        {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'], shortNames: ['po'], categories: ['all'] },
            { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
            { name: 'nodes', singularName: '', namespaced: false, kind: 'Node', verbs: ['get'] },
          ],
        },
      ],
      '/apis/apps/v1': ['application/json', { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get'] }] }],
      '/apis/metrics.k8s.io/v1beta1': new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' }),
    }));
    const d = await new DiscoveryClient(t).serverGroupsAndResources();
    assert.equal(d.source, 'legacy');
    assert.deepEqual(
      d.resources.map((r) => `${r.group}/${r.version}/${r.resource}:${r.singular}:${r.subresources.join('+')}`),
      ['/v1/pods:pod:status', '/v1/nodes:node:', 'apps/v1/deployments:deployment:'],
    );
    assert.match(d.failedGroups.get('metrics.k8s.io/v1beta1')!, /unable to handle/);
  });
});

describe('RESTMapper', () => {
  async function mapper(): Promise<RESTMapper> {
    const docs = aggregatedDocs();
    return new RESTMapper(await new DiscoveryClient(fakeTransport(() => ({ '/api': [AGG, docs.api], '/apis': [AGG, docs.apis] }))).serverGroupsAndResources());
  }

  test('kind → resource at the preferred version, or at a given one', async () => {
    const m = await mapper();
    const d = m.restMapping({ group: 'apps', kind: 'Deployment' });
    assert.deepEqual(d.gvr, { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.equal(d.scope, 'Namespaced');
    assert.deepEqual(m.restMapping({ group: 'example.com', kind: 'Widget' }).gvr.version, 'v2');
    assert.deepEqual(m.restMapping({ group: 'example.com', kind: 'Widget' }, 'v1').gvr, { group: 'example.com', version: 'v1', resource: 'widgets' });
    assert.deepEqual(
      m.restMappings({ group: 'example.com', kind: 'Widget' }).map((x) => x.gvk.version),
      ['v2', 'v1'],
    );
    assert.equal(m.restMapping({ group: '', kind: 'Namespace' }).scope, 'Cluster');
    assert.equal(m.restMapping({ group: 'apps', kind: 'deployment' }).gvr.resource, 'deployments', 'case-insensitive as a fallback');
    assert.throws(() => m.restMapping({ group: 'example.com', kind: 'Gadget' }), (e: unknown) => e instanceof NoKindMatchError && /no matches for kind "Gadget" in group "example.com"; is its CustomResourceDefinition installed/.test(e.message));
    assert.throws(() => m.restMapping({ group: 'apps', kind: 'Deployment' }, 'v1beta2'), /in version "apps\/v1beta2"/);
  });

  test('resource → kind by plural, singular, short name and kind; core wins over other groups', async () => {
    const m = await mapper();
    for (const name of ['pods', 'pod', 'po', 'Pod', 'PODS']) assert.deepEqual(m.kindFor({ resource: name }), { group: '', version: 'v1', kind: 'Pod' }, name);
    assert.deepEqual(m.resourceFor({ resource: 'deploy' }), { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.deepEqual(m.resourceFor({ resource: 'events' }), { group: '', version: 'v1', resource: 'events' }, 'core first, as kubectl');
    assert.deepEqual(m.resourceFor({ resource: 'ev', group: 'events.k8s.io' }), { group: 'events.k8s.io', version: 'v1', resource: 'events' });
    assert.deepEqual(m.resourceFor({ resource: 'wd' }), { group: 'example.com', version: 'v2', resource: 'widgets' }, 'preferred version');
    assert.deepEqual(m.resourceFor({ resource: 'widget', version: 'v1' }).version, 'v1');
    assert.equal(m.resourceSingularizer('endpoints'), 'endpoints');
    assert.equal(m.resourceSingularizer('pods'), 'pod');
    assert.deepEqual(m.resourcesFor({ resource: 'events' }).map((g) => g.group), ['', 'events.k8s.io']);
    assert.throws(() => m.resourceFor({ resource: 'gizmos' }), (e: unknown) => e instanceof NoResourceMatchError && e.message === `the server doesn't have a resource type "gizmos"`);
  });

  test("kubectl's resource arguments and categories", async () => {
    const m = await mapper();
    assert.deepEqual(m.parseResourceArg('deployments.apps').gvr, { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.deepEqual(m.parseResourceArg('deployments.v1.apps').gvr, { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.deepEqual(m.parseResourceArg('widgets.example.com').gvr, { group: 'example.com', version: 'v2', resource: 'widgets' });
    assert.deepEqual(m.parseResourceArg('widgets.v1.example.com').gvr, { group: 'example.com', version: 'v1', resource: 'widgets' });
    assert.deepEqual(m.parseResourceArg('po').gvk, { group: '', version: 'v1', kind: 'Pod' });
    assert.throws(() => m.parseResourceArg('deployments.nope'), NoResourceMatchError);
    assert.deepEqual(
      m.resourcesInCategory('all').map((x) => `${x.gvr.group}/${x.gvr.version}/${x.gvr.resource}`),
      ['/v1/pods', 'apps/v1/deployments', 'example.com/v2/widgets'],
    );
  });
});

describe('DeferredDiscoveryRESTMapper', () => {
  test('cached; a miss refreshes once (after the minimum interval) and finds a kind that appeared', async () => {
    const clock = new FakeClock();
    let withGadgets = false;
    const t = fakeTransport(() => {
      const docs = aggregatedDocs(
        withGadgets ? [{ metadata: { name: 'toys.example.com' }, versions: [{ version: 'v1', resources: [res('toys.example.com', 'v1', 'gadgets', 'Gadget')] }] }] : [],
      );
      return { '/api': [AGG, docs.api], '/apis': [AGG, docs.apis] };
    });
    const m = new DeferredDiscoveryRESTMapper(new DiscoveryClient(t), { clock, minRefreshIntervalMs: 1000 });
    assert.equal((await m.restMapping({ group: 'apps', kind: 'Deployment' })).gvr.resource, 'deployments');
    assert.equal((await m.resourceFor({ resource: 'po' })).resource, 'pods');
    assert.equal(m.loads, 1, 'hits are served from the cache');

    // A miss right after the load waits out the interval, refreshes, still misses: one extra load.
    const miss = m.restMapping({ group: 'toys.example.com', kind: 'Gadget' });
    let settled = false;
    miss.catch(() => {}).finally(() => (settled = true));
    await flush();
    assert.equal(settled, false, 'waiting for the refresh interval');
    await clock.advance(1000);
    await assert.rejects(miss, (e: unknown) => isNoMatchError(e));
    assert.equal(m.loads, 2);

    // The CRD appears; concurrent misses share one refresh.
    withGadgets = true;
    await clock.advance(1000);
    const [a, b] = await Promise.all([m.restMapping({ group: 'toys.example.com', kind: 'Gadget' }), m.resourceFor({ resource: 'gadgets' })]);
    assert.equal(a.gvr.resource, 'gadgets');
    assert.equal(b.group, 'toys.example.com');
    assert.equal(m.loads, 3);

    const ac = new AbortController();
    const aborted = m.restMapping({ group: 'x', kind: 'Nope' }, undefined, ac.signal);
    await flush();
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
  });
});
