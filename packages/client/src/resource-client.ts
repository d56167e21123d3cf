/**
 * The dynamic client: every verb of one resource (by GroupVersionResource), in one namespace or
 * across all, as client-go's dynamic.ResourceInterface. Typed clients are this with a type
 * parameter (typed.ts).
 *
 * ```ts
 * const cms = new DynamicResourceClient<ConfigMap>(transport, { group: '', version: 'v1', resource: 'configmaps' }, 'default');
 * await cms.create({ metadata: { name: 'x' }, data: { a: '1' } });
 * await cms.patch('x', { data: { a: '2' } }, 'merge');
 * ```
 */
import { ApiError, formatApiVersion, type GroupVersionResource } from '@keelson/apimachinery';
import { abortReason } from './clock.js';
import { ConnectionError, WatchDecodeError } from './errors.js';
import { listHeadWatcher } from './list-head.js';
import { listAll as pagedListAll } from './pager.js';
import type { HttpTransport, QueryValue } from './transport.js';
import type {
  ApplyConfiguration,
  ApplyOptions,
  DeleteOptions,
  GetOptions,
  KubeObject,
  ListAllOptions,
  ListOptions,
  ObjectList,
  PatchType,
  ResourceClient,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js';
import { decodeWatchStream } from './watch-decoder.js';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/** How long past its timeoutSeconds a watch may stay open before the connection is presumed dead. */
export const WATCH_DEADLINE_SLACK_MS = 30_000;

/** `/api/v1/namespaces/ns/pods/name/status` and the like. */
export function resourcePath(gvr: GroupVersionResource, namespace?: string, name?: string, subresource?: string): string {
  let p = gvr.group === '' ? `/api/${gvr.version}` : `/apis/${gvr.group}/${gvr.version}`;
  if (namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${gvr.resource}`;
  if (name !== undefined) {
    if (name === '') throw new TypeError(`resource name may not be empty (${gvr.resource})`);
    p += `/${encodeURIComponent(name)}`;
  }
  if (subresource) p += `/${subresource}`;
  return p;
}

function writeQuery(opts: WriteOptions | undefined): Record<string, QueryValue> {
  return {
    dryRun: opts?.dryRun ? 'All' : undefined,
    fieldManager: opts?.fieldManager,
    fieldValidation: opts?.fieldValidation,
  };
}

function listQuery(opts: ListOptions | undefined): Record<string, QueryValue> {
  return {
    labelSelector: opts?.labelSelector,
    fieldSelector: opts?.fieldSelector,
    limit: opts?.limit,
    continue: opts?.continue,
    resourceVersion: opts?.resourceVersion,
    resourceVersionMatch: opts?.resourceVersionMatch,
  };
}

function deleteBody(opts: DeleteOptions | undefined): Record<string, unknown> | undefined {
  if (!opts) return undefined;
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  return Object.keys(body).length > 2 ? body : undefined;
}

export class DynamicResourceClient<T extends KubeObject> implements ResourceClient<T> {
  /** How long past its timeoutSeconds a watch may stay open before the connection is presumed dead (tests lower it). */
  static watchDeadlineSlackMs = WATCH_DEADLINE_SLACK_MS;

  constructor(
    readonly transport: HttpTransport,
    readonly gvr: GroupVersionResource,
    /** Unset: all namespaces (list, watch) or a cluster-scoped resource. */
    readonly namespace?: string,
  ) {}

  private path(name?: string, subresource?: string, namespace = this.namespace): string {
    return resourcePath(this.gvr, namespace, name, subresource);
  }

  /** Writes go to the client's namespace, else the object's own. */
  private nsOf(obj: KubeObject): string | undefined {
    return this.namespace ?? obj.metadata?.namespace;
  }

  private nameOf(obj: KubeObject, verb: string): string {
    const name = obj.metadata?.name;
    if (!name) throw new TypeError(`${verb} ${this.gvr.resource}: the object has no metadata.name`);
    return name;
  }

  async get(name: string, opts: GetOptions = {}): Promise<T> {
    return await this.transport.requestJson<T>({ method: 'GET', path: this.path(name), query: { resourceVersion: opts.resourceVersion }, signal: opts.signal });
  }

  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const list = await this.transport.requestJson<ObjectList<T>>({
      method: 'GET',
      path: this.path(),
      query: listQuery(opts),
      signal: opts.signal,
      onData: opts.onMetadata ? listHeadWatcher(opts.onMetadata) : undefined,
    });
    list.items ??= [];
    list.metadata ??= { resourceVersion: '' };
    // Items of a list carry no apiVersion/kind on the wire from some servers; fill them as
    // client-go's UnstructuredList does, so items look like what get and watch return.
    if (list.kind?.endsWith('List')) {
      const kind = list.kind.slice(0, -4);
      const apiVersion = list.apiVersion ?? formatApiVersion(this.gvr.group, this.gvr.version);
      for (const item of list.items) {
        if (item && !item.kind) {
          item.kind = kind;
          item.apiVersion ??= apiVersion;
        }
      }
    }
    return list;
  }

  listAll(opts: ListAllOptions = {}): Promise<ObjectList<T>> {
    return pagedListAll((o) => this.list(o), opts);
  }

  async *watch(opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const signal = opts.signal;
    const body = await this.transport.stream({
      method: 'GET',
      path: this.path(),
      query: {
        watch: 'true',
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal,
    });
    // A server that promised to end the stream after timeoutSeconds and has not, 30 s later,
    // is unreachable (a half-open TCP connection): end it here rather than wait forever.
    let deadline: NodeJS.Timeout | undefined;
    if (opts.timeoutSeconds && opts.timeoutSeconds > 0) {
      const slack = DynamicResourceClient.watchDeadlineSlackMs;
      deadline = setTimeout(() => {
        const url = this.transport.url(this.path());
        const why = `watch ${url} did not end ${slack / 1000} s after its timeoutSeconds (${opts.timeoutSeconds} s); connection presumed dead`;
        body.destroy(new ConnectionError(why, { code: 'ETIMEDOUT', method: 'GET', url }));
      }, opts.timeoutSeconds * 1000 + slack);
      deadline.unref();
    }
    try {
      yield* decodeWatchStream<T>(body);
    } catch (e) {
      if (signal?.aborted) throw abortReason(signal);
      if (e instanceof ApiError || e instanceof WatchDecodeError || e instanceof ConnectionError) throw e;
      if (typeof (e as NodeJS.ErrnoException)?.code === 'string') {
        // The connection broke mid-stream (reset, server gone).
        const url = this.transport.url(this.path());
        throw new ConnectionError(`watch ${url}: ${(e as Error).message}`, { code: (e as NodeJS.ErrnoException).code!, method: 'GET', url, cause: e });
      }
      throw e;
    } finally {
      if (deadline) clearTimeout(deadline);
      body.destroy();
    }
  }

  async create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.transport.requestJson<T>({ method: 'POST', path: this.path(undefined, undefined, this.nsOf(obj)), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    const name = this.nameOf(obj, 'update');
    return this.transport.requestJson<T>({ method: 'PUT', path: this.path(name, undefined, this.nsOf(obj)), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    const name = this.nameOf(obj, 'updateStatus');
    return this.transport.requestJson<T>({ method: 'PUT', path: this.path(name, 'status', this.nsOf(obj)), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  async patch(name: string, patch: unknown, type: PatchType, opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const contentType = PATCH_CONTENT_TYPES[type];
    if (!contentType) throw new TypeError(`unknown patch type ${JSON.stringify(type)}; use 'json', 'merge' or 'strategic' (or apply() for server-side apply)`);
    return this.transport.requestJson<T>({
      method: 'PATCH',
      path: this.path(name, opts.subresource),
      query: writeQuery(opts),
      body: patch,
      contentType,
      signal: opts.signal,
      // Applying a merge patch twice gives what applying it once gives; a JSON patch ("add to
      // the list") or a strategic one (ordered directives) need not.
      idempotent: type === 'merge',
    });
  }

  async apply(obj: ApplyConfiguration<T>, opts: ApplyOptions): Promise<T> {
    if (!opts?.fieldManager) throw new TypeError('apply needs opts.fieldManager: the name of the manager that owns the applied fields');
    const name = this.nameOf(obj as KubeObject, 'apply');
    return this.transport.requestJson<T>({
      method: 'PATCH',
      path: this.path(name, undefined, this.nsOf(obj as KubeObject)),
      query: { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined },
      // JSON is YAML: the server parses application/apply-patch+yaml with a YAML parser.
      body: obj,
      contentType: 'application/apply-patch+yaml',
      signal: opts.signal,
      idempotent: true,
    });
  }

  async delete(name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.transport.request({ method: 'DELETE', path: this.path(name), body: deleteBody(opts), signal: opts.signal });
  }

  async deleteCollection(opts: ListOptions & DeleteOptions = {}): Promise<void> {
    await this.transport.request({ method: 'DELETE', path: this.path(), query: listQuery(opts), body: deleteBody(opts), signal: opts.signal });
  }
}
