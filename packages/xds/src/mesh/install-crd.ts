/**
 * Installs (or updates) the TrafficSplit CRD with server-side apply and waits until the API
 * server serves it, so an informer started next lists instead of backing off on 404s.
 *
 * ```ts
 * await installTrafficSplitCrd(client, { signal });
 * ```
 */
import { isForbidden, isNotFound, type Client } from '@keelson/client';
import { sleep } from '@keelson/informer';
import { trafficSplitCrd } from './traffic-split.js';

export interface InstallCrdOptions {
  /** Default `keelson-xds`. */
  fieldManager?: string;
  /** How long to wait for the Established condition, in ms. Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function installTrafficSplitCrd(client: Client, opts: InstallCrdOptions = {}): Promise<void> {
  const crds = client.apiextensionsV1.customResourceDefinitions();
  const name = trafficSplitCrd.metadata.name;
  try {
    await crds.apply(trafficSplitCrd as never, { fieldManager: opts.fieldManager ?? 'keelson-xds', force: true, signal: opts.signal });
  } catch (err) {
    if (isForbidden(err)) {
      throw new Error(`not allowed to install the CustomResourceDefinition ${name}: have a cluster admin apply packages/xds/examples/trafficsplit-crd.yaml, then start without installing it (--no-install-crd)`, { cause: err });
    }
    throw err;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const crd = (await crds.get(name, { signal: opts.signal })) as { status?: { conditions?: { type: string; status: string; message?: string }[] } };
    const established = crd.status?.conditions?.find((c) => c.type === 'Established');
    if (established?.status === 'True') return;
    if (Date.now() > deadline) {
      const names = crd.status?.conditions?.find((c) => c.type === 'NamesAccepted');
      throw new Error(`the CustomResourceDefinition ${name} was applied but is not established after ${opts.timeoutMs ?? 30_000} ms${names?.message ? ` (${names.message})` : ''}; check it with kubectl describe crd ${name}`);
    }
    if (!(await sleep(50, opts.signal))) throw opts.signal?.reason ?? new Error('aborted');
  }
}

/** True when the TrafficSplit CRD exists; undefined when this identity may not read CRDs (so nobody can tell). */
export async function trafficSplitCrdInstalled(client: Client, signal?: AbortSignal): Promise<boolean | undefined> {
  try {
    await client.apiextensionsV1.customResourceDefinitions().get(trafficSplitCrd.metadata.name, { signal });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    if (isForbidden(err)) return undefined;
    throw err;
  }
}
