/**
 * apiextensions validates CRDs in its internal form, converted from v1 and defaulted. Error paths
 * follow that form, so this module reproduces the two steps that shape them:
 *
 * - v1 defaulting (SetDefaults_CustomResourceDefinition): names.singular, names.listKind,
 *   conversion {strategy: None}, webhook service port 443;
 * - v1 → internal conversion: when every version carries the same schema, subresources, printer
 *   columns or selectable fields, they move to the top level (spec.validation,
 *   spec.subresources, spec.additionalPrinterColumns, spec.selectableFields) and leave the
 *   versions. That is why a one-version CRD's schema errors read
 *   `spec.validation.openAPIV3Schema…` on a real cluster, and a printer column's path is
 *   `…additionalPrinterColumns[0].JSONPath` (the internal field name).
 */

export interface InternalVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  deprecationWarning?: unknown;
  /** CustomResourceValidation: { openAPIV3Schema }. */
  schema?: any;
  subresources?: any;
  additionalPrinterColumns?: any[];
  selectableFields?: any[];
}

export interface InternalConversion {
  strategy: unknown;
  webhookClientConfig?: any;
  conversionReviewVersions?: unknown[];
}

export interface InternalSpec {
  group: string;
  scope: string;
  names: any;
  versions: InternalVersion[];
  /** versions[0].name, as the conversion copies it. */
  version?: string;
  validation?: any;
  subresources?: any;
  additionalPrinterColumns?: any[];
  selectableFields?: any[];
  preserveUnknownFields: boolean;
  conversion?: InternalConversion;
}

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

/** The defaulted copy of a v1 CRD (the input is not modified). */
export function defaultCustomResourceDefinition(crd: any): any {
  const out = clone(crd ?? {});
  out.spec ??= {};
  const spec = out.spec;
  if (spec.names && typeof spec.names === 'object') {
    const kind = typeof spec.names.kind === 'string' ? spec.names.kind : '';
    if (!spec.names.singular) spec.names.singular = kind.toLowerCase();
    if (!spec.names.listKind && kind !== '') spec.names.listKind = `${kind}List`;
  }
  if (spec.conversion === undefined || spec.conversion === null) spec.conversion = { strategy: 'None' };
  const svc = spec.conversion?.webhook?.clientConfig?.service;
  if (svc && typeof svc === 'object' && svc.port === undefined) svc.port = 443;
  return out;
}

/**
 * Semantic.DeepEqual as the conversion uses it: nil and empty slices are equal; everything else
 * structurally. Object key order does not matter.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(norm);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const n = norm((v as Record<string, unknown>)[k]);
        if (n !== undefined) o[k] = n;
      }
      return o;
    }
    return v === null ? undefined : v;
  };
  return JSON.stringify(norm(a) ?? null) === JSON.stringify(norm(b) ?? null);
}

const orUndefined = (v: unknown): any => (v === null ? undefined : v);

/** The internal form of a defaulted v1 spec. */
export function toInternalSpec(spec: any): InternalSpec {
  const versions: InternalVersion[] = (Array.isArray(spec?.versions) ? spec.versions : []).map((v: any) => ({
    name: typeof v?.name === 'string' ? v.name : '',
    served: v?.served === true,
    storage: v?.storage === true,
    deprecated: v?.deprecated === true,
    deprecationWarning: orUndefined(v?.deprecationWarning),
    schema: orUndefined(v?.schema),
    subresources: orUndefined(v?.subresources),
    additionalPrinterColumns: Array.isArray(v?.additionalPrinterColumns) ? v.additionalPrinterColumns : undefined,
    selectableFields: Array.isArray(v?.selectableFields) ? v.selectableFields : undefined,
  }));
  const conv = spec?.conversion;
  const out: InternalSpec = {
    group: typeof spec?.group === 'string' ? spec.group : '',
    scope: typeof spec?.scope === 'string' ? spec.scope : '',
    names: spec?.names && typeof spec.names === 'object' ? spec.names : {},
    versions,
    preserveUnknownFields: spec?.preserveUnknownFields === true,
  };
  if (conv && typeof conv === 'object') {
    out.conversion = { strategy: conv.strategy ?? '' };
    if (conv.webhook && typeof conv.webhook === 'object') {
      if (conv.webhook.conversionReviewVersions !== undefined && conv.webhook.conversionReviewVersions !== null) {
        out.conversion.conversionReviewVersions = conv.webhook.conversionReviewVersions;
      }
      if (conv.webhook.clientConfig && typeof conv.webhook.clientConfig === 'object') out.conversion.webhookClientConfig = conv.webhook.clientConfig;
    }
  }
  if (versions.length === 0) return out;
  out.version = versions[0].name;

  const fold = <K extends 'schema' | 'subresources' | 'additionalPrinterColumns' | 'selectableFields'>(key: K): void => {
    const first = versions[0][key];
    if (!versions.every((v) => semanticEqual(v[key], first))) return;
    if (key === 'schema') out.validation = first;
    else if (key === 'subresources') out.subresources = first;
    else if (key === 'additionalPrinterColumns') out.additionalPrinterColumns = first as any[];
    else out.selectableFields = first as any[];
    for (const v of versions) v[key] = undefined;
  };
  fold('subresources');
  fold('schema');
  fold('additionalPrinterColumns');
  fold('selectableFields');
  return out;
}
