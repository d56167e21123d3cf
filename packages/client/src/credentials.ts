/**
 * Where a request's credentials come from, per RestConfig:
 * - `exec`: a credential plugin (client.authentication.k8s.io/v1 ExecCredential). Its answer is
 *   cached until its `expirationTimestamp` (forever without one); a 401 with the cached answer
 *   drops it so the next request runs the plugin again, as client-go's exec authenticator does.
 *   Concurrent requests share one plugin run.
 * - `bearerTokenFile`: re-read at most once a minute (client-go's cached file token source),
 *   falling back to the last good value, then to `bearerToken`, when the file cannot be read.
 * - `bearerToken`, `username`/`password`: static.
 *
 * ```ts
 * const creds = credentialSource(config);
 * const { token } = await creds.get(signal); // Authorization: Bearer <token>
 * ```
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { raceAbort } from './clock.js';
import { ConfigError } from './errors.js';
import type { ExecConfig, RestConfig } from './rest-config.js';

export interface Credentials {
  token?: string;
  /** user:password for Basic auth. */
  basic?: { username: string; password: string };
  /** PEM client certificate and key from an exec plugin (override the config's). */
  certData?: string;
  keyData?: string;
}

export interface CredentialSource {
  get(signal?: AbortSignal): Promise<Credentials>;
  /** The server said 401 to `used`; returns true when asking again could give different credentials. */
  invalidate(used: Credentials): boolean;
}

/** How often a token file is re-read (client-go's NewCachedFileTokenSource period). */
export const TOKEN_FILE_PERIOD_MS = 60_000;

class StaticCredentials implements CredentialSource {
  constructor(private readonly creds: Credentials) {}
  get(): Promise<Credentials> {
    return Promise.resolve(this.creds);
  }
  invalidate(): boolean {
    return false;
  }
}

export class FileTokenSource implements CredentialSource {
  private token?: string;
  private readAt = -Infinity;
  constructor(
    private readonly path: string,
    private readonly fallback: string | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<Credentials> {
    const now = this.now();
    if (this.token === undefined || now - this.readAt >= TOKEN_FILE_PERIOD_MS) {
      try {
        const t = readFileSync(this.path, 'utf8').trim();
        if (t) this.token = t;
        this.readAt = now;
      } catch (e) {
        if (this.token === undefined && this.fallback === undefined) {
          return Promise.reject(new ConfigError(`cannot read bearer token file ${this.path}: ${(e as Error).message}`, { file: this.path, cause: e }));
        }
      }
    }
    return Promise.resolve({ token: this.token ?? this.fallback });
  }

  invalidate(used: Credentials): boolean {
    if (used.token !== this.token) return true;
    this.readAt = -Infinity; // re-read now: the kubelet may have just rotated it
    return true;
  }
}

/** The ExecCredential a plugin prints on stdout. */
interface ExecCredential {
  kind?: string;
  apiVersion?: string;
  status?: {
    token?: string;
    clientCertificateData?: string;
    clientKeyData?: string;
    expirationTimestamp?: string;
  };
}

export interface ExecPluginOptions {
  /** The cluster, passed to the plugin when provideClusterInfo is set. */
  cluster?: Pick<RestConfig, 'host' | 'tls' | 'proxyUrl' | 'disableCompression'>;
  /** Where the config came from, for messages. */
  source?: string;
  /** Wall clock (expirationTimestamp is wall time). */
  now?: () => number;
  /** Whether stdin is a terminal; process.stdin.isTTY by default. */
  stdinIsTTY?: boolean;
}

export class ExecCredentialPlugin implements CredentialSource {
  private cached?: { creds: Credentials; expiresAt?: number };
  private running?: Promise<Credentials>;
  /** How many times the plugin has run (tests and metrics). */
  runs = 0;

  constructor(
    private readonly exec: ExecConfig,
    private readonly opts: ExecPluginOptions = {},
  ) {}

  private get now(): number {
    return (this.opts.now ?? Date.now)();
  }

  get(signal?: AbortSignal): Promise<Credentials> {
    const c = this.cached;
    if (c && (c.expiresAt === undefined || this.now < c.expiresAt)) return Promise.resolve(c.creds);
    // One run for everyone waiting; each caller's signal only stops its own wait.
    this.running ??= this.run().finally(() => (this.running = undefined));
    return signal ? raceAbort(this.running, signal) : this.running;
  }

  invalidate(used: Credentials): boolean {
    if (this.cached && this.cached.creds.token === used.token && this.cached.creds.certData === used.certData) this.cached = undefined;
    return true;
  }

  private where(): string {
    return `exec credential plugin "${this.exec.command}"${this.opts.source ? ` (kubeconfig ${this.opts.source})` : ''}`;
  }

  private fail(what: string, cause?: unknown): ConfigError {
    return new ConfigError(`${this.where()} ${what}`, { file: this.opts.source, field: 'user.exec', cause });
  }

