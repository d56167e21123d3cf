// ApiErrors built from answers: a server Status is kept as sent; anything else gets a Status
// naming the code, the request and the body's first bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiErrorFromResponse, bodyExcerpt, isNotFound, isServerError, isTooManyRequests, suggestsClientDelay, undecodableAnswer } from '../src/errors.js';
import { parseWarningHeader } from '../src/transport.js';

const req = { method: 'GET', url: 'https://k/api/v1/pods' };

test('a Status body is the error as the server sent it', () => {
  const body = Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 }));
  const e = apiErrorFromResponse(404, body, req);
  assert.ok(isNotFound(e));
  assert.equal(e.message, 'pods "x" not found');
  assert.deepEqual(e.status.details, { name: 'x', kind: 'pods' });
});

test('Retry-After lands in details.retryAfterSeconds unless the Status has its own', () => {
  const s = (details?: object) => Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', code: 429, details }));
  const e = apiErrorFromResponse(429, s(), req, 7);
  assert.ok(isTooManyRequests(e));
  assert.equal(suggestsClientDelay(e), 7);
  assert.equal(suggestsClientDelay(apiErrorFromResponse(429, s({ retryAfterSeconds: 2 }), req, 7)), 2);
});

test('other bodies: a synthesized Status with the code, reason, request and an excerpt', () => {
  const e = apiErrorFromResponse(503, Buffer.from('upstream connect error\n  or disconnect/reset before headers'), req);
  assert.equal(e.code, 503);
  assert.equal(e.reason, 'ServiceUnavailable');
  assert.ok(isServerError(e));
  assert.equal(e.message, 'the server answered HTTP 503 to GET https://k/api/v1/pods: upstream connect error or disconnect/reset before headers');
  assert.equal(e.status.details?.causes?.[0].reason, 'UnexpectedServerResponse');
  assert.equal(apiErrorFromResponse(418, Buffer.from('{"not":"a status"}'), req).reason, '');
  assert.equal(bodyExcerpt('x'.repeat(500)).length, 203);
  const u = undecodableAnswer({ status: 200, headers: { 'content-type': 'text/html' }, body: Buffer.from('<html>') }, req);
  assert.equal(u.code, 500);
  assert.match(u.message, /HTTP 200 and a body that is not JSON \(Content-Type text\/html\): <html>/);
});

test('Warning headers: RFC 7234 warn-values, several in one header, escaped quotes', () => {
  assert.deepEqual(parseWarningHeader('299 - "a is deprecated", 299 - "unknown field \\"spec.x\\""'), ['a is deprecated', 'unknown field "spec.x"']);
});
