/**
 * The errors a caller of the client can act on:
 * - `ApiError` (from apimachinery): the server answered with a non-2xx status; it carries the
 *   server's `Status` (or one synthesized from the HTTP code when the body was not a Status).
 * - `ConfigError`: the kubeconfig (or what it points at) is wrong; names the file, the field and the fix.
 * - `ConnectionError`: no answer came back (refused, reset, TLS failure, a stalled stream).
 * - `WatchDecodeError`: a watch frame was not a valid event; the stream cannot be trusted past it.
 *
 * ```ts
 * try { await pods.get('web-0'); } catch (err) { if (isNotFound(err)) return undefined; throw err; }
 * ```
 */
import { ApiError, type Status, type StatusReason } from '@keelson/apimachinery';

export {
  ApiError,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isForbidden,
  isInvalid,
  isNotFound,
  isResourceExpired,
  isTooManyRequests,
  isUnauthorized,
} from '@keelson/apimachinery';
export type { Status, StatusCause, StatusDetails, StatusReason } from '@keelson/apimachinery';

function statusOf(err: unknown): Status | undefined {
  return err instanceof ApiError ? err.status : undefined;
}

/** 500 InternalError, 503 ServiceUnavailable and the like: worth retrying later. */
export const isServerError = (err: unknown): boolean => (statusOf(err)?.code ?? 0) >= 500;
/** The server asks the client to wait (`Retry-After`, or details.retryAfterSeconds): how many seconds, else undefined. */
export const suggestsClientDelay = (err: unknown): number | undefined => statusOf(err)?.details?.retryAfterSeconds || undefined;

/** A kubeconfig problem: what is wrong, in which file, at which field, and how to fix it. */
export class ConfigError extends Error {
  /** The kubeconfig file(s) the problem is in, when known. */
  readonly file?: string;
  /** The field, as a path in the kubeconfig: `contexts[prod].context.user`. */
  readonly field?: string;
  constructor(message: string, opts: { file?: string; field?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConfigError';
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.field !== undefined) this.field = opts.field;
  }
}

/**
 * The request got no HTTP answer: connection refused or reset, DNS failure, TLS verification
 * failure, or a watch that outlived its timeoutSeconds without the server ending it. `code` is
 * Node's error code (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `DEPTH_ZERO_SELF_SIGNED_CERT`, ...).
 */
export class ConnectionError extends Error {
  readonly code: string;
  readonly method: string;
  readonly url: string;
  constructor(message: string, opts: { code: string; method: string; url: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConnectionError';
    this.code = opts.code;
    this.method = opts.method;
    this.url = opts.url;
  }
}

/** A watch frame that is not `{"type": ..., "object": {...}}` JSON. */
export class WatchDecodeError extends Error {
  /** The frame's first bytes, for the log. */
  readonly excerpt: string;
  /** Byte offset of the frame in the stream. */
  readonly offset: number;
  constructor(message: string, opts: { excerpt: string; offset: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WatchDecodeError';
    this.excerpt = opts.excerpt;
    this.offset = opts.offset;
  }
}

/** The reason kube-apiserver gives each code, as apierrors.NewGenericServerResponse maps them. */
const reasonByCode: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const EXCERPT_BYTES = 200;

/** The start of a body for an error message: at most 200 bytes, on one line. */
export function bodyExcerpt(body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.subarray(0, EXCERPT_BYTES * 4).toString('utf8');
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_BYTES ? `${flat.slice(0, EXCERPT_BYTES)}...` : flat;
}

function isStatus(v: unknown): v is Status {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'Status' && typeof (v as { code?: unknown }).code === 'number';
}

/**
 * The ApiError for a non-2xx answer. A Status body is the error as the server sent it (its
 * code made to match the HTTP one if missing); anything else (a proxy's HTML page, an empty
 * body) gets a Status naming the HTTP code, the request and the body's first bytes.
 */
export function apiErrorFromResponse(
  code: number,
  body: Buffer,
  request: { method: string; url: string },
  retryAfterSeconds?: number,
): ApiError {
  let parsed: unknown;
  try {
    parsed = body.length ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) {
    const status: Status = { ...parsed, code: parsed.code || code };
    if (retryAfterSeconds && !status.details?.retryAfterSeconds) status.details = { ...status.details, retryAfterSeconds };
    return new ApiError(status);
  }
  const reason = reasonByCode[code] ?? '';
  const excerpt = bodyExcerpt(body);
  const message = `the server answered HTTP ${code} to ${request.method} ${request.url}${excerpt ? `: ${excerpt}` : ' with an empty body'}`;
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    details: { causes: [{ reason: 'UnexpectedServerResponse', message: excerpt }] },
  };
  if (retryAfterSeconds) status.details!.retryAfterSeconds = retryAfterSeconds;
  return new ApiError(status);
}

/** A 2xx answer whose body is not the JSON asked for: a 500 InternalError naming the request, as client-go reports decode failures. */
export function undecodableAnswer(res: { status: number; headers: Record<string, unknown>; body: Buffer }, request: { method: string; url: string }): ApiError {
  const excerpt = bodyExcerpt(res.body);
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code: 500,
    reason: 'InternalError',
    message: `the server answered ${request.method} ${request.url} with HTTP ${res.status} and a body that is not JSON (Content-Type ${String(res.headers['content-type'] ?? 'unset')}): ${excerpt}`,
    details: { causes: [{ reason: 'UnexpectedServerResponse', message: excerpt }] },
  });
}