  private interactive(): boolean {
    const tty = this.opts.stdinIsTTY ?? Boolean(process.stdin.isTTY);
    switch (this.exec.interactiveMode ?? 'IfAvailable') {
      case 'Never':
        return false;
      case 'Always':
        if (!tty) throw this.fail('needs an interactive terminal (interactiveMode: Always) but standard input is not one');
        return true;
      default:
        return tty;
    }
  }

  private execInfo(interactive: boolean): string {
    const spec: Record<string, unknown> = { interactive };
    const cl = this.opts.cluster;
    if (this.exec.provideClusterInfo && cl) {
      const cluster: Record<string, unknown> = { server: cl.host };
      if (cl.tls?.serverName) cluster['tls-server-name'] = cl.tls.serverName;
      if (cl.tls?.insecureSkipTLSVerify) cluster['insecure-skip-tls-verify'] = true;
      if (cl.tls?.caData) cluster['certificate-authority-data'] = Buffer.from(cl.tls.caData).toString('base64');
      if (cl.proxyUrl) cluster['proxy-url'] = cl.proxyUrl;
      if (cl.disableCompression) cluster['disable-compression'] = true;
      if (this.exec.clusterConfig !== undefined) cluster.config = this.exec.clusterConfig;
      spec.cluster = cluster;
    }
    return JSON.stringify({ kind: 'ExecCredential', apiVersion: this.exec.apiVersion, spec });
  }

  private async run(): Promise<Credentials> {
    const interactive = this.interactive();
    const env: Record<string, string | undefined> = { ...process.env };
    for (const e of this.exec.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = this.execInfo(interactive);
    this.runs++;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
      const child = spawn(this.exec.command, this.exec.args ?? [], {
        env,
        stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') {
          return reject(
            this.fail(
              `was not found (is it installed and on PATH?)${this.exec.installHint ? `\n\n${this.exec.installHint.trim()}` : ''}`,
              e,
            ),
          );
        }
        reject(this.fail(`could not be started: ${e.message}`, e));
      });
      child.on('close', (c) => resolvePromise({ code: c, stdout: out, stderr: err }));
    });
    if (code !== 0) {
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      throw this.fail(`exited with ${code === null ? 'a signal' : `code ${code}`}${tail ? `: ${tail}` : ''}`);
    }
    let cred: ExecCredential;
    try {
      cred = JSON.parse(stdout) as ExecCredential;
    } catch (e) {
      throw this.fail(`printed something that is not an ExecCredential JSON object: ${stdout.slice(0, 120)}`, e);
    }
    if (cred?.kind !== 'ExecCredential') throw this.fail(`printed kind ${JSON.stringify(cred?.kind)}, not ExecCredential`);
    if (cred.apiVersion !== this.exec.apiVersion) {
      throw this.fail(`is configured for ${this.exec.apiVersion} but answered ${JSON.stringify(cred.apiVersion)}; fix the kubeconfig's exec apiVersion`);
    }
    const st = cred.status;
    if (!st || (!st.token && !(st.clientCertificateData && st.clientKeyData))) {
      throw this.fail('answered without status.token or status.clientCertificateData and clientKeyData');
    }
    if ((st.clientCertificateData && !st.clientKeyData) || (!st.clientCertificateData && st.clientKeyData)) {
      throw this.fail('answered a client certificate without its key (or a key without its certificate)');
    }
    const creds: Credentials = {};
    if (st.token) creds.token = st.token;
    if (st.clientCertificateData) {
      creds.certData = st.clientCertificateData;
      creds.keyData = st.clientKeyData;
    }
    let expiresAt: number | undefined;
    if (st.expirationTimestamp) {
      expiresAt = Date.parse(st.expirationTimestamp);
      if (Number.isNaN(expiresAt)) throw this.fail(`answered an expirationTimestamp that is not RFC 3339: ${st.expirationTimestamp}`);
    }
    this.cached = expiresAt === undefined ? { creds } : { creds, expiresAt };
    return creds;
  }
}

/** The credential source for a RestConfig (see the module comment for the precedence). */
export function credentialSource(config: RestConfig, opts: Pick<ExecPluginOptions, 'now' | 'stdinIsTTY'> = {}): CredentialSource {
  if (config.exec) {
    const pluginOpts: ExecPluginOptions = { cluster: config, ...opts };
    if (config.source) pluginOpts.source = config.source;
    return new ExecCredentialPlugin(config.exec, pluginOpts);
  }
  if (config.bearerTokenFile) return new FileTokenSource(config.bearerTokenFile, config.bearerToken);
  const creds: Credentials = {};
  if (config.bearerToken) creds.token = config.bearerToken;
  if (config.username !== undefined || config.password !== undefined) creds.basic = { username: config.username ?? '', password: config.password ?? '' };
  return new StaticCredentials(creds);
}
