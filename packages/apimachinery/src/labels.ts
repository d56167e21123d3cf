/**
 * Label selectors (k8s.io/apimachinery/pkg/labels): the `labelSelector=` query syntax kubectl and
 * client libraries send, and metav1.LabelSelector (matchLabels / matchExpressions) as objects
 * embed it. Parsing, validation and error messages follow upstream's lexer and parser.
 */
import { newBadRequest } from './errors.js';
import { validateLabelValue, validateQualifiedName } from './names.js';

/** selection.Operator values. 'gt' and 'lt' are written `>` and `<` in the string form. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Sorted and without duplicates for parsed selectors (upstream keeps a sets.String). */
  values: string[];
}

type Labels = Record<string, string> | undefined | null;

const has = (labels: Labels, key: string): labels is Record<string, string> =>
  labels != null && Object.prototype.hasOwnProperty.call(labels, key);

/** strconv.ParseInt(s, 10, 64): an optional sign, decimal digits, within int64. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}

function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has(labels, r.key) && r.values.includes(labels[r.key]);
    case '!=':
    case 'notin':
      return !has(labels, r.key) || !r.values.includes(labels[r.key]);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const actual = parseInt64(labels[r.key]);
      const bound = parseInt64(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${values})`;
    case 'notin':
      return `${r.key} notin (${values})`;
    case 'gt':
      return `${r.key}>${values}`;
    case 'lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

const byKey = (a: LabelRequirement, b: LabelRequirement): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * A conjunction of requirements, sorted by key (so `toString()` is canonical).
 *
 * ```ts
 * parseLabelSelector('app=web,tier in (db,cache)').matches({ app: 'web', tier: 'db' }); // true
 * ```
 */
export class LabelSelector {
  readonly requirements: LabelRequirement[];
  readonly #nothing: boolean;

  constructor(requirements: LabelRequirement[], nothing = false) {
    this.requirements = [...requirements].sort(byKey);
    this.#nothing = nothing;
  }

  matches(labels: Record<string, string> | undefined | null): boolean {
    if (this.#nothing) return false;
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }

  /** True when the selector does not restrict anything (the Nothing selector is not empty). */
  isEmpty(): boolean {
    return !this.#nothing && this.requirements.length === 0;
  }

  /** True for `LabelSelector.nothing()` (labels.MatchesNothing). */
  matchesNothing(): boolean {
    return this.#nothing;
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }

  /** The value `key` must equal for every match, if the selector pins it (`key=v`, `key in (v)`). */
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }

  static everything(): LabelSelector {
    return EVERYTHING;
  }

  /** Selects no object at all: what a nil metav1.LabelSelector means (LabelSelectorAsSelector). */
  static nothing(): LabelSelector {
    return NOTHING;
  }
}

const EVERYTHING = new LabelSelector([]);
const NOTHING = new LabelSelector([], true);

// ---- validation shared by the parser and metav1 conversion (labels.NewRequirement) ---------------

/** field.ErrorList.ToAggregate().Error(): one message alone, several as `[a, b]`, duplicates dropped. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/** How field.Error prints a []string bad value (json.Marshal): a nil slice is `null`. */
function badValues(vals: string[] | undefined): string {
  return vals === undefined ? 'null' : JSON.stringify(vals);
}

function keyErrors(key: string, path: string): string[] {
  const errs = validateQualifiedName(key);
  return errs.length ? [`${path}: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`] : [];
}

/**
 * labels.NewRequirement's checks; returns the messages (empty when valid). `vals` undefined stands
 * for Go's nil slice (only its printing differs).
 */
