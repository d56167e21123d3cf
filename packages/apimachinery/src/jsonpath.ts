/**
 * The JSONPath subset of k8s.io/client-go/util/jsonpath that CRD additionalPrinterColumns and
 * `kubectl get -o jsonpath` use, evaluated the way upstream evaluates it with AllowMissingKeys
 * (a missing key yields no result rather than an error), plus the CRD table convertor's rules for
 * turning a result into a Table cell.
 *
 * Supported: `.a.b`, `{...}` around the expression, a leading `$` or `@`, `['key.with.dots']`,
 * `.a\.b` (escaped dot), `[0]`, `[-1]`, `[1:3]`, `[::2]`, `[*]`, `.*`, `[0,2]` / `['a','b']`
 * unions, `..name` (recursive descent), filters `[?(@.type=="Ready")]` with == != < > <= >= and
 * existence `[?(@.x)]`. Not supported: `range`/`end` templates and text outside `{}`.
 *
 * One intended difference: upstream reads `['a.b']` as the two fields `a` and `b`; here a quoted
 * bracket key is one key, which is what every user of that syntax means.
 */
import { newBadRequest } from './errors.js';
import { humanDuration, parseRfc3339 } from './table.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; endDerived: boolean; step: number | undefined }
  | { kind: 'union'; branches: Step[][] }
  | { kind: 'filter'; op: FilterOp; left: Operand; right: Operand | undefined };

type FilterOp = 'exists' | '==' | '!=' | '<' | '>' | '<=' | '>=';
type Operand = { kind: 'path'; steps: Step[] } | { kind: 'literal'; value: string | number | boolean };

const syntax = (path: string, why: string): Error => newBadRequest(`error parsing jsonpath ${path}: ${why}`);

const isTerminator = (c: string | undefined): boolean =>
  c === undefined || c === ' ' || c === '\t' || c === '\r' || c === '\n' || '.,[]$@{}'.includes(c);

const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

