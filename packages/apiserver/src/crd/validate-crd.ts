/**
 * CustomResourceDefinition validation with apiextensions' rules, field paths and messages
 * (apiextensions-apiserver pkg/apis/apiextensions/validation, v1 semantics).
 *
 * The CRD is defaulted and converted to apiextensions' internal form first (crd-internal.ts), so
 * paths are the ones a real cluster reports: a one-version CRD's schema lives at
 * `spec.validation.openAPIV3Schema`, printer column paths end in `.JSONPath`, conversion webhooks
 * are at `spec.conversion.webhookClientConfig`.
 *
 * What this does not cover: generic ObjectMeta rules (name syntax, labels, annotations — the
 * write path's validateObjectMeta with nameRule 'subdomain' reports those; this adds only
 * "must be spec.names.plural+"."+spec.group"), compiling CEL rules and cost limits, validating
 * schema defaults against their schema, webhook caBundle parsing.
 *
 * `status` is judged the way the server will have set it: reset on create, carried over from
 * `old` on update, with the storage version added to storedVersions (the registry strategy's
 * PrepareForCreate/PrepareForUpdate); a client's own status is ignored, as upstream ignores it.
 *
 * ```ts
 * const errs = validateCrd(crd, current);
 * if (errs.length) throw newInvalid({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }, crd.metadata.name, errs);
 * ```
 */
import {
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooMany,
  validateDNS1123Subdomain,
  type FieldError,
} from '@keelson/apimachinery';
import { defaultCustomResourceDefinition, semanticEqual, toInternalSpec, type InternalSpec, type InternalVersion } from './crd-internal.js';
import { isDNS1035Label } from './dns1035.js';
import { errorKey, resolveFieldPath, schemaHasDefaults, validateCrdSchema, type SchemaValidationOptions } from './validate-crd-schema.js';

const PRINTER_COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const ACCEPTED_CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const MAX_SELECTABLE_FIELDS = 8;
const API_APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';
const FIELD_IMMUTABLE = 'field is immutable';

interface Options extends SchemaValidationOptions {
  allowDefaults: boolean;
  requireOpenAPISchema: boolean;
  requireRecognizedConversionReviewVersion: boolean;
  requireImmutableNames: boolean;
}

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

// ---- names ---------------------------------------------------------------------------------------

/** ValidateCustomResourceDefinitionNames (for spec.names and status.acceptedNames). */
function validateNames(names: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const n = isObj(names) ? names : {};
  const plural = str(n.plural);
  const singular = str(n.singular);
  const kind = str(n.kind);
  const listKind = str(n.listKind);
  if (plural.length > 0) {
    const e = isDNS1035Label(plural);
    if (e.length > 0) errs.push(fieldInvalid(`${path}.plural`, plural, e.join(',')));
  }
  if (singular.length > 0) {
    const e = isDNS1035Label(singular);
    if (e.length > 0) errs.push(fieldInvalid(`${path}.singular`, singular, e.join(',')));
  }
  if (kind.length > 0) {
    const e = isDNS1035Label(kind.toLowerCase());
    if (e.length > 0) errs.push(fieldInvalid(`${path}.kind`, kind, `may have mixed case, but should otherwise match: ${e.join(',')}`));
  }
  if (listKind.length > 0) {
    const e = isDNS1035Label(listKind.toLowerCase());
    if (e.length > 0) errs.push(fieldInvalid(`${path}.listKind`, listKind, `may have mixed case, but should otherwise match: ${e.join(',')}`));
  }
  (Array.isArray(n.shortNames) ? n.shortNames : []).forEach((s: unknown, i: number) => {
    const e = isDNS1035Label(str(s));
    if (e.length > 0) errs.push(fieldInvalid(`${path}.shortNames[${i}]`, s, e.join(',')));
  });
  // kind and listKind may not be the same or parsing becomes ambiguous
  if (kind.length > 0 && kind === listKind) errs.push(fieldInvalid(`${path}.listKind`, listKind, 'kind and listKind may not be the same'));
  (Array.isArray(n.categories) ? n.categories : []).forEach((c: unknown, i: number) => {
    const e = isDNS1035Label(str(c));
    if (e.length > 0) errs.push(fieldInvalid(`${path}.categories[${i}]`, c, e.join(',')));
  });
  return errs;
}

