// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as Go's http.ProxyFromEnvironment reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyFromEnvironment } from '../src/proxy-agent.js';

const p = (target: string, env: Record<string, string>): string | undefined => proxyFromEnvironment(new URL(target), env)?.href;

test('HTTPS_PROXY for https servers, HTTP_PROXY for http ones, either case', () => {
  assert.equal(p('https://10.0.0.1:6443', { HTTPS_PROXY: 'http://proxy:3128' }), 'http://proxy:3128/');
  assert.equal(p('https://10.0.0.1:6443', { https_proxy: 'proxy:3128' }), 'http://proxy:3128/', 'a bare host:port is an http proxy');
  assert.equal(p('https://10.0.0.1:6443', { HTTP_PROXY: 'http://proxy:3128' }), undefined);
  assert.equal(p('http://10.0.0.1:8080', { HTTP_PROXY: 'http://proxy:3128' }), 'http://proxy:3128/');
});

test('loopback is never proxied', () => {
  for (const t of ['https://127.0.0.1:6443', 'https://localhost:6443', 'https://[::1]:6443']) assert.equal(p(t, { HTTPS_PROXY: 'http://proxy:3128' }), undefined, t);
});

test('NO_PROXY: *, names and subdomains, leading dots, CIDRs, ports', () => {
  const env = (no: string) => ({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: no });
  assert.equal(p('https://api.example.com', env('*')), undefined);
  assert.equal(p('https://api.example.com', env('example.com')), undefined, 'subdomain of a listed name');
  assert.equal(p('https://example.com', env('example.com')), undefined);
  assert.equal(p('https://example.com', env('.example.com')), 'http://proxy:3128/', 'a leading dot: subdomains only');
  assert.equal(p('https://api.example.com', env('.example.com')), undefined);
  assert.equal(p('https://notexample.com', env('example.com')), 'http://proxy:3128/');
  assert.equal(p('https://10.1.2.3:6443', env('10.0.0.0/8')), undefined);
  assert.equal(p('https://11.1.2.3:6443', env('10.0.0.0/8')), 'http://proxy:3128/');
  assert.equal(p('https://api.example.com:6443', env('api.example.com:6443')), undefined);
  assert.equal(p('https://api.example.com:443', env('api.example.com:6443')), 'http://proxy:3128/');
  assert.equal(p('https://10.0.0.1:6443', env(' foo.com , 10.0.0.1 ')), undefined);
});
