// The hand-built response envelopes decode, with protobufjs and the Envoy protos, into exactly
// the fields that went in: small and large resources, multi-byte lengths, empty fields omitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAny, encodeDeltaDiscoveryResponse, encodeDeltaResource, encodeDiscoveryResponse } from '../src/proto/wire.js';
import { ClusterType, EndpointType, clusterLoadAssignment, edsCluster, envoyProtos, makeResource } from '../src/index.js';
import { wholeMapEntries } from '../src/cache/resource.js';

const protos = envoyProtos();

test('Any: type_url and value', () => {
  const body = Buffer.from([1, 2, 3]);
  const any = protos.type('google.protobuf.Any').decode(encodeAny('type.googleapis.com/x.Y', body)) as { type_url: string; value: Uint8Array };
  assert.equal(any.type_url, 'type.googleapis.com/x.Y');
  assert.deepEqual(Buffer.from(any.value), body);
});

test('DiscoveryResponse: version, resources (small, and large enough for 2- and 3-byte lengths), type, nonce, control plane', () => {
  const small = makeResource(ClusterType, edsCluster({ name: 'c' }));
  const endpoints = Array.from({ length: 2000 }, (_, i) => ({ address: `10.0.${Math.floor(i / 250)}.${i % 250}`, port: 8000 + (i % 1000) }));
  const big = makeResource(EndpointType, clusterLoadAssignment({ clusterName: 'big', endpoints }));
  assert.ok(big.body.length > 16_384, `a 3-byte length: ${big.body.length}`);
  const bytes = encodeDiscoveryResponse({ versionInfo: '42', resourceEntries: [small.sotwEntry, big.sotwEntry], typeUrl: ClusterType, nonce: '7', controlPlaneId: 'cp-1' });
  const t = protos.type('envoy.service.discovery.v3.DiscoveryResponse');
  const msg = t.toObject(t.decode(bytes), { longs: String }) as { version_info: string; resources: { type_url: string; value: Uint8Array }[]; type_url: string; nonce: string; control_plane: { identifier: string } };
  assert.equal(msg.version_info, '42');
  assert.equal(msg.type_url, ClusterType);
  assert.equal(msg.nonce, '7');
  assert.equal(msg.control_plane.identifier, 'cp-1');
  assert.equal(msg.resources.length, 2);
  assert.deepEqual(Buffer.from(msg.resources[0].value), Buffer.from(small.body));
  assert.deepEqual(Buffer.from(msg.resources[1].value), Buffer.from(big.body));
  const decoded = protos.decode('envoy.config.endpoint.v3.ClusterLoadAssignment', msg.resources[1].value) as { endpoints: { lb_endpoints: unknown[] }[] };
  assert.equal(decoded.endpoints[0].lb_endpoints.length, 2000);
});

test('DiscoveryResponse: empty strings are left out, an empty resource list is valid', () => {
  const bytes = encodeDiscoveryResponse({ versionInfo: '', resourceEntries: [], typeUrl: ClusterType, nonce: '' });
  const t = protos.type('envoy.service.discovery.v3.DiscoveryResponse');
  const msg = t.toObject(t.decode(bytes), { defaults: true }) as { version_info: string; resources: unknown[]; nonce: string };
  assert.equal(msg.version_info, '');
  assert.deepEqual(msg.resources, []);
  assert.equal(msg.nonce, '');
});

test('DeltaDiscoveryResponse: Resource { name, version, resource }, removed_resources, nonce', () => {
  const r = makeResource(ClusterType, edsCluster({ name: 'c1' }));
  const bytes = encodeDeltaDiscoveryResponse({ systemVersionInfo: '3', resourceEntries: [r.deltaEntry], typeUrl: ClusterType, removedResources: ['gone-1', 'gone-2'], nonce: 'n9' });
  const t = protos.type('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  const msg = t.toObject(t.decode(bytes), {}) as {
    system_version_info: string;
    resources: { name: string; version: string; resource: { type_url: string; value: Uint8Array } }[];
    removed_resources: string[];
    nonce: string;
    type_url: string;
  };
  assert.equal(msg.system_version_info, '3');
  assert.equal(msg.type_url, ClusterType);
  assert.equal(msg.nonce, 'n9');
  assert.deepEqual(msg.removed_resources, ['gone-1', 'gone-2']);
  assert.equal(msg.resources[0].name, 'c1');
  assert.equal(msg.resources[0].version, r.version);
  assert.equal(msg.resources[0].resource.type_url, ClusterType);
  assert.deepEqual(Buffer.from(msg.resources[0].resource.value), Buffer.from(r.body));
  assert.deepEqual(encodeDeltaResource('c1', r.version, r.any), r.deltaResource);
});

test('a run of cached entries (a whole map) is the same bytes as the entries one by one', () => {
  const rs = ['a', 'b', 'c'].map((n) => makeResource(ClusterType, edsCluster({ name: n })));
  const map = new Map(rs.map((r) => [r.name, r]));
  const whole = encodeDiscoveryResponse({ versionInfo: '1', resourceEntries: [wholeMapEntries(map, 'sotw')], typeUrl: ClusterType, nonce: '1' });
  const oneByOne = encodeDiscoveryResponse({ versionInfo: '1', resourceEntries: rs.map((r) => r.sotwEntry), typeUrl: ClusterType, nonce: '1' });
  assert.deepEqual(whole, oneByOne);
  assert.equal(wholeMapEntries(map, 'sotw'), wholeMapEntries(map, 'sotw'), 'built once per map');
  const d = encodeDeltaDiscoveryResponse({ systemVersionInfo: '1', resourceEntries: [wholeMapEntries(map, 'delta')], typeUrl: ClusterType, removedResources: [], nonce: '1' });
  const t = protos.type('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  assert.deepEqual((t.toObject(t.decode(d), {}) as { resources: { name: string }[] }).resources.map((r) => r.name), ['a', 'b', 'c']);
});
