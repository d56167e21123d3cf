/**
 * The RestConfig of a pod's service account, as client-go's rest.InClusterConfig: the API server
 * from KUBERNETES_SERVICE_HOST/PORT, the CA, token and namespace from the mounted secret. The
 * token file is re-read every minute (bound tokens rotate hourly).
 *
 * ```ts
 * const config = isInCluster() ? inClusterConfig() : loadKubeconfig();
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import type { RestConfig } from './rest-config.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  env?: Record<string, string | undefined>;
  /** Where the service-account secret is mounted; tests point it elsewhere. */
  dir?: string;
}

export function isInCluster(env: Record<string, string | undefined> = process.env, dir = SERVICE_ACCOUNT_DIR): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(dir, 'token')));
}

export function inClusterConfig(opts: InClusterOptions = {}): RestConfig {
  const env = opts.env ?? process.env;
  const dir = opts.dir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError('not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; use a kubeconfig instead', {
      field: 'KUBERNETES_SERVICE_HOST',
    });
  }
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile)) {
    throw new ConfigError(`service account token ${tokenFile} does not exist; does the pod have automountServiceAccountToken: false?`, { file: tokenFile });
  }
  const config: RestConfig = {
    host: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    bearerTokenFile: tokenFile,
    namespace: 'default',
    source: dir,
  };
  const ca = join(dir, 'ca.crt');
  if (existsSync(ca)) config.tls = { caData: readFileSync(ca, 'utf8') };
  const ns = join(dir, 'namespace');
  if (existsSync(ns)) config.namespace = readFileSync(ns, 'utf8').trim() || 'default';
  return config;
}
