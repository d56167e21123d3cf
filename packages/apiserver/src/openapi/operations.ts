/**
 * The REST operations of one resource, in a form both document builders render: which paths
 * exist, which HTTP methods each has (from `ResourceInfo.verbs`), their `x-kubernetes-action`,
 * their GVK, query parameters, bodies and responses.
 *
 * What kubectl 1.32 reads here, and therefore what this module must get right:
 * - cli-runtime `resource/query_param_verifier_v3.go` (`supportsQueryParamV3`): the PATCH
 *   operation whose `x-kubernetes-group-version-kind` is the object's GVK must list a
 *   `fieldValidation` parameter (operation-level, not path-level). If it does, kubectl relies
 *   on server-side field validation and skips client-side schema validation entirely
 *   (kubectl `validation/schema.go`, `paramVerifyingSchema`).
 * - kubectl `cmd/apply/patcher.go` (`gvkSupportsPatchOpenAPIV3`, then `getPatchTypeFromOpenAPI`
 *   for v2): when the PATCH operation of the GVK accepts `application/strategic-merge-patch+json`,
 *   client-side apply computes the strategic merge patch from the *published schema's*
 *   patch metadata (x-kubernetes-patch-merge-key, ...). Our built-in schemas are minimal, so
 *   kubectl 1.32 then prints `warning: error calculating patch from openapi v3 spec: unable to
 *   find api field "data"` (and the same for v2: `expected kind, but got map`) before falling
 *   back, and a schema listing a list field without its merge key would silently replace whole
 *   lists. Built-in kinds therefore do not advertise strategic merge patch in their PATCH
 *   operations: kubectl goes straight to its compiled-in Go types (patcher.go
 *   `buildStrategicMergeFromBuiltins`), the same patch it sends to kube-apiserver. The server
 *   still accepts strategic merge patch for them.
 * - kubectl `explain` (plaintext template): finds the GVK on the GET/POST/PUT/PATCH/DELETE
 *   operations of `<prefix>/<resource>`, `<prefix>/<resource>/{name}` or the namespaced
 *   variants, then the schema carrying that GVK.
 */
import type { ResourceInfo } from '../resource-info.js';
import {
  DEF,
  SCALE_GVK,
  article,
  groupVersionPathPrefix,
  kindDefinitionName,
  listDefinitionName,
  operationGroupVersion,
  operationTag,
  type GroupVersionKind,
} from './names.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type KubeAction = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection' | 'watch' | 'watchlist';

export type ParameterName =
  | 'name' | 'namespace' | 'pretty'
  | 'allowWatchBookmarks' | 'continue' | 'dryRun' | 'fieldManager' | 'fieldSelector'
  | 'fieldValidation' | 'force' | 'gracePeriodSeconds'
  | 'ignoreStoreReadErrorWithClusterBreakingPotential' | 'labelSelector' | 'limit'
  | 'orphanDependents' | 'propagationPolicy' | 'resourceVersion' | 'resourceVersionMatch'
  | 'sendInitialEvents' | 'timeoutSeconds' | 'watch';

export interface ParameterSpec {
  name: ParameterName;
  in: 'path' | 'query';
  type: 'string' | 'boolean' | 'integer';
  description: string;
  required?: boolean;
}

/** Patch media types, in the order kube lists them. */
export const PATCH_JSON = 'application/json-patch+json';
export const PATCH_MERGE = 'application/merge-patch+json';
export const PATCH_STRATEGIC = 'application/strategic-merge-patch+json';
export const PATCH_APPLY_YAML = 'application/apply-patch+yaml';

export interface ResponseSpec {
  code: '200' | '201' | '202' | '401';
  description: string;
  /** Definition name of the body; none for 401. */
  schema?: string;
}

export interface OperationSpec {
  method: HttpMethod;
  action: KubeAction;
  operationId: string;
  description: string;
  tag: string;
  gvk: GroupVersionKind;
  parameters: ParameterName[];
  /** Request body: a definition name (POST/PUT/DELETE) or the patch media types (PATCH). */
  body?: { schema: string; required: boolean } | { patchTypes: string[] };
  responses: ResponseSpec[];
  /** Response media types. */
  produces: string[];
}

export interface PathSpec {
  path: string;
  /** Parameters every operation of the path takes (kube lists them once, on the path). */
  parameters: ParameterName[];
  operations: OperationSpec[];
}

