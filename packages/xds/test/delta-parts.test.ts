// Large Delta pushes go out in parts; first syncs of a mesh's proxies share their plans, parts
// and encodings; the per-name path and the shared fast paths agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndpointType, clusterLoadAssignment, makeResource, type Resource, type TypeResources } from '../src/index.js';
import { deltaParts } from '../src/server/delta-parts.js';
import { applyDelta, deltaRemove, deltaUpsert } from '../src/server/diff.js';
import { SharedResponses } from '../src/server/shared-responses.js';
import { Subscription } from '../src/server/subscription.js';
import { TypeState } from '../src/server/type-state.js';
import { envoyProtos } from '../src/index.js';

const cla = (name: string, port = 1): Resource => makeResource(EndpointType, clusterLoadAssignment({ clusterName: name, endpoints: [{ address: '127.0.0.1', port }] }));
const clusters = (n: number): Resource[] => Array.from({ length: n }, (_, i) => cla(`c${i}`, 1000 + i));
const state = (version: string, rs: Resource[]): TypeResources => ({ version, resources: new Map(rs.map((r) => [r.name, r])) });

test('a whole-map push is cut into parts of at most maxBytes, in map order, once per map', () => {
  const cur = state('7', clusters(300));
  const sub = new Subscription(EndpointType);
  sub.applyDeltaSubscribe(['*']);
  const plan = deltaUpsert(sub, cur, 'all')!;
  assert.equal(plan.base, cur.resources);
  const maxBytes = 2000;
  const parts = deltaParts(plan, maxBytes);
  assert.ok(parts.length > 1);
  assert.deepEqual(
    parts.flatMap((p) => p.resources.map((r) => r.name)),
    [...cur.resources.keys()],
    'every resource once, in order',
  );
  for (const p of parts) {
    assert.ok(p.resources.reduce((s, r) => s + r.deltaEntry.length, 0) <= maxBytes);
    assert.equal(p.systemVersion, '7');
    assert.deepEqual(p.removed, []);
  }
  assert.equal(deltaParts(plan, maxBytes), parts, 'cut once per map: the same parts for the next stream');
  assert.deepEqual(deltaParts(plan, 1 << 20), [plan], 'a push that fits is one response');
  // A resource larger than maxBytes still goes, alone in its part.
  assert.equal(deltaParts(plan, 1).length, 300);
});

test('a large list push (not a whole map) is cut too, its removals with the last part', () => {
  const rs = clusters(50);
  const plan = { typeUrl: EndpointType, systemVersion: '3', resources: rs, count: rs.length, removed: ['gone'] };
  const parts = deltaParts(plan, 1000);
  assert.ok(parts.length > 1);
  assert.deepEqual(parts.at(-1)!.removed, ['gone']);
  for (const p of parts.slice(0, -1)) assert.deepEqual(p.removed, []);
});

test('first syncs: a named subscription covering the map gets the whole map; missing names are removals; same as name by name', () => {
  const rs = clusters(100);
  const cur = state('1', rs);
  const names = [...rs.map((r) => r.name), 'nope-1', 'nope-2'];
  // The fast path (pooled name set, nothing held) ...
  const fast = new Subscription(EndpointType);
  fast.applyDeltaSubscribe(names);
  const up = deltaUpsert(fast, cur, 'all')!;
  assert.equal(up.base, cur.resources);
  applyDelta(fast, fast.view, up, cur.resources);
  const rm = deltaRemove(fast, cur, 'all')!;
  assert.deepEqual(rm.removed, ['nope-1', 'nope-2']);
  // ... and name by name (explicit candidates) agree.
  const slow = new Subscription(EndpointType);
  slow.applyDeltaSubscribe(names);
  const up2 = deltaUpsert(slow, cur, new Set(names))!;
  assert.deepEqual(up2.resources.map((r) => r.name), up.resources.map((r) => r.name));
  applyDelta(slow, slow.view, up2, cur.resources);
  assert.deepEqual(deltaRemove(slow, cur, new Set(names))!.removed.sort(), ['nope-1', 'nope-2']);
  // A subscription to part of the map gets that part, not the map.
  const some = new Subscription(EndpointType);
  some.applyDeltaSubscribe(rs.slice(0, 80).map((r) => r.name));
  const partial = deltaUpsert(some, cur, 'all')!;
  assert.equal(partial.base, undefined);
  assert.equal(partial.count, 80);
});

