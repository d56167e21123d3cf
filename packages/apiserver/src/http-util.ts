/** HTTP plumbing shared by the handlers: bodies with a size cap, JSON and Status responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newBadRequest, newRequestEntityTooLarge, statusFromError, type Status } from '@keelson/apimachinery';

/** kube-apiserver's default cap on request bodies (--max-request-bytes is for etcd; 3 MiB is the handler limit). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > limit) {
    req.resume(); // drain so the connection can answer
    throw newRequestEntityTooLarge(`limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw newRequestEntityTooLarge(`limit is ${limit}`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJsonText(res: ServerResponse, code: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendJsonBytes(res: ServerResponse, code: number, body: Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, code, JSON.stringify(body), headers);
}

export function sendStatus(res: ServerResponse, status: Status, headers: Record<string, string> = {}): void {
  const h = { ...headers };
  const retry = status.details?.retryAfterSeconds;
  if (retry) h['Retry-After'] = String(retry);
  sendJson(res, status.code, status, h);
}

export function sendError(res: ServerResponse, err: unknown): Status {
  const st = statusFromError(err);
  if (res.headersSent) {
    res.end();
    return st;
  }
  sendStatus(res, st);
  return st;
}

/** `Warning: 299 - "text"` headers (kubectl prints them as `Warning: text`). */
export function warningHeaders(warnings: string[]): string[] {
  return warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`);
}

export function parseBooleanParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw newBadRequest(`${name}: Invalid value: "${v}": must be true or false`);
}

export function parseIntParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw newBadRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}
