/**
 * Field ownership on the write path (k8s.io/apiserver's fieldmanager): every create, update
 * and patch records in `metadata.managedFields` which manager set which fields, and
 * server-side apply (`PATCH application/apply-patch+yaml`) merges by that ownership.
 *
 * The pure parts (FieldsV1, type trees, merge, conflicts) are in @keelson/apimachinery's
 * fieldmanager; this file decides what they see:
 * - the manager: the `fieldManager` parameter, or the User-Agent's product (`kubectl/v1.32.0
 *   (linux/amd64) …` → `kubectl`) as kube-apiserver derives it; the server's own writes are
 *   `keelson-apiserver`;
 * - fields nobody owns: apiVersion, kind and server-set metadata (name, namespace, uid,
 *   resourceVersion, generation, creationTimestamp, managedFields, …);
 * - fields a write cannot change (the strategy's reset fields): `status` on the main resource
 *   of a kind with a status subresource, everything but `status` on `/status`;
 * - which managedFields a write starts from: the ones the client sent when they decode and are
 *   not empty (that is how a client rewrites or clears them), else the live object's.
 *
 * @example
 * // In ObjectService, right before an update is encoded:
 * recordUpdate(info, current, next, opts);
 */
import {
  ApplyConflictsError,
  FieldSet,
  ManagedFieldsError,
  TypedValueError,
  applyConfig,
  builtinTypeTree,
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  fieldElement,
  fieldInvalid,
  fieldRequired,
  fieldTooLong,
  newApplyConflictError,
  newBadRequest,
  newInvalid,
  pruneUnknownFields,
  typeTreeFromSchema,
  updateManagers,
  validateTyped,
  type FieldError,
  type Managers,
  type TypeNode,
} from '@keelson/apimachinery';
import { OBJECT_META_FIELDS, apiVersionOf, nowTimestamp } from './object-meta.js';
import type { ResourceInfo } from './resource-info.js';
import { strategyFor } from './strategies.js';

/** The manager of writes the server makes itself (bootstrap objects, controllers). */
export const SERVER_FIELD_MANAGER = 'keelson-apiserver';
/** metav1 FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

export interface FieldManagerOptions {
  /** The `fieldManager` query parameter. */
  fieldManager?: string;
  /** The request's User-Agent header; undefined for the server's own writes. */
  userAgent?: string;
  /** '' (main resource), 'status' or 'scale'. */
  subresource?: string;
}

/** kube-apiserver's prefixFromUserAgent: the product token before the first '/'. */
export function managerFromUserAgent(userAgent: string): string {
  return userAgent.split('/')[0].slice(0, FIELD_MANAGER_MAX_LENGTH);
}

/** The manager a write is recorded under. */
export function fieldManagerName(opts: FieldManagerOptions): string {
  if (opts.fieldManager) return opts.fieldManager;
  if (opts.userAgent === undefined) return SERVER_FIELD_MANAGER;
  return managerFromUserAgent(opts.userAgent);
}

/** ValidateFieldManager: at most 128 characters, all printable. */
export function validateFieldManager(fieldManager: string | undefined): FieldError[] {
  if (!fieldManager) return [];
  const errs: FieldError[] = [];
  if (fieldManager.length > FIELD_MANAGER_MAX_LENGTH) errs.push(fieldTooLong('fieldManager', fieldManager, FIELD_MANAGER_MAX_LENGTH));
  [...fieldManager].forEach((ch, i) => {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) errs.push(fieldInvalid(`fieldManager[${i}]`, fieldManager, 'all characters must be printable'));
  });
  return errs;
}

/** 422 on PatchOptions for a server-side apply without fieldManager, as kube-apiserver answers it. */
export function requireApplyFieldManager(fieldManager: string | undefined): void {
  if (!fieldManager) throw newInvalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [fieldRequired('fieldManager', 'is required for apply patch')]);
}

// ---------------------------------------------------------------- types

const crdTypes = new WeakMap<object, TypeNode>();