function requirementErrors(key: string, op: LabelOperator, vals: string[] | undefined): string[] {
  const v = vals ?? [];
  const errs = keyErrors(key, 'key');
  switch (op) {
    case 'in':
    case 'notin':
      if (v.length === 0) errs.push(`values: Invalid value: ${badValues(vals)}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (v.length !== 1) errs.push(`values: Invalid value: ${badValues(vals)}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (v.length !== 0) errs.push(`values: Invalid value: ${badValues(vals)}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (v.length !== 1) errs.push(`values: Invalid value: ${badValues(vals)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      v.forEach((x, i) => {
        if (parseInt64(x) === undefined) errs.push(`values[${i}]: Invalid value: ${JSON.stringify(x)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
  }
  v.forEach((x, i) => {
    const msgs = validateLabelValue(x);
    if (msgs.length) errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(x)}: ${msgs.join('; ')}`);
  });
  return errs;
}

// ---- the lexer ---------------------------------------------------------------------------------

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';

interface Token {
  tok: Tok;
  lit: string;
}

const symbolTokens: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', '<': '<', '!=': '!=', '(': '(' };
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  // Upstream reads bytes and treats NUL as the end of input; so does this.
  const at = (k: number): string => (k < s.length ? s[k] : '\0');
  for (;;) {
    while (isWhitespace(at(i))) i++;
    const c = at(i);
    if (c === '\0') {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    if (isSpecial(c)) {
      // Longest run of special characters that is still a token: "!=" but "=(" → "=", "(".
      let buf = '';
      let last: Token | undefined;
      while (isSpecial(at(i))) {
        buf += at(i);
        const t = symbolTokens[buf];
        if (t) {
          last = { tok: t, lit: buf };
          i++;
        } else if (last) {
          break;
        } else {
          i++;
        }
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let id = '';
    while (at(i) !== '\0' && !isSpecial(at(i)) && !isWhitespace(at(i))) id += s[i++];
    out.push(id === 'in' || id === 'notin' ? { tok: id, lit: id } : { tok: 'id', lit: id });
  }
}

// ---- the parser --------------------------------------------------------------------------------

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class SelectorSyntaxError extends Error {}

class Parser {
  #items: Token[];
  #pos = 0;
  constructor(items: Token[]) {
    this.#items = items;
  }

  /** In the values context the keywords `in`/`notin` are plain identifiers (`x in (in)`). */
  lookahead(values: boolean): Token {
    return this.#ctx(this.#items[this.#pos], values);
  }

  consume(values: boolean): Token {
    return this.#ctx(this.#items[this.#pos++], values);
  }

  #ctx(t: Token, values: boolean): Token {
    return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id', lit: t.lit } : t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.lookahead(true);
      if (t.tok === 'eos') return reqs;
      if (t.tok !== 'id' && t.tok !== '!') throw new SelectorSyntaxError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorSyntaxError) throw new SelectorSyntaxError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const next = this.consume(true);
      if (next.tok === 'eos') return reqs;
      if (next.tok !== ',') throw new SelectorSyntaxError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead(true);
      if (after.tok !== 'id' && after.tok !== '!') throw new SelectorSyntaxError(`found '${after.lit}', expected: identifier after ','`);
    }
  }

  requirement(): LabelRequirement {
    let t = this.consume(true);
    let op: LabelOperator | undefined;
    if (t.tok === '!') {
      op = '!';
      t = this.consume(true);
    }
    if (t.tok !== 'id') throw new SelectorSyntaxError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    // The parser has no field path: upstream prints its nil path as "<nil>".
    const keyErrs = keyErrors(key, '<nil>');
    if (keyErrs.length) throw new SelectorSyntaxError(keyErrs[0]);
    const la = this.lookahead(true).tok;
    if (la === 'eos' || la === ',') op ??= 'exists';
    if (op === 'exists' || op === '!') return this.#validated(key, op, []);

    const opTok = this.consume(false);
    const opMap: Partial<Record<Tok, LabelOperator>> = { in: 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', notin: 'notin', '!=': '!=' };
    const binary = opMap[opTok.tok];
    if (!binary) throw new SelectorSyntaxError(`found '${opTok.lit}', expected: ${BINARY_OPERATORS}`);
    const values = binary === 'in' || binary === 'notin' ? this.valueSet() : this.exactValue();
    return this.#validated(key, binary, [...new Set(values)].sort());
  }

  #validated(key: string, op: LabelOperator, values: string[]): LabelRequirement {
    const errs = requirementErrors(key, op, values);
    if (errs.length) throw new SelectorSyntaxError(aggregate(errs));
    return { key, operator: op, values };
  }

  valueSet(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new SelectorSyntaxError(`found '${open.lit}' expected: '('`);
    const first = this.lookahead(true);
    if (first.tok === ')') {
      this.consume(true);
      return [''];
    }
    if (first.tok !== 'id' && first.tok !== ',') throw new SelectorSyntaxError(`found '${first.lit}', expected: ',', ')' or identifier`);
    const values = this.identifierList();
    if (this.consume(true).tok !== ')') throw new SelectorSyntaxError(`found '${first.lit}', expected: ')'`);
    return values;
  }

  /** A possibly empty, comma-separated list: `(a,,b)` and `(,a)` include the empty value. */
  identifierList(): string[] {
    const s: string[] = [];
    for (;;) {
      const t = this.consume(true);
      if (t.tok === 'id') {
        s.push(t.lit);
        const next = this.lookahead(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') return s;
        throw new SelectorSyntaxError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (s.length === 0) s.push('');
        const next = this.lookahead(true);
        if (next.tok === ')') {
          s.push('');
          return s;
        }
        if (next.tok === ',') {
          this.consume(true);
          s.push('');
        }
      } else {
        throw new SelectorSyntaxError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  exactValue(): string[] {
    const la = this.lookahead(true);
    if (la.tok === 'eos' || la.tok === ',') return [''];
    const t = this.consume(true);
    if (t.tok === 'id') return [t.lit];
    throw new SelectorSyntaxError(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses the string form of a label selector (labels.Parse). `""` selects everything.
 *
 * ```ts
 * parseLabelSelector('environment in (production, qa), tier notin (frontend), !canary, partition');
 * ```
 *
 * Throws a 400 BadRequest whose message is upstream's, e.g.
 * `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`.
 */
export function parseLabelSelector(s: string): LabelSelector {
  try {
    const reqs = new Parser(lex(s)).parse();
    return reqs.length === 0 ? EVERYTHING : new LabelSelector(reqs);
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw newBadRequest(e.message);
    throw e;
  }
}

/** metav1.LabelSelector as objects carry it (Deployment.spec.selector, …). */
export interface MetaV1LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const metaOperators: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: null/undefined selects nothing, `{}` selects everything.
 * An unknown operator or an invalid requirement throws a 400 BadRequest.
 */
export function labelSelectorFromMetaV1(sel: MetaV1LabelSelector | undefined | null): LabelSelector {
  if (sel == null) return NOTHING;
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return EVERYTHING;
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(matchLabels)) {
    const errs = requirementErrors(key, '=', [value]);
    if (errs.length) throw newBadRequest(aggregate(errs));
    reqs.push({ key, operator: '=', values: [value] });
  }
  for (const expr of exprs) {
    const op = Object.prototype.hasOwnProperty.call(metaOperators, expr.operator) ? metaOperators[expr.operator] : undefined;
    if (!op) throw newBadRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    const values = expr.values && expr.values.length ? [...expr.values] : undefined;
    const errs = requirementErrors(expr.key, op, values);
    if (errs.length) throw newBadRequest(aggregate(errs));
    reqs.push({ key: expr.key, operator: op, values: values ?? [] });
  }
  return new LabelSelector(reqs);
}

/** A selector matching exactly these labels (labels.SelectorFromSet); `{}` selects everything. */
export function labelSelectorFromSet(set: Record<string, string> | undefined | null): LabelSelector {
  if (!set || Object.keys(set).length === 0) return EVERYTHING;
  return new LabelSelector(Object.entries(set).map(([key, value]) => ({ key, operator: '=' as const, values: [value] })));
}