const LIST_PARAMS: ParameterName[] = [
  'allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion',
  'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch',
];
const ACTION_PARAMS: Record<KubeAction, ParameterName[]> = {
  get: [],
  list: LIST_PARAMS,
  watch: LIST_PARAMS,
  watchlist: LIST_PARAMS,
  post: ['dryRun', 'fieldManager', 'fieldValidation'],
  put: ['dryRun', 'fieldManager', 'fieldValidation'],
  patch: ['dryRun', 'fieldManager', 'fieldValidation', 'force'],
  delete: ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy'],
  deletecollection: [
    'continue', 'dryRun', 'fieldSelector', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential',
    'labelSelector', 'limit', 'orphanDependents', 'propagationPolicy', 'resourceVersion', 'resourceVersionMatch',
    'sendInitialEvents', 'timeoutSeconds',
  ],
};

const QUERY_PARAMETERS: Record<Exclude<ParameterName, 'name' | 'namespace'>, Omit<ParameterSpec, 'name' | 'in'>> = {
  pretty: { type: 'string', description: "If 'true', the output is pretty printed. Defaults to 'false' unless the user-agent is a browser or a command-line HTTP tool (curl, wget)." },
  allowWatchBookmarks: { type: 'boolean', description: 'Requests watch events of type "BOOKMARK". The server may send them at its discretion; clients must not assume any. Ignored unless watch is true.' },
  continue: { type: 'string', description: 'The continue token of a previous list response, to fetch the next page of the same list. Expires after a few minutes (410 Gone); then restart the list.' },
  dryRun: { type: 'string', description: 'When present, the request is processed fully but nothing is persisted. The only valid value is "All".' },
  fieldManager: { type: 'string', description: 'A name for the actor making the change, recorded in managedFields. At most 128 printable characters.' },
  fieldSelector: { type: 'string', description: 'Restricts the returned objects by their fields, for example "metadata.name=x". Defaults to everything.' },
  fieldValidation: { type: 'string', description: 'How the server treats unknown and duplicate fields in the request body: "Ignore" drops them silently, "Warn" drops them and returns a warning for each, "Strict" fails the request. Defaults to "Warn".' },
  force: { type: 'boolean', description: 'Apply requests only: take ownership of fields other managers own instead of failing with a conflict. Must be unset for other patch types.' },
  gracePeriodSeconds: { type: 'integer', description: 'Seconds before the object is deleted; 0 deletes immediately. Unset uses the default of the kind.' },
  ignoreStoreReadErrorWithClusterBreakingPotential: { type: 'boolean', description: 'Deletes an object that cannot be read from storage (corrupt or undecodable). Unsafe; needs a dedicated permission.' },
  labelSelector: { type: 'string', description: 'Restricts the returned objects by their labels. Defaults to everything.' },
  limit: { type: 'integer', description: 'The maximum number of objects in one list response; when more exist, the response carries a continue token.' },
  orphanDependents: { type: 'boolean', description: 'Deprecated: use propagationPolicy. If true, dependents are orphaned.' },
  propagationPolicy: { type: 'string', description: 'Whether and how garbage collection is done: "Orphan", "Background" or "Foreground".' },
  resourceVersion: { type: 'string', description: 'Which version of the collection a list or watch starts from; see https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions. Defaults to the most recent.' },
  resourceVersionMatch: { type: 'string', description: 'How resourceVersion applies to a list: "NotOlderThan" or "Exact". Defaults to NotOlderThan when resourceVersion is set.' },
  sendInitialEvents: { type: 'boolean', description: 'With watch=true, starts the watch with synthetic ADDED events for the current state, followed by a BOOKMARK marking the end of them.' },
  timeoutSeconds: { type: 'integer', description: 'How long a list or watch call may last, whatever the activity.' },
  watch: { type: 'boolean', description: 'Turns the list into a watch: a stream of add, update and remove notifications. Use resourceVersion to say where it starts.' },
};

/** The full description of a parameter, for the operation of `kind`. */
export function parameterSpec(name: ParameterName, kind: string): ParameterSpec {
  if (name === 'name') return { name, in: 'path', type: 'string', required: true, description: `name of the ${kind}` };
  if (name === 'namespace') {
    return { name, in: 'path', type: 'string', required: true, description: 'object name and auth scope, such as for teams and projects' };
  }
  return { name, in: 'query', ...QUERY_PARAMETERS[name] };
}

const JSON_YAML = ['application/json', 'application/yaml'];
const STREAMING = [...JSON_YAML, 'application/json;stream=watch'];

