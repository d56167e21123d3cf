// What a stream sends, computed from its subscription, what the client holds and what the cache
// holds: SotW (full state for listeners and clusters, partial otherwise, make-before-break
// removals) and Delta (hash comparison, removed_resources, initial versions); and the shared
// client view.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterType, EndpointType, clusterLoadAssignment, edsCluster, makeResource, type Resource, type TypeResources } from '../src/index.js';
import { ABSENT, ClientView } from '../src/server/client-view.js';
import { applyDelta, applySotw, deltaRemove, deltaUpsert, sotwRemove, sotwUpsert } from '../src/server/diff.js';
import { Subscription } from '../src/server/subscription.js';

const cluster = (name: string, maxRequests?: number): Resource => makeResource(ClusterType, edsCluster({ name, ...(maxRequests ? { maxRequests } : {}) }));
const cla = (name: string, port = 1): Resource => makeResource(EndpointType, clusterLoadAssignment({ clusterName: name, endpoints: [{ address: '127.0.0.1', port }] }));
const state = (version: string, rs: Resource[]): TypeResources => ({ version, resources: new Map(rs.map((r) => [r.name, r])) });
const namesOf = (rs: readonly Resource[]): string[] => rs.map((r) => r.name).sort();

describe('SotW', () => {
  test('Cluster (full state): the first response lists every subscribed cluster; unchanged state sends nothing', () => {
    const sub = new Subscription(ClusterType);
    assert.equal(sub.applySotwNames(['a', 'b', 'missing']), 'all');
    const cur = state('1', [cluster('a'), cluster('b'), cluster('c')]);
    const plan = sotwUpsert(sub, cur, 'all')!;
    assert.deepEqual(namesOf(plan.resources), ['a', 'b']);
    assert.equal(plan.version, '1');
    applySotw(sub.view, plan, cur.resources);
    assert.equal(sotwUpsert(sub, cur, 'all'), null);
    assert.equal(sotwUpsert(sub, state('2', [cluster('a'), cluster('b'), cluster('c', 9)]), new Set(['c'])), null, 'a change to an unsubscribed cluster');
    const changed = sotwUpsert(sub, state('2', [cluster('a', 5), cluster('b')]), new Set(['a']))!;
    assert.deepEqual(namesOf(changed.resources), ['a', 'b'], 'one change: still every subscribed cluster');
  });

  test('Cluster: a removed cluster is kept in the upsert phase and dropped in the remove phase', () => {
    const sub = new Subscription(ClusterType);
    sub.applySotwNames([]);
    assert.equal(sub.wildcard, true, 'the legacy wildcard');
    const one = state('1', [cluster('a'), cluster('b')]);
    applySotw(sub.view, sotwUpsert(sub, one, 'all')!, one.resources);
    const two = state('2', [cluster('a', 3), cluster('c')]);
    const upsert = sotwUpsert(sub, two, new Set(['a', 'b', 'c']))!;
    assert.deepEqual(namesOf(upsert.resources), ['a', 'b', 'c'], 'b still listed, with the content the client has');
    assert.equal(upsert.resources.find((r) => r.name === 'b'), one.resources.get('b'));
    applySotw(sub.view, upsert, two.resources);
    const remove = sotwRemove(sub, two, new Set(['a', 'b', 'c']))!;
    assert.deepEqual(namesOf(remove.resources), ['a', 'c']);
    applySotw(sub.view, remove, two.resources);
    assert.equal(sotwRemove(sub, two, 'all'), null);
    assert.equal(sub.view.size, 2);
  });

  test('endpoints (partial): only new or changed resources; removal is implicit', () => {
    const sub = new Subscription(EndpointType);
    sub.applySotwNames(['a', 'b']);
    const one = state('1', [cla('a'), cla('b')]);
    applySotw(sub.view, sotwUpsert(sub, one, 'all')!, one.resources);
    const two = state('2', [cla('a', 2), cla('b')]);
    assert.deepEqual(namesOf(sotwUpsert(sub, two, new Set(['a']))!.resources), ['a']);
    assert.equal(sotwRemove(sub, state('3', [cla('a')]), new Set(['b'])), null, 'no SotW removal for endpoints');
    const added = sub.applySotwNames(['a', 'b', 'c']);
    assert.deepEqual([...(added as Set<string>)], ['c']);
    assert.deepEqual(namesOf(sotwUpsert(sub, state('3', [cla('a'), cla('b'), cla('c')]), added)!.resources), ['c']);
  });

  test('an empty list after naming resources means nothing; unsubscribing forgets what the client held', () => {
    const sub = new Subscription(ClusterType);
    sub.applySotwNames(['a']);
    const cur = state('1', [cluster('a')]);
    applySotw(sub.view, sotwUpsert(sub, cur, 'all')!, cur.resources);
    sub.applySotwNames([]);
    assert.equal(sub.wildcard, false);
    assert.equal(sub.view.has('a'), false);
    assert.equal(sotwUpsert(sub, cur, 'all'), null);
    sub.applySotwNames(['a']);
    assert.deepEqual(namesOf(sotwUpsert(sub, cur, new Set(['a']))!.resources), ['a'], 'asked again: sent again');
  });

  test('a first wildcard request is answered even when empty; nothing is sent while the cache has nothing', () => {
    const sub = new Subscription(ClusterType);
    sub.applySotwNames(['*']);
    assert.equal(sotwUpsert(sub, undefined, 'all'), null);
    const empty = sotwUpsert(sub, state('1', []), 'all')!;
    assert.deepEqual(empty.resources, []);
    sub.responded = true;
    assert.equal(sotwUpsert(sub, state('1', []), 'all'), null);
  });
});

