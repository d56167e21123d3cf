import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSelector, escapeFieldValue, parseFieldSelector, unescapeFieldValue } from '../src/fields.js';
import { ApiError } from '../src/errors.js';

function parseError(s: string): string {
  try {
    parseFieldSelector(s);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`${JSON.stringify(s)} parsed`);
}

const getter = (fields: Record<string, string>) => (f: string) => fields[f];

test('parses terms, sorted, with == read as =', () => {
  assert.equal(parseFieldSelector('').toString(), '');
  assert.equal(parseFieldSelector('').isEmpty(), true);
  assert.equal(parseFieldSelector('status.phase!=Running,metadata.name==web').toString(), 'metadata.name=web,status.phase!=Running');
  assert.deepEqual(parseFieldSelector('b=2,a!=1').requirements, [
    { field: 'a', operator: '!=', value: '1' },
    { field: 'b', operator: '=', value: '2' },
  ]);
  // No trimming: spaces belong to the field and the value, as upstream.
  assert.deepEqual(parseFieldSelector('a = b').requirements, [{ field: 'a ', operator: '=', value: ' b' }]);
  // Empty terms are skipped; an empty value is allowed.
  assert.deepEqual(parseFieldSelector('a=,,b=1').requirements, [
    { field: 'a', operator: '=', value: '' },
    { field: 'b', operator: '=', value: '1' },
  ]);
});

test('escaping', () => {
  const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
  assert.deepEqual(sel.requirements, [{ field: 'metadata.name', operator: '=', value: 'a,b=c\\d' }]);
  assert.equal(sel.toString(), 'metadata.name=a\\,b\\=c\\\\d');
  assert.equal(escapeFieldValue('x,y=z\\'), 'x\\,y\\=z\\\\');
  assert.equal(unescapeFieldValue('plain'), 'plain');
});

test('syntax errors carry upstream messages', () => {
  assert.equal(parseError('metadata.name'), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  assert.equal(parseError('a=1,b'), "invalid selector: 'a=1,b'; can't understand 'b'");
  assert.equal(parseError('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  assert.equal(parseError('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
  // Upstream formats the rune with %v, so '=' is printed as its code point.
  assert.equal(parseError('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  assert.equal(parseError('a!==b'), 'invalid field selector: unescaped character in value: 61');
});

test('matches, with unknown fields reading as ""', () => {
  const pod = getter({ 'metadata.name': 'web', 'status.phase': 'Running' });
  assert.equal(parseFieldSelector('metadata.name=web').matches(pod), true);
  assert.equal(parseFieldSelector('metadata.name=db').matches(pod), false);
  assert.equal(parseFieldSelector('status.phase!=Running').matches(pod), false);
  assert.equal(parseFieldSelector('metadata.name=web,status.phase!=Failed').matches(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName=foo').matches(pod), false);
  assert.equal(parseFieldSelector('spec.nodeName!=foo').matches(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName=').matches(pod), true);
  assert.equal(FieldSelector.everything().matches(pod), true);
});

test('requiresExactMatch', () => {
  const sel = parseFieldSelector('metadata.namespace=default,metadata.name!=x');
  assert.equal(sel.requiresExactMatch('metadata.namespace'), 'default');
  assert.equal(sel.requiresExactMatch('metadata.name'), undefined);
  assert.equal(sel.requiresExactMatch('spec.nodeName'), undefined);
});
