/**
 * kubeconfig loading as kubectl does it (client-go's clientcmd loading rules):
 *
 * - An explicit path (kubectl's `--kubeconfig`) is the only file read, and must exist.
 * - Else `KUBECONFIG`, a list of files separated by ':' (';' on Windows), merged: files that do
 *   not exist are skipped; for clusters, users and contexts the **first** file to define a name
 *   wins and its entry is taken whole; the first file to set `current-context` wins.
 * - Else `~/.kube/config`; and when that does not exist either but the process runs in a pod,
 *   the pod's service account (`inClusterConfig()`), as client-go's deferred loader does.
 * - Relative paths (certificate-authority, client-certificate, client-key, tokenFile, and an
 *   exec command containing a '/') are resolved against the file that defined them.
 * - The context is `context` if given, else `current-context`; its namespace defaults to "default".
 *
 * Why not @kubernetes/client-node's `KubeConfig` for the merge: it throws on a name defined in
 * two files (kubectl takes the first), lets a later file's current-context win unless told
 * otherwise, reads `tokenFile` once at load (client-go re-reads it, tokens rotate), resolves
 * `tokenFile` against the working directory, forgets which file each entry came from (so its
 * errors cannot name it), and costs ~1 s of startup to import. `restConfigFromClientNode()`
 * (client-node.ts) still takes one of its KubeConfig objects, for programs that have one.
 *
 * ```ts
 * const config = loadKubeconfig({ context: 'prod' });
 * config.host; config.namespace; // 'https://10.0.0.1:6443', 'default'
 * ```
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors.js';
import { inClusterConfig, isInCluster } from './in-cluster.js';
import type { ExecConfig, RestConfig } from './rest-config.js';

export interface KubeconfigCluster {
  name: string;
  server: string;
  certificateAuthority?: string;
  certificateAuthorityData?: string;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  disableCompression?: boolean;
  extensions?: Record<string, unknown>;
  /** The file that defined it. */
  origin: string;
}

export interface KubeconfigUser {
  name: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  as?: string;
  asUid?: string;
  asGroups?: string[];
  asUserExtra?: Record<string, string[]>;
  exec?: Omit<ExecConfig, 'clusterConfig' | 'interactiveMode' | 'apiVersion'> & { apiVersion?: string; interactiveMode?: string };
  authProvider?: { name?: string };
  origin: string;
}

export interface KubeconfigContext {
  name: string;
  cluster: string;
  user?: string;
  namespace?: string;
  origin: string;
}

/** One kubeconfig file, parsed, with its relative paths made absolute. */
export interface KubeconfigFile {
  path: string;
  currentContext?: string;
  clusters: KubeconfigCluster[];
  users: KubeconfigUser[];
  contexts: KubeconfigContext[];
}

/** The merged view of every file that was read. */
export interface Kubeconfig {
  /** The files read, in precedence order (may be empty: nothing found). */
  files: string[];
  currentContext?: string;
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
}

export interface ReadKubeconfigOptions {
  /** kubectl's `--kubeconfig`: only this file, which must exist. */
  path?: string;
  /** Environment to read KUBECONFIG and HOME from; process.env by default. */
  env?: Record<string, string | undefined>;
}