/** The merge type tree of a resource: from the CRD's structural schema, or the built-in table. */
export function typeTreeFor(info: ResourceInfo): TypeNode {
  const schema = info.crd?.schema;
  if (info.crd) {
    if (!schema || info.crd.preserveUnknownFields) return typeTreeFromSchema(undefined);
    let t = crdTypes.get(schema);
    if (!t) {
      t = typeTreeFromSchema(schema);
      crdTypes.set(schema, t);
    }
    return t;
  }
  return builtinTypeTree(info.group, info.kind);
}

// ---------------------------------------------------------------- ignored fields

/** stripMetaManager's paths: set by the server, owned by nobody. */
const STRIPPED = FieldSet.of(
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds'].map((f) => [fieldElement('metadata'), fieldElement(f)]),
);
const METADATA_NODE = FieldSet.of([fieldElement('metadata')]);

/** Fields a write neither owns nor conflicts on: server-set metadata and the strategy's reset fields. */
function ignoredFields(info: ResourceInfo, subresource: string, ...objects: unknown[]): FieldSet {
  let ignored = STRIPPED;
  if (subresource === 'status') {
    const top = new Set<string>();
    for (const o of objects) if (o && typeof o === 'object') for (const k of Object.keys(o)) if (k !== 'status') top.add(k);
    ignored = ignored.union(FieldSet.of(...[...top].map((k) => [fieldElement(k)])));
  } else if (info.subresources.status) {
    ignored = ignored.union(FieldSet.of([fieldElement('status')]));
  }
  return ignored;
}

/** A copy without managedFields (never compared, never merged). */
function withoutManagedFields(obj: any): any {
  if (!obj || typeof obj !== 'object') return obj;
  const out = { ...obj };
  if (obj.metadata && typeof obj.metadata === 'object') {
    out.metadata = { ...obj.metadata };
    delete out.metadata.managedFields;
  }
  return out;
}

/**
 * What a create is compared with: upstream compares with the kind's zero value. For a built-in
 * kind that is a Go struct whose `metadata`, `spec` and `status` are empty structs, so they are
 * never recorded as added themselves; a custom resource's zero value is an empty object.
 */
function createBaseline(info: ResourceInfo, next: any): any {
  if (info.crd) return {};
  const base: any = { metadata: {} };
  for (const k of ['spec', 'status']) if (next?.[k] && typeof next[k] === 'object' && !Array.isArray(next[k])) base[k] = {};
  return base;
}

/** The `metadata` node itself is never owned (stripMeta removes it without what is below it). */
function stripMetadataNode(managers: Managers): Managers {
  for (const [k, e] of managers) {
    const set = e.set.difference(METADATA_NODE);
    if (set.isEmpty()) managers.delete(k);
    else managers.set(k, { ...e, set });
  }
  return managers;
}

function readManagers(entries: unknown): Managers | undefined {
  try {
    return decodeManagedFields(entries);
  } catch (e) {
    if (e instanceof ManagedFieldsError) return undefined;
    throw e;
  }
}

/**
 * Sets `obj.metadata.managedFields` where the live object had them, so that a write that
 * changes nothing stores the same bytes (and gets no new resourceVersion).
 */
function writeManagers(obj: any, managers: Managers, live: any | undefined): void {
  const entries = encodeManagedFields(capUpdateManagers(stripMetadataNode(managers)));
  const meta = obj.metadata;
  delete meta.managedFields;
  if (entries.length === 0) return;
  const liveKeys = live?.metadata && typeof live.metadata === 'object' ? Object.keys(live.metadata) : [];
  const at = liveKeys.indexOf('managedFields');
  if (at < 0) {
    meta.managedFields = entries;
    return;
  }
  const before = new Set(liveKeys.slice(0, at));
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const k of Object.keys(meta)) {
    if (!placed && !before.has(k)) {
      out.managedFields = entries;
      placed = true;
    }
    out[k] = meta[k];
  }
  if (!placed) out.managedFields = entries;
  obj.metadata = out;
}

// ---------------------------------------------------------------- Update

/**
 * Records an Update operation (create, PUT, non-apply PATCH, subresource writes): sets
 * `next.metadata.managedFields`. `current` is undefined for a create. Call it once the object
 * is final (after defaulting and admission), right before it is stored.
 */
