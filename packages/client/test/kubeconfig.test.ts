// kubeconfig loading with temp files: kubectl's merge rules over KUBECONFIG, relative paths,
// every credential form, the ConfigErrors (file, field, fix), exec credential plugins (a small
// shell script) with expiry caching, the in-cluster fallback, and client-node interop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../src/errors.js';
import { loadKubeconfig, readKubeconfig, restConfigFromKubeconfig } from '../src/kubeconfig.js';
import { inClusterConfig } from '../src/in-cluster.js';
import { credentialSource, ExecCredentialPlugin, FileTokenSource, TOKEN_FILE_PERIOD_MS } from '../src/credentials.js';
import { restConfigFromClientNode } from '../src/client-node.js';

let dir: string;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n';

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** Expects a ConfigError whose message matches `re`; returns it. */
function configError(fn: () => unknown, re: RegExp): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected a ConfigError matching ${re}`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keelson-kubeconfig-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('merging KUBECONFIG files as kubectl does', () => {
  test('first file wins per name and for current-context; missing files are skipped; paths resolve per file', () => {
    const a = write(
      'a/config',
      `
apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: { server: "https://a.example:6443", certificate-authority: ca.crt }
users:
- name: alice
  user: { token: token-from-a }
contexts:
- name: dev
  context: { cluster: shared, user: alice, namespace: team-a }
`,
    );
    write('a/ca.crt', CA);
    const b = write(
      'b/config',
      `
current-context: prod
clusters:
- name: shared
  cluster: { server: "https://b.example:6443" }
- name: prod-cluster
  cluster: { server: "https://prod.example:6443/", certificate-authority: certs/ca.pem }
users:
- name: alice
  user: { token: token-from-b }
- name: ops
  user: { tokenFile: tokens/ops }
contexts:
- name: dev
  context: { cluster: prod-cluster, user: ops }
- name: prod
  context: { cluster: prod-cluster, user: ops }
