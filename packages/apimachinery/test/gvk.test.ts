import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiVersion, gvkString, gvrString, parseApiVersion } from '../src/gvk.js';
import { ApiError } from '../src/errors.js';

test('parseApiVersion', () => {
  assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
  assert.deepEqual(parseApiVersion('apps/v1'), { group: 'apps', version: 'v1' });
  assert.deepEqual(parseApiVersion('stable.example.com/v1beta1'), { group: 'stable.example.com', version: 'v1beta1' });
});

test('parseApiVersion rejects empty and malformed values with a 400', () => {
  const bad: [string, string][] = [
    ['', 'apiVersion must not be empty'],
    ['a/b/c', 'unexpected GroupVersion string: a/b/c'],
    ['/v1', 'unexpected GroupVersion string: /v1'],
    ['apps/', 'unexpected GroupVersion string: apps/'],
    ['/', 'unexpected GroupVersion string: /'],
  ];
  for (const [input, message] of bad) {
    assert.throws(
      () => parseApiVersion(input),
      (e: unknown) => e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' && e.message === message,
      JSON.stringify(input),
    );
  }
});

test('formatApiVersion round-trips', () => {
  assert.equal(formatApiVersion('', 'v1'), 'v1');
  assert.equal(formatApiVersion('apps', 'v1'), 'apps/v1');
  for (const v of ['v1', 'apps/v1', 'x.io/v2alpha1']) {
    const gv = parseApiVersion(v);
    assert.equal(formatApiVersion(gv.group, gv.version), v);
  }
});

test('String() forms as schema prints them', () => {
  assert.equal(gvkString({ group: '', version: 'v1', kind: 'Pod' }), '/v1, Kind=Pod');
  assert.equal(gvkString({ group: 'apps', version: 'v1', kind: 'Deployment' }), 'apps/v1, Kind=Deployment');
  assert.equal(gvrString({ group: 'apps', version: 'v1', resource: 'deployments' }), 'apps/v1, Resource=deployments');
});