// ---- JSON paths, subresources, printer columns, selectable fields --------------------------------

/** validateSimpleJSONPath. */
function validateSimpleJSONPath(s: string, path: string): FieldError[] {
  if (s.length === 0) return [fieldInvalid(path, s, 'must not be empty')];
  if (s[0] !== '.') return [fieldInvalid(path, s, 'must be a simple json path starting with .')];
  return [];
}

/** ValidateCustomResourceDefinitionSubresources. */
function validateSubresources(sub: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(sub) || !isObj(sub.scale)) return errs;
  const scale = sub.scale;
  const spec = str(scale.specReplicasPath);
  if (spec.length === 0) errs.push(fieldRequired(`${path}.scale.specReplicasPath`, ''));
  else {
    const e = validateSimpleJSONPath(spec, `${path}.scale.specReplicasPath`);
    if (e.length > 0) errs.push(...e);
    else if (!spec.startsWith('.spec.')) errs.push(fieldInvalid(`${path}.scale.specReplicasPath`, spec, 'should be a json path under .spec'));
  }
  const status = str(scale.statusReplicasPath);
  if (status.length === 0) errs.push(fieldRequired(`${path}.scale.statusReplicasPath`, ''));
  else {
    const e = validateSimpleJSONPath(status, `${path}.scale.statusReplicasPath`);
    if (e.length > 0) errs.push(...e);
    else if (!status.startsWith('.status.')) errs.push(fieldInvalid(`${path}.scale.statusReplicasPath`, status, 'should be a json path under .status'));
  }
  const selector = str(scale.labelSelectorPath);
  if (selector.length > 0) {
    const e = validateSimpleJSONPath(selector, `${path}.scale.labelSelectorPath`);
    if (e.length > 0) errs.push(...e);
    else if (!selector.startsWith('.spec.') && !selector.startsWith('.status.')) {
      errs.push(fieldInvalid(`${path}.scale.labelSelectorPath`, selector, 'should be a json path under either .spec or .status'));
    }
  }
  return errs;
}

/** ValidateCustomResourceColumnDefinition; the path's last segment is the internal "JSONPath". */
function validateColumn(col: unknown, path: string): FieldError[] {
  const c = isObj(col) ? col : {};
  const errs: FieldError[] = [];
  if (str(c.name).length === 0) errs.push(fieldRequired(`${path}.name`, ''));
  const type = str(c.type);
  const types = `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`;
  if (type.length === 0) errs.push(fieldRequired(`${path}.type`, types));
  else if (!PRINTER_COLUMN_TYPES.includes(type)) errs.push(fieldInvalid(`${path}.type`, type, types));
  const format = str(c.format);
  if (format.length > 0 && !PRINTER_COLUMN_FORMATS.includes(format)) {
    errs.push(fieldInvalid(`${path}.format`, format, `must be one of ${PRINTER_COLUMN_FORMATS.join(',')}`));
  }
  const jsonPath = str(c.jsonPath);
  if (jsonPath.length === 0) errs.push(fieldRequired(`${path}.JSONPath`, ''));
  else errs.push(...validateSimpleJSONPath(jsonPath, `${path}.JSONPath`));
  return errs;
}

