import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServingCertificates } from '../src/tls.js';

test('serving certificates survive restarts, and a re-issue keeps the CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-tls-'));
  try {
    const a = ensureServingCertificates(dir);
    const b = ensureServingCertificates(dir);
    assert.equal(b.caCertPem, a.caCertPem);
    assert.equal(b.certPem, a.certPem);
    const x = new X509Certificate(a.certPem);
    assert.ok(x.checkIP('127.0.0.1'));
    assert.ok(x.checkIP('::1'));
    assert.ok(x.checkHost('localhost'));
    // A new host forces a new serving certificate, signed by the same CA.
    const c = ensureServingCertificates(dir, ['127.0.0.1', '::1', 'localhost', 'keelson.local']);
    assert.equal(c.caCertPem, a.caCertPem);
    assert.notEqual(c.certPem, a.certPem);
    const cx = new X509Certificate(c.certPem);
    assert.ok(cx.checkHost('keelson.local'));
    assert.ok(cx.verify(new X509Certificate(c.caCertPem).publicKey));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
