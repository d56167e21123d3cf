import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropEmptyMetadataFields } from '../src/object-meta.js';

test('dropEmptyMetadataFields drops nulls and empty omitempty collections, as the typed ObjectMeta round trip does', () => {
  const meta: Record<string, unknown> = {
    name: 'a',
    labels: {},
    annotations: {},
    finalizers: [],
    ownerReferences: [],
    managedFields: [],
    generateName: null,
    deletionTimestamp: null,
  };
  dropEmptyMetadataFields(meta);
  assert.deepEqual(meta, { name: 'a' });
});

test('dropEmptyMetadataFields keeps non-empty collections and other values', () => {
  const meta: Record<string, unknown> = { name: 'a', labels: { x: '' }, annotations: { y: 'z' }, finalizers: ['f'], generation: 0 };
  dropEmptyMetadataFields(meta);
  assert.deepEqual(meta, { name: 'a', labels: { x: '' }, annotations: { y: 'z' }, finalizers: ['f'], generation: 0 });
});
