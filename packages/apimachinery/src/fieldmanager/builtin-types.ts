/**
 * Server-side apply type trees of the built-in kinds. Keelson does not carry k8s.io/api's full
 * OpenAPI, so the tree is built from what changes merging and ownership:
 *
 * - lists with a `patchMergeKey` are list-type=map keyed by it, lists with `patchStrategy:
 *   merge` and no key are sets (structured-merge-diff reads the same tags from the OpenAPI);
 * - a few lists carry more keys, or list-type markers only server-side apply reads: container
 *   ports by containerPort+protocol, Service ports by port+protocol (protocol defaults to TCP),
 *   topology spread constraints by topologyKey+whenUnsatisfiable, a CRD's versions by name;
 * - structType/mapType=atomic fields: label selectors of workloads, a Service's and a pod's
 *   nodeSelector;
 * - every other list is atomic, every other object a struct whose keys are fields.
 *
 * @example
 * builtinTypeTree('apps', 'Deployment'); // spec.template.spec.containers keyed by name, …
 */
import type { PatchMeta } from '../patch/strategic-merge-patch.js';
import { builtinPatchMeta } from '../patch/builtin-patch-meta.js';
import { OBJECT_META_TYPE, SCALAR, type ListType, type MapType, type TypeNode } from './type-tree.js';

type Override = (t: TypeNode) => TypeNode;

const byKeys = (keys: string[], keyDefaults: Record<string, unknown> = {}): Override => (t) => {
  const items = t.kind === 'list' ? t.items : undefined;
  const out: ListType = { kind: 'list', listType: 'map', keys, keyDefaults };
  if (items) out.items = items;
  return out;
};
const atomicMap: Override = () => ({ kind: 'map', atomic: true });

/** Paths (dot-separated, `[]` for list items) below a kind's root. */
const containerOverrides: Record<string, Override> = { ports: byKeys(['containerPort', 'protocol'], { protocol: 'TCP' }) };
const podSpecOverrides: Record<string, Override> = {
  nodeSelector: atomicMap,
  topologySpreadConstraints: byKeys(['topologyKey', 'whenUnsatisfiable']),
  ...prefixed('containers[]', containerOverrides),
  ...prefixed('initContainers[]', containerOverrides),
  ...prefixed('ephemeralContainers[]', containerOverrides),
};
const workloadOverrides: Record<string, Override> = { 'spec.selector': atomicMap, ...prefixed('spec.template.spec', podSpecOverrides) };

const overrides: Record<string, Record<string, Override>> = {
  '/Pod': prefixed('spec', podSpecOverrides),
  '/PodTemplate': prefixed('template.spec', podSpecOverrides),
  '/ReplicationController': prefixed('spec.template.spec', podSpecOverrides),
  '/Service': { 'spec.selector': atomicMap, 'spec.ports': byKeys(['port', 'protocol'], { protocol: 'TCP' }) },
  'apps/Deployment': workloadOverrides,
  'apps/StatefulSet': workloadOverrides,
  'apps/ReplicaSet': workloadOverrides,
  'apps/DaemonSet': workloadOverrides,
  'batch/Job': workloadOverrides,
  'batch/CronJob': { 'spec.jobTemplate.spec.selector': atomicMap, ...prefixed('spec.jobTemplate.spec.template.spec', podSpecOverrides) },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    'spec.versions': byKeys(['name']),
    'status.conditions': byKeys(['type']),
  },
};

function prefixed(prefix: string, o: Record<string, Override>): Record<string, Override> {
  const out: Record<string, Override> = {};
  for (const [k, v] of Object.entries(o)) out[`${prefix}.${k}`] = v;
  return out;
}

function fromPatchMeta(m: PatchMeta | undefined): TypeNode {
  if (!m) return { kind: 'map', openStruct: true };
  const strategy = (m.patchStrategy ?? '').split(',').map((s) => s.trim());
  if (strategy.includes('merge') && m.patchMergeKey) {
    return { kind: 'list', listType: 'map', keys: [m.patchMergeKey], items: fromPatchMeta(m.items) };
  }
  if (strategy.includes('merge') && !m.properties) return { kind: 'list', listType: 'set', items: SCALAR };
  if (m.items && !m.properties) return { kind: 'list', listType: 'atomic' };
  const out: MapType = { kind: 'map', openStruct: true };
  if (m.properties) {
    out.fields = {};
    for (const [k, v] of Object.entries(m.properties)) out.fields[k] = fromPatchMeta(v);
  }
  if (m.additionalProperties) out.elementType = fromPatchMeta(m.additionalProperties);
  return out;
}

/** Applies an override at a dotted path, creating open-struct nodes on the way. */
function applyOverride(root: TypeNode, path: string[], fn: Override): TypeNode {
  if (path.length === 0) return fn(root);
  const [head, ...rest] = path;
  if (head.endsWith('[]')) {
    const name = head.slice(0, -2);
    const map = asMap(root);
    const list = map.fields?.[name];
    if (!list || list.kind !== 'list') return root;
    const items = applyOverride(list.items ?? { kind: 'map', openStruct: true }, rest, fn);
    return { ...map, fields: { ...map.fields, [name]: { ...list, items } } };
  }
  const map = asMap(root);
  const child = map.fields?.[head] ?? { kind: 'map', openStruct: true };
  return { ...map, fields: { ...(map.fields ?? {}), [head]: applyOverride(child, rest, fn) } };
}

function asMap(t: TypeNode): MapType {
  return t.kind === 'map' ? t : { kind: 'map', openStruct: true };
}

const cache = new Map<string, TypeNode>();

/** The type tree of a built-in kind; `group` is '' for the core group. Unknown kinds are open structs. */
export function builtinTypeTree(group: string, kind: string): TypeNode {
  const g = group === 'core' ? '' : group;
  const id = `${g}/${kind}`;
  let t = cache.get(id);
  if (t) return t;
  t = fromPatchMeta(builtinPatchMeta(g, kind));
  for (const [path, fn] of Object.entries(overrides[id] ?? {})) t = applyOverride(t, path.split('.'), fn);
  const root = asMap(t);
  t = { ...root, fields: { ...(root.fields ?? {}), metadata: OBJECT_META_TYPE, apiVersion: SCALAR, kind: SCALAR } };
  cache.set(id, t);
  return t;
}
