import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonPath, evaluateJsonPath, formatJsonPathValue, formatPrinterCell } from '../src/jsonpath.js';
import { ApiError } from '../src/errors.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
    creationTimestamp: '2024-05-01T11:55:00Z',
  },
  spec: {
    containers: [
      { name: 'app', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 443 }] },
      { name: 'sidecar', image: 'envoy', ports: [{ containerPort: 9901 }] },
    ],
    priority: 0,
    nodeName: null,
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
    ],
    containerStatuses: [
      { name: 'app', restartCount: 3, ready: true },
      { name: 'sidecar', restartCount: 0, ready: false },
    ],
  },
};

const ev = (path: string): unknown[] => evaluateJsonPath(pod, path);

test('fields, braces and roots', () => {
  assert.deepEqual(ev('.metadata.name'), ['web-0']);
  assert.deepEqual(ev('{.metadata.name}'), ['web-0']);
  assert.deepEqual(ev('$.metadata.name'), ['web-0']);
  assert.deepEqual(ev('{$.status.phase}'), ['Running']);
  assert.deepEqual(ev('.spec.priority'), [0]);
  assert.deepEqual(ev('.spec.nodeName'), [null]);
  assert.deepEqual(ev('.metadata.missing'), []);
  assert.deepEqual(ev('.metadata.name.deeper'), []);
  assert.deepEqual(ev('{.metadata.name}{.status.phase}'), ['web-0', 'Running']);
});

test('keys with dots', () => {
  assert.deepEqual(ev(".metadata.labels['app.kubernetes.io/name']"), ['web']);
  assert.deepEqual(ev('.metadata.labels["app.kubernetes.io/name"]'), ['web']);
  assert.deepEqual(ev('.metadata.labels.app\\.kubernetes\\.io/name'), ['web']);
  assert.deepEqual(ev(".metadata['labels']['app']"), ['web']);
});

test('indices, slices, wildcards, unions', () => {
  assert.deepEqual(ev('.spec.containers[0].name'), ['app']);
  assert.deepEqual(ev('.spec.containers[-1].name'), ['sidecar']);
  assert.deepEqual(ev('.spec.containers[2].name'), []);
  assert.deepEqual(ev('.spec.containers[-3].name'), []);
  assert.deepEqual(ev('.spec.containers[*].name'), ['app', 'sidecar']);
  assert.deepEqual(ev('.spec.containers[*].ports[*].containerPort'), [80, 443, 9901]);
  assert.deepEqual(ev('.spec.containers[0:1].name'), ['app']);
  assert.deepEqual(ev('.spec.containers[::2].name'), ['app']);
  assert.deepEqual(ev('.spec.containers[0,1].image'), ['nginx', 'envoy']);
  assert.deepEqual(ev(".metadata['name','kind']"), ['web-0']);
  assert.deepEqual(ev('.metadata.labels.*'), ['web', 'web']);
  assert.deepEqual(ev('.metadata.name[0]'), []);
});

test('recursive descent', () => {
  assert.deepEqual(ev('..containerPort'), [80, 443, 9901]);
  assert.deepEqual(ev('..restartCount'), [3, 0]);
  assert.deepEqual(ev('.status..status'), ['True', 'False']);
  assert.deepEqual(ev('..name'), ['web-0', 'app', 'sidecar', 'app', 'sidecar']);
});

test('filters', () => {
  assert.deepEqual(ev('.status.conditions[?(@.type=="Ready")].status'), ['False']);
  assert.deepEqual(ev(".status.conditions[?(@.type=='Ready')].reason"), ['ContainersNotReady']);
  assert.deepEqual(ev('.status.conditions[?(@.type!="Ready")].type'), ['Initialized']);
  assert.deepEqual(ev('.status.conditions[?(@.reason)].type'), ['Ready']);
  assert.deepEqual(ev('.status.containerStatuses[?(@.restartCount>0)].name'), ['app']);
  assert.deepEqual(ev('.status.containerStatuses[?(@.restartCount<1)].name'), ['sidecar']);
  assert.deepEqual(ev('.status.containerStatuses[?(@.restartCount>=0)].name'), ['app', 'sidecar']);
  assert.deepEqual(ev('.status.containerStatuses[?(@.ready==true)].name'), ['app']);
  // A string never equals a number.
  assert.deepEqual(ev('.status.containerStatuses[?(@.restartCount=="3")].name'), []);
  assert.deepEqual(ev('.spec.containers[?(@.name=="sidecar")].ports[0].containerPort'), [9901]);
  assert.deepEqual(ev('.status.conditions[?(@.type=="Ready)")].status'), []);
});

test('syntax errors are 400s', () => {
  for (const bad of ['.a[', '{.a', '.a[?(@.x==1]', '.a[x]', 'range .items', '.a....b', '.a[?(@.x=~"y")]']) {
    assert.throws(() => compileJsonPath(bad), (e: unknown) => e instanceof ApiError && e.code === 400, bad);
  }
});

test('printing results as kubectl -o jsonpath does', () => {
  assert.equal(formatJsonPathValue('x'), 'x');
  assert.equal(formatJsonPathValue(3), '3');
  assert.equal(formatJsonPathValue(1.5), '1.5');
  assert.equal(formatJsonPathValue(1234567.5), '1.2345675e+06');
  assert.equal(formatJsonPathValue(0.00001), '1e-05');
  assert.equal(formatJsonPathValue(true), 'true');
  assert.equal(formatJsonPathValue(null), '<no value>');
  assert.equal(formatJsonPathValue({ b: 1, a: ['<x>'] }), '{"a":["\\u003cx\\u003e"],"b":1}');
});

test('CRD printer cells (tableconvertor cellForJSONValue)', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(formatPrinterCell([], 'string', now), null);
  assert.equal(formatPrinterCell([], 'integer', now), null);
  assert.equal(formatPrinterCell(['a', 'b'], 'string', now), 'a');
  assert.equal(formatPrinterCell([3], 'string', now), '3');
  assert.equal(formatPrinterCell([{ k: 'v' }], 'string', now), '{"k":"v"}');
  assert.equal(formatPrinterCell([3], 'integer', now), 3);
  assert.equal(formatPrinterCell([3.7], 'integer', now), 3);
  assert.equal(formatPrinterCell(['3'], 'integer', now), null);
  assert.equal(formatPrinterCell([3], 'number', now), 3);
  assert.equal(formatPrinterCell([0.5], 'number', now), 0.5);
  assert.equal(formatPrinterCell([true], 'boolean', now), true);
  assert.equal(formatPrinterCell(['true'], 'boolean', now), null);
  assert.equal(formatPrinterCell([null], 'integer', now), null);
  assert.equal(formatPrinterCell(['2024-05-01T11:55:00Z'], 'date', now), '5m');
  assert.equal(formatPrinterCell(['2024-04-28T12:00:00Z'], 'date', now), '3d');
  assert.equal(formatPrinterCell(['not a date'], 'date', now), '<invalid>');
  assert.equal(formatPrinterCell([''], 'date', now), '<unknown>');
  assert.equal(formatPrinterCell([5], 'date', now), null);
  assert.equal(formatPrinterCell(['x'], 'unknown-type', now), null);
  assert.equal(formatPrinterCell(ev('.metadata.creationTimestamp'), 'date', now), '5m');
  assert.equal(formatPrinterCell(ev('.status.conditions[?(@.type=="Ready")].status'), 'string', now), 'False');
});