export interface LoadKubeconfigOptions extends ReadKubeconfigOptions {
  /** kubectl's `--context`; the current-context by default. */
  context?: string;
  /** Overrides of the context's cluster, user and namespace (kubectl's `--cluster`, `--user`, `--namespace`). */
  cluster?: string;
  user?: string;
  namespace?: string;
  /** Fall back to the pod's service account when no kubeconfig exists; default true (client-go does). */
  inCluster?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function filesOf(kc: { files: string[] }): string {
  return kc.files.length ? kc.files.join(', ') : '(no kubeconfig file)';
}

/** Reads and parses one kubeconfig file. Throws ConfigError naming the file (and line, for YAML errors). */
export function readKubeconfigFile(path: string): KubeconfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read kubeconfig ${path}: ${(e as Error).message}`, { file: path, cause: e });
  }
  return parseKubeconfig(text, path);
}

/** Parses a kubeconfig's text; `path` names it in errors and anchors its relative paths. */
export function parseKubeconfig(text: string, path: string): KubeconfigFile {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(`kubeconfig ${path} is not valid YAML${where}: ${e.message.split('\n')[0]}`, { file: path, cause: e });
  }
  const raw: unknown = doc.toJS();
  const out: KubeconfigFile = { path, clusters: [], users: [], contexts: [] };
  if (raw === null || raw === undefined) return out; // an empty file is an empty config, as in kubectl
  if (!isObj(raw)) throw new ConfigError(`kubeconfig ${path} is not a map of clusters, users and contexts (it is a ${Array.isArray(raw) ? 'list' : typeof raw})`, { file: path });
  if (raw.kind !== undefined && raw.kind !== 'Config') {
    throw new ConfigError(`kubeconfig ${path} has kind ${JSON.stringify(raw.kind)}; a kubeconfig has kind: Config`, { file: path, field: 'kind' });
  }
  const dir = dirname(resolve(path));
  const abs = (p: string | undefined): string | undefined => (p === undefined || p === '' || isAbsolute(p) ? p || undefined : join(dir, p));
  const fail = (field: string, what: string): ConfigError => new ConfigError(`kubeconfig ${path}: ${field} ${what}`, { file: path, field });
  const str = (o: Obj, key: string, field: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw fail(`${field}.${key}`, `must be a string, not ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (o: Obj, key: string, field: string): boolean | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw fail(`${field}.${key}`, `must be true or false, not ${JSON.stringify(v)}`);
    return v;
  };
  /** The entries of a named list (clusters, users, contexts), each checked for `name` and its body. */
  const entries = (listKey: string, bodyKey: string): { name: string; body: Obj; field: string }[] => {
    const list = raw[listKey];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw fail(listKey, `must be a list of {name: ..., ${bodyKey}: {...}}`);
    return list.map((e: unknown, i) => {
      if (!isObj(e)) throw fail(`${listKey}[${i}]`, `must be a map with name: and ${bodyKey}:`);
      if (typeof e.name !== 'string' || e.name === '') throw fail(`${listKey}[${i}].name`, `is missing; every entry of ${listKey} needs a name`);
      const body = e[bodyKey] ?? {};
      if (!isObj(body)) throw fail(`${listKey}[${e.name}].${bodyKey}`, 'must be a map');
      return { name: e.name, body, field: `${listKey}[${e.name}].${bodyKey}` };
    });
  };

  const cc = raw['current-context'];
  if (cc !== undefined && cc !== null && typeof cc !== 'string') throw fail('current-context', 'must be a string');
  if (cc) out.currentContext = cc;

  for (const { name, body, field } of entries('clusters', 'cluster')) {
    const server = str(body, 'server', field) ?? '';
    const c: KubeconfigCluster = { name, server, origin: path };
    const ca = abs(str(body, 'certificate-authority', field));
    if (ca) c.certificateAuthority = ca;
    const caData = str(body, 'certificate-authority-data', field);
    if (caData) c.certificateAuthorityData = caData;
    const insecure = bool(body, 'insecure-skip-tls-verify', field);
    if (insecure !== undefined) c.insecureSkipTLSVerify = insecure;
    const sni = str(body, 'tls-server-name', field);
    if (sni) c.tlsServerName = sni;
    const proxy = str(body, 'proxy-url', field);
    if (proxy) c.proxyUrl = proxy;
    const dc = bool(body, 'disable-compression', field);
    if (dc !== undefined) c.disableCompression = dc;
    const ext = body.extensions;
    if (Array.isArray(ext)) {
      c.extensions = {};
      for (const x of ext) if (isObj(x) && typeof x.name === 'string') c.extensions[x.name] = x.extension;
    }
    out.clusters.push(c);
  }

  for (const { name, body, field } of entries('users', 'user')) {
    const u: KubeconfigUser = { name, origin: path };
    const set = <K extends keyof KubeconfigUser>(k: K, v: KubeconfigUser[K] | undefined): void => {
      if (v !== undefined && v !== '') u[k] = v;
    };
    set('clientCertificate', abs(str(body, 'client-certificate', field)));
    set('clientCertificateData', str(body, 'client-certificate-data', field));
    set('clientKey', abs(str(body, 'client-key', field)));
    set('clientKeyData', str(body, 'client-key-data', field));
    set('token', str(body, 'token', field));
    set('tokenFile', abs(str(body, 'tokenFile', field)));
    set('username', str(body, 'username', field));
    set('password', str(body, 'password', field));
    set('as', str(body, 'as', field));
    set('asUid', str(body, 'as-uid', field));
    const groups = body['as-groups'];
    if (groups !== undefined && groups !== null) {
      if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) throw fail(`${field}.as-groups`, 'must be a list of strings');
      if (groups.length) u.asGroups = groups as string[];
    }
    const extra = body['as-user-extra'];
    if (isObj(extra)) {
      u.asUserExtra = {};
      for (const [k, v] of Object.entries(extra)) u.asUserExtra[k] = Array.isArray(v) ? v.map(String) : [String(v)];
    }
    const ap = body['auth-provider'];
    if (isObj(ap)) u.authProvider = { name: typeof ap.name === 'string' ? ap.name : undefined };
    const exec = body.exec;
    if (exec !== undefined && exec !== null) {
      const ef = `${field}.exec`;
      if (!isObj(exec)) throw fail(ef, 'must be a map with command: and apiVersion:');
      const command = str(exec, 'command', ef);
      if (!command) throw fail(`${ef}.command`, 'is missing; name the credential plugin to run');
      const args = exec.args;
      if (args !== undefined && args !== null && (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))) throw fail(`${ef}.args`, 'must be a list of strings');
      const env = exec.env;
      if (env !== undefined && env !== null && (!Array.isArray(env) || env.some((e) => !isObj(e) || typeof e.name !== 'string' || typeof e.value !== 'string'))) {
        throw fail(`${ef}.env`, 'must be a list of {name: ..., value: ...} with string values');
      }
      const resolvedCommand = !isAbsolute(command) && command.includes(sep) ? join(dir, command) : command;
      u.exec = { command: resolvedCommand };
      if (Array.isArray(args) && args.length) u.exec.args = args as string[];
      if (Array.isArray(env) && env.length) u.exec.env = env as { name: string; value: string }[];
      const apiVersion = str(exec, 'apiVersion', ef);
      if (apiVersion) u.exec.apiVersion = apiVersion;
      const hint = str(exec, 'installHint', ef);
      if (hint) u.exec.installHint = hint;
      const pci = bool(exec, 'provideClusterInfo', ef);
      if (pci) u.exec.provideClusterInfo = pci;
      const im = str(exec, 'interactiveMode', ef);
      if (im) u.exec.interactiveMode = im;
    }
    out.users.push(u);
  }

  for (const { name, body, field } of entries('contexts', 'context')) {
    const ctx: KubeconfigContext = { name, cluster: str(body, 'cluster', field) ?? '', origin: path };
    const user = str(body, 'user', field);
    if (user) ctx.user = user;
    const ns = str(body, 'namespace', field);
    if (ns) ctx.namespace = ns;
    out.contexts.push(ctx);
  }
  return out;
}

