/**
 * Validation of a JSON value against a CRD's structural schema, as kube-apiserver validates a
 * custom resource: kube-openapi's schema validator, whose failures apiextensions turns into
 * field errors, plus the `x-kubernetes-list-type` and embedded-resource checks.
 *
 * Every failure is returned, each with its field path (`spec.ports[1].port`), and messages
 * follow upstream's wording so that scripts and tests written against a real cluster match:
 *
 *   spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"
 *   spec.mode: Unsupported value: "x": supported values: "a", "b"
 *   spec.name: Required value
 *
 * Differences from upstream:
 * - `pattern` is compiled as an ECMAScript RegExp (with the `u` flag when it compiles under
 *   it), upstream uses Go's RE2. The common subset behaves the same; RE2 rejects backreferences
 *   and lookaround (which work here) and accepts `(?i)`-style inline flags and `\z`, `\A`,
 *   `[[:alpha:]]` (which fail to compile here and are reported like any invalid pattern).
 * - Failures of allOf/anyOf/oneOf/not carry the field path of the value they are about;
 *   upstream reports them on the root (`<nil>`). The message text is upstream's.
 * - Formats follow kube-openapi's strfmt registry; `hostname`, `email` and `uri` are close
 *   approximations of the Go checks rather than exact replicas. `int32`, `int64`, `float`
 *   and `double` are known but, as upstream, not checked (they are not string formats).
 * - `x-kubernetes-validations` (CEL) rules are not evaluated.
 *
 * @example
 * validateAgainstSchema(schema, obj, { isResourceRoot: true }).map(formatFieldError);
 */
import type { FieldError } from '../errors.js';
import { fieldDuplicate, fieldInvalid, fieldNotSupported, fieldRequired, fieldTooLong, fieldTooMany, fieldTypeInvalid } from '../errors.js';
import { jsonDeepEqual } from '../patch/json-patch.js';
import type { JSONSchemaProps } from './types.js';

export interface SchemaValidationOptions {
  /** Prefix of every field path (not of the paths quoted in messages, as upstream). */
  path?: string;
  /** The value is a whole object: apiVersion, kind and metadata are the server's to check. */
  isResourceRoot?: boolean;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const RESOURCE_META = new Set(['apiVersion', 'kind', 'metadata']);

const child = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const index = (path: string, i: number): string => `${path}[${i}]`;

/** The JSON type name kube-openapi reports for a value ("integer" for whole numbers). */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/**
 * Go's %v of a float64, which kube-openapi uses for the bounds in its messages: the shortest
 * representation, in exponent form below 1e-4 and from 1e6 on (`1e+06`, `1.5e-05`).
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return '0';
  const [mantissa, e] = f.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

// ---------------------------------------------------------------------------------------------
// Formats (kube-openapi strfmt's default registry). Each returns whether a string is valid.

const isDigits = (s: string): boolean => /^[0-9]+$/.test(s);

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  // Go's net.ParseIP rejects leading zeros (ambiguous octal) since Go 1.17.
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  let body = s;
  // A trailing dotted quad stands for the last two groups ("::ffff:192.0.2.1").
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(body.slice(lastColon + 1))) return false;
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  // "::" stands for at least one group of zeros.
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

/** net.ParseIP: either family (an IPv4-in-IPv6 form counts as both). */
const parseIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!isDigits(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
}

function isMAC(s: string): boolean {
  // net.ParseMAC: 6, 8 or 20 octets as xx:xx… or xx-xx…, or as xxxx.xxxx… groups.
  for (const sep of [':', '-']) {
    const parts = s.split(sep);
    if ([6, 8, 20].includes(parts.length) && parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return true;
  }
  const dotted = s.split('.');
  return [3, 4, 10].includes(dotted.length) && dotted.every((p) => /^[0-9a-fA-F]{4}$/.test(p));
}

function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return d <= days;
}

function isDateTime(s: string): boolean {
  // kube-openapi: a valid date, "t" (any case), then hh:mm:ss[.frac] and "z" or ±hh:mm.
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0])) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(z|[+-][0-9]{2}:[0-9]{2})$/.exec(parts[1]);
  return !!m && Number(m[1]) <= 23 && Number(m[2]) <= 59 && Number(m[3]) <= 59;
}

