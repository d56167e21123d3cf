/**
 * Small pieces every built-in printer shares: column definitions with upstream's defaults, the
 * Name/Age columns, and the string forms kubectl users know from
 * pkg/printers/internalversion (label sets, label selectors, container lists).
 */
import { translateTimestampSince, type TableColumnDefinition } from '@keelson/apimachinery';
import { objectMetaDocs, templateDocs } from './column-docs.js';

/** A column as upstream declares it: format "" and priority 0 unless given. */
export function column(name: string, type: string, description: string, opts: { format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

export const nameColumn = (): TableColumnDefinition => column('Name', 'string', objectMetaDocs.name, { format: 'name' });

/** Built-in printers type the Age column "string" (it holds "5m"); only CRD columns use "date". */
export const ageColumn = (): TableColumnDefinition => column('Age', 'string', objectMetaDocs.creationTimestamp);

/** Wide (kubectl -o wide) column. The server always fills wide cells; kubectl hides them. */
export const wide = (c: TableColumnDefinition): TableColumnDefinition => ({ ...c, priority: 1 });

/** The wide CONTAINERS and IMAGES columns of workload printers. */
export const templateDocsColumns = (): TableColumnDefinition[] => [
  wide(column('Containers', 'string', templateDocs.containers)),
  wide(column('Images', 'string', templateDocs.images)),
];

export const nameOf = (obj: any): string => (typeof obj?.metadata?.name === 'string' ? obj.metadata.name : '');

export const ageOf = (obj: any, now: Date): string => translateTimestampSince(obj?.metadata?.creationTimestamp, now);

/** Integer cell from an optional int32 field (Go's zero value when absent). */
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const len = (v: unknown): number => {
  if (Array.isArray(v)) return v.length;
  if (v && typeof v === 'object') return Object.keys(v).length;
  return 0;
};

/** labels.FormatLabels: "k1=v1,k2=v2" with keys sorted, "<none>" when empty. */
export function formatLabels(labels: unknown): string {
  if (!labels || typeof labels !== 'object') return '<none>';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String((labels as Record<string, unknown>)[k])}`).join(',');
}

/**
 * labels.Selector.String() of metav1.LabelSelectorAsSelector: requirements sorted by key, set
 * values sorted. undefined when the selector cannot be converted (unknown operator, bad values).
 * A nil selector converts to labels.Nothing(), whose string is "".
 */
export function labelSelectorString(sel: unknown): string | undefined {
  if (sel === null || sel === undefined) return '';
  if (typeof sel !== 'object') return undefined;
  const s = sel as { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> };
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of s.matchExpressions ?? []) {
    const key = e?.key ?? '';
    const values = [...new Set(e?.values ?? [])].sort();
    switch (e?.operator) {
      case 'In':
        if (values.length === 0) return undefined;
        reqs.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        if (values.length > 0) return undefined;
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  // Stable sort by key, as internalSelector keeps requirements ordered by key.
  return reqs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i))
    .map((x) => x.r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: "<error>" on a bad selector, "<none>" when it selects nothing/everything. */
export function formatLabelSelector(sel: unknown): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: container names and images, comma-joined in template order. */
export function containerCells(containers: unknown): [string, string] {
  const list = Array.isArray(containers) ? containers : [];
  return [list.map((c) => str(c?.name)).join(','), list.map((c) => str(c?.image)).join(',')];
}

/** net.JoinHostPort: brackets around IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** listWithMoreString of upstream: the first three, then "+ N more...", "<unset>" when empty. */
export function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp; undefined for missing or zero times. */
export function timeOf(ts: unknown): number | undefined {
  // Go's zero time (0001-01-01T00:00:00Z) counts as unset, as metav1.Time.IsZero does.
  if (typeof ts !== 'string' || ts === '' || ts.startsWith('0001-01-01T00:00:00')) return undefined;
  const t = Date.parse(ts);
  return Number.isFinite(t) ? t : undefined;
}
