/**
 * Realistic Pods for the informer benchmark: what a Deployment's Pod looks like once scheduled
 * and running. Labels and annotations, a spec with two containers (ports, env, resources, volume
 * mounts) and two volumes, a status with conditions and containerStatuses. About 2 KB as served
 * without managedFields (the server adds its defaults, uid, creationTimestamp and
 * resourceVersion); the server's managedFields (one entry for the create, one for the status
 * update) come on top of that.
 *
 * Values that differ between real Pods (names, hashes, IPs, container IDs) differ here too, so
 * neither subject gets to share strings that real Pods would not share.
 */

/** `web-000042`: sortable, so pages come back in creation order. */
export function podName(i: number): string {
  return `web-${String(i).padStart(6, '0')}`;
}

/** A deterministic 8-hex-digit hash of i (Knuth's multiplicative hash). */
function hex(i: number, salt = 0): string {
  return (Math.imul(i + salt, 2654435761) >>> 0).toString(16).padStart(8, '0');
}

/** The Pod as a client creates it (the server ignores `status` on create, as kube-apiserver). */
export function podManifest(namespace: string, i: number): Record<string, unknown> {
  const templateHash = `7d4b9c${hex(i).slice(0, 4)}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(i),
      namespace,
      labels: { app: 'web', 'pod-template-hash': templateHash, shard: String(i % 16) },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
    },
    spec: {
      nodeName: `node-${i % 50}`,
      serviceAccountName: 'web',
      containers: [
        {
          name: 'app',
          image: 'ghcr.io/acme/web:1.27.3',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'UPSTREAM', value: 'http://api:9000' },
          ],
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/web', readOnly: true },
            { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          ],
        },
        {
          name: 'metrics',
          image: 'ghcr.io/acme/exporter:0.9.1',
          resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'web-config', defaultMode: 420 } },
        { name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } },
      ],
    },
  };
}

const STARTED = '2026-11-25T01:00:00Z';

/** The status a kubelet would write for Pod i (written through the status subresource). */
export function podStatus(i: number): Record<string, unknown> {
  const ip = `10.244.${(i >> 8) & 255}.${i & 255}`;
  return {
    phase: 'Running',
    hostIP: `10.0.${i % 50}.1`,
    podIP: ip,
    startTime: STARTED,
    qosClass: 'Burstable',
    conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: STARTED })),
    containerStatuses: [
      { name: 'app', image: 'ghcr.io/acme/web:1.27.3', digest: 'sha256:4f9c1e0b7d2a6c3e' },
      { name: 'metrics', image: 'ghcr.io/acme/exporter:0.9.1', digest: 'sha256:9b0c2d4e6f8a1b3c' },
    ].map((c, k) => ({
      name: c.name,
      ready: true,
      restartCount: 0,
      image: c.image,
      imageID: `${c.image.split(':')[0]}@${c.digest}`,
      containerID: `containerd://${hex(i, k)}${hex(i, k + 7)}`,
      state: { running: { startedAt: STARTED } },
    })),
  };
}