`,
    );
    write('b/certs/ca.pem', CA.replace('CA', 'PRODCA'));
    write('b/tokens/ops', 'ops-token\n');
    const c = write('c/config', 'current-context: dev\n');
    const env = { KUBECONFIG: [a, join(dir, 'missing/config'), b, c].join(delimiter) };

    const kc = readKubeconfig({ env });
    assert.deepEqual(kc.files, [a, b, c], 'the missing file is skipped');
    assert.equal(kc.currentContext, 'prod', 'b is the first to set current-context');
    assert.equal(kc.clusters.get('shared')?.server, 'https://a.example:6443', 'a defined "shared" first');
    assert.equal(kc.users.get('alice')?.token, 'token-from-a');
    assert.equal(kc.contexts.get('dev')?.cluster, 'shared', 'entries are taken whole from the first file');

    const prod = loadKubeconfig({ env });
    assert.equal(prod.host, 'https://prod.example:6443', 'trailing slash dropped');
    assert.equal(prod.contextName, 'prod');
    assert.equal(prod.namespace, 'default');
    assert.equal(prod.tls?.caData, CA.replace('CA', 'PRODCA'), 'certificate-authority resolved against b/');
    assert.equal(prod.bearerTokenFile, join(dir, 'b/tokens/ops'), 'tokenFile resolved against b/');

    const dev = loadKubeconfig({ env, context: 'dev' });
    assert.equal(dev.host, 'https://a.example:6443');
    assert.equal(dev.namespace, 'team-a');
    assert.equal(dev.bearerToken, 'token-from-a');
    assert.equal(dev.tls?.caData, CA, 'certificate-authority resolved against a/');
    assert.equal(loadKubeconfig({ env, context: 'dev', namespace: 'other' }).namespace, 'other');
    assert.equal(loadKubeconfig({ env, context: 'prod', user: 'alice' }).bearerToken, 'token-from-a', '--user override');
  });

  test('an explicit path reads only that file, which must exist; no KUBECONFIG reads ~/.kube/config', () => {
    const home = join(dir, 'home');
    write('home/.kube/config', 'current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\n');
    assert.equal(loadKubeconfig({ env: { HOME: home } }).host, 'http://127.0.0.1:1');
    configError(() => loadKubeconfig({ path: join(dir, 'nope'), env: { HOME: home } }), /cannot read kubeconfig .*nope/);
    configError(() => loadKubeconfig({ env: { HOME: join(dir, 'empty-home') }, inCluster: false }), /no kubeconfig found: set KUBECONFIG/);
  });

  test('an empty file is an empty config', () => {
    const p = write('empty', '');
    const kc = readKubeconfig({ path: p });
    assert.equal(kc.contexts.size, 0);
    configError(() => restConfigFromKubeconfig(kc), /sets no current-context; it defines no contexts either/);
  });
});

describe('ConfigErrors name the file, the field and the fix', () => {
  test('a context naming an undefined user', () => {
    const p = write('e1', 'current-context: prod\ncontexts: [{name: prod, context: {cluster: c, user: admin}}]\nclusters: [{name: c, cluster: {server: "https://x"}}]\n');
    const e = configError(() => loadKubeconfig({ path: p }), /^kubeconfig context "prod" names user "admin" which is not defined in /);
    assert.ok(e.message.includes(p), e.message);
    assert.equal(e.field, 'contexts[prod].context.user');
    assert.equal(e.file, p);
  });

  test('unknown context, undefined cluster, missing server, bad server URL', () => {
    const p = write('e2', 'current-context: a\ncontexts: [{name: a, context: {cluster: gone}}, {name: b, context: {cluster: noserver}}, {name: c, context: {cluster: bad}}]\nclusters: [{name: noserver, cluster: {}}, {name: bad, cluster: {server: "not a url"}}]\n');
    configError(() => loadKubeconfig({ path: p, context: 'zzz' }), /context "zzz" is not defined in .*\(contexts: a, b, c\)/);
    configError(() => loadKubeconfig({ path: p }), /context "a" names cluster "gone" which is not defined in .*e2; add it under clusters/);
    configError(() => loadKubeconfig({ path: p, context: 'b' }), /cluster "noserver" in .*e2 has no server; set clusters\[noserver\]\.cluster\.server/);
    configError(() => loadKubeconfig({ path: p, context: 'c' }), /server "not a url" .* is not a URL/);
  });

  test('YAML errors carry the line; wrong types name the field', () => {
    const y = write('e3', 'clusters:\n- name: a\n  cluster: [\n');
    configError(() => loadKubeconfig({ path: y }), /e3 is not valid YAML at line \d+/);
    const t = write('e4', 'clusters:\n- name: a\n  cluster: {server: 5}\n');
    const e = configError(() => readKubeconfig({ path: t }), /clusters\[a\]\.cluster\.server must be a string/);
    assert.equal(e.field, 'clusters[a].cluster.server');
    configError(() => readKubeconfig({ path: write('e5', 'users:\n- user: {token: x}\n') }), /users\[0\]\.name is missing/);
    configError(() => readKubeconfig({ path: write('e6', 'kind: Pod\n') }), /has kind "Pod"; a kubeconfig has kind: Config/);
  });

  test('files it names that cannot be read; half a client certificate; CA with insecure; auth-provider', () => {
    const base = 'current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n';
    const cl = (extra: string): string => `clusters: [{name: c, cluster: {server: "https://x"${extra}}}]\n`;
    const e = configError(
      () => loadKubeconfig({ path: write('f1', base + cl(', certificate-authority: nope/ca.crt') + 'users: [{name: u, user: {}}]\n') }),
      /certificate authority .*nope\/ca\.crt \(clusters\[c\]\.cluster\.certificate-authority, in kubeconfig .*f1\) cannot be read: ENOENT; fix the path or inline it as certificate-authority-data/,
    );
    assert.equal(e.field, 'clusters[c].cluster.certificate-authority');
    configError(() => loadKubeconfig({ path: write('f2', base + cl('') + `users: [{name: u, user: {client-certificate-data: ${b64(CERT)}}}]\n`) }), /has a client certificate but no key/);
    configError(() => loadKubeconfig({ path: write('f3', base + cl(`, certificate-authority-data: ${b64(CA)}, insecure-skip-tls-verify: true`) + 'users: [{name: u, user: {}}]\n') }), /both a certificate authority and insecure-skip-tls-verify/);
    configError(() => loadKubeconfig({ path: write('f4', base + cl('') + 'users: [{name: u, user: {auth-provider: {name: oidc}}}]\n') }), /auth-provider "oidc", which Kubernetes removed .*kubelogin/);
    configError(() => loadKubeconfig({ path: write('f5', base + cl(', certificate-authority-data: bm90IHBlbQ==') + 'users: [{name: u, user: {}}]\n') }), /certificate-authority-data in kubeconfig .* is not a base64-encoded PEM/);
    configError(() => loadKubeconfig({ path: write('f6', base + cl(', proxy-url: "socks5://p:1080"') + 'users: [{name: u, user: {}}]\n') }), /uses socks5; .* not SOCKS/);
    configError(() => loadKubeconfig({ path: write('f7', base + cl('') + 'users: [{name: u, user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1}}}]\n') }), /interactiveMode must be set for exec apiVersion v1/);
    configError(() => loadKubeconfig({ path: write('f8', base + cl('') + 'users: [{name: u, user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1alpha1}}}]\n') }), /v1alpha1 was removed/);
    configError(() => loadKubeconfig({ path: write('f9', base + cl('') + 'users: [{name: u, user: {tokenFile: nope}}]\n') }), /token file .*nope .* does not exist/);
    configError(() => loadKubeconfig({ path: write('f10', base + cl('') + 'users: [{name: u, user: {token: t, username: a}}]\n') }), /sets both a token and username\/password/);
  });
});

describe('credentials and TLS settings', () => {
  test('client certificates and CA as data and as files; insecure; tls-server-name; proxy-url; impersonation', () => {
    write('certs/client.crt', CERT);
    write('certs/client.key', KEY);
    write('certs/ca.crt', CA);
    const p = write(
      'creds',
      `