/** kubectl's merge: the first file to define a name wins whole; the first current-context wins. */
export function mergeKubeconfigs(files: KubeconfigFile[]): Kubeconfig {
  const kc: Kubeconfig = { files: files.map((f) => f.path), clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const f of files) {
    if (kc.currentContext === undefined && f.currentContext) kc.currentContext = f.currentContext;
    for (const c of f.clusters) if (!kc.clusters.has(c.name)) kc.clusters.set(c.name, c);
    for (const u of f.users) if (!kc.users.has(u.name)) kc.users.set(u.name, u);
    for (const c of f.contexts) if (!kc.contexts.has(c.name)) kc.contexts.set(c.name, c);
  }
  return kc;
}

/** The files kubectl would read, in precedence order, and whether they must exist. */
export function kubeconfigPaths(opts: ReadKubeconfigOptions = {}): { paths: string[]; explicit: boolean } {
  if (opts.path) return { paths: [resolve(opts.path)], explicit: true };
  const env = opts.env ?? process.env;
  const list = env.KUBECONFIG;
  if (list) {
    const seen = new Set<string>();
    const paths: string[] = [];
    for (const p of list.split(delimiter)) {
      if (!p) continue;
      const r = resolve(p);
      if (!seen.has(r)) {
        seen.add(r);
        paths.push(r);
      }
    }
    return { paths, explicit: false };
  }
  const home = env.HOME || env.USERPROFILE || homedir();
  return { paths: [join(home, '.kube', 'config')], explicit: false };
}

