/**
 * Field paths as structured-merge-diff names them: a path is a list of path elements, each of
 * which picks a child out of a map (a field name), an associative list (the item's key fields,
 * or the item itself for a set of scalars) or, rarely, a list by position.
 *
 * Two spellings exist and both are upstream's:
 * - the FieldsV1 key of one element (`f:name`, `k:{"containerPort":80,"protocol":"TCP"}`,
 *   `v:"a"`, `i:0`), used in `metadata.managedFields`;
 * - the human form used in conflict messages and causes (`.spec.containers[name="app"].image`,
 *   `.metadata.finalizers[="x"]`, `.args[0]`).
 *
 * Elements have a total order (field names first, then keys, then values, then indexes; values
 * ordered number < string < bool < list < map < null) so that sets serialize the same way
 * every time, as upstream does.
 *
 * @example
 * parsePathElement('k:{"name":"app"}'); // { kind: 'key', key: [['name', 'app']] }
 * pathToString([fieldElement('spec'), keyElement([['name', 'app']]), fieldElement('image')]);
 * // '.spec[name="app"].image'
 */

export type PathElement =
  | { kind: 'field'; name: string }
  /** Key fields sorted by name. */
  | { kind: 'key'; key: [string, unknown][] }
  | { kind: 'value'; value: unknown }
  | { kind: 'index'; index: number };

export type Path = PathElement[];

export const fieldElement = (name: string): PathElement => ({ kind: 'field', name });
export const valueElement = (value: unknown): PathElement => ({ kind: 'value', value });
export const indexElement = (index: number): PathElement => ({ kind: 'index', index });
export function keyElement(fields: [string, unknown][]): PathElement {
  return { kind: 'key', key: [...fields].sort((a, b) => compareStrings(a[0], b[0])) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's strings.Compare orders UTF-8 bytes, which is code point order (not UTF-16 unit order). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function typeRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5; // null
}

/** A total order over JSON values (structured-merge-diff's value.Compare). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a === false ? -1 : 1;
    case 3: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 4: {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = compareStrings(kx[i], ky[i]) || compareValues(x[kx[i]], y[ky[i]]);
        if (c !== 0) return c;
      }
      return kx.length < ky.length ? -1 : kx.length > ky.length ? 1 : 0;
    }
    default:
      return 0;
  }
}

const KIND_RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] < KIND_RANK[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return compareStrings(a.name, (b as typeof a).name);
    case 'key': {
      const x = a.key;
      const y = (b as typeof a).key;
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareStrings(x[i][0], y[i][0]) || compareValues(x[i][1], y[i][1]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index': {
      const j = (b as typeof a).index;
      return a.index < j ? -1 : a.index > j ? 1 : 0;
    }
  }
}

/** JSON with object members in sorted order, so one value has one spelling. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort(compareStrings);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v === undefined ? null : v);
}

/** The FieldsV1 key of one element: `f:<name>`, `k:<json object>`, `v:<json>`, `i:<n>`. */
export function serializePathElement(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.key.map(([n, v]) => `${JSON.stringify(n)}:${canonicalJson(v)}`).join(',')}}`;
    case 'value':
      return `v:${canonicalJson(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

/** Thrown for a FieldsV1 key this module cannot read. */
export class PathElementSyntaxError extends Error {}

/**
 * Reads one FieldsV1 key. Returns undefined for an element type this version does not know
 * (upstream drops those rather than failing, so a newer server's data stays readable).
 */
export function parsePathElement(s: string): PathElement | undefined {
  if (s.length < 2 || s[1] !== ':') throw new PathElementSyntaxError(`invalid FieldsV1 key ${JSON.stringify(s)}: expected <type>:<content>`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return fieldElement(body);
    case 'v':
      return valueElement(parseJson(s, body));
    case 'k': {
      const obj = parseJson(s, body);
      if (!isObject(obj)) throw new PathElementSyntaxError(`invalid FieldsV1 key ${JSON.stringify(s)}: a key must be a JSON object`);
      return keyElement(Object.entries(obj));
    }
    case 'i': {
      if (!/^-?\d+$/.test(body)) throw new PathElementSyntaxError(`invalid FieldsV1 key ${JSON.stringify(s)}: an index must be an integer`);
      return indexElement(Number(body));
    }
    default:
      return undefined;
  }
}

function parseJson(whole: string, body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new PathElementSyntaxError(`invalid FieldsV1 key ${JSON.stringify(whole)}: the content is not JSON`);
  }
}

/** Go's %v of a value in a path string: strings quoted, numbers and booleans bare. */
function valueString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort(compareStrings)
      .map((k) => `${k}=${valueString(v[k])}`)
      .join(';')}}`;
  }
  return String(v);
}

/** One element as conflict messages print it: `.name`, `[k="v",n=1]`, `[="v"]`, `[0]`. */
export function pathElementToString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `.${pe.name}`;
    case 'key':
      return `[${pe.key.map(([n, v]) => `${n}=${valueString(v)}`).join(',')}]`;
    case 'value':
      return `[=${valueString(pe.value)}]`;
    case 'index':
      return `[${pe.index}]`;
  }
}

export function pathToString(path: Path): string {
  return path.map(pathElementToString).join('');
}