current-context: files
contexts:
- {name: files, context: {cluster: with-ca-file, user: cert-files}}
- {name: data, context: {cluster: with-ca-data, user: cert-data}}
- {name: insecure, context: {cluster: insecure, user: basic}}
clusters:
- {name: with-ca-file, cluster: {server: "https://files:6443", certificate-authority: certs/ca.crt, tls-server-name: api.internal, proxy-url: "http://proxy:3128"}}
- {name: with-ca-data, cluster: {server: "https://data:6443", certificate-authority-data: ${b64(CA)}, disable-compression: true}}
- {name: insecure, cluster: {server: "https://insecure:6443", insecure-skip-tls-verify: true}}
users:
- {name: cert-files, user: {client-certificate: certs/client.crt, client-key: certs/client.key, as: jane, as-groups: [devs, ops]}}
- {name: cert-data, user: {client-certificate-data: ${b64(CERT)}, client-key-data: ${b64(KEY)}, token: t}}
- {name: basic, user: {username: admin, password: secret}}
`,
    );
    const files = loadKubeconfig({ path: p });
    assert.deepEqual(files.tls, { caData: CA, serverName: 'api.internal', certData: CERT, keyData: KEY });
    assert.equal(files.proxyUrl, 'http://proxy:3128');
    assert.deepEqual(files.impersonate, { user: 'jane', groups: ['devs', 'ops'] });
    const data = loadKubeconfig({ path: p, context: 'data' });
    assert.deepEqual(data.tls, { caData: CA, certData: CERT, keyData: KEY });
    assert.equal(data.bearerToken, 't');
    assert.equal(data.disableCompression, true);
    const insecure = loadKubeconfig({ path: p, context: 'insecure' });
    assert.deepEqual(insecure.tls, { insecureSkipTLSVerify: true });
    assert.equal(insecure.username, 'admin');
    assert.equal(insecure.password, 'secret');
  });

  test('a token file is re-read once a minute and after a 401', async () => {
    const f = write('token', 'one\n');
    let now = 0;
    const src = new FileTokenSource(f, undefined, () => now);
    assert.deepEqual(await src.get(), { token: 'one' });
    writeFileSync(f, 'two');
    now = TOKEN_FILE_PERIOD_MS - 1;
    assert.deepEqual(await src.get(), { token: 'one' }, 'cached within the minute');
    now = TOKEN_FILE_PERIOD_MS;
    assert.deepEqual(await src.get(), { token: 'two' });
    writeFileSync(f, 'three');
    assert.equal(src.invalidate({ token: 'two' }), true);
    assert.deepEqual(await src.get(), { token: 'three' }, 'a 401 makes it read again at once');
    rmSync(f);
    now += 2 * TOKEN_FILE_PERIOD_MS;
    assert.deepEqual(await src.get(), { token: 'three' }, 'an unreadable file keeps the last good token');
    const fallback = new FileTokenSource(join(dir, 'never'), 'static');
    assert.deepEqual(await fallback.get(), { token: 'static' });
    await assert.rejects(new FileTokenSource(join(dir, 'never'), undefined).get(), ConfigError);
  });
});

describe('exec credential plugins', () => {
  let plugin: string;
  let counter: string;
  before(() => {
    counter = join(dir, 'exec-runs');
    // Answers per $MODE; counts its runs; echoes what it was given into the token.
    plugin = write(
      'bin/kube-login',
      `#!/bin/sh
