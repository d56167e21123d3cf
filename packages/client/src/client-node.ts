/**
 * A RestConfig from an @kubernetes/client-node `KubeConfig`, for programs that already load one
 * (or build one with `loadFromOptions`). Only its types are imported: this costs nothing at run
 * time, and client-node stays optional for users of this package.
 *
 * ```ts
 * const kc = new k8s.KubeConfig();
 * kc.loadFromDefault();
 * const client = new Client(restConfigFromClientNode(kc));
 * ```
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { mergeKubeconfigs, restConfigFromKubeconfig, type KubeconfigUser } from './kubeconfig.js';
import type { RestConfig } from './rest-config.js';

const ORIGIN = '(an @kubernetes/client-node KubeConfig)';

/** The structural part of client-node's KubeConfig this reads. */
export type ClientNodeKubeConfig = Pick<KubeConfig, 'getClusters' | 'getUsers' | 'getContexts' | 'getCurrentContext'>;

export function restConfigFromClientNode(kc: ClientNodeKubeConfig, opts: { context?: string; namespace?: string } = {}): RestConfig {
  const merged = mergeKubeconfigs([
    {
      path: ORIGIN,
      currentContext: kc.getCurrentContext() || undefined,
      clusters: kc.getClusters().map((c) => ({
        name: c.name,
        server: c.server,
        ...(c.caFile ? { certificateAuthority: c.caFile } : {}),
        ...(c.caData ? { certificateAuthorityData: c.caData } : {}),
        ...(c.skipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
        ...(c.tlsServerName ? { tlsServerName: c.tlsServerName } : {}),
        ...(c.proxyUrl ? { proxyUrl: c.proxyUrl } : {}),
        origin: ORIGIN,
      })),
      users: kc.getUsers().map((u) => {
        const out: KubeconfigUser = { name: u.name, origin: ORIGIN };
        if (u.certFile) out.clientCertificate = u.certFile;
        if (u.certData) out.clientCertificateData = u.certData;
        if (u.keyFile) out.clientKey = u.keyFile;
        if (u.keyData) out.clientKeyData = u.keyData;
        if (u.token) out.token = u.token.trim();
        if (u.username) out.username = u.username;
        if (u.password) out.password = u.password;
        if (u.impersonateUser) out.as = u.impersonateUser;
        if (u.exec) out.exec = u.exec as KubeconfigUser['exec'];
        if (u.authProvider) out.authProvider = { name: (u.authProvider as { name?: string }).name };
        return out;
      }),
      contexts: kc.getContexts().map((c) => ({ name: c.name, cluster: c.cluster, ...(c.user ? { user: c.user } : {}), ...(c.namespace ? { namespace: c.namespace } : {}), origin: ORIGIN })),
    },
  ]);
  return restConfigFromKubeconfig(merged, opts);
}