/** Unit spellings kube-openapi accepts in its lenient duration syntax; the last of each may be a prefix ("days"). */
const DURATION_UNITS = [['ns', 'nano'], ['us', 'µs', 'micro'], ['ms', 'milli'], ['s', 'sec'], ['m', 'min'], ['h', 'hr', 'hour'], ['d', 'day'], ['w', 'wk', 'week']];

function isDuration(s: string): boolean {
  // Go's time.ParseDuration syntax first ("1h30m", "-1.5s", "0")…
  if (/^[-+]?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(s)) return true;
  // …then "3 days", "1w", anywhere in the string, as kube-openapi's strfmt.ParseDuration does.
  for (const m of s.matchAll(/(\d+)\s*([A-Za-zµ]+)/g)) {
    const unit = m[2].toLowerCase();
    for (const variants of DURATION_UNITS) {
      if (variants.some((v, i) => v === unit || (i === variants.length - 1 && unit.startsWith(v)))) return true;
    }
  }
  return false;
}

function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  const labelChar = /^[\p{L}\p{S}0-9-]+$/u;
  const label = (l: string): boolean => l.length >= 1 && [...l].length <= 63 && labelChar.test(l) && !l.startsWith('-') && !l.endsWith('-');
  const labels = s.split('.');
  if (labels.length === 1) return label(s);
  const tld = labels.pop()!;
  return /^\p{L}{2,63}$/u.test(tld) && labels.every(label);
}

function isEmail(s: string): boolean {
  // net/mail.ParseAddress: "addr" or "Display Name <addr>"; quoted local parts are not accepted here.
  const named = /^[^<>]*<([^<>]+)>$/.exec(s.trim());
  const addr = named ? named[1] : s.trim();
  const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
  return new RegExp(`^${atom}(\\.${atom})*@${atom}(\\.${atom})*$`).test(addr) || /^[^\s@]+@\[[^\]\s]+\]$/.test(addr);
}

