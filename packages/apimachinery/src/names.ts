/**
 * Name and metadata validation with kube-apiserver's rules and messages
 * (k8s.io/apimachinery/pkg/util/validation, pkg/api/validation and pkg/apis/meta/v1/validation).
 * The messages are the ones released Kubernetes prints, word for word, so that users and scripts
 * see what they would see against a real cluster.
 */
import { randomInt } from 'node:crypto';
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong, type FieldError } from './errors.js';

// ---- message helpers (validation.MaxLenError, RegexError, EmptyError) -------------------------

export const maxLenError = (length: number): string => `must be no more than ${length} characters`;

export const emptyError = (): string => 'must be non-empty';

/**
 * validation.RegexError. Note the doubled space before "or": upstream appends "', " after each
 * example and then " or ", and clients have seen that text for years.
 */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) s += ' or ';
    s += `'${ex}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}

// ---- DNS names ---------------------------------------------------------------------------------

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123_LABEL_MAX_LENGTH = 63;
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);

/** Go's len() counts UTF-8 bytes; the limits below are in bytes too. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** validation.IsDNS1123Label: namespaces, and names of most resources that become hostnames. */
export function validateDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(v)) {
    // A valid subdomain that is not a valid label can only be at fault for its dots.
    if (dns1123SubdomainRe.test(v)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

/** validation.IsDNS1123Subdomain: the name rule of most resources (pods, configmaps, …). */
export function validateDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(v)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

// ---- path segment names ------------------------------------------------------------------------

/**
 * path.ValidatePathSegmentName: the loosest rule, for names that only have to survive being a URL
 * path segment (RBAC roles, CRD-less custom names). With `prefix` (a generateName) only the
 * forbidden substrings are checked, since a suffix will follow.
 */
export function validatePathSegmentName(v: string, prefix: boolean): string[] {
  if (!prefix) {
    for (const bad of ['.', '..']) if (v === bad) return [`may not be '${bad}'`];
  }
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (v.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

// ---- qualified names (label and annotation keys, finalizers) -----------------------------------

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const QUALIFIED_NAME_MAX_LENGTH = 63;
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);

/** validation.IsQualifiedName: `name` or `prefix/name`, the prefix a DNS subdomain. */
export function validateQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const msg of validateDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > QUALIFIED_NAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  // Upstream reports the regex failure even for an empty name: both messages appear.
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const LABEL_VALUE_MAX_LENGTH = 63;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

/** validation.IsValidLabelValue: empty, or a qualified name part of at most 63 bytes. */
export function validateLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(v)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

// ---- ObjectMeta ----------------------------------------------------------------------------------

/** The annotations of one object may total at most 256 KiB (keys plus values, in bytes). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

export type NameRule = 'subdomain' | 'label' | 'path-segment';

export interface ValidateObjectMetaOptions {
  namespaced: boolean;
  nameRule: NameRule;
}

/**
 * A generateName is a prefix: a trailing '-' is normal there, so it is masked before the DNS
 * rules run (apimachinery's maskTrailingDash).
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** The messages `rule` gives for `name`; with `prefix`, `name` is a generateName. */
export function validateNameByRule(rule: NameRule, name: string, prefix: boolean): string[] {
  switch (rule) {
    case 'subdomain':
      return validateDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
    case 'label':
      return validateDNS1123Label(prefix ? maskTrailingDash(name) : name);
    case 'path-segment':
      return validatePathSegmentName(name, prefix);
  }
}

// metav1.FinalizerOrphanDependents and FinalizerDeleteDependents.
const FINALIZER_ORPHAN = 'orphan';
const FINALIZER_FOREGROUND = 'foregroundDeletion';

/**
 * What a client may get wrong in `metadata` on create or update (ValidateObjectMetaAccessor).
 * Fields the server sets (uid, resourceVersion, creationTimestamp, generation, managedFields, …)
 * are not checked here.
 *
 * ```ts
 * validateObjectMeta({ name: 'web', namespace: 'default' }, { namespaced: true, nameRule: 'subdomain' }); // []
 * ```
 *
 * Differences from upstream, on purpose: upstream validates after the name was generated, so it
 * requires `name`; here a `generateName` alone is enough, so this can run before generation.
 * Field paths are upstream's: label and annotation errors point at `metadata.labels` /
 * `metadata.annotations` (not at the key), owner reference errors at
 * `metadata.ownerReferences.<field>` without an index.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ValidateObjectMetaOptions): FieldError[] {
  const m: ObjectMeta = meta ?? {};
  const errs: FieldError[] = [];

  if (m.generateName) {
    for (const msg of validateNameByRule(opts.nameRule, m.generateName, true)) errs.push(fieldInvalid('metadata.generateName', m.generateName, msg));
  }
  if (!m.name) {
    if (!m.generateName) errs.push(fieldRequired('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of validateNameByRule(opts.nameRule, m.name, false)) errs.push(fieldInvalid('metadata.name', m.name, msg));
  }

  if (opts.namespaced) {
    if (!m.namespace) errs.push(fieldRequired('metadata.namespace'));
    else for (const msg of validateDNS1123Label(m.namespace)) errs.push(fieldInvalid('metadata.namespace', m.namespace, msg));
  } else if (m.namespace) {
    errs.push(fieldForbidden('metadata.namespace', 'not allowed on this type'));
  }

  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(m.ownerReferences, 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(m.finalizers, 'metadata.finalizers'));
  return errs;
}

/** metav1validation.ValidateLabels. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels) return errs;
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of validateQualifiedName(k)) errs.push(fieldInvalid(path, k, msg));
    if (typeof v !== 'string') {
      errs.push(fieldInvalid(path, v, 'must be a string'));
      continue;
    }
    for (const msg of validateLabelValue(v)) errs.push(fieldInvalid(path, v, msg));
  }
  return errs;
}

/** apimachinery ValidateAnnotations: keys are qualified names (case-insensitive), total ≤ 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // The rule is QualifiedName except that case doesn't matter.
    for (const msg of validateQualifiedName(k.toLowerCase())) errs.push(fieldInvalid(path, k, msg));
    total += byteLength(k) + (typeof v === 'string' ? byteLength(v) : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(fieldTooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** The kinds that may never own anything (apimachinery BannedOwners). */
const bannedOwners = new Set(['/v1, Kind=Event']);

/** apimachinery ValidateOwnerReferences. */
export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!refs) return errs;
  let firstController = '';
  for (const ref of refs) {
    // schema.FromAPIVersionAndKind: an unparsable apiVersion leaves the version empty.
    const { group, version } = splitApiVersionLoosely(ref.apiVersion ?? '');
    if (!version) errs.push(fieldInvalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(fieldInvalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(fieldInvalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(fieldInvalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
    const gvk = `${group}/${version}, Kind=${ref.kind ?? ''}`;
    if (bannedOwners.has(gvk)) errs.push(fieldInvalid(path, ref, `${gvk} is disallowed from being an owner`));
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController !== '') {
        errs.push(
          fieldInvalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

function splitApiVersionLoosely(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return { group: '', version: '' };
}

/** apimachinery ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion. */
export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!finalizers) return errs;
  for (const f of finalizers) {
    for (const msg of validateQualifiedName(f)) errs.push(fieldInvalid(path, f, msg));
  }
  if (finalizers.includes(FINALIZER_ORPHAN) && finalizers.includes(FINALIZER_FOREGROUND)) {
    errs.push(fieldInvalid(path, finalizers, `finalizer ${FINALIZER_ORPHAN} and ${FINALIZER_FOREGROUND} cannot be both set`));
  }
  return errs;
}

// ---- generated names (names.SimpleNameGenerator) -------------------------------------------------

/** util/rand's alphabet: no vowels (no words), no 0/1/3 (no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;
/** 63 (a DNS label) minus the suffix, so a generated name still fits a label. */
export const MAX_GENERATED_NAME_BASE_LENGTH = 63 - SUFFIX_LENGTH;

/** Five random characters, as util/rand.String(5). */
export function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

/** `generateName("web-")` → `"web-x7k2p"`; the base is cut to 58 characters first. */
export function generateName(base: string): string {
  const cut = base.length > MAX_GENERATED_NAME_BASE_LENGTH ? base.slice(0, MAX_GENERATED_NAME_BASE_LENGTH) : base;
  return cut + generateNameSuffix();
}
