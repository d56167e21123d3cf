import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinStrategies } from '../src/strategies.js';

const validateConfigMap = (obj: any): string[] => (builtinStrategies['/configmaps'].validate?.(obj) ?? []).map((e) => `${e.field}: ${e.detail}`);

test('configmaps: binaryData values must be base64 and keys must not repeat data keys', () => {
  assert.deepEqual(validateConfigMap({ data: { a: 'x' }, binaryData: { b: Buffer.from([0, 1, 2]).toString('base64') } }), []);
  assert.deepEqual(validateConfigMap({ binaryData: { b: 'not base64!' } }), ['binaryData[b]: must be base64 encoded']);
  assert.deepEqual(validateConfigMap({ data: { k: 'x' }, binaryData: { k: 'AAEC' } }), ['binaryData[k]: duplicate of key present in data']);
  assert.deepEqual(validateConfigMap({ binaryData: { 'bad key': 'AAEC' } }).length, 1);
  assert.deepEqual(validateConfigMap({ binaryData: { n: 1 } }), ['binaryData[n]: must be a string']);
});