describe('Delta', () => {
  test('subscribe, change, unsubscribe, remove, names that do not exist', () => {
    const sub = new Subscription(EndpointType);
    sub.applyDeltaSubscribe(['a', 'b', 'ghost'], {});
    const one = state('1', [cla('a'), cla('b'), cla('c')]);
    const first = deltaUpsert(sub, one, 'all')!;
    assert.deepEqual(namesOf(first.resources), ['a', 'b']);
    applyDelta(sub, sub.view, first, one.resources);
    const absent = deltaRemove(sub, one, 'all')!;
    assert.deepEqual(absent.removed, ['ghost']);
    applyDelta(sub, sub.view, absent, one.resources);
    assert.equal(sub.view.get('ghost'), ABSENT);
    assert.equal(deltaRemove(sub, one, 'all'), null, 'said once');

    const two = state('2', [cla('a', 2), cla('b'), cla('c')]);
    assert.deepEqual(namesOf(deltaUpsert(sub, two, new Set(['a']))!.resources), ['a']);
    sub.applyDeltaUnsubscribe(['a']);
    assert.equal(deltaUpsert(sub, two, new Set(['a'])), null, 'unsubscribed');
    const three = state('3', [cla('c')]);
    assert.deepEqual(deltaRemove(sub, three, new Set(['a', 'b']))!.removed, ['b'], 'only the subscribed one');
  });

  test('initial_resource_versions: only what differs is sent, what is gone is removed', () => {
    const cur = state('9', [cla('a'), cla('b', 2)]);
    const sub = new Subscription(EndpointType);
    const cand = sub.applyDeltaSubscribe(['a', 'b', 'c'], { a: cur.resources.get('a')!.version, b: 'old', c: 'old' });
    assert.equal(cand, 'all');
    assert.deepEqual(namesOf(deltaUpsert(sub, cur, cand)!.resources), ['b']);
    assert.deepEqual(deltaRemove(sub, cur, cand)!.removed, ['c']);
    // A later subscribe of a name the client holds resends it (the client may have dropped it).
    const again = sub.applyDeltaSubscribe(['a']);
    assert.deepEqual(namesOf(deltaUpsert(sub, cur, again)!.resources), ['a']);
  });

  test('wildcard: everything, with removals; an explicit name unsubscribed under a wildcard is sent again', () => {
    const sub = new Subscription(ClusterType);
    assert.equal(sub.applyDeltaSubscribe([], {}), 'all', 'legacy wildcard for clusters');
    const one = state('1', [cluster('a'), cluster('b')]);
    applyDelta(sub, sub.view, deltaUpsert(sub, one, 'all')!, one.resources);
    const two = state('2', [cluster('a')]);
    const rm = deltaRemove(sub, two, new Set(['b']))!;
    assert.deepEqual(rm.removed, ['b']);
    applyDelta(sub, sub.view, rm, two.resources);
    assert.equal(sub.view.has('b'), false, 'wildcard-only names are forgotten, not remembered as absent');
    sub.applyDeltaSubscribe(['a']);
    applyDelta(sub, sub.view, deltaUpsert(sub, two, new Set(['a']))!, two.resources);
    const touched = sub.applyDeltaUnsubscribe(['a']);
    assert.deepEqual(namesOf(deltaUpsert(sub, two, touched)!.resources), ['a']);
    sub.applyDeltaUnsubscribe(['*']);
    assert.equal(sub.wildcard, false);
    assert.equal(deltaUpsert(sub, state('3', [cluster('a', 4)]), 'all'), null);
  });
});

