/**
 * What the API server knows about one served resource (one group/version/resource), whether
 * built in or defined by a CRD. Discovery, OpenAPI, routing, Table printing, field selectors
 * and the write path all read this one description.
 */
import type { JSONSchemaProps, TableColumnDefinition } from '@keelson/apimachinery';


export interface ScaleSubresource {
  /** JSON path of the desired replicas, e.g. ".spec.replicas". */
  specReplicasPath: string;
  /** JSON path of the observed replicas, e.g. ".status.replicas". */
  statusReplicasPath: string;
  /** JSON path of the label selector string, e.g. ".status.selector" (optional). */
  labelSelectorPath?: string;
}

export interface PrinterColumn {
  name: string;
  /** integer | number | string | boolean | date */
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  /** Simple JSONPath (".spec.replicas", ".status.conditions[?(@.type==\"Ready\")].status"). */
  jsonPath: string;
}

/** One row's cells, computed from a full object. */
export type TableCells = unknown[];

export interface TablePrinter {
  columns: TableColumnDefinition[];
  /** Cells for one object; the first column is conventionally the name. */
  cells(obj: any, now: Date): TableCells;
}

/** What bumps metadata.generation on update. */
export type GenerationPolicy =
  /** Any change outside metadata and status (kinds with a spec; CRDs with a status subresource). */
  | 'spec'
  /** Any change outside metadata (CRDs without a status subresource). */
  | 'all-but-metadata'
  /** Never set (ConfigMap, Secret, Event, ...). */
  | 'none';

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, lower case: "deployments". */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** The version objects are stored in (all served versions of a group/resource share storage). */
  storageVersion: string;
  /** Other served versions of the same resource (for CRDs with several versions). */
  subresources: { status: boolean; scale?: ScaleSubresource };
  generation: GenerationPolicy;
  /** Name rule: DNS-1123 subdomain (most kinds), DNS-1123 label (namespaces, services), or path segment (anything without '/', '%', '.' or '..' alone). */
  nameRule: 'subdomain' | 'label' | 'path-segment';
  /**
   * Field selectors beyond metadata.name and metadata.namespace (which every resource has):
   * label → value getter.
   */
  fieldSelectors: Record<string, (obj: any) => string | undefined>;
  table: TablePrinter;
  /** Storage key prefix without trailing slash: "/registry/configmaps", "/registry/example.com/widgets". */
  storagePrefix: string;
  /** Set for resources served from a CRD. */
  crd?: {
    name: string;
    uid: string;
    /** The structural schema of this version, if any. */
    schema?: JSONSchemaProps;
    /** True when the whole object preserves unknown fields (no pruning). */
    preserveUnknownFields: boolean;
  };
  /** Whether strategic merge patch applies (built-ins only). */
  strategicMerge: boolean;
  /** The OpenAPI v3 schema of the kind, for /openapi and explain (built-ins: a minimal one). */
  openapiSchema?: JSONSchemaProps;
  /** Deprecation/other metadata could go here later. */
}

export function gvrKey(r: { group: string; version: string; resource: string }): string {
  return `${r.group}/${r.version}/${r.resource}`;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}
