/**
 * What a CustomResourceDefinition serves: one ResourceInfo per served version, with the names,
 * subresources, printer columns and selectable fields of that version, as apiextensions-apiserver
 * derives them.
 *
 * ```ts
 * registry.setCrd(crd.metadata.name, resourcesFromCrd(crd));
 * ```
 */
import { compileJsonPath, formatPrinterCell, type CompiledJsonPath, type JSONSchemaProps, type TableColumnDefinition } from '@keelson/apimachinery';
import type { PrinterColumn, ResourceInfo, ScaleSubresource, TablePrinter } from '../resource-info.js';
import { objectMetaDocs } from '../builtins/printers/column-docs.js';
import { nameOf } from '../builtins/printers/common.js';

/**
 * Custom resources answer every verb. apiextensions lists them in this order (not sorted), and
 * kubectl api-resources prints them as given.
 */
export const CUSTOM_RESOURCE_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/** apiextensions serveDefaultColumnsIfEmpty: a CRD without columns shows AGE. */
const DEFAULT_COLUMNS: PrinterColumn[] = [
  { name: 'Age', type: 'date', description: objectMetaDocs.creationTimestamp, jsonPath: '.metadata.creationTimestamp' },
];

/**
 * The Table printer of a custom resource version (apiextensions tableconvertor): NAME (format
 * "name"), then one column per additionalPrinterColumn, evaluated as a simple JSONPath. Columns
 * with priority > 0 only show with `kubectl get -o wide`; date columns become ages; a missing or
 * mistyped value is null.
 */
