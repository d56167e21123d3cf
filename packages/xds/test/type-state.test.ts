// Per-stream, per-type ACK/NACK records: which resources a NACK is about (by gRPC's "resource
// index N", by name, else the whole response), what the client holds after an ACK or a partly
// accepted NACK (gRFC A46), unknown nonces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterType, EndpointType, clusterLoadAssignment, edsCluster, makeResource, type Resource } from '../src/index.js';
import { sotwUpsert, deltaUpsert, applySotw, applyDelta } from '../src/server/diff.js';
import { TypeState } from '../src/server/type-state.js';

const cluster = (name: string, n?: number): Resource => makeResource(ClusterType, edsCluster({ name, ...(n ? { maxRequests: n } : {}) }));

function sendSotw(ts: TypeState, resources: Resource[], version: string, nonce: string) {
  const cur = { version, resources: new Map(resources.map((r) => [r.name, r])) };
  const plan = sotwUpsert(ts.sub, cur, 'all')!;
  applySotw(ts.sub.view, plan, cur.resources);
  ts.sent(nonce, version, { sotw: plan });
  return cur;
}

test('ACK: the client holds what was sent; versions recorded', () => {
  const ts = new TypeState(ClusterType);
  ts.sub.applySotwNames(['a', 'b']);
  const cur = sendSotw(ts, [cluster('a'), cluster('b')], '1', 'n1');
  const out = ts.reply('n1', '1', undefined, cur.resources);
  assert.equal(out.kind, 'ack');
  assert.equal(ts.versionAcked, '1');
  assert.equal(ts.acked.version('a'), cur.resources.get('a')!.version);
  const json = ts.toJSON() as { resources: Record<string, { status: string }> };
  assert.equal(json.resources.a.status, 'ACKED');
});

test('NACK with "resource index N": only that resource is blamed, the rest counts as accepted (A46)', () => {
  const ts = new TypeState(ClusterType);
  ts.sub.applySotwNames(['a', 'b', 'c']);
  const first = sendSotw(ts, [cluster('a'), cluster('b'), cluster('c')], '1', 'n1');
  ts.reply('n1', '1', undefined, first.resources);
  const second = sendSotw(ts, [cluster('a', 1), cluster('b', 1), cluster('c', 1)], '2', 'n2');
  const out = ts.reply('n2', '2', 'xDS response validation errors: [resource index 1: bad; resource index 2: worse]', second.resources);
  assert.equal(out.kind, 'nack');
  assert.deepEqual(out.resources.sort(), ['b', 'c']);
  assert.equal(ts.nacks, 1);
  assert.equal(ts.acked.version('a'), second.resources.get('a')!.version, 'a accepted');
  assert.equal(ts.acked.version('b'), first.resources.get('b')!.version, 'b kept at the previous version');
  const json = ts.toJSON() as { lastNack: { resources: string[] }; resources: Record<string, { status: string; nack?: { message: string } }> };
  assert.equal(json.resources.a.status, 'ACKED');
  assert.equal(json.resources.b.status, 'NACKED');
  assert.match(json.resources.c.nack!.message, /worse/);
  // A later ACK that includes b clears its NACK.
  const third = sendSotw(ts, [cluster('a', 1), cluster('b', 2), cluster('c', 2)], '3', 'n3');
  ts.reply('n3', '3', undefined, third.resources);
  assert.equal(ts.nacked.size, 0);
});

test('NACK naming a resource (Envoy style) blames it; a message naming none blames the whole response', () => {
  const ts = new TypeState(EndpointType);
  ts.sub.applyDeltaSubscribe(['svc-a', 'svc-b'], {});
  const cur = { version: '1', resources: new Map([['svc-a', makeResource(EndpointType, clusterLoadAssignment({ clusterName: 'svc-a', endpoints: [] }))], ['svc-b', makeResource(EndpointType, clusterLoadAssignment({ clusterName: 'svc-b', endpoints: [] }))]]) };
  const plan = deltaUpsert(ts.sub, cur, 'all')!;
  applyDelta(ts.sub, ts.sub.view, plan, cur.resources);
  ts.sent('n1', '1', { delta: plan });
  assert.deepEqual(ts.reply('n1', undefined, 'cluster svc-b: bad endpoint', cur.resources).resources, ['svc-b']);
  ts.sent('n2', '1', { delta: plan });
  assert.deepEqual(ts.reply('n2', undefined, 'something went wrong', cur.resources).resources.sort(), ['svc-a', 'svc-b']);
  assert.equal(ts.versionAcked, '', 'nothing ACKed');
});

test('a reply to a nonce never sent (or forgotten) is counted but changes nothing', () => {
  const ts = new TypeState(ClusterType);
  const out = ts.reply('n-unknown', '5', undefined);
  assert.equal(out.kind, 'unknown-nonce');
  assert.equal(ts.acked.size, 0);
  assert.equal(ts.isStale(''), false);
  ts.sent('n1', '1', {});
  ts.sent('n2', '1', {});
  assert.equal(ts.isStale('n1'), true);
  assert.equal(ts.isStale('n2'), false);
  assert.equal(ts.isStale(''), false, 'an empty nonce is an initial request');
});
