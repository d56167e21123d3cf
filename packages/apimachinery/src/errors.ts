/**
 * metav1.Status errors: the one error shape every Kubernetes client understands. kubectl prints
 * `Error from server (<reason>): <message>`; client libraries switch on `reason` and `code`.
 * Messages follow kube-apiserver's wording so that scripts grepping them keep working.
 */

export type StatusReason =
  | ''
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'ServiceUnavailable';

/** metav1.CauseType values (the `reason` of a StatusCause). */
export type CauseType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'InternalError'
  | 'UnexpectedServerResponse'
  | 'FieldManagerConflict'
  | 'ResourceVersionTooLarge'
  | 'NamespaceTerminating';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural) for NotFound/AlreadyExists/Conflict, the Kind for Invalid. */
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export interface GroupResource {
  group: string;
  resource: string;
}

export interface GroupKind {
  group: string;
  kind: string;
}

/** An error that carries the `Status` the server sends (or sent) for it. */
export class ApiError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = 'ApiError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason ?? '';
  }
}

/** One problem with one field, as k8s.io/apimachinery/pkg/util/validation/field.Error. */
export interface FieldError {
  type: CauseType;
  /** Dotted path with indices: "spec.containers[0].name". */
  field: string;
  badValue?: unknown;
  detail?: string;
}

const causeText: Partial<Record<CauseType, string>> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  InternalError: 'Internal error',
};

function formatBadValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 197)}...` : s;
  }
  return String(v);
}

/** The text after the field path: `Invalid value: -1: must be greater than or equal to 0`. */
export function formatFieldErrorBody(e: FieldError): string {
  const what = causeText[e.type] ?? e.type;
  const parts = [what];
  const valued =
    e.type === 'FieldValueInvalid' ||
    e.type === 'FieldValueNotSupported' ||
    e.type === 'FieldValueDuplicate' ||
    e.type === 'FieldValueTypeInvalid' ||
    e.type === 'FieldValueNotFound' ||
    e.type === 'FieldValueTooMany';
  if (valued && e.badValue !== undefined) parts.push(formatBadValue(e.badValue));
  if (e.detail) parts.push(e.detail);
  return parts.join(': ');
}

/** `spec.replicas: Invalid value: -1: must be greater than or equal to 0` */
export function formatFieldError(e: FieldError): string {
  return e.field ? `${e.field}: ${formatFieldErrorBody(e)}` : formatFieldErrorBody(e);
}

export const fieldRequired = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const fieldInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail });
export const fieldForbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });
export const fieldDuplicate = (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue });
export const fieldNotFound = (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueNotFound', field, badValue });
export const fieldTypeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
export const fieldTooLong = (field: string, badValue: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field,
  badValue,
  detail: `may not be more than ${max} bytes`,
});
export const fieldTooMany = (field: string, actual: number, max: number): FieldError => ({
  type: 'FieldValueTooMany',
  field,
  badValue: actual,
  detail: `must have at most ${max} items`,
});
export function fieldNotSupported(field: string, badValue: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, badValue, detail };
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/**
 * StatusDetails' string fields are `omitempty` upstream: a core-group error carries no `group`,
 * a collection-level one no `name` (kube sends `{"name":"x","kind":"configmaps"}`).
 */
export function omitEmptyDetails(details: StatusDetails): StatusDetails {
  const out: StatusDetails = { ...details };
  for (const k of ['name', 'group', 'kind', 'uid'] as const) if (out[k] === '') delete out[k];
  return out;
}

function failure(code: number, reason: StatusReason, message: string, details?: StatusDetails): ApiError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = omitEmptyDetails(details);
  return new ApiError(status);
}

export const newBadRequest = (message: string): ApiError => failure(400, 'BadRequest', message);
export const newUnauthorized = (message = 'Unauthorized'): ApiError => failure(401, 'Unauthorized', message);

export function newForbidden(gr: GroupResource, name: string, reason: string | Error, causes?: StatusCause[]): ApiError {
  const why = typeof reason === 'string' ? reason : reason.message;
  const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr);
  const details: StatusDetails = { name, group: gr.group, kind: gr.resource };
  if (causes) details.causes = causes;
  // Non-resource requests (no resource) read "forbidden: ..." as upstream.
  return failure(403, 'Forbidden', subject ? `${subject} is forbidden: ${why}` : `forbidden: ${why}`, details);
}

export function newNotFound(gr: GroupResource, name: string): ApiError {
  const message = name ? `${qualified(gr)} "${name}" not found` : `${qualified(gr)} not found`;
  return failure(404, 'NotFound', message, { name, group: gr.group, kind: gr.resource });
}

/** A 404 for a path the server does not serve at all (what kube-apiserver answers for unknown URLs). */
export const newNotFoundPath = (): ApiError => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export function newAlreadyExists(gr: GroupResource, name: string): ApiError {
  return failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });
}

export function newConflict(gr: GroupResource, name: string, reason: string): ApiError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${reason}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** The optimistic-concurrency conflict kubectl and controllers retry on. */
export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export function newInvalid(gk: GroupKind, name: string, errs: FieldError[]): ApiError {
  const causes: StatusCause[] = errs.map((e) => ({ reason: e.type, message: formatFieldErrorBody(e), field: e.field }));
  // Repeated messages are reported once, as upstream's ErrorList.ToAggregate does.
  const texts = [...new Set(errs.map(formatFieldError))];
  const kind = gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
  let message = `${kind} "${name}" is invalid`;
  if (texts.length === 1) message += `: ${texts[0]}`;
  else if (texts.length > 1) message += `: [${texts.join(', ')}]`;
  return failure(422, 'Invalid', message, { name, group: gk.group, kind: gk.kind, causes });
}

export const newGone = (message: string): ApiError => failure(410, 'Gone', message);
export const newResourceExpired = (message: string): ApiError => failure(410, 'Expired', message);
export const newRequestEntityTooLarge = (message: string): ApiError => failure(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);

export function newUnsupportedMediaType(contentType: string, accepted: readonly string[], why?: string): ApiError {
  return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {
    causes: [{ reason: 'UnexpectedServerResponse', message: why ?? `unsupported media type "${contentType}"` }],
  });
}

export function newMethodNotSupported(gr: GroupResource, action: string): ApiError {
  return failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(gr)}"`, { group: gr.group, kind: gr.resource });
}

