import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinStrategies, defaultRollingStrategy } from '../src/strategies.js';

const validateConfigMap = (obj: any): string[] => (builtinStrategies['/configmaps'].validate?.(obj) ?? []).map((e) => `${e.field}: ${e.detail}`);

test('configmaps: binaryData values must be base64 and keys must not repeat data keys', () => {
  assert.deepEqual(validateConfigMap({ data: { a: 'x' }, binaryData: { b: Buffer.from([0, 1, 2]).toString('base64') } }), []);
  assert.deepEqual(validateConfigMap({ binaryData: { b: 'not base64!' } }), ['binaryData[b]: must be base64 encoded']);
  assert.deepEqual(validateConfigMap({ data: { k: 'x' }, binaryData: { k: 'AAEC' } }), ['binaryData[k]: duplicate of key present in data']);
  assert.deepEqual(validateConfigMap({ binaryData: { 'bad key': 'AAEC' } }).length, 1);
  assert.deepEqual(validateConfigMap({ binaryData: { n: 1 } }), ['binaryData[n]: must be a string']);
});

test('workload strategies are defaulted field by field, as SetDefaults_Deployment/StatefulSet/DaemonSet do', () => {
  const deploy = { maxUnavailable: '25%', maxSurge: '25%' };
  // `kubectl create deployment` sends an empty strategy.
  assert.deepEqual(defaultRollingStrategy({}, deploy), { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.deepEqual(defaultRollingStrategy(undefined, deploy), { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.deepEqual(defaultRollingStrategy({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 2 } }, deploy), {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 2, maxUnavailable: '25%' },
  });
  assert.deepEqual(defaultRollingStrategy({ type: 'Recreate' }, deploy), { type: 'Recreate' });
  // StatefulSet: an explicit RollingUpdate type without rollingUpdate stays without it.
  assert.deepEqual(defaultRollingStrategy({}, { partition: 0 }, true), { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(defaultRollingStrategy({ type: 'RollingUpdate' }, { partition: 0 }, true), { type: 'RollingUpdate' });
  assert.deepEqual(defaultRollingStrategy({ type: 'RollingUpdate', rollingUpdate: {} }, { partition: 0 }, true), { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  // Not an object: left for validation to report.
  assert.equal(defaultRollingStrategy('x', deploy), 'x');
  const d = { spec: { strategy: {}, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  builtinStrategies['apps/deployments'].prepareForCreate!(d);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
});