/** ValidateCustomResourceSelectableFields against the (structural) schema they select from. */
function validateSelectableFields(fields: any[], schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Set<string>();
  fields.forEach((f, i) => {
    const p = `${path}[${i}].jsonPath`;
    const jsonPath = str(f?.jsonPath);
    if (jsonPath.length === 0) {
      errs.push(fieldRequired(p, ''));
      return;
    }
    const found = resolveFieldPath(jsonPath, schema);
    if ('error' in found) {
      errs.push(fieldInvalid(p, jsonPath, `is an invalid path: ${found.error}`));
      return;
    }
    if (found.segments[0] === 'metadata') errs.push(fieldInvalid(p, jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(found.schema.type)) {
      errs.push(fieldInvalid(p, jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    const key = found.segments.join('\u0000');
    if (unique.has(key)) errs.push(fieldDuplicate(p, jsonPath));
    else unique.add(key);
  });
  if (unique.size > MAX_SELECTABLE_FIELDS) errs.push(fieldTooMany(path, unique.size, MAX_SELECTABLE_FIELDS));
  return errs;
}

// ---- versions ------------------------------------------------------------------------------------

function validateDeprecationWarning(deprecated: boolean, warning: unknown): string[] {
  if (!deprecated && warning !== undefined) return ['can only be set for deprecated versions'];
  if (warning === undefined) return [];
  const w = str(warning);
  const errs: string[] = [];
  if (w.length > 256) errs.push('must be <= 256 characters long');
  if (w.length === 0) errs.push('must not be an empty string');
  let byteIndex = 0;
  for (const ch of w) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      errs.push(`must only contain printable UTF-8 characters; non-printable character found at index ${byteIndex}`);
      break;
    }
    byteIndex += Buffer.byteLength(ch, 'utf8');
  }
  return errs;
}

const hasStatus = (sub: unknown): boolean => isObj(sub) && sub.status !== undefined && sub.status !== null;

function subresourcesForVersion(spec: InternalSpec, v: InternalVersion): unknown {
  return spec.versions.some((x) => x.subresources !== undefined) ? v.subresources : spec.subresources;
}

function validateVersion(v: InternalVersion, path: string, statusEnabled: boolean, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  for (const msg of validateDeprecationWarning(v.deprecated, v.deprecationWarning)) errs.push(fieldInvalid(`${path}.deprecationWarning`, v.deprecationWarning, msg));
  errs.push(...validateCrdSchema(v.schema, statusEnabled, opts, `${path}.schema`));
  errs.push(...validateSubresources(v.subresources, `${path}.subresources`));
  (v.additionalPrinterColumns ?? []).forEach((c, i) => errs.push(...validateColumn(c, `${path}.additionalPrinterColumns[${i}]`)));
  if ((v.selectableFields ?? []).length > 0) {
    if (!isObj(v.schema) || !isObj(v.schema.openAPIV3Schema)) {
      errs.push(fieldInvalid(`${path}.selectableFields`, '', 'selectableFields may only be set when version.schema.openAPIV3Schema is not included'));
    } else {
      errs.push(...validateSelectableFields(v.selectableFields ?? [], v.schema.openAPIV3Schema, `${path}.selectableFields`));
    }
  }
  return errs;
}

// ---- conversion ----------------------------------------------------------------------------------

/** webhook.ValidateWebhookURL with forceHttps. */
function validateWebhookURL(path: string, raw: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  let u: URL;
  try {
    u = new URL(raw);
  } catch (err) {
    return [fieldRequired(path, `url must be a valid URL: ${(err as Error).message}${form}`)];
  }
  const errs: FieldError[] = [];
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https') errs.push(fieldInvalid(path, scheme, `'https' is the only allowed URL scheme${form}`));
  if (u.host.length === 0) errs.push(fieldInvalid(path, u.host, `host must be specified${form}`));
  if (u.username !== '' || u.password !== '') errs.push(fieldInvalid(path, u.password ? `${u.username}:${u.password}` : u.username, 'user information is not permitted in the URL'));
  if (u.hash.length > 1) errs.push(fieldInvalid(path, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search.length > 1) errs.push(fieldInvalid(path, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

/** webhook.ValidateWebhookService. */
function validateWebhookService(path: string, svc: Record<string, any>): FieldError[] {
  const errs: FieldError[] = [];
  if (str(svc.name).length === 0) errs.push(fieldRequired(`${path}.name`, 'service name is required'));
  if (str(svc.namespace).length === 0) errs.push(fieldRequired(`${path}.namespace`, 'service namespace is required'));
  const port = svc.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    errs.push(fieldInvalid(`${path}.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'));
  }
  if (svc.path === undefined || svc.path === null) return errs;
  const urlPath = str(svc.path);
  if (urlPath === '/' || urlPath.length === 0) return errs;
  if (urlPath === '//') return [...errs, fieldInvalid(`${path}.path`, urlPath, 'segment[0] may not be empty')];
  if (!urlPath.startsWith('/')) errs.push(fieldInvalid(`${path}.path`, urlPath, "must start with a '/'"));
  let check = urlPath.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step.length === 0) {
      errs.push(fieldInvalid(`${path}.path`, urlPath, `segment[${i}] may not be empty`));
      return;
    }
    for (const failure of validateDNS1123Subdomain(step)) errs.push(fieldInvalid(`${path}.path`, urlPath, `segment[${i}]: ${failure}`));
  });
  return errs;
}

function validateConversionReviewVersions(versions: unknown, requireRecognized: boolean, path: string): FieldError[] {
  const list: unknown[] = Array.isArray(versions) ? versions : [];
  if (list.length < 1) return [fieldRequired(path, '')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let hasAccepted = false;
  list.forEach((raw, i) => {
    const v = str(raw);
    if (seen.has(v)) {
      errs.push(fieldInvalid(`${path}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const e of isDNS1035Label(v)) errs.push(fieldInvalid(`${path}[${i}]`, v, e));
    if (ACCEPTED_CONVERSION_REVIEW_VERSIONS.includes(v)) hasAccepted = true;
  });
  if (requireRecognized && !hasAccepted) errs.push(fieldInvalid(path, list, `must include at least one of ${ACCEPTED_CONVERSION_REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

function validateConversion(spec: InternalSpec, opts: Options): FieldError[] {
  const conv = spec.conversion;
  if (!conv) return [];
  const errs: FieldError[] = [];
  const strategy = str(conv.strategy);
  if (strategy === '') errs.push(fieldRequired('spec.conversion.strategy', ''));
  else if (strategy !== 'None' && strategy !== 'Webhook') errs.push(fieldNotSupported('spec.conversion.strategy', conv.strategy, ['None', 'Webhook']));
  if (strategy === 'Webhook') {
    const cc = conv.webhookClientConfig;
    if (!isObj(cc)) {
      errs.push(fieldRequired('spec.conversion.webhookClientConfig', 'required when strategy is set to Webhook'));
    } else {
      const hasURL = cc.url !== undefined && cc.url !== null;
      const hasService = cc.service !== undefined && cc.service !== null;
      if (hasURL === hasService) errs.push(fieldRequired('spec.conversion.webhookClientConfig', 'exactly one of url or service is required'));
      else if (hasURL) errs.push(...validateWebhookURL('spec.conversion.webhookClientConfig.url', str(cc.url)));
      else errs.push(...validateWebhookService('spec.conversion.webhookClientConfig.service', isObj(cc.service) ? cc.service : {}));
    }
    errs.push(...validateConversionReviewVersions(conv.conversionReviewVersions, opts.requireRecognizedConversionReviewVersion, 'spec.conversion.conversionReviewVersions'));
  } else {
    if (conv.webhookClientConfig !== undefined) {
      errs.push(fieldForbidden('spec.conversion.webhookClientConfig', 'should not be set when strategy is not set to Webhook'));
    }
    if (conv.conversionReviewVersions !== undefined) {
      errs.push(fieldForbidden('spec.conversion.conversionReviewVersions', 'should not be set when strategy is not set to Webhook'));
    }
  }
  return errs;
}

// ---- spec ----------------------------------------------------------------------------------------

function schemasOf(spec: InternalSpec): unknown[] {
  const out: unknown[] = [];
  if (isObj(spec.validation)) out.push(spec.validation.openAPIV3Schema);
  for (const v of spec.versions) if (isObj(v.schema)) out.push(v.schema.openAPIV3Schema);
  return out.filter(isObj);
}

/** validateCustomResourceDefinitionSpec. */
function validateSpec(spec: InternalSpec, opts: Options): FieldError[] {
  const errs: FieldError[] = [];

  if (spec.group.length === 0) errs.push(fieldRequired('spec.group', ''));
  else {
    const e = validateDNS1123Subdomain(spec.group);
    if (e.length > 0) errs.push(fieldInvalid('spec.group', spec.group, e.join(',')));
    else if (spec.group.split('.').length < 2) errs.push(fieldInvalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }

  if (spec.scope === '') errs.push(fieldRequired('spec.scope', ''));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(fieldNotSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  const hasTopLevelSchema = isObj(spec.validation) && isObj(spec.validation.openAPIV3Schema);
  if (opts.requireOpenAPISchema) {
    if (!hasTopLevelSchema) {
      spec.versions.forEach((v, i) => {
        if (!isObj(v.schema) || !isObj(v.schema.openAPIV3Schema)) errs.push(fieldRequired(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
      });
    }
  } else if (!spec.preserveUnknownFields && !hasTopLevelSchema) {
    spec.versions.forEach((v, i) => {
      if (v.served && (!isObj(v.schema) || !isObj(v.schema.openAPIV3Schema))) {
        errs.push(fieldRequired(`spec.versions[${i}].schema.openAPIV3Schema`, 'because otherwise all fields are pruned'));
      }
    });
  }
  const schemas = schemasOf(spec);
  if (opts.allowDefaults && schemas.some(schemaHasDefaults) && spec.preserveUnknownFields) {
    errs.push(fieldInvalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));
  }

  let storageCount = 0;
  const names = new Set<string>();
  let uniqueNames = true;
  spec.versions.forEach((v, i) => {
    if (v.storage) storageCount++;
    if (names.has(v.name)) uniqueNames = false;
    else names.add(v.name);
    const e = isDNS1035Label(v.name);
    if (e.length > 0) errs.push(fieldInvalid(`spec.versions[${i}].name`, v.name, e.join(',')));
    errs.push(...validateVersion(v, `spec.versions[${i}]`, hasStatus(subresourcesForVersion(spec, v)), opts));
  });

  const versionsValue = spec.versions.map((v) => ({ name: v.name, served: v.served, storage: v.storage }));
  if (!uniqueNames) errs.push(fieldInvalid('spec.versions', versionsValue, 'must contain unique version names'));
  if (storageCount !== 1) errs.push(fieldInvalid('spec.versions', versionsValue, 'must have exactly one version marked as storage version'));
  if (spec.version !== undefined && spec.version.length > 0) {
    const e = isDNS1035Label(spec.version);
    if (e.length > 0) errs.push(fieldInvalid('spec.version', spec.version, e.join(',')));
  }

  // Some names are required in spec but not in status.acceptedNames.
  for (const n of ['plural', 'singular', 'kind', 'listKind']) {
    if (str(spec.names?.[n]).length === 0) errs.push(fieldRequired(`spec.names.${n}`, ''));
  }
  errs.push(...validateNames(spec.names, 'spec.names'));

  const anyStatus = hasStatus(spec.subresources) || spec.versions.some((v) => hasStatus(v.subresources));
  errs.push(...validateCrdSchema(spec.validation, anyStatus, opts, 'spec.validation'));
  errs.push(...validateSubresources(spec.subresources, 'spec.subresources'));
  (spec.additionalPrinterColumns ?? []).forEach((c, i) => errs.push(...validateColumn(c, `spec.additionalPrinterColumns[${i}]`)));
  if ((spec.selectableFields ?? []).length > 0) {
    if (!hasTopLevelSchema) errs.push(fieldInvalid('spec.selectableFields', '', 'selectableFields may only be set when validations.schema is included'));
    else errs.push(...validateSelectableFields(spec.selectableFields ?? [], spec.validation.openAPIV3Schema, 'spec.selectableFields'));
  }

  if (spec.conversion && str(spec.conversion.strategy) !== 'None' && spec.preserveUnknownFields) {
    errs.push(fieldInvalid('spec.conversion.strategy', spec.conversion.strategy, 'must be None if spec.preserveUnknownFields is true'));
  }
  errs.push(...validateConversion(spec, opts));
  return errs;
}

// ---- status, approval, preserveUnknownFields -----------------------------------------------------

/** The status the registry strategy leaves on the object: old status (or none) plus the storage version. */
function effectiveStatus(spec: InternalSpec, old: any): { acceptedNames: unknown; storedVersions: string[] } {
  const storedVersions: string[] = Array.isArray(old?.status?.storedVersions) ? old.status.storedVersions.map(str) : [];
  const storage = spec.versions.find((v) => v.storage);
  if (storage && !storedVersions.includes(storage.name)) storedVersions.push(storage.name);
  return { acceptedNames: old?.status?.acceptedNames, storedVersions };
}

/** ValidateCustomResourceDefinitionStoredVersions. */
function validateStoredVersions(stored: string[], versions: InternalVersion[]): FieldError[] {
  const path = 'status.storedVersions';
  if (stored.length === 0) return [fieldInvalid(path, stored, 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const remaining = new Map<string, number>();
  stored.forEach((v, i) => remaining.set(v, i));
  for (const v of versions) {
    const present = remaining.has(v.name);
    if (v.storage && !present) errs.push(fieldInvalid(path, stored, `must have the storage version ${v.name}`));
    if (present) remaining.delete(v.name);
  }
  for (const [v, i] of [...remaining.entries()].sort((a, b) => a[1] - b[1])) {
    errs.push(
      fieldInvalid(
        `${path}[${i}]`,
        v,
        `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
      ),
    );
  }
  return errs;
}

const isProtectedCommunityGroup = (group: string): boolean =>
  group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');

type ApprovalState = 'missing' | 'bypassed' | 'approved' | 'invalid';

function approvalState(annotations: unknown): { state: ApprovalState; reason: string } {
  const a = isObj(annotations) ? annotations[API_APPROVAL_ANNOTATION] : undefined;
  if (typeof a !== 'string') {
    return { state: 'missing', reason: `protected groups must have approval annotation "${API_APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111` };
  }
  if (a.startsWith('unapproved')) return { state: 'bypassed', reason: '' };
  // url.ParseRequestURI: an absolute URL or an absolute path.
  let ok = a.startsWith('/');
  if (!ok) {
    try {
      ok = new URL(a).protocol.length > 1;
    } catch {
      ok = false;
    }
  }
  if (ok) return { state: 'approved', reason: '' };
  return {
    state: 'invalid',
    reason: `protected groups must have approval annotation "${API_APPROVAL_ANNOTATION}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`,
  };
}

/** validateAPIApproval: *.k8s.io and *.kubernetes.io groups need the approval annotation. */
function validateAPIApproval(crd: any, old: any): FieldError[] {
  if (!isProtectedCommunityGroup(str(crd?.spec?.group))) return [];
  const path = `metadata.annotations[${API_APPROVAL_ANNOTATION}]`;
  const next = approvalState(crd?.metadata?.annotations);
  // An unchanged state never fails, so controllers updating spec are not rejected.
  if (old !== undefined && approvalState(old?.metadata?.annotations).state === next.state) return [];
  switch (next.state) {
    case 'missing':
      return [fieldRequired(path, next.reason)];
    case 'invalid':
      return [fieldInvalid(path, crd?.metadata?.annotations?.[API_APPROVAL_ANNOTATION], next.reason)];
    default:
      return [];
  }
}

function validatePreserveUnknownFields(crd: any, old: any): FieldError[] {
  // Existing CRDs keep it for compatibility.
  if (old?.spec?.preserveUnknownFields === true) return [];
  if (crd?.spec?.preserveUnknownFields === true) {
    return [fieldInvalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead')];
  }
  return [];
}

// ---- options -------------------------------------------------------------------------------------

const isEstablished = (crd: any): boolean =>
  Array.isArray(crd?.status?.conditions) && crd.status.conditions.some((c: any) => c?.type === 'Established' && c?.status === 'True');

/** The schema errors of a (stored) spec, to tolerate them on update. */
function schemaErrorKeys(spec: InternalSpec): Set<string> {
  const none: Options = { allowDefaults: true, requireOpenAPISchema: false, requireRecognizedConversionReviewVersion: false, requireImmutableNames: false };
  const anyStatus = hasStatus(spec.subresources) || spec.versions.some((v) => hasStatus(v.subresources));
  const errs = validateCrdSchema(spec.validation, anyStatus, none, 'spec.validation');
  spec.versions.forEach((v, i) => errs.push(...validateCrdSchema(v.schema, hasStatus(subresourcesForVersion(spec, v)), none, `spec.versions[${i}].schema`)));
  return new Set(errs.map(errorKey));
}

/**
 * Update keeps tolerating what the stored CRD already has (schema errors at the same place, a
 * missing schema, unrecognized conversion review versions), so upgrades never strand a CRD.
 */
function optionsFor(old: any): Options {
  if (old === undefined) {
    return { allowDefaults: true, requireRecognizedConversionReviewVersion: true, requireImmutableNames: false, requireOpenAPISchema: true };
  }
  const oldSpec = toInternalSpec(defaultCustomResourceDefinition(old).spec);
  const allVersionsHaveSchema =
    (isObj(oldSpec.validation) && isObj(oldSpec.validation.openAPIV3Schema)) || oldSpec.versions.every((v) => isObj(v.schema) && isObj(v.schema.openAPIV3Schema));
  const oldReviewVersions = oldSpec.conversion?.conversionReviewVersions;
  const oldHasValidReviewVersion =
    !oldSpec.conversion ||
    !Array.isArray(oldReviewVersions) ||
    oldReviewVersions.length === 0 ||
    oldReviewVersions.some((v) => ACCEPTED_CONVERSION_REVIEW_VERSIONS.includes(str(v)));
  return {
    allowDefaults: true,
    requireRecognizedConversionReviewVersion: oldHasValidReviewVersion,
    requireImmutableNames: isEstablished(old),
    requireOpenAPISchema: allVersionsHaveSchema,
    tolerated: schemaErrorKeys(oldSpec),
  };
}

function immutable(next: unknown, prev: unknown, path: string): FieldError[] {
  return semanticEqual(next, prev) ? [] : [fieldInvalid(path, next, FIELD_IMMUTABLE)];
}

// ---- entry point ---------------------------------------------------------------------------------

/**
 * The apiextensions.k8s.io/v1 validation of `crd` on create, or on update when `old` (the stored
 * CRD) is given. [] when valid.
 */
export function validateCrd(crd: any, old?: any): FieldError[] {
  const defaulted = defaultCustomResourceDefinition(crd);
  const spec = toInternalSpec(defaulted.spec);
  const opts = optionsFor(old);
  const errs: FieldError[] = [];

  // metadata.name must be <plural>.<group> (the name syntax itself is ObjectMeta validation's).
  const required = `${str(spec.names?.plural)}.${spec.group}`;
  const generateName = str(crd?.metadata?.generateName);
  if (generateName.length > 0 && generateName !== required) {
    errs.push(fieldInvalid('metadata.generateName', generateName, 'must be spec.names.plural+"."+spec.group'));
  }
  const name = str(crd?.metadata?.name);
  if (name.length > 0 && name !== required) errs.push(fieldInvalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));

  errs.push(...validateSpec(spec, opts));
  if (old !== undefined) {
    const oldSpec = toInternalSpec(defaultCustomResourceDefinition(old).spec);
    if (opts.requireImmutableNames) {
      // These decide where objects are stored.
      errs.push(...immutable(spec.scope, oldSpec.scope, 'spec.scope'));
      errs.push(...immutable(str(spec.names?.kind), str(oldSpec.names?.kind), 'spec.names.kind'));
    }
    // These make up the CRD's name, which never changes.
    errs.push(...immutable(spec.group, oldSpec.group, 'spec.group'));
    errs.push(...immutable(str(spec.names?.plural), str(oldSpec.names?.plural), 'spec.names.plural'));
  }

  const status = effectiveStatus(spec, old);
  errs.push(...validateNames(status.acceptedNames, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(status.storedVersions, spec.versions));
  errs.push(...validateAPIApproval(crd, old));
  errs.push(...validatePreserveUnknownFields(crd, old));
  return errs;
}

export { defaultCustomResourceDefinition } from './crd-internal.js';