/** Reads and merges the kubeconfig files kubectl would (see the module comment). */
export function readKubeconfig(opts: ReadKubeconfigOptions = {}): Kubeconfig {
  const { paths, explicit } = kubeconfigPaths(opts);
  const files: KubeconfigFile[] = [];
  for (const p of paths) {
    if (!explicit && !existsSync(p)) continue; // KUBECONFIG may list files that do not exist yet
    if (existsSync(p) && statSync(p).isDirectory()) throw new ConfigError(`kubeconfig ${p} is a directory; point at the kubeconfig file inside it`, { file: p });
    files.push(readKubeconfigFile(p));
  }
  return mergeKubeconfigs(files);
}

/** Reads a file a kubeconfig names (CA, certificate, key) or throws a ConfigError that says which field named it. */
function readReferenced(file: string, what: string, field: string, origin: string, dataField: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `${what} ${file} (${field}, in kubeconfig ${origin}) cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; fix the path or inline it as ${dataField}`,
      { file: origin, field, cause: e },
    );
  }
}

function decodePem(data: string, what: string, field: string, origin: string): string {
  const pem = Buffer.from(data, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN')) {
    throw new ConfigError(`${field} in kubeconfig ${origin} is not a base64-encoded PEM ${what}; encode the PEM file with base64 -w0`, { file: origin, field });
  }
  return pem;
}

/**
 * The RestConfig for one context of a merged kubeconfig. Checks what kubectl checks (the context,
 * its cluster and user exist; the cluster has a server; files it names can be read) and throws
 * ConfigErrors that say where and how to fix it.
 */