function isURI(s: string): boolean {
  // net/url.Parse: no control characters, well-formed %-escapes, a scheme-less first segment without ":".
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) return false;
  }
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return false;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(s);
  if (!scheme) {
    if (s.startsWith(':')) return false;
    const first = s.split(/[/?#]/)[0];
    if (first.includes(':')) return false;
  }
  const rest = scheme ? s.slice(scheme[0].length) : s;
  if (rest.startsWith('//')) {
    const authority = rest.slice(2).split(/[/?#]/)[0];
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (!/^[A-Za-z0-9.\-_~!$&'()*+,;=%]*(:[0-9]*)?$/.test(host) && !/^\[[0-9A-Fa-f:.]+(%[^\]]*)?\](:[0-9]*)?$/.test(host)) return false;
  }
  return true;
}

function isBase64(s: string): boolean {
  // encoding/base64.StdEncoding ignores CR and LF.
  const t = s.replace(/[\r\n]/g, '');
  return t.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(t) && !/=[^=]/.test(t);
}

const FORMATS: Record<string, (s: string) => boolean> = {
  byte: isBase64,
  date: isDate,
  'date-time': isDateTime,
  datetime: isDateTime,
  duration: isDuration,
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s),
  email: isEmail,
  hostname: isHostname,
  ipv4: (s) => parseIP(s) && s.includes('.'),
  ipv6: (s) => parseIP(s) && s.includes(':'),
  cidr: isCIDR,
  mac: isMAC,
  uri: isURI,
  password: () => true,
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  hexcolor: (s) => /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: (s) => {
    const m = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.exec(s);
    return !!m && [m[1], m[2], m[3]].every((x) => Number(x) <= 255);
  },
};

/** Whether `value` is valid for `format`; formats upstream does not check (or does not know) are always valid. */
export function isValidFormat(format: string, value: string): boolean {
  const check = hasOwn(FORMATS, format) ? FORMATS[format] : undefined;
  return check ? check(value) : true;
}

// ---------------------------------------------------------------------------------------------

const regexCache = new Map<string, RegExp | Error>();

/** Compiles a schema pattern once; an Error when it does not compile. */
function compilePattern(pattern: string): RegExp | Error {
  let re = regexCache.get(pattern);
  if (re) return re;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    try {
      // Some patterns valid in RE2 are only valid in JS without `u` (identity escapes like `\-`).
      re = new RegExp(pattern);
    } catch (err) {
      re = err instanceof Error ? err : new Error(String(err));
    }
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(pattern, re);
  return re;
}

interface Ctx {
  /** Prefix of field paths. */
  prefix: string;
}

/** The field path of a value whose message path (relative to the validated root) is `rel`. */
function fieldPathOf(ctx: Ctx, rel: string): string {
  if (!ctx.prefix) return rel;
  if (!rel) return ctx.prefix;
  return rel.startsWith('[') ? ctx.prefix + rel : `${ctx.prefix}.${rel}`;
}

/** "<name> in body": the subject of kube-openapi's messages. */
const inBody = (rel: string): string => (rel ? `${rel} in body` : 'in body');

/**
 * Validates `value` against `schema` and returns every failure. At a resource root
 * (`isResourceRoot`), apiVersion, kind and metadata are left to the server's own checks.
 */
export function validateAgainstSchema(schema: JSONSchemaProps, value: unknown, opts: SchemaValidationOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  const ctx: Ctx = { prefix: opts.path ?? '' };
  validateNode(schema, value, '', ctx, errs, { structural: true, resourceRoot: opts.isResourceRoot === true });
  return errs;
}

interface NodeFlags {
  /** Part of the structural schema (not under allOf/anyOf/oneOf/not): list types and embedded resources apply. */
  structural: boolean;
  resourceRoot: boolean;
}

function validateNode(s: JSONSchemaProps, v: unknown, rel: string, ctx: Ctx, errs: FieldError[], flags: NodeFlags): void {
  const fp = fieldPathOf(ctx, rel);
  if (v === null && s.nullable) return;

  // type (and x-kubernetes-int-or-string, which replaces it)
  const actual = typeName(v);
  let expected: string | undefined;
  let typeOk = true;
  if (s['x-kubernetes-int-or-string']) {
    expected = 'integer,string';
    typeOk = actual === 'integer' || actual === 'string';
  } else if (s.type) {
    expected = s.type;
    typeOk = s.type === actual || (s.type === 'number' && actual === 'integer');
  }
  if (!typeOk) errs.push(fieldTypeInvalid(fp, actual, `${inBody(rel)} must be of type ${expected}: ${JSON.stringify(actual)}`));

  if (typeof v === 'string' && s.format && !isValidFormat(s.format, v)) {
    errs.push(fieldTypeInvalid(fp, v, `${inBody(rel)} must be of type ${s.format}: ${JSON.stringify(v)}`));
  }

  if (s.enum && !s.enum.some((e) => jsonDeepEqual(e, v))) {
    errs.push(fieldNotSupported(fp, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }

  if (typeof v === 'number') validateNumber(s, v, rel, fp, errs);
  if (typeof v === 'string') validateString(s, v, rel, fp, errs);
  if (Array.isArray(v)) validateArray(s, v, rel, ctx, errs, flags);
  if (isObject(v)) validateObject(s, v, rel, ctx, errs, flags);

  validateJunctors(s, v, rel, ctx, errs);
}

function validateNumber(s: JSONSchemaProps, v: number, rel: string, fp: string, errs: FieldError[]): void {
  if (typeof s.maximum === 'number') {
    if (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum) {
      errs.push(fieldInvalid(fp, v, `${inBody(rel)} should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${formatGoFloat(s.maximum)}`));
    }
  }
  if (typeof s.minimum === 'number') {
    if (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum) {
      errs.push(fieldInvalid(fp, v, `${inBody(rel)} should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${formatGoFloat(s.minimum)}`));
    }
  }
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const q = v / s.multipleOf;
    // Tolerate float error (0.3 / 0.1 is 2.9999999999999996).
    if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) {
      errs.push(fieldInvalid(fp, v, `${inBody(rel)} should be a multiple of ${formatGoFloat(s.multipleOf)}`));
    }
  }
}

function validateString(s: JSONSchemaProps, v: string, rel: string, fp: string, errs: FieldError[]): void {
  // Lengths count code points, as Go's utf8.RuneCountInString.
  const length = typeof s.maxLength === 'number' || typeof s.minLength === 'number' ? [...v].length : 0;
  if (typeof s.maxLength === 'number' && length > s.maxLength) errs.push(fieldTooLong(fp, v, s.maxLength));
  if (typeof s.minLength === 'number' && length < s.minLength) errs.push(fieldInvalid(fp, v, `${inBody(rel)} should be at least ${s.minLength} chars long`));
  if (typeof s.pattern === 'string') {
    const re = compilePattern(s.pattern);
    if (re instanceof Error) {
      errs.push(fieldInvalid(fp, v, `${inBody(rel)} should match '${s.pattern}, but pattern is invalid: ${re.message}'`));
    } else if (!re.test(v)) {
      errs.push(fieldInvalid(fp, v, `${inBody(rel)} should match '${s.pattern}'`));
    }
  }
}

function validateArray(s: JSONSchemaProps, v: unknown[], rel: string, ctx: Ctx, errs: FieldError[], flags: NodeFlags): void {
  const fp = fieldPathOf(ctx, rel);
  if (typeof s.maxItems === 'number' && v.length > s.maxItems) errs.push(fieldTooMany(fp, v.length, s.maxItems));
  if (typeof s.minItems === 'number' && v.length < s.minItems) errs.push(fieldInvalid(fp, v.length, `${inBody(rel)} should have at least ${s.minItems} items`));
  if (s.uniqueItems && v.some((x, i) => v.findIndex((y) => jsonDeepEqual(x, y)) !== i)) {
    errs.push(fieldInvalid(fp, '', `${inBody(rel)} shouldn't contain duplicates`));
  }
  const items = s.items;
  if (items && !Array.isArray(items)) {
    v.forEach((x, i) => validateNode(items, x, index(rel, i), ctx, errs, { structural: flags.structural, resourceRoot: false }));
  }
  if (flags.structural) validateListType(s, v, fp, errs);
}

/** x-kubernetes-list-type set and map: items must be unique (by value, or by their map keys). */
function validateListType(s: JSONSchemaProps, v: unknown[], fp: string, errs: FieldError[]): void {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    // Each repeated value is reported once, at its second occurrence.
    const seen: unknown[] = [];
    const reported: unknown[] = [];
    v.forEach((x, i) => {
      if (!seen.some((y) => jsonDeepEqual(x, y))) seen.push(x);
      else if (!reported.some((y) => jsonDeepEqual(x, y))) {
        reported.push(x);
        errs.push(fieldDuplicate(index(fp, i), x));
      }
    });
  } else if (listType === 'map') {
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== null && !isObject(v[i])) {
        errs.push(fieldInvalid(index(fp, i), v[i], 'must be an object for an array of list-type map'));
        return;
      }
    }
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const itemSchema = s.items && !Array.isArray(s.items) ? s.items : undefined;
    const seen: JsonObject[] = [];
    v.forEach((x, i) => {
      const item = (x ?? {}) as JsonObject;
      // An absent key counts as its default, as the item will be defaulted to it.
      const identity: JsonObject = {};
      for (const k of keys) {
        if (hasOwn(item, k)) identity[k] = item[k];
        else if (itemSchema?.properties?.[k]?.default !== undefined) identity[k] = itemSchema.properties[k].default;
      }
      if (seen.some((y) => jsonDeepEqual(y, identity))) errs.push(fieldDuplicate(index(fp, i), identity));
      else seen.push(identity);
    });
  }
}

function validateObject(s: JSONSchemaProps, v: JsonObject, rel: string, ctx: Ctx, errs: FieldError[], flags: NodeFlags): void {
  const fp = fieldPathOf(ctx, rel);
  const keys = Object.keys(v).filter((k) => !(flags.resourceRoot && RESOURCE_META.has(k)));

  if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) errs.push(fieldTooMany(fp, keys.length, s.maxProperties));
  if (typeof s.minProperties === 'number' && keys.length < s.minProperties) {
    errs.push(fieldInvalid(fp, keys.length, `${inBody(rel)} should have at least ${s.minProperties} properties`));
  }
  for (const r of s.required ?? []) {
    if (flags.resourceRoot && RESOURCE_META.has(r)) continue;
    if (!hasOwn(v, r)) errs.push(fieldRequired(child(fp, r), ''));
  }

  const sub: NodeFlags = { structural: flags.structural, resourceRoot: false };
  for (const k of keys) {
    const prop = s.properties && hasOwn(s.properties, k) ? s.properties[k] : undefined;
    if (prop) validateNode(prop, v[k], child(rel, k), ctx, errs, sub);
    else if (isObject(s.additionalProperties)) validateNode(s.additionalProperties, v[k], child(rel, k), ctx, errs, sub);
    else if (s.additionalProperties === false) errs.push(fieldInvalid(fp, k, `${inBody(child(rel, k))} is a forbidden property`));
  }

  if (flags.structural && s['x-kubernetes-embedded-resource'] && !flags.resourceRoot) validateEmbeddedResource(v, fp, errs);
}

