/** Writes the kubeconfig `keelson up` hands to kubectl and client libraries. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  caCertPem?: string;
  token: string;
  /** Cluster, user and context name (default "keelson"). */
  name?: string;
  namespace?: string;
}

export function kubeconfigYaml(o: KubeconfigOptions): string {
  const name = o.name ?? 'keelson';
  const cluster: Record<string, unknown> = { server: o.server };
  if (o.caCertPem) cluster['certificate-authority-data'] = Buffer.from(o.caCertPem).toString('base64');
  const context: Record<string, unknown> = { cluster: name, user: name };
  if (o.namespace) context.namespace = o.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user: { token: o.token } }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(o), { mode: 0o600 });
}
