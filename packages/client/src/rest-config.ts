/**
 * Everything a client needs to reach one API server as one user: client-go's rest.Config. Built
 * by `loadKubeconfig()` (kubectl's rules), `inClusterConfig()` (a pod's service account), or by
 * hand in tests.
 *
 * ```ts
 * const config: RestConfig = { host: 'https://127.0.0.1:6443', tls: { caData: pem }, bearerToken: 't' };
 * const client = new Client(config);
 * ```
 */
import type { RetryPolicy } from './retry.js';

export interface TlsConfig {
  /** PEM of the CA bundle that signs the server's certificate; unset trusts Node's default CAs. */
  caData?: string;
  /** PEM client certificate and key (mutual TLS). */
  certData?: string;
  keyData?: string;
  /** Skips server certificate verification (kubeconfig `insecure-skip-tls-verify`). */
  insecureSkipTLSVerify?: boolean;
  /** The name to verify the server's certificate against, when not the host of the URL. */
  serverName?: string;
}

/** A kubeconfig `exec` credential plugin (client.authentication.k8s.io/v1 or v1beta1). */
export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
  /** The cluster's `extensions[client.authentication.k8s.io/exec]`, passed to the plugin with the cluster info. */
  clusterConfig?: unknown;
}

export interface ImpersonationConfig {
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface RestConfig {
  /** The server's base URL (`https://host:port`, possibly with a path prefix). */
  host: string;
  /** The namespace of the kubeconfig context ("default" when it sets none): where namespaced work goes unless told otherwise. */
  namespace?: string;
  /** The kubeconfig context this came from, for messages. */
  contextName?: string;
  tls?: TlsConfig;
  bearerToken?: string;
  /** Re-read every minute (bound service-account tokens rotate); wins over bearerToken when readable. */
  bearerTokenFile?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  impersonate?: ImpersonationConfig;
  /**
   * An `http://` or `https://` proxy reached with CONNECT (kubeconfig `proxy-url`). Unset: the
   * environment's HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as client-go (proxy-agent.ts).
   */
  proxyUrl?: string;
  /** Do not ask for gzip (kubeconfig `disable-compression`). */
  disableCompression?: boolean;
  /** Requests per second the client allows itself; default 5 (client-go's). 0 disables rate limiting. */
  qps?: number;
  /** Requests allowed at once above qps; default 10 (client-go's). */
  burst?: number;
  /** Retry policy; `{ maxRetries: 0 }` disables retries. */
  retry?: Partial<RetryPolicy>;
  /** Whole-request timeout for non-watch requests; 0 or unset means none (cancel with an AbortSignal). */
  timeoutMs?: number;
  userAgent?: string;
  /** Called with the text of every `Warning` header the server sends (deprecations, unknown fields). */
  onWarning?: (message: string) => void;
  /** Where this config came from (kubeconfig files), for error messages. */
  source?: string;
}
