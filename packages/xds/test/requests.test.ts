// The hand-written request decoders read exactly what protobufjs encodes, unknown fields skipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envoyProtos } from '../src/index.js';
import { isInternedNameList, nameSetOf } from '../src/proto/name-lists.js';
import { decodeDeltaDiscoveryRequest, decodeDiscoveryRequest } from '../src/proto/requests.js';

const protos = envoyProtos();
const node = { id: 'n-1', cluster: 'c', locality: { zone: 'z' }, user_agent_name: 'envoy', client_features: ['f1'] };

test('DiscoveryRequest: every field; node only when present', () => {
  const bytes = Buffer.from(
    protos.encode('envoy.service.discovery.v3.DiscoveryRequest', {
      version_info: '7',
      node,
      resource_names: ['a', 'b', 'ünïcode'],
      type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      response_nonce: '12',
      error_detail: { code: 14, message: 'bad things' },
      resource_locators: [{ name: 'skipped' }],
    }),
  );
  const r = decodeDiscoveryRequest(bytes);
  assert.equal(r.version_info, '7');
  assert.deepEqual(r.resource_names, ['a', 'b', 'ünïcode']);
  assert.equal(r.type_url, 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
  assert.equal(r.response_nonce, '12');
  assert.deepEqual(r.error_detail, { code: 14, message: 'bad things' });
  assert.equal(r.node?.id, 'n-1');
  assert.deepEqual(r.node?.locality, { zone: 'z' });
  assert.deepEqual(r.node?.client_features, ['f1']);
  const ack = decodeDiscoveryRequest(Buffer.from(protos.encode('envoy.service.discovery.v3.DiscoveryRequest', { type_url: 't', response_nonce: '1' })));
  assert.deepEqual(ack, { version_info: '', node: null, resource_names: [], type_url: 't', response_nonce: '1', error_detail: null });
});

test('DeltaDiscoveryRequest: subscribe, unsubscribe, initial versions, nonce, error', () => {
  const bytes = Buffer.from(
    protos.encode('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      node,
      type_url: 'T',
      resource_names_subscribe: ['a', '*'],
      resource_names_unsubscribe: ['b'],
      initial_resource_versions: { a: 'v1', c: 'v3' },
      response_nonce: '4',
      error_detail: { code: 3, message: 'nope' },
    }),
  );
  const r = decodeDeltaDiscoveryRequest(bytes);
  assert.equal(r.node?.id, 'n-1');
  assert.equal(r.type_url, 'T');
  assert.deepEqual(r.resource_names_subscribe, ['a', '*']);
  assert.deepEqual(r.resource_names_unsubscribe, ['b']);
  assert.deepEqual(r.initial_resource_versions, { a: 'v1', c: 'v3' });
  assert.equal(r.response_nonce, '4');
  assert.deepEqual(r.error_detail, { code: 3, message: 'nope' });
});

test('truncated input is an error, not a wrong request', () => {
  const bytes = Buffer.from(protos.encode('envoy.service.discovery.v3.DiscoveryRequest', { type_url: 'type.googleapis.com/x', resource_names: ['abc'] }));
  assert.throws(() => decodeDiscoveryRequest(bytes.subarray(0, bytes.length - 2)), /truncated/);
});

test('long name lists are interned by their bytes: equal lists are one frozen array, others are not', () => {
  const many = Array.from({ length: 200 }, (_, i) => `route-${i}`);
  const enc = (names: string[], extra: Record<string, unknown> = {}): Buffer =>
    Buffer.from(protos.encode('envoy.service.discovery.v3.DeltaDiscoveryRequest', { type_url: 'T', resource_names_subscribe: names, ...extra }));
  const a = decodeDeltaDiscoveryRequest(enc(many)).resource_names_subscribe;
  const b = decodeDeltaDiscoveryRequest(enc(many, { response_nonce: '9', node })).resource_names_subscribe;
  assert.deepEqual(a, many);
  assert.equal(a, b, 'the same names, the same array');
  assert.ok(Object.isFrozen(a));
  assert.ok(isInternedNameList(a));
  assert.equal(nameSetOf(a), nameSetOf(b), 'and one shared Set');
  assert.deepEqual([...nameSetOf(a)!], many);
  // A longer list starting with the same names is another list, not the interned one.
  const longer = decodeDeltaDiscoveryRequest(enc([...many, 'route-extra'], { response_nonce: '3' }));
  assert.deepEqual(longer.resource_names_subscribe, [...many, 'route-extra']);
  assert.equal(longer.response_nonce, '3');
  // One name different: another list.
  const other = decodeDeltaDiscoveryRequest(enc([...many.slice(0, -1), 'route-x'])).resource_names_subscribe;
  assert.notEqual(other, a);
  assert.equal(other.at(-1), 'route-x');
  // Short lists are plain arrays; SotW lists are interned the same way.
  const few = decodeDeltaDiscoveryRequest(enc(['a', 'b'])).resource_names_subscribe;
  assert.ok(!isInternedNameList(few));
  assert.equal(nameSetOf(few), undefined);
  const sotw = (names: string[]): readonly string[] =>
    decodeDiscoveryRequest(Buffer.from(protos.encode('envoy.service.discovery.v3.DiscoveryRequest', { type_url: 'T', resource_names: names, version_info: '3' }))).resource_names;
  assert.equal(sotw(many), sotw(many));
});

test('a repeated field split in two runs is read whole (second run appended, not interned)', () => {
  const first = Array.from({ length: 100 }, (_, i) => `a${i}`);
  const w = (field: number, s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  };
  // names, then type_url (field 2), then more names: legal protobuf, unusual encoders.
  const bytes = Buffer.concat([...first.map((n) => w(3, n)), w(2, 'T'), w(3, 'z1'), w(3, 'z2')]);
  const r = decodeDeltaDiscoveryRequest(bytes);
  assert.equal(r.type_url, 'T');
  assert.deepEqual(r.resource_names_subscribe, [...first, 'z1', 'z2']);
});

test('the intern table is bounded: past 256 lists the oldest go, and come back as new (equal) arrays', () => {
  const list = (k: number): string[] => Array.from({ length: 64 }, (_, i) => `n${k}-${i}`);
  const dec = (names: string[]): readonly string[] =>
    decodeDeltaDiscoveryRequest(Buffer.from(protos.encode('envoy.service.discovery.v3.DeltaDiscoveryRequest', { type_url: 'T', resource_names_subscribe: names }))).resource_names_subscribe;
  const first = dec(list(0));
  assert.equal(dec(list(0)), first);
  for (let k = 1; k <= 300; k++) dec(list(k));
  const again = dec(list(0));
  assert.notEqual(again, first, 'evicted');
  assert.deepEqual(again, first);
  assert.equal(dec(list(300)), dec(list(300)), 'recent lists stay');
});
