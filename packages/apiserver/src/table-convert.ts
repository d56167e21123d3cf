/**
 * Server-side printing: the meta.k8s.io Table kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Rows carry PartialObjectMetadata by
 * default (`includeObject=Metadata`) so kubectl can add NAMESPACE, labels and kind columns.
 */
import { newBadRequest, toPartialObjectMetadata, type Table, type TableRow } from '@keelson/apimachinery';
import type { ResourceInfo } from './resource-info.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw newBadRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

export function toTable(
  info: ResourceInfo,
  objects: any[],
  opts: { includeObject: IncludeObject; version: 'v1' | 'v1beta1'; resourceVersion?: string; continueToken?: string; remainingItemCount?: number; noHeaders?: boolean },
): Table {
  const now = new Date();
  const rows: TableRow[] = objects.map((obj) => {
    const row: TableRow = { cells: info.table.cells(obj, now) };
    if (opts.includeObject === 'Metadata') row.object = toPartialObjectMetadata(obj);
    else if (opts.includeObject === 'Object') row.object = obj;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continueToken) metadata.continue = opts.continueToken;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}` as 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : info.table.columns,
    rows,
  };
}