export function recordUpdate(info: ResourceInfo, current: any | undefined, next: any, opts: FieldManagerOptions): void {
  const subresource = opts.subresource ?? '';
  const sent = readManagers(next.metadata?.managedFields);
  // Clients that do not know managedFields send none: they keep the live object's.
  const base = sent && sent.size > 0 ? sent : (readManagers(current?.metadata?.managedFields) ?? new Map());
  const live = current ? withoutManagedFields(current) : createBaseline(info, next);
  const managers = updateManagers({
    live,
    next: withoutManagedFields(next),
    type: typeTreeFor(info),
    managers: base,
    manager: { manager: fieldManagerName(opts), operation: 'Update', apiVersion: apiVersionOf(info), subresource },
    now: nowTimestamp(),
    ignored: ignoredFields(info, subresource, current, next),
  });
  writeManagers(next, managers, current);
}

// ---------------------------------------------------------------- Apply

export interface ApplyOptions extends FieldManagerOptions {
  force: boolean;
}

export interface AppliedObject {
  /** The merged object with its new managedFields. */
  object: any;
  /** False when the apply changed nothing but (possibly) ownership. */
  changed: boolean;
}

/**
 * Server-side apply of `config` onto `current` (undefined when the object does not exist).
 * Throws 400 for a configuration that cannot be merged (managedFields set, duplicate list keys,
 * list items without their keys) and 409 for conflicts unless `force`.
 */
export function serverSideApply(info: ResourceInfo, current: any | undefined, config: any, opts: ApplyOptions): AppliedObject {
  if (config?.metadata?.managedFields !== undefined && config.metadata.managedFields !== null) {
    throw newBadRequest('metadata.managedFields must be nil');
  }
  const type = typeTreeFor(info);
  try {
    validateTyped(config, type);
  } catch (e) {
    if (e instanceof TypedValueError) {
      throw newBadRequest(`failed to create typed patch object (${objectRef(info, config)}): ${e.message}`);
    }
    throw e;
  }
  const subresource = opts.subresource ?? '';
  const managers = (current && readManagers(current.metadata?.managedFields)) ?? new Map();
  const live = current ? withoutManagedFields(current) : undefined;
  try {
    const out = applyConfig({
      live,
      config,
      type,
      managers,
      manager: { manager: opts.fieldManager ?? '', operation: 'Apply', apiVersion: apiVersionOf(info), subresource },
      force: opts.force,
      now: nowTimestamp(),
      ignored: ignoredFields(info, subresource, current, config),
    });
    const object = out.object as any;
    object.metadata ??= {};
    writeManagers(object, out.managers, current);
    return { object, changed: out.changed };
  } catch (e) {
    if (e instanceof ApplyConflictsError) throw newApplyConflictError(e.conflicts);
    throw e;
  }
}

/**
 * Drops the fields of an applied configuration the kind does not have, returning their paths
 * (as fieldValidation reports them). Done before merging so that the applier never owns a
 * field the object cannot hold.
 */
export function pruneApplyConfig(info: ResourceInfo, config: any): string[] {
  const unknown: string[] = [];
  if (config.metadata && typeof config.metadata === 'object') {
    for (const k of Object.keys(config.metadata)) {
      if (!OBJECT_META_FIELDS.has(k)) {
        unknown.push(`metadata.${k}`);
        delete config.metadata[k];
      }
    }
  }
  if (info.crd) {
    if (info.crd.schema && !info.crd.preserveUnknownFields) unknown.push(...pruneUnknownFields(info.crd.schema, config, { isResourceRoot: true }));
  } else {
    const known = strategyFor(info)?.topLevelFields;
    if (known) {
      for (const k of Object.keys(config)) {
        if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || known.includes(k)) continue;
        unknown.push(k);
        delete config[k];
      }
    }
  }
  return unknown;
}

function objectRef(info: ResourceInfo, obj: any): string {
  const ns = obj?.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${ns}${obj?.metadata?.name ?? ''}; ${apiVersionOf(info)}, Kind=${info.kind}`;
}