echo run >> "${counter}"
case "$MODE" in
  fail) echo "login failed: no session" >&2; exit 3 ;;
  garbage) echo "not json"; exit 0 ;;
  wrongversion) echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"x"}}'; exit 0 ;;
  cert) printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"%s","clientKeyData":"%s"}}' "CERT" "KEY"; exit 0 ;;
esac
n=$(wc -l < "${counter}" | tr -d ' ')
info=$(printf '%s' "$KUBERNETES_EXEC_INFO" | base64 | tr -d '\\n')
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"tok-%s-%s-%s","expirationTimestamp":"%s"}}' "$n" "$1" "$info" "$EXPIRY"
`,
    );
    chmodSync(plugin, 0o755);
  });
  const runs = (): number => {
    try {
      return readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  const kubeconfigWith = (name: string, env: Record<string, string>, extra = ''): string =>
    write(
      name,
      `
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters:
- name: c
  cluster:
    server: "https://api.example:6443"
    certificate-authority-data: ${b64(CA)}
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: keelson}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/kube-login
      args: [arg1]
      interactiveMode: Never
      provideClusterInfo: true
      installHint: "install kube-login from example.com"
      env:
${Object.entries(env)
  .map(([k, v]) => `      - {name: ${k}, value: "${v}"}`)
  .join('\n')}