export const newNotAcceptable = (message: string): ApiError => failure(406, 'NotAcceptable', message);

export function newTooManyRequests(message: string, retryAfterSeconds: number): ApiError {
  return failure(429, 'TooManyRequests', message, { retryAfterSeconds });
}

export function newInternalError(err: unknown): ApiError {
  const msg = err instanceof Error ? err.message : String(err);
  return failure(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

export const newServiceUnavailable = (message: string): ApiError => failure(503, 'ServiceUnavailable', message);

export function newTimeout(message: string, retryAfterSeconds = 0): ApiError {
  return failure(504, 'Timeout', `Timeout: ${message}`, retryAfterSeconds ? { retryAfterSeconds } : {});
}

/** Server-side apply field conflicts: 409 Conflict with one FieldManagerConflict cause per field. */
export function newApplyConflict(causes: StatusCause[], message: string): ApiError {
  return failure(409, 'Conflict', message, { causes });
}

export function successStatus(details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = omitEmptyDetails(details);
  return s;
}

/** The Status for any thrown value: ApiErrors keep theirs, anything else is a 500. */
export function statusFromError(err: unknown): Status {
  if (err instanceof ApiError) return err.status;
  return newInternalError(err).status;
}

function reasonOf(err: unknown): StatusReason | undefined {
  if (err instanceof ApiError) return err.reason;
  const s = (err as { status?: Status; body?: Status } | undefined)?.status ?? (err as { body?: Status } | undefined)?.body;
  return s && typeof s === 'object' ? s.reason : undefined;
}

export const isNotFound = (err: unknown): boolean => reasonOf(err) === 'NotFound';
export const isAlreadyExists = (err: unknown): boolean => reasonOf(err) === 'AlreadyExists';
export const isConflict = (err: unknown): boolean => reasonOf(err) === 'Conflict';
export const isInvalid = (err: unknown): boolean => reasonOf(err) === 'Invalid';
export const isBadRequest = (err: unknown): boolean => reasonOf(err) === 'BadRequest';
export const isForbidden = (err: unknown): boolean => reasonOf(err) === 'Forbidden';
export const isUnauthorized = (err: unknown): boolean => reasonOf(err) === 'Unauthorized';
export const isTooManyRequests = (err: unknown): boolean => reasonOf(err) === 'TooManyRequests';
/** Gone or Expired: the resourceVersion or continue token is too old; relist. */
export const isResourceExpired = (err: unknown): boolean => {
  const r = reasonOf(err);
  return r === 'Expired' || r === 'Gone';
};
