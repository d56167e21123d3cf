/**
 * Printers of the remaining built-ins (Lease, EndpointSlice, CustomResourceDefinition) and the
 * generic fallbacks.
 */
import type { TablePrinter } from '../../resource-info.js';
import { ageColumn, ageOf, column, int, listWithMore, nameColumn, nameOf, str } from './common.js';
import { endpointSliceDocs, leaseDocs, objectMetaDocs } from './column-docs.js';

export const leasePrinter: TablePrinter = {
  columns: [nameColumn(), column('Holder', 'string', leaseDocs.holderIdentity), ageColumn()],
  cells: (l, now) => [nameOf(l), str(l?.spec?.holderIdentity), ageOf(l, now)],
};

/** formatDiscoveryPorts: port numbers (or names, or "*"), three at most. */
function formatSlicePorts(ports: unknown): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const p of Array.isArray(ports) ? ports : []) {
    if (list.length < max) {
      list.push(typeof p?.port === 'number' ? String(int(p.port)) : typeof p?.name === 'string' ? p.name : '*');
    } else if (list.length === max) {
      more = true;
    }
    count++;
  }
  return listWithMore(list, more, count, max);
}

/** formatDiscoveryEndpoints: addresses of all endpoints, three at most. */
function formatSliceEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const e of Array.isArray(endpoints) ? endpoints : []) {
    for (const a of Array.isArray(e?.addresses) ? e.addresses : []) {
      if (list.length < max) list.push(str(a));
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, max);
}

export const endpointSlicePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('AddressType', 'string', endpointSliceDocs.addressType),
    column('Ports', 'string', endpointSliceDocs.ports),
    column('Endpoints', 'string', endpointSliceDocs.endpoints),
    ageColumn(),
  ],
  cells: (s, now) => [nameOf(s), str(s?.addressType), formatSlicePorts(s?.ports), formatSliceEndpoints(s?.endpoints), ageOf(s, now)],
};

/**
 * metav1.Time in RFC 3339 at second precision, UTC, as Go's
 * `CreationTimestamp.Time.UTC().Format(time.RFC3339)`; the zero time for an unset timestamp.
 */
function rfc3339(ts: unknown): string {
  const t = typeof ts === 'string' && ts !== '' ? Date.parse(ts) : NaN;
  if (!Number.isFinite(t)) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * rest.DefaultTableConvertor, which kube-apiserver uses for kinds without a printer of their own,
 * CustomResourceDefinition among them: NAME and CREATED AT (an absolute time, not an age).
 */
export const createdAtTablePrinter: TablePrinter = {
  columns: [nameColumn(), column('Created At', 'date', objectMetaDocs.creationTimestamp)],
  cells: (obj) => [nameOf(obj), rfc3339(obj?.metadata?.creationTimestamp)],
};

export const customResourceDefinitionPrinter: TablePrinter = createdAtTablePrinter;

/**
 * Name and Age: the columns custom resources get when their CRD declares no printer columns
 * (apiextensions serveDefaultColumnsIfEmpty), and the fallback for anything else without a printer.
 */
export const defaultTablePrinter: TablePrinter = {
  columns: [nameColumn(), column('Age', 'date', objectMetaDocs.creationTimestamp)],
  cells: (obj, now) => [nameOf(obj), ageOf(obj, now)],
};