export function restConfigFromKubeconfig(kc: Kubeconfig, opts: Omit<LoadKubeconfigOptions, 'path' | 'env' | 'inCluster'> = {}): RestConfig {
  const where = filesOf(kc);
  const contextName = opts.context || kc.currentContext;
  let ctx: KubeconfigContext | undefined;
  if (contextName) {
    ctx = kc.contexts.get(contextName);
    if (!ctx) {
      const known = [...kc.contexts.keys()];
      const field = opts.context ? 'context' : 'current-context';
      throw new ConfigError(
        `kubeconfig ${field} "${contextName}" is not defined in ${where}${known.length ? ` (contexts: ${known.join(', ')})` : ' (it defines no contexts)'}; ` +
          `${opts.context ? 'pass one of them' : 'run kubectl config use-context NAME'} or add the context`,
        { file: where, field },
      );
    }
  } else if (!opts.cluster) {
    const known = [...kc.contexts.keys()];
    throw new ConfigError(
      kc.files.length === 0
        ? 'no kubeconfig found: set KUBECONFIG, pass a path, or create ~/.kube/config (and not running in a pod)'
        : `kubeconfig ${where} sets no current-context; ${known.length ? `pass a context (${known.join(', ')}) or run kubectl config use-context NAME` : 'it defines no contexts either; add one with kubectl config set-context'}`,
      { file: where, field: 'current-context' },
    );
  }

  const clusterName = opts.cluster || ctx?.cluster;
  if (!clusterName) {
    throw new ConfigError(`kubeconfig context "${contextName}" in ${ctx!.origin} names no cluster; set contexts[${contextName}].context.cluster`, {
      file: ctx!.origin,
      field: `contexts[${contextName}].context.cluster`,
    });
  }
  const cluster = kc.clusters.get(clusterName);
  if (!cluster) {
    const by = opts.cluster ? 'the cluster override' : `kubeconfig context "${contextName}"`;
    throw new ConfigError(`${by} names cluster "${clusterName}" which is not defined in ${where}; add it under clusters or fix contexts[${contextName}].context.cluster`, {
      file: where,
      field: opts.cluster ? 'cluster' : `contexts[${contextName}].context.cluster`,
    });
  }
  const userName = opts.user || ctx?.user;
  let user: KubeconfigUser | undefined;
  if (userName) {
    user = kc.users.get(userName);
    if (!user) {
      const by = opts.user ? 'the user override' : `kubeconfig context "${contextName}"`;
      throw new ConfigError(`${by} names user "${userName}" which is not defined in ${where}; add it under users or fix contexts[${contextName}].context.user`, {
        file: where,
        field: opts.user ? 'user' : `contexts[${contextName}].context.user`,
      });
    }
  }

  const cf = `clusters[${cluster.name}].cluster`;
  if (!cluster.server) {
    throw new ConfigError(`kubeconfig cluster "${cluster.name}" in ${cluster.origin} has no server; set ${cf}.server to the API server's URL`, {
      file: cluster.origin,
      field: `${cf}.server`,
    });
  }
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new ConfigError(`${cf}.server ${JSON.stringify(cluster.server)} in kubeconfig ${cluster.origin} is not a URL; write it as https://host:port`, {
      file: cluster.origin,
      field: `${cf}.server`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${cf}.server ${cluster.server} in kubeconfig ${cluster.origin} is neither https:// nor http://`, { file: cluster.origin, field: `${cf}.server` });
  }

  const config: RestConfig = {
    host: cluster.server.replace(/\/+$/, ''),
    namespace: opts.namespace || ctx?.namespace || 'default',
    source: where,
  };
  if (contextName) config.contextName = contextName;

  const tls: NonNullable<RestConfig['tls']> = {};
  if ((cluster.certificateAuthority || cluster.certificateAuthorityData) && cluster.insecureSkipTLSVerify) {
    throw new ConfigError(
      `kubeconfig cluster "${cluster.name}" in ${cluster.origin} sets both a certificate authority and insecure-skip-tls-verify; ` +
        `remove one (kubectl refuses the combination too)`,
      { file: cluster.origin, field: `${cf}.insecure-skip-tls-verify` },
    );
  }
  if (cluster.certificateAuthorityData) tls.caData = decodePem(cluster.certificateAuthorityData, 'certificate', `${cf}.certificate-authority-data`, cluster.origin);
  else if (cluster.certificateAuthority) {
    tls.caData = readReferenced(cluster.certificateAuthority, 'certificate authority', `${cf}.certificate-authority`, cluster.origin, 'certificate-authority-data');
  }
  if (cluster.insecureSkipTLSVerify) tls.insecureSkipTLSVerify = true;
  if (cluster.tlsServerName) tls.serverName = cluster.tlsServerName;
  if (cluster.proxyUrl) {
    let p: URL;
    try {
      p = new URL(cluster.proxyUrl);
    } catch {
      throw new ConfigError(`${cf}.proxy-url ${JSON.stringify(cluster.proxyUrl)} in kubeconfig ${cluster.origin} is not a URL`, { file: cluster.origin, field: `${cf}.proxy-url` });
    }
    if (p.protocol !== 'http:' && p.protocol !== 'https:') {
      throw new ConfigError(`${cf}.proxy-url ${cluster.proxyUrl} in kubeconfig ${cluster.origin} uses ${p.protocol.replace(':', '')}; this client supports http:// and https:// proxies (CONNECT), not SOCKS`, {
        file: cluster.origin,
        field: `${cf}.proxy-url`,
      });
    }
    config.proxyUrl = cluster.proxyUrl;
  }
  if (cluster.disableCompression) config.disableCompression = true;

  if (user) {
    const uf = `users[${user.name}].user`;
    const o = user.origin;
    if (user.authProvider) {
      throw new ConfigError(
        `kubeconfig user "${user.name}" in ${o} uses auth-provider "${user.authProvider.name ?? '?'}", which Kubernetes removed in 1.26; ` +
          `switch the user to its exec credential plugin (kubelogin for OIDC, gke-gcloud-auth-plugin for GKE)`,
        { file: o, field: `${uf}.auth-provider` },
      );
    }
    if (user.clientCertificateData) tls.certData = decodePem(user.clientCertificateData, 'certificate', `${uf}.client-certificate-data`, o);
    else if (user.clientCertificate) tls.certData = readReferenced(user.clientCertificate, 'client certificate', `${uf}.client-certificate`, o, 'client-certificate-data');
    if (user.clientKeyData) tls.keyData = decodePem(user.clientKeyData, 'key', `${uf}.client-key-data`, o);
    else if (user.clientKey) tls.keyData = readReferenced(user.clientKey, 'client key', `${uf}.client-key`, o, 'client-key-data');
    if (tls.certData && !tls.keyData) {
      throw new ConfigError(`kubeconfig user "${user.name}" in ${o} has a client certificate but no key; set ${uf}.client-key or client-key-data`, { file: o, field: `${uf}.client-key` });
    }
    if (tls.keyData && !tls.certData) {
      throw new ConfigError(`kubeconfig user "${user.name}" in ${o} has a client key but no certificate; set ${uf}.client-certificate or client-certificate-data`, {
        file: o,
        field: `${uf}.client-certificate`,
      });
    }
    if ((user.token || user.tokenFile) && (user.username || user.password)) {
      throw new ConfigError(`kubeconfig user "${user.name}" in ${o} sets both a token and username/password; keep one (kubectl refuses both)`, { file: o, field: uf });
    }
    if (user.token) config.bearerToken = user.token;
    if (user.tokenFile) {
      if (!existsSync(user.tokenFile)) {
        throw new ConfigError(`token file ${user.tokenFile} (${uf}.tokenFile, in kubeconfig ${o}) does not exist; fix the path or use token:`, { file: o, field: `${uf}.tokenFile` });
      }
      config.bearerTokenFile = user.tokenFile;
    }
    if (user.username !== undefined || user.password !== undefined) {
      config.username = user.username ?? '';
      config.password = user.password ?? '';
    }
    if (user.as || user.asUid || user.asGroups || user.asUserExtra) {
      config.impersonate = {};
      if (user.as) config.impersonate.user = user.as;
      if (user.asUid) config.impersonate.uid = user.asUid;
      if (user.asGroups) config.impersonate.groups = user.asGroups;
      if (user.asUserExtra) config.impersonate.extra = user.asUserExtra;
    }
    if (user.exec) config.exec = execConfig(user, cluster, uf);
  }
  if (Object.keys(tls).length) config.tls = tls;
  return config;
}

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

function execConfig(user: KubeconfigUser, cluster: KubeconfigCluster, uf: string): ExecConfig {
  const e = user.exec!;
  const o = user.origin;
  const field = `${uf}.exec`;
  const apiVersion = e.apiVersion;
  if (!apiVersion || !(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new ConfigError(
      `kubeconfig user "${user.name}" in ${o}: exec apiVersion ${apiVersion ? JSON.stringify(apiVersion) : 'is missing'}; ` +
        `set ${field}.apiVersion to client.authentication.k8s.io/v1 (v1alpha1 was removed in Kubernetes 1.24)`,
      { file: o, field: `${field}.apiVersion` },
    );
  }
  let interactiveMode = e.interactiveMode;
  if (!interactiveMode) {
    // client-go defaults it for v1beta1 and requires it for v1.
    if (apiVersion === 'client.authentication.k8s.io/v1beta1') interactiveMode = 'IfAvailable';
    else {
      throw new ConfigError(`kubeconfig user "${user.name}" in ${o}: ${field}.interactiveMode must be set for exec apiVersion v1 (Never, IfAvailable or Always)`, {
        file: o,
        field: `${field}.interactiveMode`,
      });
    }
  }
  if (!['Never', 'IfAvailable', 'Always'].includes(interactiveMode)) {
    throw new ConfigError(`kubeconfig user "${user.name}" in ${o}: ${field}.interactiveMode ${JSON.stringify(interactiveMode)} is not Never, IfAvailable or Always`, {
      file: o,
      field: `${field}.interactiveMode`,
    });
  }
  const out: ExecConfig = {
    command: e.command,
    apiVersion: apiVersion as ExecConfig['apiVersion'],
    interactiveMode: interactiveMode as NonNullable<ExecConfig['interactiveMode']>,
  };
  if (e.args) out.args = e.args;
  if (e.env) out.env = e.env;
  if (e.installHint) out.installHint = e.installHint;
  if (e.provideClusterInfo) {
    out.provideClusterInfo = true;
    const ext = cluster.extensions?.['client.authentication.k8s.io/exec'];
    if (ext !== undefined) out.clusterConfig = ext;
  }
  return out;
}

/**
 * kubectl's whole loading path: read and merge the kubeconfig files, pick the context, build its
 * RestConfig; with no kubeconfig at all inside a pod, the pod's service account.
 *
 * ```ts
 * const config = loadKubeconfig();                                  // KUBECONFIG or ~/.kube/config
 * const prod = loadKubeconfig({ path: '/etc/ops/kubeconfig', context: 'prod' });
 * ```
 */
export function loadKubeconfig(opts: LoadKubeconfigOptions = {}): RestConfig {
  const kc = readKubeconfig(opts);
  const nothing = kc.files.length === 0 && !opts.path;
  if (nothing && opts.inCluster !== false && !opts.context && isInCluster(opts.env)) {
    const c = inClusterConfig({ env: opts.env });
    if (opts.namespace) c.namespace = opts.namespace;
    return c;
  }
  return restConfigFromKubeconfig(kc, opts);
}