${extra}`,
    );

  test('runs the plugin with args, env and KUBERNETES_EXEC_INFO; caches until expiry; shares one run', async () => {
    rmSync(counter, { force: true });
    const future = new Date(Date.now() + 3600_000).toISOString();
    const config = loadKubeconfig({ path: kubeconfigWith('exec1', { EXPIRY: future, MODE: 'ok' }) });
    assert.equal(config.exec?.command, join(dir, 'bin/kube-login'), 'a relative command with a / resolves against the kubeconfig');
    const src = credentialSource(config, { stdinIsTTY: false }) as ExecCredentialPlugin;
    const [a, b] = await Promise.all([src.get(), src.get()]);
    assert.equal(runs(), 1, 'concurrent callers share one run');
    assert.equal(a, b);
    const [, n, arg, info] = /^tok-(\d+)-(\w+)-(.*)$/.exec(a.token!)!;
    assert.equal(n, '1');
    assert.equal(arg, 'arg1');
    const execInfo = JSON.parse(Buffer.from(info, 'base64').toString());
    assert.deepEqual(execInfo, {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: { interactive: false, cluster: { server: 'https://api.example:6443', 'certificate-authority-data': b64(CA), config: { audience: 'keelson' } } },
    });
    assert.equal((await src.get()).token, a.token, 'cached');
    assert.equal(runs(), 1);
    src.invalidate(a);
    assert.match((await src.get()).token!, /^tok-2-/, 'a 401 with the cached token runs the plugin again');
  });

  test('an expired credential is fetched again on the next request', async () => {
    rmSync(counter, { force: true });
    let now = Date.parse('2026-01-01T00:00:00Z');
    const expiry = new Date(now + 60_000).toISOString();
    const config = loadKubeconfig({ path: kubeconfigWith('exec2', { EXPIRY: expiry, MODE: 'ok' }) });
    const src = new ExecCredentialPlugin(config.exec!, { now: () => now, stdinIsTTY: false });
    assert.match((await src.get()).token!, /^tok-1-/);
    now += 59_999;
    assert.match((await src.get()).token!, /^tok-1-/);
    now += 1;
    assert.match((await src.get()).token!, /^tok-2-/);
    assert.equal(src.runs, 2);
  });

  test('client certificates from the plugin', async () => {
    const config = loadKubeconfig({ path: kubeconfigWith('exec3', { MODE: 'cert' }) });
    assert.deepEqual(await credentialSource(config, { stdinIsTTY: false }).get(), { certData: 'CERT', keyData: 'KEY' });
  });

  test('failures say which plugin, why, and how to install it', async () => {
    const fail = loadKubeconfig({ path: kubeconfigWith('exec4', { MODE: 'fail' }) });
    await assert.rejects(credentialSource(fail).get(), (e: unknown) => e instanceof ConfigError && /kube-login" \(kubeconfig .*exec4\) exited with code 3: login failed: no session/.test(e.message));
    const garbage = loadKubeconfig({ path: kubeconfigWith('exec5', { MODE: 'garbage' }) });
    await assert.rejects(credentialSource(garbage).get(), /not an ExecCredential JSON object: not json/);
    const wrong = loadKubeconfig({ path: kubeconfigWith('exec6', { MODE: 'wrongversion' }) });
    await assert.rejects(credentialSource(wrong).get(), /configured for client.authentication.k8s.io\/v1 but answered "client.authentication.k8s.io\/v1beta1"/);
    const missing = loadKubeconfig({ path: kubeconfigWith('exec7', {}).replace('exec7', 'exec7') });
    const m = new ExecCredentialPlugin({ ...missing.exec!, command: 'keelson-no-such-plugin' }, { stdinIsTTY: false });
    await assert.rejects(m.get(), /"keelson-no-such-plugin" was not found \(is it installed and on PATH\?\)\n\ninstall kube-login from example.com/);
    const always = new ExecCredentialPlugin({ ...missing.exec!, interactiveMode: 'Always' }, { stdinIsTTY: false });
    await assert.rejects(always.get(), /needs an interactive terminal/);
  });

  test('v1beta1 without interactiveMode defaults to IfAvailable', () => {
    const p = write(
      'exec8',
      'current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "https://x"}}]\nusers: [{name: u, user: {exec: {command: aws, args: [eks, get-token], apiVersion: client.authentication.k8s.io/v1beta1}}}]\n',
    );
    assert.deepEqual(loadKubeconfig({ path: p }).exec, { command: 'aws', args: ['eks', 'get-token'], apiVersion: 'client.authentication.k8s.io/v1beta1', interactiveMode: 'IfAvailable' });
  });
});

describe('in-cluster and client-node', () => {
  test("a pod's service account, and the fallback when no kubeconfig exists", () => {
    const sa = join(dir, 'sa');
    write('sa/token', 'sa-token\n');
    write('sa/ca.crt', CA);
    write('sa/namespace', 'payments\n');
    const c = inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir: sa });
    assert.deepEqual(c, { host: 'https://10.96.0.1:443', bearerTokenFile: join(sa, 'token'), namespace: 'payments', source: sa, tls: { caData: CA } });
    assert.equal(inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir: sa }).host, 'https://[fd00::1]:443');
    assert.throws(() => inClusterConfig({ env: {}, dir: sa }), /not running in a pod/);
  });

  test('a client-node KubeConfig converts, errors included', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://cn:6443', caData: b64(CA), skipTLSVerify: false }],
      users: [{ name: 'u', token: 'cn-token' }],
      contexts: [
        { name: 'ctx', cluster: 'c', user: 'u', namespace: 'ns1' },
        { name: 'broken', cluster: 'c', user: 'ghost' },
      ],
      currentContext: 'ctx',
    });
    const c = restConfigFromClientNode(kc);
    assert.equal(c.host, 'https://cn:6443');
    assert.equal(c.bearerToken, 'cn-token');
    assert.equal(c.namespace, 'ns1');
    assert.equal(c.tls?.caData, CA);
    assert.throws(() => restConfigFromClientNode(kc, { context: 'broken' }), /names user "ghost" which is not defined in \(an @kubernetes\/client-node KubeConfig\)/);
  });
});
