/**
 * meta.k8s.io/v1 Table, what `kubectl get` asks for (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`),
 * and the helpers servers use to fill its cells the way kube-apiserver does.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** OpenAPI format hint; "name" marks the column holding the object's name. */
  format: string;
  description: string;
  /** 0 is shown by default; higher only with `-o wide`. */
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  /** The object (or PartialObjectMetadata), as `includeObject` asks. */
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * duration.HumanDuration: a succinct age with ~2-3 significant figures, exactly as kubectl's AGE
 * column shows it ("45s", "5m30s", "3h10m", "2d5h", "2y100d"). Up to 2 s in the future counts as
 * now ("0s"), to tolerate clock skew; further in the future is "<invalid>".
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  // Go converts durations to whole units by truncating toward zero.
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp as metav1.Time does (time.RFC3339, fractional seconds allowed).
 * Returns epoch milliseconds, or undefined when the text is not a valid timestamp.
 */
export function parseRfc3339(ts: string): number | undefined {
  const m = RFC3339.exec(ts);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900-1999.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  if (m[7]) ms += Math.trunc(Number(`0${m[7]}`) * 1000);
  if (m[9]) {
    const sign = m[9] === '-' ? -1 : 1;
    const offH = Number(m[10]);
    const offM = Number(m[11]);
    if (offH > 23 || offM > 59) return undefined;
    ms -= sign * (offH * 60 + offM) * 60_000;
  }
  return ms;
}

/**
 * The AGE of a timestamp as kubectl's printers show it (translateTimestampSince): "<unknown>"
 * when there is none, the human duration since it otherwise ("<invalid>" if it lies more than
 * about 2 s in the future, or cannot be parsed).
 */
export function translateTimestampSince(ts: string | undefined | null, now: Date): string {
  if (!ts) return '<unknown>';
  const t = parseRfc3339(ts);
  if (t === undefined) return '<invalid>';
  return humanDuration(now.getTime() - t);
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

/** What a Table row carries as its object with `includeObject=Metadata` (the default for kubectl). */
export function toPartialObjectMetadata(obj: { metadata?: ObjectMeta }): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}