/** Parses one action (the inside of `{}`) into steps. */
function parseSteps(src: string, whole: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const parseField = (): void => {
    let name = '';
    while (i < src.length && !isTerminator(src[i])) {
      if (src[i] === '\\' && i + 1 < src.length) i++;
      name += src[i++];
    }
    if (name === '*') steps.push({ kind: 'wildcard' });
    else if (name === '') throw syntax(whole, 'empty field name');
    else steps.push({ kind: 'field', name });
  };
  while (i < src.length) {
    const c = src[i];
    if (src.startsWith('[?(', i)) {
      const close = findFilterEnd(src, i + 3);
      if (close < 0) throw syntax(whole, 'unterminated filter');
      steps.push(parseFilter(src.slice(i + 3, close), whole));
      i = close + 2;
    } else if (src.startsWith('..', i)) {
      if (steps.length && steps[steps.length - 1].kind === 'recursive') throw syntax(whole, 'invalid multiple recursive descent');
      steps.push({ kind: 'recursive' });
      i += 2;
      if (isAlphaNumeric(src[i])) parseField();
    } else if (c === ' ' || c === '@' || c === '$') {
      i++;
    } else if (c === '.') {
      i++;
      parseField();
    } else if (c === '[') {
      const close = findBracketEnd(src, i + 1);
      if (close < 0) throw syntax(whole, 'unterminated array');
      steps.push(parseBracket(src.slice(i + 1, close), whole));
      i = close + 1;
    } else if (isAlphaNumeric(c)) {
      let id = '';
      while (i < src.length && !isTerminator(src[i])) id += src[i++];
      throw syntax(whole, `unrecognized identifier ${id}`);
    } else {
      throw syntax(whole, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }
  return steps;
}

/** Index of the ']' closing a bracket whose content starts at `from`, skipping quoted text. */
function findBracketEnd(src: string, from: number): number {
  let quote = '';
  for (let k = from; k < src.length; k++) {
    const c = src[k];
    if (quote) {
      if (c === '\\') k++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ']') return k;
  }
  return -1;
}

/** Index of the ')' of a filter's closing `)]`, skipping quoted text. */
function findFilterEnd(src: string, from: number): number {
  let quote = '';
  for (let k = from; k < src.length; k++) {
    const c = src[k];
    if (quote) {
      if (c === '\\') k++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ')' && src[k + 1] === ']') return k;
  }
  return -1;
}

/** Splits on commas outside quotes. */
function splitUnion(s: string): string[] {
  const parts: string[] = [];
  let quote = '';
  let start = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (quote) {
      if (c === '\\') k++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ',') {
      parts.push(s.slice(start, k));
      start = k + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function unquote(s: string, whole: string): string | undefined {
  const q = s[0];
  if ((q !== '"' && q !== "'") || s.length < 2 || s[s.length - 1] !== q) return undefined;
  const body = s.slice(1, -1);
  if (!body.includes('\\')) return body;
  if (q === '"') {
    try {
      return JSON.parse(s) as string;
    } catch {
      throw syntax(whole, `invalid quoted string ${s}`);
    }
  }
  return body.replace(/\\(.)/g, '$1');
}

const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;

function parseBracket(text: string, whole: string): Step {
  const t = text.trim();
  if (t === '*') return { kind: 'slice', start: undefined, end: undefined, endDerived: false, step: undefined };
  const parts = splitUnion(t);
  if (parts.length > 1) return { kind: 'union', branches: parts.map((p) => [parseBracket(p, whole)]) };
  const key = unquote(t, whole);
  if (key !== undefined) return { kind: 'field', name: key };
  const m = SLICE.exec(t);
  if (!m) throw syntax(whole, `invalid array index ${t}`);
  const num = (s: string | undefined): number | undefined => (s === undefined || s === '' || s === ':' ? undefined : Number(s.replace(/^:/, '')));
  const start = num(m[1]);
  const step = num(m[3]);
  if (m[2] === undefined) {
    // `[i]`: one element, upstream's "derived" end of start+1.
    return { kind: 'slice', start: start ?? 0, end: (start ?? 0) + 1, endDerived: true, step };
  }
  return { kind: 'slice', start, end: num(m[2]), endDerived: false, step };
}

const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/;

function parseOperand(text: string, whole: string): Operand {
  const t = text.trim();
  const s = unquote(t, whole);
  if (s !== undefined) return { kind: 'literal', value: s };
  if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return { kind: 'literal', value: Number(t) };
  return { kind: 'path', steps: parseSteps(t, whole) };
}

function parseFilter(text: string, whole: string): Step {
  const m = FILTER.exec(text);
  if (!m) return { kind: 'filter', op: 'exists', left: parseOperand(text, whole), right: undefined };
  const op = m[2];
  if (op !== '==' && op !== '!=' && op !== '<' && op !== '>' && op !== '<=' && op !== '>=') {
    throw syntax(whole, `unrecognized filter operator ${op}`);
  }
  return { kind: 'filter', op, left: parseOperand(m[1], whole), right: parseOperand(m[3], whole) };
}

/** Splits a template into its `{}` actions; a path without braces is one action. */
function parseTemplate(path: string): Step[][] {
  const src = path.trim();
  if (!src.startsWith('{')) return [parseSteps(src, path)];
  const actions: Step[][] = [];
  let i = 0;
  while (i < src.length) {
    if (src[i] !== '{') throw syntax(path, 'text outside {} is not supported');
    let quote = '';
    let k = i + 1;
    for (; k < src.length; k++) {
      const c = src[k];
      if (quote) {
        if (c === '\\') k++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (k >= src.length) throw syntax(path, 'unclosed action');
    actions.push(parseSteps(src.slice(i + 1, k), path));
    i = k + 1;
  }
  return actions;
}

// ---- evaluation ----------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function evalSteps(inputs: unknown[], steps: Step[]): unknown[] {
  let cur = inputs;
  for (const step of steps) {
    const next: unknown[] = [];
    switch (step.kind) {
      case 'field':
        for (const v of cur) if (isObject(v) && Object.prototype.hasOwnProperty.call(v, step.name)) next.push(v[step.name]);
        break;
      case 'wildcard':
        for (const v of cur) {
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) next.push(...Object.values(v));
        }
        break;
      case 'recursive':
        for (const v of cur) collectContainers(v, next);
        break;
      case 'slice':
        for (const v of cur) if (Array.isArray(v)) next.push(...slice(v, step));
        break;
      case 'union':
        for (const branch of step.branches) next.push(...evalSteps(cur, branch));
        break;
      case 'filter':
        for (const v of cur) {
          if (!Array.isArray(v)) continue;
          for (const e of v) if (filterPasses(e, step)) next.push(e);
        }
        break;
    }
    cur = next;
  }
  return cur;
}

/** The value itself and every non-empty container below it, in document order (evalRecursive). */
function collectContainers(root: unknown, out: unknown[]): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    const children = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : undefined;
    if (!children || children.length === 0) continue;
    out.push(v);
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]);
  }
}

