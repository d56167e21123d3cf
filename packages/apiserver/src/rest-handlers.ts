/**
 * REST verbs over HTTP for every served resource: decoding (content types, size, duplicate
 * fields), query parameters, content negotiation, and the answers kubectl and client libraries
 * expect (201 on create, Status on errors, Table when asked). The rules themselves live in
 * ObjectService.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  FieldSelector,
  LabelSelector,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  builtinPatchMeta,
  OBJECT_MODIFIED,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  newBadRequest,
  newInvalid,
  newConflict,
  newMethodNotSupported,
  newNotAcceptable,
  newNotFound,
  newNotFoundPath,
  newUnsupportedMediaType,
  parseFieldSelector,
  parseJsonDetectingDuplicates,
  parseLabelSelector,
  successStatus,
  toPartialObjectMetadata,
  type FieldError,
} from '@keelson/apimachinery';
import { parse as parseYaml, stringify as dumpYaml } from 'yaml';
import { pruneApplyConfig, requireApplyFieldManager, serverSideApply, validateFieldManager } from './field-manager.js';
import { parseBooleanParam, parseIntParam, readBody, sendJson, sendJsonBytes, warningHeaders } from './http-util.js';
import { jsonListBody } from './json-list-body.js';
import { finalizeNamespace } from './namespace-finalize.js';
import { KUBERNETES_PROTOBUF_CONTENT_TYPE, ProtobufDecodeError, decodeKubernetesProtobuf } from './protobuf/index.js';
import { negotiateObjectFormat, type ResponseFormat } from './negotiation.js';
import { apiVersionOf, getPath, groupResource, setPath } from './object-meta.js';
import type { DeleteOptions, FieldValidation, ObjectService, PropagationPolicy, WriteOptions } from './object-service.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceRequestInfo } from './request-info.js';
import type { ResourceInfo } from './resource-info.js';
import { parseIncludeObject, toTable } from './table-convert.js';
import { serveWatch } from './watch.js';


const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
// kubectl's typed clients (create namespace|configmap|deployment ...) send Kubernetes protobuf.
const BODY_TYPES = ['application/json', 'application/yaml', KUBERNETES_PROTOBUF_CONTENT_TYPE];

/** Custom resources have no protobuf form: kube-apiserver answers 415 from the Content-Type alone, whatever the body. */
function bodyTypesFor(info: ResourceInfo): string[] {
  return info.crd ? BODY_TYPES.filter((t) => t !== KUBERNETES_PROTOBUF_CONTENT_TYPE) : BODY_TYPES;
}