describe('name pool', () => {
  test('streams asking for the same large set of names share one Set; a change copies it first', () => {
    const names = Array.from({ length: 200 }, (_, i) => `svc-${i}`);
    const a = new Subscription(EndpointType);
    const b = new Subscription(EndpointType);
    a.applyDeltaSubscribe(names, {});
    b.applyDeltaSubscribe([...names].reverse(), {});
    assert.equal(a.names, b.names, 'one shared set, whatever the order asked');
    b.applyDeltaUnsubscribe(['svc-0']);
    assert.notEqual(a.names, b.names);
    assert.equal(a.names.has('svc-0'), true, 'the other stream is unaffected');
    assert.equal(b.names.has('svc-0'), false);
    const c = new Subscription(EndpointType);
    c.applySotwNames(names);
    assert.equal(c.names, a.names, 'SotW lists pool the same way');
    const small = new Subscription(EndpointType);
    small.applyDeltaSubscribe(['x'], {});
    const small2 = new Subscription(EndpointType);
    small2.applyDeltaSubscribe(['x'], {});
    assert.notEqual(small.names, small2.names, 'small sets are not pooled');
  });

  test('requested names are replaced by the strings the cache holds', () => {
    const cur = state('1', [cla('abc')]);
    const canonical = cur.resources.get('abc')!.name;
    const sub = new Subscription(EndpointType);
    const requested = ['ab', 'c'].join('');
    sub.applyDeltaSubscribe([requested], {}, (n) => cur.resources.get(n)?.name ?? n);
    assert.ok([...sub.names].every((n) => n === canonical));
  });
});

describe('ClientView', () => {
  test('shares the cache map as its base, overlays changes, compacts back when equal', () => {
    const base = new Map([['a', cla('a')], ['b', cla('b')]]);
    const v = new ClientView();
    v.reset(base);
    assert.equal(v.size, 2);
    assert.equal(v.get('a'), base.get('a'));
    v.set('c', cla('c'));
    v.delete('a');
    assert.deepEqual([...v.names()].sort(), ['b', 'c']);
    assert.equal(v.size, 2);
    assert.equal(base.has('a'), true, 'the base is never modified');
    v.set('a', 'v-from-client');
    assert.equal(v.version('a'), 'v-from-client');

    // Many single updates, then the view equals a new cache map: it rebases onto it.
    const big = new Map<string, Resource>();
    for (let i = 0; i < 200; i++) big.set(`e${i}`, cla(`e${i}`, i + 1));
    const w = new ClientView();
    for (const [n, r] of big) {
      w.set(n, r);
      w.maybeCompact(big);
    }
    assert.equal(w.size, 200);
    assert.equal((w as unknown as { overlay: Map<string, unknown> }).overlay.size, 0, 'rebased: nothing of its own');
    assert.equal(w.get('e7'), big.get('e7'));
  });
});
