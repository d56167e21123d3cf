/**
 * L4 policy from Kubernetes: `L4Policy` objects (group policy.keelson.dev, v1alpha1), read
 * through a shared informer, merged into one rule set per interface.
 *
 * Cluster-scoped, because what it guards is a node's interface, not a namespace's workloads
 * (like Cilium's CiliumClusterwideNetworkPolicy for host policies). Its spec is the policy file's
 * format plus `interface` (absent: every interface). Every object that selects the interface
 * contributes: rules are named `<object>/<rule>`, and a direction's default is deny if any object
 * says deny. If one object is invalid, the merged set is refused as a whole (an `error` update)
 * and the engine keeps enforcing the last good one: never a policy missing half of itself.
 *
 * This module takes the informer structurally, so @keelson/ebpf does not depend on the Kubernetes
 * packages; the caller builds it:
 *
 * ```ts
 * const factory = new SharedInformerFactory(Client.fromKubeconfig());
 * const informer = factory.forResource(L4_POLICY_GVR);
 * await factory.start(signal);
 * for await (const u of watchL4Policies(informer, { interface: 'eth0', signal })) { ... }
 * ```
 */
import { PolicyConfigError, validatePolicy, type Action, type Direction, type PolicyIssue, type PolicySpec } from './rules.js';
import type { PolicyUpdate } from './file-source.js';

export const L4_POLICY_GROUP = 'policy.keelson.dev';
export const L4_POLICY_VERSION = 'v1alpha1';
export const L4_POLICY_GVR = { group: L4_POLICY_GROUP, version: L4_POLICY_VERSION, resource: 'l4policies' } as const;

export interface L4Policy {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; resourceVersion?: string; generation?: number; [k: string]: unknown };
  spec?: {
    /** Interface name this applies to; absent or empty: every interface. */
    interface?: string;
    defaultAction?: unknown;
    rules?: unknown[];
  };
}

const ruleSchema = {
  type: 'object',
  required: ['name', 'action'],
  properties: {
    name: { type: 'string', maxLength: 253 },
    priority: { type: 'integer', minimum: 0, maximum: 65535 },
    action: { type: 'string', enum: ['allow', 'deny'] },
    cidr: { type: 'string' },
    protocol: { type: 'string', enum: ['tcp', 'udp', 'icmp', 'any'] },
    ports: { 'x-kubernetes-int-or-string': true },
    direction: { type: 'string', enum: ['ingress', 'egress'] },
  },
};

/** The CustomResourceDefinition; `keelson policy crd` prints it for `kubectl apply -f -`. */
export const l4PolicyCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `l4policies.${L4_POLICY_GROUP}` },
  spec: {
    group: L4_POLICY_GROUP,
    scope: 'Cluster',
    names: { plural: 'l4policies', singular: 'l4policy', kind: 'L4Policy', listKind: 'L4PolicyList', shortNames: ['l4p'] },
    versions: [
      {
        name: L4_POLICY_VERSION,
        served: true,
        storage: true,
        additionalPrinterColumns: [
          { name: 'Interface', type: 'string', jsonPath: '.spec.interface' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  interface: { type: 'string' },
                  // "allow" | "deny" | {ingress, egress}: checked by the engine, which names the fix.
                  defaultAction: { 'x-kubernetes-preserve-unknown-fields': true },
                  rules: { type: 'array', items: ruleSchema },
                },
              },
            },
          },
        },
      },
    ],
  },
} as const;

/** What watchL4Policies needs of a SharedIndexInformer (from @keelson/informer). */
export interface L4PolicyInformer {
  addEventHandler(handler: { onAdd?(obj: any, isInInitialList: boolean): void; onUpdate?(oldObj: any, newObj: any): void; onDelete?(obj: any): void }): {
    hasSynced(): boolean;
    remove(): void;
  };
  getIndexer(): { list(): unknown[] };
}

/** Merges the L4Policies that select `iface` into one spec; throws PolicyConfigError naming the object and field. */
export function mergeL4Policies(objects: readonly L4Policy[], iface: string): PolicySpec {
  const selected = objects
    .filter((o) => !o.spec?.interface || o.spec.interface === iface)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const merged: PolicySpec = { defaultAction: { ingress: 'allow', egress: 'allow' }, rules: [] };
  const issues: PolicyIssue[] = [];
  for (const o of selected) {
    const name = o.metadata.name ?? '(unnamed)';
    const { interface: _iface, ...spec } = o.spec ?? {};
    let one: PolicySpec;
    try {
      one = validatePolicy(spec, `L4Policy ${name}`, undefined, ['spec']);
    } catch (e) {
      if (!(e instanceof PolicyConfigError)) throw e;
      issues.push(...e.issues);
      continue;
    }
    for (const d of ['ingress', 'egress'] as Direction[]) if (one.defaultAction[d] === 'deny') merged.defaultAction[d] = 'deny' as Action;
    for (const r of one.rules) merged.rules.push({ ...r, name: `${name}/${r.name}` });
  }
  if (issues.length > 0) throw new PolicyConfigError(issues);
  return merged;
}

export interface WatchL4PoliciesOptions {
  /** The interface the engine guards: only L4Policies for it (or for every interface) apply. */
  interface: string;
  signal?: AbortSignal;
  /**
   * Quiet time after a change before the rules are merged again. 10 ms groups the objects of one
   * `kubectl apply -f dir/` without adding noticeably to the time a change takes to apply.
   */
  debounceMs?: number;
}

/**
 * The merged policy once the informer has synced, then after every change that alters it. An
 * invalid object yields an `error` update (and the previous good spec stays in force).
 */
export async function* watchL4Policies(informer: L4PolicyInformer, opts: WatchL4PoliciesOptions): AsyncGenerator<PolicyUpdate> {
  const signal = opts.signal;
  const debounceMs = opts.debounceMs ?? 10;
  let wake: (() => void) | undefined;
  let dirty = true;
  let firstChangeAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const changed = (): void => {
    if (!firstChangeAt) firstChangeAt = performance.now();
    clearTimeout(timer);
    timer = setTimeout(() => {
      dirty = true;
      poke();
    }, debounceMs);
  };
  const reg = informer.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
  const onAbort = (): void => poke();
  signal?.addEventListener('abort', onAbort);
  let last = '';
  const source = `L4Policy objects for interface ${opts.interface}`;
  try {
    while (!reg.hasSynced()) {
      if (signal?.aborted) return;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(poke, 20);
      });
    }
    while (!signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      dirty = false;
      const detectedAt = firstChangeAt || performance.now();
      firstChangeAt = 0;
      let spec: PolicySpec;
      try {
        spec = mergeL4Policies(informer.getIndexer().list() as L4Policy[], opts.interface);
      } catch (e) {
        if (!(e instanceof PolicyConfigError)) throw e;
        last = '';
        yield { type: 'error', error: e, source, detectedAt };
        continue;
      }
      const text = JSON.stringify(spec, (k, v) => (k === 'origin' ? undefined : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
      if (text === last) continue;
      last = text;
      yield { type: 'spec', spec, source, detectedAt };
    }
  } finally {
    clearTimeout(timer);
    reg.remove();
    signal?.removeEventListener('abort', onAbort);
  }
}