/** An embedded object needs apiVersion and kind (metadata is optional and checked by the server as ObjectMeta). */
function validateEmbeddedResource(v: JsonObject, fp: string, errs: FieldError[]): void {
  if (!hasOwn(v, 'apiVersion')) errs.push(fieldRequired(child(fp, 'apiVersion'), 'must not be empty'));
  else if (typeof v.apiVersion !== 'string') errs.push(fieldInvalid(child(fp, 'apiVersion'), v.apiVersion, 'must be a string'));
  else if (v.apiVersion === '') errs.push(fieldInvalid(child(fp, 'apiVersion'), '', 'must not be empty'));
  else if (v.apiVersion.split('/').length > 2) errs.push(fieldInvalid(child(fp, 'apiVersion'), v.apiVersion, `unexpected GroupVersion string: ${v.apiVersion}`));
  if (!hasOwn(v, 'kind')) errs.push(fieldRequired(child(fp, 'kind'), 'must not be empty'));
  else if (typeof v.kind !== 'string') errs.push(fieldInvalid(child(fp, 'kind'), v.kind, 'must be a string'));
  else if (v.kind === '') errs.push(fieldInvalid(child(fp, 'kind'), '', 'must not be empty'));
}

/** allOf / anyOf / oneOf / not, with kube-openapi's composite messages. */
function validateJunctors(s: JSONSchemaProps, v: unknown, rel: string, ctx: Ctx, errs: FieldError[]): void {
  const fp = fieldPathOf(ctx, rel);
  const nested: NodeFlags = { structural: false, resourceRoot: false };
  const run = (sub: JSONSchemaProps): FieldError[] => {
    const out: FieldError[] = [];
    validateNode(sub, v, rel, ctx, out, nested);
    return out;
  };
  const composite = (text: string): FieldError => fieldInvalid(fp, '', `${JSON.stringify(rel)} ${text}`);
  /** The failures of the alternative that came closest (fewest errors, first on a tie). */
  const best = (results: FieldError[][]): FieldError[] => results.reduce((a, b) => (b.length < a.length ? b : a));

  if (s.allOf?.length) {
    const results = s.allOf.map(run);
    const valid = results.filter((r) => r.length === 0).length;
    for (const r of results) errs.push(...r);
    if (valid !== results.length) errs.push(composite(`must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`));
  }
  if (s.anyOf?.length) {
    const results = s.anyOf.map(run);
    if (!results.some((r) => r.length === 0)) {
      errs.push(composite('must validate at least one schema (anyOf)'));
      errs.push(...best(results));
    }
  }
  if (s.oneOf?.length) {
    const results = s.oneOf.map(run);
    const valid = results.filter((r) => r.length === 0).length;
    if (valid === 0) {
      errs.push(composite('must validate one and only one schema (oneOf). Found none valid'));
      errs.push(...best(results));
    } else if (valid > 1) {
      errs.push(composite(`must validate one and only one schema (oneOf). Found ${valid} valid alternatives`));
    }
  }
  if (s.not && run(s.not).length === 0) errs.push(composite('must not validate the schema (not)'));
}