/** upstream evalArray: negative indices count from the end; out of range yields nothing. */
function slice(arr: unknown[], s: Extract<Step, { kind: 'slice' }>): unknown[] {
  const len = arr.length;
  let start = s.start ?? 0;
  if (start < 0) start += len;
  let end = s.end ?? len;
  if (end < 0 || (end === 0 && s.endDerived)) end += len;
  if (end === start) return [];
  if (start < 0 || start >= len || end < 0 || end > len || start > end) return [];
  const step = s.step ?? 1;
  if (step <= 0) return [];
  const out: unknown[] = [];
  for (let k = start; k < end; k += step) out.push(arr[k]);
  return out;
}

function operandValues(e: unknown, o: Operand): unknown[] {
  return o.kind === 'literal' ? [o.value] : evalSteps([e], o.steps);
}

function filterPasses(e: unknown, f: Extract<Step, { kind: 'filter' }>): boolean {
  const lefts = operandValues(e, f.left);
  if (f.op === 'exists') return lefts.length > 0;
  const rights = operandValues(e, f.right!);
  // Upstream fails the whole evaluation on several values or mismatched types; no match here.
  if (lefts.length !== 1 || rights.length !== 1) return false;
  const [l, r] = [lefts[0], rights[0]];
  if (typeof l !== typeof r || (typeof l !== 'string' && typeof l !== 'number' && typeof l !== 'boolean')) return false;
  switch (f.op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
  }
  if (typeof l === 'boolean') return false;
  const a = l as string | number;
  const b = r as string | number;
  switch (f.op) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
}

/** A parsed path, to evaluate many objects without parsing again (one per printer column). */
export type CompiledJsonPath = (obj: unknown) => unknown[];

/** Parses `path` once; throws a 400 BadRequest if it is not valid. */
export function compileJsonPath(path: string): CompiledJsonPath {
  const actions = parseTemplate(path);
  return (obj) => {
    const out: unknown[] = [];
    for (const steps of actions) out.push(...evalSteps([obj], steps));
    return out;
  };
}

/**
 * Every value `path` selects in `obj`, in document order; [] when nothing matches.
 *
 * ```ts
 * evaluateJsonPath(pod, '.status.conditions[?(@.type=="Ready")].status'); // ['True']
 * evaluateJsonPath(deploy, '{.spec.replicas}');                              // [3]
 * ```
 */
export function evaluateJsonPath(obj: unknown, path: string): unknown[] {
  return compileJsonPath(path)(obj);
}

// ---- table cells (apiextensions tableconvertor) --------------------------------------------------

/**
 * Go's fmt %v of a float64 (strconv 'g' with the shortest digits): exponent form when the decimal
 * exponent is below -4 or at least 6, so 1e+06, 1.5e-05, but 123456.5 and 0.25.
 */
function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expStr] = f.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** Go's json.Marshal of an unstructured value: keys sorted, HTML characters escaped. */
function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(o[k])}`).join(',')}}`;
}

function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How jsonpath prints one result as text (PrintResults): containers as JSON, scalars with fmt. */
export function formatJsonPathValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : goFloat(v);
  return goJson(v);
}

/**
 * The Table cell for a CRD printer column (tableconvertor.ConvertToTable / cellForJSONValue):
 * the first result only; null when there is none or it does not fit `type`.
 *
 * - string: the value printed as `kubectl -o jsonpath` prints it (objects as JSON, null as "<no value>")
 * - integer / number / boolean: the value when it has that JSON type (integer truncates)
 * - date: an RFC 3339 string becomes its age ("5m", "3d"); "<invalid>" if it does not parse;
 *   "<unknown>" for ""
 */
export function formatPrinterCell(values: unknown[], type: string, now: Date = new Date()): unknown {
  if (values.length === 0) return null;
  const v = values[0];
  if (type === 'string') return formatJsonPathValue(v);
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      // metav1.Time.UnmarshalQueryParameter: "" and "null" are the zero time.
      if (v === '' || v === 'null') return '<unknown>';
      const t = parseRfc3339(v);
      return t === undefined ? '<invalid>' : humanDuration(now.getTime() - t);
    }
    default:
      return null;
  }
}