/**
 * The patch media types the PATCH operations of `r` advertise (kube order). Strategic merge
 * patch is left out for built-ins on purpose (see the module comment): advertising it makes
 * kubectl compute apply patches from our minimal schema instead of its compiled-in types.
 * Custom resources never support it. Takes the resource so that a built-in published with a
 * complete schema (patch metadata included) can advertise it one day.
 */
export function advertisedPatchTypes(_r: ResourceInfo): string[] {
  return [PATCH_JSON, PATCH_MERGE, PATCH_APPLY_YAML];
}

/** The operations and paths of one resource (its main path, subresources, and for built-ins the deprecated watch paths). */
export function resourcePaths(r: ResourceInfo): PathSpec[] {
  const prefix = groupVersionPathPrefix(r.group, r.version);
  const gv = operationGroupVersion(r.group, r.version);
  const tag = operationTag(r.group, r.version);
  const verbs = new Set(r.verbs);
  const kindDef = kindDefinitionName(r);
  const listDef = listDefinitionName(r);
  const ns = r.namespaced ? 'Namespaced' : '';
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`;
  const unauthorized: ResponseSpec = { code: '401', description: 'Unauthorized' };

  const op = (o: Omit<OperationSpec, 'tag' | 'parameters'> & { parameters?: ParameterName[] }): OperationSpec => ({
    tag,
    ...o,
    parameters: o.parameters ?? ACTION_PARAMS[o.action],
  });
  const paths: PathSpec[] = [];
  const addPath = (path: string, pathParams: ParameterName[], operations: OperationSpec[]) => {
    if (operations.length > 0) paths.push(hoistCommonParameters({ path, parameters: pathParams, operations }));
  };
  const nsParam: ParameterName[] = r.namespaced ? ['namespace'] : [];

  // <prefix>/[namespaces/{namespace}/]<resource>
  const collectionOps: OperationSpec[] = [];
  if (verbs.has('list')) {
    collectionOps.push(op({
      method: 'get', action: 'list', operationId: `list${gv}${ns}${r.kind}`,
      description: `list or watch objects of kind ${r.kind}`, gvk,
      responses: [{ code: '200', description: 'OK', schema: listDef }, unauthorized], produces: STREAMING,
    }));
  }
  if (verbs.has('create')) {
    collectionOps.push(op({
      method: 'post', action: 'post', operationId: `create${gv}${ns}${r.kind}`,
      description: `create ${article(r.kind)} ${r.kind}`, gvk, body: { schema: kindDef, required: true },
      responses: [
        { code: '200', description: 'OK', schema: kindDef },
        { code: '201', description: 'Created', schema: kindDef },
        { code: '202', description: 'Accepted', schema: kindDef },
        unauthorized,
      ],
      produces: JSON_YAML,
    }));
  }
  if (verbs.has('deletecollection')) {
    collectionOps.push(op({
      method: 'delete', action: 'deletecollection', operationId: `delete${gv}Collection${ns}${r.kind}`,
      description: `delete collection of ${r.kind}`, gvk, body: { schema: DEF.deleteOptions, required: false },
      responses: [{ code: '200', description: 'OK', schema: DEF.status }, unauthorized], produces: JSON_YAML,
    }));
  }
  addPath(collection, [...nsParam, 'pretty'], collectionOps);

  // <prefix>/<resource> across all namespaces.
  if (r.namespaced && verbs.has('list')) {
    addPath(`${prefix}/${r.resource}`, ['pretty'], [op({
      method: 'get', action: 'list', operationId: `list${gv}${r.kind}ForAllNamespaces`,
      description: `list or watch objects of kind ${r.kind}`, gvk,
      responses: [{ code: '200', description: 'OK', schema: listDef }, unauthorized], produces: STREAMING,
    })]);
  }

  // .../{name}
  const objectParams: ParameterName[] = ['name', ...nsParam, 'pretty'];
  const objectOps = (sub: '' | 'Status' | 'Scale', subGvk: GroupVersionKind, def: string, patchTypes: string[]): OperationSpec[] => {
    const what = sub === '' ? '' : ` ${sub.toLowerCase()} of`;
    const ops: OperationSpec[] = [];
    if (verbs.has('get')) {
      ops.push(op({
        method: 'get', action: 'get', operationId: `read${gv}${ns}${r.kind}${sub}`,
        description: `read${what} the specified ${r.kind}`, gvk: subGvk,
        responses: [{ code: '200', description: 'OK', schema: def }, unauthorized], produces: JSON_YAML,
      }));
    }
    if (verbs.has('update')) {
      ops.push(op({
        method: 'put', action: 'put', operationId: `replace${gv}${ns}${r.kind}${sub}`,
        description: `replace${what} the specified ${r.kind}`, gvk: subGvk, body: { schema: def, required: true },
        responses: [
          { code: '200', description: 'OK', schema: def },
          { code: '201', description: 'Created', schema: def },
          unauthorized,
        ],
        produces: JSON_YAML,
      }));
    }
    if (verbs.has('patch')) {
      ops.push(op({
        method: 'patch', action: 'patch', operationId: `patch${gv}${ns}${r.kind}${sub}`,
        description: `partially update${what} the specified ${r.kind}`, gvk: subGvk, body: { patchTypes },
        responses: [
          { code: '200', description: 'OK', schema: def },
          { code: '201', description: 'Created', schema: def },
          unauthorized,
        ],
        produces: JSON_YAML,
      }));
    }
    if (sub === '' && verbs.has('delete')) {
      ops.push(op({
        method: 'delete', action: 'delete', operationId: `delete${gv}${ns}${r.kind}`,
        description: `delete ${article(r.kind)} ${r.kind}`, gvk, body: { schema: DEF.deleteOptions, required: false },
        responses: [
          { code: '200', description: 'OK', schema: DEF.status },
          { code: '202', description: 'Accepted', schema: DEF.status },
          unauthorized,
        ],
        produces: JSON_YAML,
      }));
    }
    return ops;
  };
  const patchTypes = advertisedPatchTypes(r);
  addPath(`${collection}/{name}`, objectParams, objectOps('', gvk, kindDef, patchTypes));
  if (r.subresources.status) {
    addPath(`${collection}/{name}/status`, objectParams, objectOps('Status', gvk, kindDef, patchTypes));
  }
  if (r.subresources.scale) {
    // Scale is a complete schema we publish ourselves, so its patch metadata is sound; CRDs
    // never offer strategic merge patch.
    const scalePatchTypes = r.crd ? patchTypes : [PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC, PATCH_APPLY_YAML];
    addPath(`${collection}/{name}/scale`, objectParams, objectOps('Scale', SCALE_GVK, DEF.scale, scalePatchTypes));
  }

  // Deprecated watch paths: kube-apiserver still publishes them for built-ins; CRDs never had them.
  if (!r.crd && verbs.has('watch')) {
    const watchPrefix = r.namespaced ? `${prefix}/watch/namespaces/{namespace}/${r.resource}` : `${prefix}/watch/${r.resource}`;
    const watchResponses: ResponseSpec[] = [{ code: '200', description: 'OK', schema: DEF.watchEvent }, unauthorized];
    const watchList = (operationId: string, path: string, params: ParameterName[]) =>
      addPath(path, params, [op({
        method: 'get', action: 'watchlist', operationId, gvk, responses: watchResponses, produces: STREAMING,
        description: `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
      })]);
    watchList(`watch${gv}${ns}${r.kind}List`, watchPrefix, [...nsParam, 'pretty']);
    addPath(`${watchPrefix}/{name}`, objectParams, [op({
      method: 'get', action: 'watch', operationId: `watch${gv}${ns}${r.kind}`, gvk, responses: watchResponses, produces: STREAMING,
      description:
        `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, ` +
        "filtered to a single item with the 'fieldSelector' parameter.",
    })]);
    if (r.namespaced) watchList(`watch${gv}${r.kind}ListForAllNamespaces`, `${prefix}/watch/${r.resource}`, ['pretty']);
  }
  return paths;
}

/**
 * Moves parameters every operation of a path shares up to the path, as kube-openapi does —
 * except on paths with a PATCH operation, whose own parameters must stay on the operation:
 * kubectl's query-parameter verifiers only look there.
 */
function hoistCommonParameters(p: PathSpec): PathSpec {
  if (p.operations.some((o) => o.method === 'patch')) return p;
  const [first, ...rest] = p.operations;
  const common = first.parameters.filter((name) => rest.every((o) => o.parameters.includes(name)));
  if (common.length === 0) return p;
  return {
    path: p.path,
    parameters: [...p.parameters, ...common],
    operations: p.operations.map((o) => ({ ...o, parameters: o.parameters.filter((n) => !common.includes(n)) })),
  };
}