export interface RestContext {
  svc: ObjectService;
  registry: ResourceRegistry;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

interface DecodedBody {
  value: unknown;
  duplicates: string[];
}

function decodeText(text: string, type: string): DecodedBody {
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return { value: parseYaml(text, { uniqueKeys: true }), duplicates: [] };
    } catch (e) {
      throw newBadRequest(`error decoding YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return parseJsonDetectingDuplicates(text);
}

async function decodeBody(req: IncomingMessage, accepted: string[]): Promise<DecodedBody & { type: string }> {
  const type = mediaType(req) || 'application/json';
  if (!accepted.includes(type)) throw newUnsupportedMediaType(type, accepted);
  const buf = await readBody(req);
  if (buf.length === 0) throw newBadRequest('the request body is empty; send the object as JSON');
  if (type === KUBERNETES_PROTOBUF_CONTENT_TYPE) return { value: decodeProtobuf(buf), duplicates: [], type };
  return { ...decodeText(buf.toString('utf8'), type), type };
}

function decodeProtobuf(buf: Buffer): unknown {
  try {
    return decodeKubernetesProtobuf(buf);
  } catch (e) {
    if (e instanceof ProtobufDecodeError) {
      if (e.unsupported) throw newUnsupportedMediaType(KUBERNETES_PROTOBUF_CONTENT_TYPE, ['application/json', 'application/yaml'], e.message);
      throw newBadRequest(e.message);
    }
    throw e;
  }
}

/** The options object a verb's query parameters decode into; a bad value makes that object invalid. */
type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/**
 * kube-apiserver validates the decoded options (ValidateCreateOptions, ValidateDeleteOptions, ...)
 * and answers a bad value with 422 Invalid on the options kind, not 400:
 * `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: "Bogus": supported values: "All"`.
 */
function invalidOptions(kind: OptionsKind, err: FieldError): ApiError {
  return newInvalid({ group: 'meta.k8s.io', kind }, '', [err]);
}

function fieldValidationOf(q: URLSearchParams, kind: OptionsKind): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw invalidOptions(kind, fieldNotSupported('fieldValidation', v, ['Ignore', 'Strict', 'Warn']));
}

function dryRunOf(q: URLSearchParams, kind: OptionsKind): boolean {
  const all = q.getAll('dryRun');
  if (all.length === 0) return false;
  for (const v of all) if (v !== 'All') throw invalidOptions(kind, fieldNotSupported('dryRun', v, ['All']));
  return true;
}

function writeOptions(q: URLSearchParams, duplicates: string[], subresource: string, kind: OptionsKind, req: IncomingMessage): WriteOptions {
  const fieldManager = q.get('fieldManager') || undefined;
  const bad = validateFieldManager(fieldManager);
  if (bad.length) throw newInvalid({ group: 'meta.k8s.io', kind }, '', bad);
  return {
    dryRun: dryRunOf(q, kind),
    fieldValidation: fieldValidationOf(q, kind),
    duplicateFields: duplicates,
    warnings: [],
    subresource,
    fieldManager,
    userAgent: req.headers['user-agent'] ?? '',
  };
}

function selectors(ctx: RestContext, info: ResourceInfo, q: URLSearchParams): { labelSelector?: LabelSelector; fieldSelector?: FieldSelector } {
  const out: { labelSelector?: LabelSelector; fieldSelector?: FieldSelector } = {};
  const ls = q.get('labelSelector');
  if (ls) out.labelSelector = parseLabelSelector(ls);
  const fs = q.get('fieldSelector');
  if (fs) {
    out.fieldSelector = parseFieldSelector(fs);
    ctx.svc.checkFieldSelector(info, out.fieldSelector);
  }
  return out;
}

function respondObject(res: ServerResponse, code: number, info: ResourceInfo, obj: any, format: ResponseFormat, q: URLSearchParams, warnings: string[] = []): void {
  const headers: Record<string, string | string[]> = {};
  if (warnings.length) headers.Warning = warningHeaders(warnings);
  let body: string;
  let type = 'application/json';
  switch (format.kind) {
    case 'table':
      body = JSON.stringify(toTable(info, [obj], { includeObject: parseIncludeObject(q.get('includeObject')), version: format.version }));
      break;
    case 'partial':
      body = JSON.stringify(toPartialObjectMetadata(obj));
      break;
    case 'yaml':
      body = dumpYaml(obj);
      type = 'application/yaml';
      break;
    default:
      body = JSON.stringify(obj);
  }
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Entry point for /api/v1/... and /apis/g/v/... requests whose group/version is served. */
export async function handleResourceRequest(ctx: RestContext, req: IncomingMessage, res: ServerResponse, ri: ResourceRequestInfo, q: URLSearchParams): Promise<void> {
  const info = ctx.registry.get(ri.group, ri.version, ri.resource);
  if (!info) throw newNotFoundPath();
  const namespace = info.namespaced ? ri.namespace : '';
  if (!info.namespaced && ri.namespace && ri.resource !== 'namespaces') throw newNotFoundPath();
  // POST to the all-namespaces path of a namespaced resource has no namespace to create in.
  if (info.namespaced && !namespace && ri.verb === 'create') throw newNotFoundPath();
  const format = negotiateObjectFormat(req.headers.accept);
  if (!format) throw newNotAcceptable(`only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`);

  if (ri.subresource) return handleSubresource(ctx, req, res, ri, info, namespace, q, format);
  // POST goes to the collection; on an object's path kube-apiserver answers 405 (and creates nothing).
  if (ri.verb === 'create' && ri.name) throw newMethodNotSupported(groupResource(info), 'POST on a named object');
  if (!info.verbs.includes(ri.verb)) throw newMethodNotSupported(groupResource(info), ri.verb);

  switch (ri.verb) {
    case 'get': {
      const obj = await ctx.svc.get(info, namespace, ri.name);
      return respondObject(res, 200, info, obj, format, q);
    }
    case 'list':
      return handleList(ctx, res, info, namespace, q, format);
    case 'watch': {
      const sel = selectors(ctx, info, q);
      if (ri.name) {
        // GET /.../name?watch=true: a watch on one object, as a field selector.
        sel.fieldSelector = parseFieldSelector(`metadata.name=${ri.name}${sel.fieldSelector && !sel.fieldSelector.isEmpty() ? ',' + sel.fieldSelector.toString() : ''}`);
      }
      const sie = q.get('sendInitialEvents');
      return serveWatch(ctx.svc, req, res, {
        info,
        namespace,
        ...sel,
        resourceVersion: q.get('resourceVersion') ?? undefined,
        resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
        allowWatchBookmarks: parseBooleanParam(q, 'allowWatchBookmarks') ?? false,
        sendInitialEvents: sie === null ? undefined : parseBooleanParam(q, 'sendInitialEvents'),
        timeoutSeconds: parseIntParam(q, 'timeoutSeconds'),
        format,
        includeObject: parseIncludeObject(q.get('includeObject')),
      });
    }
    case 'create': {
      const body = await decodeBody(req, bodyTypesFor(info));
      const opts = writeOptions(q, body.duplicates, '', 'CreateOptions', req);
      const out = await ctx.svc.create(info, namespace, body.value, opts);
      return respondObject(res, 201, info, out.object, format, q, opts.warnings);
    }
    case 'update': {
      const body = await decodeBody(req, bodyTypesFor(info));
      const opts = writeOptions(q, body.duplicates, '', 'UpdateOptions', req);
      const out = await ctx.svc.update(info, namespace, ri.name, body.value, opts);
      return respondObject(res, 200, info, out.object, format, q, opts.warnings);
    }
    case 'patch':
      return handlePatch(ctx, req, res, info, namespace, ri.name, q, format, '');
    case 'delete': {
      const opts = await deleteOptions(req, q);
      const out = await ctx.svc.delete(info, namespace, ri.name, opts);
      if (!out.deleted || info.crd || (info.group === '' && info.resource === 'pods')) {
        return respondObject(res, 200, info, out.object, format, q);
      }
      return sendJson(res, 200, successStatus({ name: ri.name, group: info.group, kind: info.resource, uid: out.object.metadata.uid }));
    }
    case 'deletecollection':
      return handleDeleteCollection(ctx, req, res, info, namespace, q);
  }
}

async function handleList(ctx: RestContext, res: ServerResponse, info: ResourceInfo, namespace: string, q: URLSearchParams, format: ResponseFormat): Promise<void> {
  const sel = selectors(ctx, info, q);
  const out = await ctx.svc.list(info, namespace, {
    ...sel,
    limit: parseIntParam(q, 'limit'),
    continueToken: q.get('continue') || undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
  });
  if (format.kind === 'table') {
    const objs = out.parsed ?? out.items.map((s) => JSON.parse(s));
    const t = toTable(info, objs, {
      includeObject: parseIncludeObject(q.get('includeObject')),
      version: format.version,
      resourceVersion: out.resourceVersion,
      continueToken: out.continueToken,
      remainingItemCount: out.remainingItemCount,
    });
    return sendJson(res, 200, t);
  }
  const meta: Record<string, unknown> = { resourceVersion: out.resourceVersion };
  if (out.continueToken) meta.continue = out.continueToken;
  if (out.remainingItemCount !== undefined) meta.remainingItemCount = out.remainingItemCount;
  if (format.kind === 'partial') {
    const objs = out.parsed ?? out.items.map((s) => JSON.parse(s));
    return sendJson(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${format.version}`,
      metadata: meta,
      items: objs.map((o) => toPartialObjectMetadata(o)),
    });
  }
  if (format.kind === 'yaml') {
    const list = { apiVersion: apiVersionOf(info), kind: info.listKind, metadata: meta, items: out.items.map((s) => JSON.parse(s)) };
    res.writeHead(200, { 'Content-Type': 'application/yaml' });
    res.end(dumpYaml(list));
    return;
  }
  // Items are already JSON text: the list is assembled without re-serializing them.
  const head = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(info))},"metadata":${JSON.stringify(meta)},"items":[`;
  sendJsonBytes(res, 200, jsonListBody(head, out.items, ']}'));
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const opts: DeleteOptions = {};
  const buf = await readBody(req);
  if (buf.length > 0) {
    const type = mediaType(req);
    const value =
      type === KUBERNETES_PROTOBUF_CONTENT_TYPE
        ? decodeProtobuf(buf)
        : decodeText(buf.toString('utf8'), type === 'application/yaml' ? 'application/yaml' : 'application/json').value;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const v = value as any;
      if (v.kind !== undefined && v.kind !== 'DeleteOptions') throw newBadRequest(`expected DeleteOptions in the request body, got kind ${String(v.kind)}`);
      if (v.propagationPolicy !== undefined) opts.propagationPolicy = v.propagationPolicy;
      if (v.orphanDependents !== undefined) opts.orphanDependents = v.orphanDependents;
      if (v.preconditions) opts.preconditions = v.preconditions;
      if (v.gracePeriodSeconds !== undefined) opts.gracePeriodSeconds = v.gracePeriodSeconds;
      if (Array.isArray(v.dryRun) && v.dryRun.length) {
        const bad = v.dryRun.find((d: unknown) => d !== 'All');
        if (bad !== undefined) throw invalidOptions('DeleteOptions', fieldNotSupported('dryRun', bad, ['All']));
        opts.dryRun = true;
      }
    } else {
      throw newBadRequest('the request body must be a DeleteOptions object');
    }
  }
  const pp = q.get('propagationPolicy');
  if (pp) opts.propagationPolicy = pp as PropagationPolicy;
  const od = parseBooleanParam(q, 'orphanDependents');
  if (od !== undefined) opts.orphanDependents = od;
  const gp = parseIntParam(q, 'gracePeriodSeconds');
  if (gp !== undefined) opts.gracePeriodSeconds = gp;
  if (dryRunOf(q, 'DeleteOptions')) opts.dryRun = true;
  if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy)) {
    throw invalidOptions('DeleteOptions', fieldNotSupported('propagationPolicy', opts.propagationPolicy, ['Foreground', 'Background', 'Orphan']));
  }
  if (opts.propagationPolicy && opts.orphanDependents !== undefined) {
    throw invalidOptions('DeleteOptions', fieldInvalid('propagationPolicy', opts.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  return opts;
}

async function handleDeleteCollection(ctx: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, namespace: string, q: URLSearchParams): Promise<void> {
  const opts = await deleteOptions(req, q);
  const sel = selectors(ctx, info, q);
  const listed = await ctx.svc.list(info, namespace, sel);
  const objs = listed.parsed ?? listed.items.map((s) => JSON.parse(s));
  const deleted: any[] = [];
  for (const o of objs) {
    try {
      const out = await ctx.svc.delete(info, o.metadata.namespace ?? '', o.metadata.name, { ...opts, preconditions: undefined });
      deleted.push(out.object);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) continue; // raced with another delete
      throw e;
    }
  }
  sendJson(res, 200, { kind: info.listKind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(await ctx.svc.store.currentRevision()) }, items: deleted });
}

function patchFunction(info: ResourceInfo, type: string, patch: unknown): (current: any) => any {
  switch (type) {
    case 'application/json-patch+json':
      return (cur) => applyJsonPatch(cur, patch);
    case 'application/merge-patch+json':
      return (cur) => applyMergePatch(cur, patch);
    case 'application/strategic-merge-patch+json':
      if (!info.strategicMerge) {
        throw newUnsupportedMediaType(type, PATCH_TYPES.filter((t) => t !== type));
      }
      return (cur) => applyStrategicMergePatch(cur, patch, builtinPatchMeta(info.group, info.kind));
    default:
      throw newUnsupportedMediaType(type, PATCH_TYPES);
  }
}

async function handlePatch(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceInfo,
  namespace: string,
  name: string,
  q: URLSearchParams,
  format: ResponseFormat,
  subresource: string,
): Promise<void> {
  const type = mediaType(req);
  if (!PATCH_TYPES.includes(type)) throw newUnsupportedMediaType(type || '(none)', PATCH_TYPES);
  if (type === 'application/strategic-merge-patch+json' && !info.strategicMerge) throw newUnsupportedMediaType(type, PATCH_TYPES.filter((t) => t !== type));
  const body = await decodeBody(req, [type]);
  const opts = writeOptions(q, body.duplicates, subresource, 'PatchOptions', req);
  if (type === 'application/apply-patch+yaml') {
    requireApplyFieldManager(opts.fieldManager);
    return handleApply(ctx, res, info, namespace, name, q, format, subresource, body.value, opts);
  }
  if (q.has('force')) {
    throw invalidOptions('PatchOptions', fieldForbidden('force', 'may not be specified for non-apply patch'));
  }
  if (body.value === null || typeof body.value !== 'object') {
    throw newBadRequest('the patch must be a JSON object (or, for a JSON patch, an array)');
  }
  const apply = patchFunction(info, type, body.value);
  const out = await ctx.svc.guaranteedUpdate(
    info,
    namespace,
    name,
    (current) => {
      const rv = current.metadata.resourceVersion;
      const next = apply(current);
      if (next === null || typeof next !== 'object') throw newBadRequest('the patch produced something that is not an object');
      // A resourceVersion the patch sets is a precondition (kubectl apply adds one in some modes).
      const nrv = next.metadata?.resourceVersion;
      if (nrv !== undefined && nrv !== rv) {
        throw newConflict(groupResource(info), name, OBJECT_MODIFIED);
      }
      return next;
    },
    opts,
  );
  return respondObject(res, 200, info, out.object, format, q, opts.warnings);
}

/**
 * Server-side apply: the configuration is merged into the live object by field ownership (see
 * field-manager.ts); a missing object is created (201), except through a subresource.
 */
async function handleApply(
  ctx: RestContext,
  res: ServerResponse,
  info: ResourceInfo,
  namespace: string,
  name: string,
  q: URLSearchParams,
  format: ResponseFormat,
  subresource: string,
  body: unknown,
  opts: WriteOptions,
): Promise<void> {
  const force = parseBooleanParam(q, 'force') ?? false;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw newBadRequest(`the body of the request must be a YAML or JSON object describing a ${info.kind}`);
  }
  const raw = body as any;
  const want = apiVersionOf(info);
  if (raw.apiVersion !== want) {
    throw newBadRequest(`Incorrect version specified in apply patch. Specified patch version: ${raw.apiVersion ?? ''}, expected: ${want}`);
  }
  if (raw.kind === undefined || raw.kind === null || raw.kind === '') throw newBadRequest(`Object 'Kind' is missing in '${JSON.stringify(raw)}'`);
  const config = ctx.svc.checkBody(info, namespace, structuredClone(raw), name);
  const unknown = pruneApplyConfig(info, config);
  if (unknown.length) {
    const problems = unknown.map((f) => `unknown field "${f}"`);
    if (opts.fieldValidation === 'Strict') throw newBadRequest(`strict decoding error: ${problems.join(', ')}`);
    if (opts.fieldValidation !== 'Ignore') opts.warnings?.push(...problems);
  }
  const applyOpts = { fieldManager: opts.fieldManager, userAgent: opts.userAgent, subresource, force };
  opts.serverSideApply = true;
  for (let attempt = 0; ; attempt++) {
    const current = await ctx.svc.tryGet(info, namespace, name);
    if (!current) {
      if (subresource) throw newNotFound(groupResource(info), name);
      const applied = serverSideApply(info, undefined, config, applyOpts);
      try {
        const out = await ctx.svc.create(info, namespace, applied.object, opts);
        return respondObject(res, 201, info, out.object, format, q, opts.warnings);
      } catch (e) {
        // Created by someone else meanwhile: apply to theirs.
        if (e instanceof ApiError && e.status.reason === 'AlreadyExists' && attempt < 3) continue;
        throw e;
      }
    }
    const out = await ctx.svc.guaranteedUpdate(
      info,
      namespace,
      name,
      (cur) => {
        // A resourceVersion in the configuration is a precondition.
        const rv = config.metadata?.resourceVersion;
        if (rv !== undefined && rv !== cur.metadata.resourceVersion) throw newConflict(groupResource(info), name, OBJECT_MODIFIED);
        return serverSideApply(info, cur, config, applyOpts).object;
      },
      opts,
    );
    return respondObject(res, 200, info, out.object, format, q, opts.warnings);
  }
}

async function handleSubresource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  ri: ResourceRequestInfo,
  info: ResourceInfo,
  namespace: string,
  q: URLSearchParams,
  format: ResponseFormat,
): Promise<void> {
  const sub = ri.subresource;
  const isNsFinalize = info.group === '' && info.resource === 'namespaces' && sub === 'finalize';
  if (sub === 'status' && info.subresources.status) {
    switch (ri.verb) {
      case 'get':
        return respondObject(res, 200, info, await ctx.svc.get(info, namespace, ri.name), format, q);
      case 'update': {
        const body = await decodeBody(req, bodyTypesFor(info));
        const opts = writeOptions(q, body.duplicates, 'status', 'UpdateOptions', req);
        const out = await ctx.svc.update(info, namespace, ri.name, body.value, opts);
        return respondObject(res, 200, info, out.object, format, q, opts.warnings);
      }
      case 'patch':
        return handlePatch(ctx, req, res, info, namespace, ri.name, q, format, 'status');
      default:
        throw newMethodNotSupported(groupResource(info), ri.verb);
    }
  }
  if (isNsFinalize && ri.verb === 'update') {
    // PUT /api/v1/namespaces/<n>/finalize: the only way to change spec.finalizers.
    const body = await decodeBody(req, BODY_TYPES);
    const finalizers = (body.value as any)?.spec?.finalizers ?? [];
    const updated = await finalizeNamespace(ctx.svc, info, ri.name, finalizers);
    return respondObject(res, 200, info, updated, format, q);
  }
  if (sub === 'scale' && info.subresources.scale) {
    return handleScale(ctx, req, res, ri, info, namespace, q);
  }
  throw newNotFoundPath();
}

function scaleOf(info: ResourceInfo, obj: any): any {
  const scale = info.subresources.scale!;
  const replicas = getPath(obj, scale.specReplicasPath);
  const statusReplicas = getPath(obj, scale.statusReplicasPath);
  let selector: string | undefined;
  if (scale.labelSelectorPath) {
    const s = getPath(obj, scale.labelSelectorPath);
    if (typeof s === 'string') selector = s;
  }
  // Built-in workloads publish their spec.selector as the Scale's selector string.
  if (selector === undefined && !info.crd && obj.spec?.selector) {
    const sel = obj.spec.selector;
    const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    for (const e of sel.matchExpressions ?? []) {
      const op = e.operator;
      if (op === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
      else if (op === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
      else if (op === 'Exists') parts.push(e.key);
      else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
    }
    selector = parts.join(',');
  }
  const status: Record<string, unknown> = { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0 };
  if (selector) status.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status,
  };
}

async function handleScale(ctx: RestContext, req: IncomingMessage, res: ServerResponse, ri: ResourceRequestInfo, info: ResourceInfo, namespace: string, q: URLSearchParams): Promise<void> {
  const scaleInfo = info.subresources.scale!;
  if (ri.verb === 'get') return sendJson(res, 200, scaleOf(info, await ctx.svc.get(info, namespace, ri.name)));
  if (ri.verb !== 'update' && ri.verb !== 'patch') throw newMethodNotSupported(groupResource(info), ri.verb);
  const type = ri.verb === 'patch' ? mediaType(req) : '';
  const body = await decodeBody(req, ri.verb === 'patch' ? PATCH_TYPES.filter((t) => t !== 'application/apply-patch+yaml') : BODY_TYPES);
  const opts = writeOptions(q, body.duplicates, 'scale', ri.verb === 'patch' ? 'PatchOptions' : 'UpdateOptions', req);
  const out = await ctx.svc.guaranteedUpdate(
    info,
    namespace,
    ri.name,
    (current) => {
      const scale = scaleOf(info, current);
      let next: any;
      if (ri.verb === 'update') {
        next = body.value as any;
        if (next?.kind && next.kind !== 'Scale') throw newBadRequest(`the kind in the data (${String(next.kind)}) does not match the expected kind (Scale)`);
        const rv = next?.metadata?.resourceVersion;
        if (rv && rv !== current.metadata.resourceVersion) throw newConflict(groupResource(info), ri.name, OBJECT_MODIFIED);
      } else if (type === 'application/json-patch+json') next = applyJsonPatch(scale, body.value);
      else if (type === 'application/merge-patch+json') next = applyMergePatch(scale, body.value);
      else next = applyStrategicMergePatch(scale, body.value, undefined);
      const replicas = next?.spec?.replicas;
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw new ApiError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          code: 422,
          reason: 'Invalid',
          message: `Scale.autoscaling "${ri.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          details: { name: ri.name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: 'must be greater than or equal to 0', field: 'spec.replicas' }] },
        });
      }
      setPath(current, scaleInfo.specReplicasPath, replicas);
      return current;
    },
    opts,
  );
  sendJson(res, 200, scaleOf(info, out.object));
}