export function crdTablePrinter(columns: PrinterColumn[]): TablePrinter {
  const cols = columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const defs: TableColumnDefinition[] = [
    { name: 'Name', type: 'string', format: 'name', description: objectMetaDocs.name, priority: 0 },
    ...cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ? c.description : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  // Parsed once per printer, not per row. A path that does not parse leaves its cells empty, as
  // upstream's convertor does (CRD validation normally rejects such paths first).
  const paths: Array<CompiledJsonPath | undefined> = cols.map((c) => {
    try {
      return compileJsonPath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  return {
    columns: defs,
    cells(obj, now) {
      const cells: unknown[] = [nameOf(obj)];
      cols.forEach((c, i) => {
        let values: unknown[] = [];
        try {
          values = paths[i]?.(obj) ?? [];
        } catch {
          values = [];
        }
        cells.push(formatPrinterCell(values, c.type, now));
      });
      return cells;
    },
  };
}

/** SetDefaults of apiextensions/v1 names: singular = lower-case kind, listKind = kind + "List". */
function defaultedNames(names: any): { plural: string; singular: string; kind: string; listKind: string; shortNames: string[]; categories: string[] } {
  const kind = typeof names?.kind === 'string' ? names.kind : '';
  return {
    plural: typeof names?.plural === 'string' ? names.plural : '',
    singular: typeof names?.singular === 'string' && names.singular !== '' ? names.singular : kind.toLowerCase(),
    kind,
    listKind: typeof names?.listKind === 'string' && names.listKind !== '' ? names.listKind : kind === '' ? '' : `${kind}List`,
    shortNames: Array.isArray(names?.shortNames) ? names.shortNames.filter((s: unknown) => typeof s === 'string') : [],
    categories: Array.isArray(names?.categories) ? names.categories.filter((s: unknown) => typeof s === 'string') : [],
  };
}

function scaleOf(sub: any): ScaleSubresource | undefined {
  const scale = sub?.scale;
  if (!scale || typeof scale !== 'object') return undefined;
  const out: ScaleSubresource = { specReplicasPath: String(scale.specReplicasPath ?? ''), statusReplicasPath: String(scale.statusReplicasPath ?? '') };
  if (typeof scale.labelSelectorPath === 'string' && scale.labelSelectorPath !== '') out.labelSelectorPath = scale.labelSelectorPath;
  return out;
}

function printerColumnsOf(v: any): PrinterColumn[] {
  const cols: any[] = Array.isArray(v?.additionalPrinterColumns) ? v.additionalPrinterColumns : [];
  return cols.map((c) => {
    const col: PrinterColumn = { name: String(c?.name ?? ''), type: String(c?.type ?? ''), jsonPath: String(c?.jsonPath ?? '') };
    if (typeof c?.format === 'string' && c.format !== '') col.format = c.format;
    if (typeof c?.description === 'string' && c.description !== '') col.description = c.description;
    if (typeof c?.priority === 'number') col.priority = c.priority;
    return col;
  });
}

/**
 * Splits a selectable field's JSONPath into keys: ".spec.color" → ["spec", "color"], and
 * ".spec['a.b']" → ["spec", "a.b"]. CRD validation allows no array notation here.
 */
export function selectableFieldKeys(jsonPath: string): string[] {
  const keys: string[] = [];
  const re = /\.([^.[\]]+)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < jsonPath.length) {
    re.lastIndex = at;
    m = re.exec(jsonPath);
    if (!m) break;
    keys.push(m[1] ?? m[2] ?? m[3]);
    at = re.lastIndex;
  }
  return keys;
}

/**
 * A selectable field's value the way the custom resource registry computes it: strings as they
 * are, booleans and integers in decimal text, and "" when the field is absent (so
 * `spec.color=` selects objects without a color).
 */
function selectableFieldGetter(jsonPath: string): (obj: any) => string | undefined {
  const keys = selectableFieldKeys(jsonPath);
  return (obj) => {
    let cur: any = obj;
    for (const k of keys) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return '';
      cur = cur[k];
    }
    if (typeof cur === 'string') return cur;
    if (typeof cur === 'boolean') return cur ? 'true' : 'false';
    if (typeof cur === 'number' && Number.isFinite(cur)) return String(cur);
    return '';
  };
}

function fieldSelectorsOf(v: any): ResourceInfo['fieldSelectors'] {
  const out: ResourceInfo['fieldSelectors'] = {};
  for (const f of Array.isArray(v?.selectableFields) ? v.selectableFields : []) {
    const path = typeof f?.jsonPath === 'string' ? f.jsonPath : '';
    if (path === '') continue;
    out[path.replace(/^\./, '')] = selectableFieldGetter(path);
  }
  return out;
}

/**
 * One ResourceInfo per served version of `crd` (apiextensions.k8s.io/v1). Names come from
 * spec.names with apiextensions' defaults; all versions share the storage version's storage.
 * Custom resources are patched with JSON merge patch only, and with a status subresource only
 * changes outside metadata and status bump metadata.generation (otherwise any change outside
 * metadata does). Names of custom resources are DNS-1123 subdomains (customResourceValidator uses
 * NameIsDNSSubdomain).
 */
export function resourcesFromCrd(crd: any): ResourceInfo[] {
  const spec = crd?.spec ?? {};
  const names = defaultedNames(spec.names);
  const group = typeof spec.group === 'string' ? spec.group : '';
  const versions: any[] = Array.isArray(spec.versions) ? spec.versions : [];
  const storage = versions.find((v) => v?.storage === true)?.name ?? versions[0]?.name ?? '';
  const crdName = typeof crd?.metadata?.name === 'string' ? crd.metadata.name : `${names.plural}.${group}`;
  const uid = typeof crd?.metadata?.uid === 'string' ? crd.metadata.uid : '';

  return versions
    .filter((v) => v?.served === true && typeof v?.name === 'string')
    .map((v): ResourceInfo => {
      const status = v.subresources?.status !== undefined && v.subresources?.status !== null;
      const scale = scaleOf(v.subresources);
      const schema: JSONSchemaProps | undefined = v.schema?.openAPIV3Schema ?? undefined;
      const crdInfo: NonNullable<ResourceInfo['crd']> = {
        name: crdName,
        uid,
        // spec.preserveUnknownFields=true survives only on CRDs created through v1beta1.
        preserveUnknownFields: (schema as any)?.['x-kubernetes-preserve-unknown-fields'] === true || spec.preserveUnknownFields === true,
      };
      if (schema) crdInfo.schema = schema;
      return {
        group,
        version: v.name,
        resource: names.plural,
        singular: names.singular,
        kind: names.kind,
        listKind: names.listKind,
        namespaced: spec.scope !== 'Cluster',
        shortNames: names.shortNames,
        categories: names.categories,
        verbs: [...CUSTOM_RESOURCE_VERBS],
        storageVersion: storage,
        subresources: scale ? { status, scale } : { status },
        generation: status ? 'spec' : 'all-but-metadata',
        nameRule: 'subdomain',
        fieldSelectors: fieldSelectorsOf(v),
        table: crdTablePrinter(printerColumnsOf(v)),
        storagePrefix: `/registry/${group}/${names.plural}`,
        crd: crdInfo,
        strategicMerge: false,
      };
    });
}