test('shared encodings: one per plan, nonce unique to the encoding, identical bytes for every stream', () => {
  const shared = new SharedResponses('cp-1');
  const cur = state('4', clusters(10));
  const subA = new Subscription(EndpointType);
  subA.applyDeltaSubscribe(['*']);
  const subB = new Subscription(EndpointType);
  subB.applyDeltaSubscribe(['*']);
  const a = shared.delta(deltaUpsert(subA, cur, 'all')!)!;
  const b = shared.delta(deltaUpsert(subB, cur, 'all')!)!;
  assert.equal(a, b);
  assert.match(a.nonce, /^s\d+$/);
  const decoded = envoyProtos().decode('envoy.service.discovery.v3.DeltaDiscoveryResponse', a.bytes) as { nonce: string; resources: unknown[]; system_version_info: string; control_plane: { identifier: string } };
  assert.equal(decoded.nonce, a.nonce);
  assert.equal(decoded.resources.length, 10);
  assert.equal(decoded.system_version_info, '4');
  assert.equal(decoded.control_plane.identifier, 'cp-1');
  // One changed resource: shared by content; a different change gets another nonce.
  const one = { typeUrl: EndpointType, systemVersion: '5', resources: [cla('c1', 1)], count: 1, removed: [] };
  const x = shared.delta(one)!;
  assert.equal(shared.delta({ ...one, resources: [cla('c1', 1)] }), x, 'equal content, equal encoding');
  assert.notEqual(shared.delta({ ...one, resources: [cla('c1', 2)] })!.nonce, x.nonce);
});

test('parts: ACKs of earlier parts record nothing; the last part records the push; a part NACK is kept out', () => {
  const cur = state('1', clusters(40));
  const ts = new TypeState(EndpointType);
  ts.sub.applyDeltaSubscribe(['*']);
  const plan = deltaUpsert(ts.sub, cur, 'all')!;
  const parts = deltaParts(plan, 600);
  assert.ok(parts.length >= 3);
  const nonces = parts.map((_, i) => `n${i}`);
  ts.sentParts(nonces, '1', parts, plan);
  assert.equal(ts.awaits('n0'), true);
  assert.equal(ts.reply('n0', undefined, undefined, cur.resources).kind, 'ack');
  assert.equal(ts.acked.size, 0, 'a part ACK alone records nothing');
  const blamed = parts[1].resources[0].name;
  const nack = ts.reply('n1', undefined, `resource index 0: bad`, cur.resources);
  assert.equal(nack.kind, 'nack');
  assert.deepEqual(nack.resources, [blamed]);
  for (let i = 2; i < nonces.length; i++) assert.equal(ts.reply(nonces[i], undefined, undefined, cur.resources).kind, 'ack');
  assert.equal(ts.acked.size, 39, 'everything but the NACKed resource is ACKed');
  assert.equal(ts.acked.get(blamed), undefined);
  assert.ok(ts.nacked.has(blamed));
  assert.equal(ts.awaits('n0'), false);
});

test('AdsServer refuses byte limits that are not positive whole numbers, naming the option', async () => {
  const { AdsServer, LinearCache } = await import('../src/index.js');
  const cache = new LinearCache(EndpointType);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new AdsServer({ cache, maxDeltaResponseBytes: bad }), /maxDeltaResponseBytes must be a positive whole number of bytes/);
  }
  assert.throws(() => new AdsServer({ cache, maxBufferedBytes: 0 }), /maxBufferedBytes/);
});
