/**
 * The generic registry store: every verb on every resource, built-in or custom, goes through
 * here (kube-apiserver's genericregistry.Store). HTTP handlers and the server's own controllers
 * (namespace lifecycle, garbage collector, CRD cleanup) both call it, so the rules for
 * metadata, finalizers, generation, status and optimistic concurrency live in one place.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  FieldSelector,
  LabelSelector,
  OBJECT_MODIFIED,
  applySchemaDefaults,
  fieldForbidden,
  fieldNotSupported,
  generateName,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newForbidden,
  newInvalid,
  newNotFound,
  newResourceExpired,
  newTimeout,
  pruneNonNullableNullsWithoutDefaults,
  pruneUnknownFields,
  validateAgainstSchema,
  validateObjectMeta,
  type FieldError,
} from '@keelson/apimachinery';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type KeyValue,
  type Store,
} from '@keelson/storage';
import { decodeServed, encodeForStorage, servedJson } from './object-codec.js';
import {
  OBJECT_META_FIELDS,
  apiVersionOf,
  deepEqual,
  dropEmptyMetadataFields,
  groupResource,
  listPrefix,
  nowTimestamp,
  objectKey,
  storageApiVersionOf,
} from './object-meta.js';
import { recordUpdate } from './field-manager.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceInfo } from './resource-info.js';
import { strategyFor } from './strategies.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  /** Default Warn, as kube-apiserver. */
  fieldValidation?: FieldValidation;
  /** Duplicate fields the request body's parser found (reported like unknown fields). */
  duplicateFields?: string[];
  /** Collected `Warning:` header texts. */
  warnings?: string[];
  /** '' (main resource), 'status' or 'scale'. */
  subresource?: string;
  fieldManager?: string;
  /** The request's User-Agent: names the field manager when `fieldManager` is not given. */
  userAgent?: string;
  /** Set by server-side apply, which has already written the object's managedFields. */
  serverSideApply?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  gracePeriodSeconds?: number;
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListOutcome {
  /** Served JSON texts, in key order. */
  items: string[];
  /** Parsed items, when they had to be parsed (selectors); same order as items. */
  parsed?: any[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WriteOutcome {
  /** The object as served after the write (or as it would be, for dryRun). */
  object: any;
  kv?: KeyValue;
  /** For deletes: true when the object is gone, false when it waits on finalizers. */
  deleted?: boolean;
  /** For updates: false when nothing changed (no new resourceVersion). */
  changed?: boolean;
}

/** Admission steps beyond the generic rules (namespace lifecycle, CRD status, ...). */
export interface AdmissionPlugin {
  /** Runs before validation on create. May throw ApiError. */
  admitCreate?(info: ResourceInfo, obj: any, opts: WriteOptions): Promise<void> | void;
  /** Runs before validation on update. */
  admitUpdate?(info: ResourceInfo, next: any, current: any, opts: WriteOptions): Promise<void> | void;
  /** Extra validation. */
  validate?(info: ResourceInfo, obj: any, current: any | undefined): FieldError[];
}

export type WriteEvent = { verb: 'create' | 'update' | 'delete'; info: ResourceInfo; object: any };

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

const MAX_CONFLICT_RETRIES = 64;

export class ObjectService {
  readonly admission: AdmissionPlugin[] = [];
  /** Called after every committed write (not dry runs), in commit order per key. */
  readonly afterWrite: ((e: WriteEvent) => Promise<void> | void)[] = [];

  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
  ) {}

  // ---------------------------------------------------------------- reads

  async getKv(info: ResourceInfo, namespace: string, name: string): Promise<KeyValue> {
    const kv = await this.store.get(objectKey(info, namespace, name));
    if (!kv) throw newNotFound(groupResource(info), name);
    return kv;
  }

  async get(info: ResourceInfo, namespace: string, name: string): Promise<any> {
    return this.decode(info, await this.getKv(info, namespace, name));
  }

  async tryGet(info: ResourceInfo, namespace: string, name: string): Promise<any | undefined> {
    const kv = await this.store.get(objectKey(info, namespace, name));
    return kv ? this.decode(info, kv) : undefined;
  }

  /** Served text for one stored value (apiVersion of the requested version, defaults from the CRD schema). */
  serve(info: ResourceInfo, kv: KeyValue): string {
    if (info.crd?.schema && hasDefaults(info.crd.schema)) {
      return JSON.stringify(this.decode(info, kv));
    }
    return servedJson(kv, info.crd ? apiVersionOf(info) : undefined);
  }

  decode(info: ResourceInfo, kv: KeyValue): any {
    const obj = decodeServed(kv, info.crd ? apiVersionOf(info) : undefined);
    // Defaulting also applies when reading from storage (objects stored before a default was added).
    if (info.crd?.schema && hasDefaults(info.crd.schema)) applySchemaDefaults(info.crd.schema, obj);
    return obj;
  }

  async list(info: ResourceInfo, namespace: string, opts: ListOptions): Promise<ListOutcome> {
    const prefix = listPrefix(info, namespace);
    const hasRv = opts.resourceVersion !== undefined && opts.resourceVersion !== '';
    // kube-apiserver's ValidateListOptions: a bad combination is an invalid ListOptions (422), not a 400.
    const listOptionsInvalid = (e: FieldError): ApiError => newInvalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [e]);
    if (opts.resourceVersionMatch && !hasRv) {
      throw listOptionsInvalid(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    }
    if (opts.resourceVersionMatch && !['Exact', 'NotOlderThan'].includes(opts.resourceVersionMatch)) {
      throw listOptionsInvalid(fieldNotSupported('resourceVersionMatch', opts.resourceVersionMatch, ['Exact', 'NotOlderThan']));
    }
    let revision: number | undefined;
    let startKey = prefix;
    if (opts.continueToken) {
      if (hasRv && opts.resourceVersion !== '0') throw newBadRequest('specifying resource version is not allowed when using continue');
      const tok = decodeContinue(opts.continueToken);
      startKey = prefix + tok.start;
      if (!startKey.startsWith(prefix) || tok.start.includes('..')) throw newBadRequest('continue key is not valid: invalid start key');
      revision = tok.rv > 0 ? tok.rv : undefined;
      const compacted = await this.store.compactedRevision();
      if (revision !== undefined && revision < compacted) {
        const err = newResourceExpired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
        err.status.metadata.continue = encodeContinue({ v: 'meta.k8s.io/v1', rv: -1, start: tok.start });
        throw err;
      }
    } else if (hasRv && opts.resourceVersion !== '0') {
      const n = parseResourceVersion(opts.resourceVersion!);
      const exact = opts.resourceVersionMatch === 'Exact' || (!opts.resourceVersionMatch && (opts.limit ?? 0) > 0);
      if (exact) revision = n;
      else await this.waitForRevision(n);
    }

    const fieldSel = opts.fieldSelector && !opts.fieldSelector.isEmpty() ? opts.fieldSelector : undefined;
    const labelSel = opts.labelSelector && !opts.labelSelector.isEmpty() ? opts.labelSelector : undefined;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;

    // kubectl's delete/wait pins one name: answer with a point read instead of a scan.
    const pinnedName = fieldSel?.requiresExactMatch('metadata.name');
    const pinnedNs = fieldSel?.requiresExactMatch('metadata.namespace');
    if (pinnedName !== undefined && !opts.continueToken && (!info.namespaced || namespace || pinnedNs !== undefined)) {
      const ns = namespace || pinnedNs || '';
      const rev = revision ?? (await this.store.currentRevision());
      const kv = await this.readAt(objectKey(info, ns, pinnedName), revision);
      const items: string[] = [];
      const parsed: any[] = [];
      if (kv) {
        const obj = this.decode(info, kv);
        if (this.matches(info, obj, labelSel, fieldSel)) {
          items.push(JSON.stringify(obj));
          parsed.push(obj);
        }
      }
      return { items, parsed, resourceVersion: String(rev) };
    }

    const items: string[] = [];
    const parsed: any[] | undefined = labelSel || fieldSel ? [] : undefined;
    let start = startKey;
    let listRevision: number | undefined = revision;
    let continueFrom: string | undefined;
    let remaining: number | undefined;
    for (;;) {
      const want = limit ? Math.max(limit - items.length, 1) : 0;
      // With selectors most keys may not match: read in larger pages to save round trips.
      const pageLimit = limit ? (parsed ? Math.max(want, 500) : want) : 0;
      let page;
      try {
        page = await this.store.list(prefix, { revision: listRevision, limit: pageLimit, startKey: start });
      } catch (e) {
        throw this.mapStorageError(e, info, '');
      }
      listRevision = page.revision;
      let stoppedAt = -1;
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i];
        if (parsed) {
          const obj = this.decode(info, kv);
          if (!this.matches(info, obj, labelSel, fieldSel)) continue;
          items.push(JSON.stringify(obj));
          parsed.push(obj);
        } else {
          items.push(this.serve(info, kv));
        }
        if (limit && items.length >= limit) {
          stoppedAt = i;
          break;
        }
      }
      if (stoppedAt >= 0) {
        const more = stoppedAt < page.items.length - 1 || page.more;
        if (more) {
          continueFrom = page.items[stoppedAt].key.slice(prefix.length) + '\x00';
          if (!parsed) remaining = page.remaining + (page.items.length - 1 - stoppedAt);
        }
        break;
      }
      if (!page.more || page.items.length === 0) break;
      start = page.items[page.items.length - 1].key + '\x00';
    }
    const out: ListOutcome = { items, resourceVersion: String(listRevision) };
    if (parsed) out.parsed = parsed;
    if (continueFrom !== undefined) {
      out.continueToken = encodeContinue({ v: 'meta.k8s.io/v1', rv: listRevision!, start: continueFrom });
      if (remaining !== undefined && remaining > 0) out.remainingItemCount = remaining;
    }
    return out;
  }

  private async readAt(key: string, revision: number | undefined): Promise<KeyValue | undefined> {
    try {
      return await this.store.get(key, revision === undefined ? undefined : { revision });
    } catch (e) {
      throw this.mapStorageError(e, undefined, '');
    }
  }

  /** "Not older than N": wait briefly for a revision this server has not reached (kube waits up to 3 s). */
  async waitForRevision(n: number): Promise<void> {
    const deadline = Date.now() + 3000;
    while ((await this.store.currentRevision()) < n) {
      if (Date.now() > deadline) {
        const err = newTimeout(`Too large resource version: ${n}, current: ${await this.store.currentRevision()}`, 1);
        err.status.details = { ...(err.status.details ?? {}), causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] };
        throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  fieldValue(info: ResourceInfo, obj: any, field: string): string | undefined {
    if (field === 'metadata.name') return obj?.metadata?.name ?? '';
    if (field === 'metadata.namespace') return obj?.metadata?.namespace ?? '';
    const getter = info.fieldSelectors[field];
    return getter ? getter(obj) : undefined;
  }

  matches(info: ResourceInfo, obj: any, labelSel?: LabelSelector, fieldSel?: FieldSelector): boolean {
    if (labelSel && !labelSel.matches(obj?.metadata?.labels)) return false;
    if (fieldSel && !fieldSel.matches((f) => this.fieldValue(info, obj, f))) return false;
    return true;
  }

  /** 400 for field selectors this resource does not support (as kube-apiserver). */
  checkFieldSelector(info: ResourceInfo, sel: FieldSelector): void {
    for (const r of sel.requirements) {
      if (r.field === 'metadata.name' || r.field === 'metadata.namespace') continue;
      if (!info.fieldSelectors[r.field]) throw newBadRequest(`field label not supported: ${r.field}`);
    }
  }

  // ---------------------------------------------------------------- create

  async create(info: ResourceInfo, namespace: string, body: unknown, opts: WriteOptions = {}): Promise<WriteOutcome> {
    const obj = this.checkBody(info, namespace, body, undefined);
    const meta = obj.metadata;
    if (info.namespaced) await this.checkNamespaceWritable(info, meta.namespace ?? '');
    if (!meta.name && meta.generateName && typeof meta.generateName === 'string') meta.name = generateName(meta.generateName);
    // Server-owned metadata: whatever the client sent is replaced.
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    if (info.generation !== 'none') meta.generation = 1;
    else delete meta.generation;
    if (info.subresources.status && info.crd) delete obj.status;
    strategyFor(info)?.prepareForCreate?.(obj);
    await this.admitCustomResource(info, obj, opts);
    for (const a of this.admission) await a.admitCreate?.(info, obj, opts);
    this.validate(info, obj, undefined);
    if (!opts.serverSideApply) recordUpdate(info, undefined, obj, opts);
    obj.apiVersion = storageApiVersionOf(info);
    const value = encodeForStorage(obj);
    obj.apiVersion = apiVersionOf(info);
    if (opts.dryRun) return { object: obj };
    let kv: KeyValue;
    try {
      kv = await this.store.create(objectKey(info, meta.namespace ?? '', meta.name), value);
    } catch (e) {
      if (e instanceof KeyExistsError) throw newAlreadyExists(groupResource(info), meta.name);
      throw this.mapStorageError(e, info, meta.name);
    }
    obj.metadata.resourceVersion = String(kv.modRevision);
    await this.notify({ verb: 'create', info, object: obj });
    return { object: obj, kv, changed: true };
  }

  // ---------------------------------------------------------------- update

  /**
   * kube's GuaranteedUpdate: read, let `tryUpdate` build the next object from the current one,
   * write guarded by the read revision, and retry from a fresh read on a conflict. `tryUpdate`
   * enforces any client precondition (resourceVersion in the body) itself by throwing.
   */
  async guaranteedUpdate(
    info: ResourceInfo,
    namespace: string,
    name: string,
    tryUpdate: (current: any) => any | Promise<any>,
    opts: WriteOptions = {},
  ): Promise<WriteOutcome> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw newNotFound(groupResource(info), name);
      const current = this.decode(info, kv);
      const proposed = await tryUpdate(structuredClone(current));
      const next = this.checkBody(info, namespace, proposed, name);
      this.prepareForUpdate(info, next, current, opts.subresource ?? '');
      await this.admitCustomResource(info, next, opts);
      for (const a of this.admission) await a.admitUpdate?.(info, next, current, opts);
      this.validate(info, next, current);
      if (!opts.serverSideApply) recordUpdate(info, current, next, opts);
      next.apiVersion = storageApiVersionOf(info);
      const value = encodeForStorage(next);
      next.apiVersion = apiVersionOf(info);
      const finalize = next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length > 0);
      if (value === kv.value && !finalize) return { object: current, kv, changed: false };
      if (opts.dryRun) {
        next.metadata.resourceVersion = String(kv.modRevision);
        return { object: next, changed: true };
      }
      try {
        let written = await this.store.update(key, value, kv.modRevision);
        next.metadata.resourceVersion = String(written.modRevision);
        if (finalize) {
          // The last finalizer is gone: the object goes now.
          written = await this.store.delete(key, written.modRevision);
          await this.notify({ verb: 'delete', info, object: next });
          return { object: next, kv: written, changed: true, deleted: true };
        }
        await this.notify({ verb: 'update', info, object: next });
        return { object: next, kv: written, changed: true };
      } catch (e) {
        if (e instanceof RevisionConflictError) continue;
        if (e instanceof KeyNotFoundError) throw newNotFound(groupResource(info), name);
        throw this.mapStorageError(e, info, name);
      }
    }
    throw newConflict(groupResource(info), name, 'too many concurrent writers; please retry');
  }

  /** PUT: the body replaces the object, guarded by its resourceVersion when it carries one. */
  async update(info: ResourceInfo, namespace: string, name: string, body: unknown, opts: WriteOptions = {}): Promise<WriteOutcome> {
    const incoming = this.checkBody(info, namespace, body, name);
    const rv = incoming.metadata.resourceVersion;
    const uid = incoming.metadata.uid;
    return this.guaranteedUpdate(
      info,
      namespace,
      name,
      (current) => {
        // A uid in the body is a precondition (rest.DefaultUpdatedObjectInfo): a PUT built from an
        // object that was since deleted and re-created must not overwrite its successor.
        if (uid && uid !== current.metadata.uid) {
          throw newConflict(groupResource(info), name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`);
        }
        if (rv && rv !== current.metadata.resourceVersion) throw newConflict(groupResource(info), name, OBJECT_MODIFIED);
        return structuredClone(incoming);
      },
      opts,
    );
  }

  private prepareForUpdate(info: ResourceInfo, next: any, current: any, subresource: string): void {
    if (subresource === 'status') {
      // Writes to /status change status only (and their managedFields, which the field manager reads).
      const status = next.status;
      const managedFields = next.metadata?.managedFields;
      for (const k of Object.keys(next)) delete next[k];
      Object.assign(next, structuredClone(current));
      if (status === undefined) delete next.status;
      else next.status = status;
      if (managedFields === undefined) delete next.metadata.managedFields;
      else next.metadata.managedFields = managedFields;
      return;
    }
    const nm = next.metadata;
    const cm = current.metadata;
    // Server-owned metadata cannot be changed by a client.
    nm.uid = cm.uid;
    nm.creationTimestamp = cm.creationTimestamp;
    if (cm.deletionTimestamp) {
      nm.deletionTimestamp = cm.deletionTimestamp;
      nm.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    } else {
      delete nm.deletionTimestamp;
      delete nm.deletionGracePeriodSeconds;
    }
    delete nm.selfLink;
    if (info.subresources.status) {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    strategyFor(info)?.prepareForUpdate?.(next, current);
    if (info.generation !== 'none') {
      const gen = cm.generation ?? 1;
      const skip = info.generation === 'spec' ? ['metadata', 'status', 'apiVersion', 'kind'] : ['metadata', 'apiVersion', 'kind'];
      nm.generation = changedOutside(next, current, skip) ? gen + 1 : gen;
    } else {
      delete nm.generation;
    }
  }

  // ---------------------------------------------------------------- delete

  async delete(info: ResourceInfo, namespace: string, name: string, options: DeleteOptions = {}): Promise<WriteOutcome> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw newNotFound(groupResource(info), name);
      const obj = this.decode(info, kv);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw newConflict(groupResource(info), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw newConflict(
          groupResource(info),
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
        );
      }
      const policy: PropagationPolicy | undefined = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : undefined);
      const finalizers: string[] = [...(obj.metadata.finalizers ?? [])];
      const deleting = !!obj.metadata.deletionTimestamp;
      let changedFinalizers = false;
      if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) {
        finalizers.push('foregroundDeletion');
        changedFinalizers = true;
      }
      if (policy === 'Orphan' && !finalizers.includes('orphan')) {
        finalizers.push('orphan');
        changedFinalizers = true;
      }
      if (policy && policy !== 'Orphan' && finalizers.includes('orphan') && !deleting) {
        finalizers.splice(finalizers.indexOf('orphan'), 1);
      }
      const isNamespace = info.group === '' && info.resource === 'namespaces';
      if (deleting && !changedFinalizers) return { object: obj, kv, deleted: false, changed: false };
      if (finalizers.length > 0 || isNamespace) {
        const next = structuredClone(obj);
        next.metadata.finalizers = finalizers.length ? finalizers : undefined;
        if (!next.metadata.finalizers) delete next.metadata.finalizers;
        if (!deleting) {
          next.metadata.deletionTimestamp = nowTimestamp();
          next.metadata.deletionGracePeriodSeconds = 0;
        }
        if (isNamespace) next.status = { ...(next.status ?? {}), phase: 'Terminating' };
        if (options.dryRun) return { object: next, deleted: false };
        next.apiVersion = storageApiVersionOf(info);
        const value = encodeForStorage(next);
        next.apiVersion = apiVersionOf(info);
        try {
          const written = await this.store.update(key, value, kv.modRevision);
          next.metadata.resourceVersion = String(written.modRevision);
          await this.notify({ verb: 'update', info, object: next });
          return { object: next, kv: written, deleted: false, changed: true };
        } catch (e) {
          if (e instanceof RevisionConflictError) continue;
          if (e instanceof KeyNotFoundError) throw newNotFound(groupResource(info), name);
          throw this.mapStorageError(e, info, name);
        }
      }
      if (options.dryRun) return { object: obj, deleted: true };
      try {
        const gone = await this.store.delete(key, kv.modRevision);
        obj.metadata.resourceVersion = String(gone.modRevision);
        await this.notify({ verb: 'delete', info, object: obj });
        return { object: obj, kv: gone, deleted: true, changed: true };
      } catch (e) {
        if (e instanceof RevisionConflictError) continue;
        if (e instanceof KeyNotFoundError) throw newNotFound(groupResource(info), name);
        throw this.mapStorageError(e, info, name);
      }
    }
    throw newConflict(groupResource(info), name, 'too many concurrent writers; please retry');
  }

  /** Removes one finalizer (used by the server's controllers); no-op when absent or the object is gone. */
  async removeFinalizer(info: ResourceInfo, namespace: string, name: string, finalizer: string): Promise<void> {
    try {
      await this.guaranteedUpdate(info, namespace, name, (cur) => {
        cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
        if (cur.metadata.finalizers.length === 0) delete cur.metadata.finalizers;
        return cur;
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  }

  // ---------------------------------------------------------------- helpers

  private async notify(e: WriteEvent): Promise<void> {
    for (const h of this.afterWrite) await h(e);
  }

  /**
   * Type meta, namespace and name of a request body against the URL: a mismatch is a 400, as
   * kube-apiserver answers it; missing apiVersion/kind are taken from the URL.
   */
  checkBody(info: ResourceInfo, namespace: string, body: unknown, urlName: string | undefined): any {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw newBadRequest(`the body of the request must be a JSON object describing a ${info.kind}`);
    }
    const obj = body as any;
    const want = apiVersionOf(info);
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = want;
    if (obj.kind === undefined || obj.kind === '') obj.kind = info.kind;
    if (obj.apiVersion !== want && !(info.crd && obj.apiVersion === storageApiVersionOf(info))) {
      throw newBadRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    }
    obj.apiVersion = want;
    if (obj.kind !== info.kind) {
      throw newBadRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${info.kind}) for ${info.resource}`);
    }
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw newBadRequest('metadata must be an object');
    const meta = obj.metadata;
    const typeError = metadataTypeError(meta);
    // Upstream's typed decoding refuses these before anything runs; storing them would break every typed client's list.
    if (typeError) throw newBadRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeError}`);
    if (info.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && namespace && meta.namespace !== namespace) {
        throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (namespace) meta.namespace = namespace;
    } else if (meta.namespace === '') {
      delete meta.namespace;
    }
    if (urlName !== undefined && meta.name !== undefined && meta.name !== urlName) {
      throw newBadRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${urlName})`);
    }
    if (urlName !== undefined && meta.name === undefined) meta.name = urlName;
    return obj;
  }

  private validate(info: ResourceInfo, obj: any, current: any | undefined): void {
    const errs: FieldError[] = validateObjectMeta(obj.metadata, { namespaced: info.namespaced, nameRule: info.nameRule });
    if (current) {
      const cm = current.metadata;
      const nm = obj.metadata;
      if (cm.deletionTimestamp) {
        const added = (nm.finalizers ?? []).filter((f: string) => !(cm.finalizers ?? []).includes(f));
        if (added.length) errs.push(fieldForbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
      }
      if (info.group === '' && (info.resource === 'secrets' || info.resource === 'configmaps') && current.immutable === true) {
        const fields = info.resource === 'secrets' ? ['data', 'stringData', 'type'] : ['data', 'binaryData'];
        for (const f of fields) if (!deepEqual(obj[f], current[f])) errs.push(fieldForbidden(f, 'field is immutable when `immutable` is set'));
        if (obj.immutable !== true) errs.push(fieldForbidden('immutable', 'field is immutable when `immutable` is set'));
      }
    }
    errs.push(...(strategyFor(info)?.validate?.(obj, current) ?? []));
    for (const a of this.admission) errs.push(...(a.validate?.(info, obj, current) ?? []));
    if (info.crd?.schema) {
      errs.push(...validateAgainstSchema(info.crd.schema, obj, { isResourceRoot: true }));
    }
    if (errs.length) throw newInvalid({ group: info.group, kind: info.kind }, obj.metadata?.name ?? '', errs);
  }

  /**
   * Unknown and duplicate fields (fieldValidation), and for custom resources pruning and
   * defaulting from the CRD schema: decode → prune → default, before validation, as
   * apiextensions-apiserver orders them.
   */
  private async admitCustomResource(info: ResourceInfo, obj: any, opts: WriteOptions): Promise<void> {
    const unknown: string[] = [];
    for (const k of Object.keys(obj.metadata)) {
      if (!OBJECT_META_FIELDS.has(k)) {
        unknown.push(`metadata.${k}`);
        delete obj.metadata[k];
      }
    }
    dropEmptyMetadataFields(obj.metadata);
    if (info.crd) {
      if (info.crd.schema && !info.crd.preserveUnknownFields) unknown.push(...pruneUnknownFields(info.crd.schema, obj, { isResourceRoot: true }));
      if (info.crd.schema) {
        // prune → drop nulls the schema does not allow → default, as apiextensions-apiserver does.
        pruneNonNullableNullsWithoutDefaults(info.crd.schema, obj);
        applySchemaDefaults(info.crd.schema, obj);
      }
    } else {
      const known = strategyFor(info)?.topLevelFields;
      if (known) {
        for (const k of Object.keys(obj)) {
          if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || known.includes(k)) continue;
          unknown.push(k);
          delete obj[k];
        }
      }
    }
    const problems = [...unknown.map((f) => `unknown field "${f}"`), ...(opts.duplicateFields ?? []).map((f) => `duplicate field "${f}"`)];
    opts.duplicateFields = undefined; // reported once, even when a conflict retries the update
    if (problems.length === 0) return;
    const mode = opts.fieldValidation ?? 'Warn';
    if (mode === 'Strict') throw newBadRequest(`strict decoding error: ${problems.join(', ')}`);
    if (mode === 'Warn') opts.warnings?.push(...problems);
  }

  mapStorageError(e: unknown, info: ResourceInfo | undefined, name: string): unknown {
    if (e instanceof CompactedError) {
      return newResourceExpired(`The resourceVersion for the provided list is too old.`);
    }
    if (e instanceof FutureRevisionError) {
      const err = newTimeout(`Too large resource version: ${e.requestedRevision}, current: ${e.currentRevision}`, 1);
      err.status.details = { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 };
      return err;
    }
    if (e instanceof KeyNotFoundError && info) return newNotFound(groupResource(info), name);
    return e;
  }

  /** Namespace lifecycle admission: the namespace must exist and not be terminating. */
  async checkNamespaceWritable(info: ResourceInfo, namespace: string): Promise<void> {
    if (!info.namespaced) return;
    const nsInfo = this.registry.get('', 'v1', 'namespaces')!;
    const kv = await this.store.get(objectKey(nsInfo, '', namespace));
    if (!kv) throw newNotFound({ group: '', resource: 'namespaces' }, namespace);
    const ns = JSON.parse(kv.value);
    if (ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') {
      throw newForbidden(groupResource(info), '', `unable to create new content in namespace ${namespace} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }
}

const METADATA_FIELD_TYPES: [field: string, jsonType: 'string' | 'object' | 'array', goType: string][] = [
  ['name', 'string', 'string'],
  ['generateName', 'string', 'string'],
  ['namespace', 'string', 'string'],
  ['uid', 'string', 'types.UID'],
  ['resourceVersion', 'string', 'string'],
  ['labels', 'object', 'map[string]string'],
  ['annotations', 'object', 'map[string]string'],
  ['finalizers', 'array', '[]string'],
  ['ownerReferences', 'array', '[]v1.OwnerReference'],
];

/** encoding/json's complaint about an ObjectMeta field of the wrong JSON type, as kube-apiserver words it. */
function metadataTypeError(meta: any): string | undefined {
  const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v);
  for (const [field, want, goType] of METADATA_FIELD_TYPES) {
    const v = meta[field];
    if (v === undefined || v === null) continue;
    const got = jsonType(v);
    if (got !== want) return `json: cannot unmarshal ${got} into Go struct field ObjectMeta.metadata.${field} of type ${goType}`;
  }
  return undefined;
}

function changedOutside(a: any, b: any, skip: string[]): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (skip.includes(k)) continue;
    if (!deepEqual(a[k], b[k])) return true;
  }
  return false;
}

const defaultsCache = new WeakMap<object, boolean>();
function hasDefaults(schema: object): boolean {
  let v = defaultsCache.get(schema);
  if (v === undefined) {
    v = JSON.stringify(schema).includes('"default":');
    defaultsCache.set(schema, v);
  }
  return v;
}

export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw newBadRequest(`invalid resource version "${rv}": resource version must be a decimal number`);
  return Number(rv);
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

export function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (t?.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad shape');
    return t;
  } catch {
    throw newBadRequest(`continue key is not valid: ${s.length > 40 ? s.slice(0, 40) + '...' : s}`);
  }
}
