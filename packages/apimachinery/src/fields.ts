/**
 * Field selectors (k8s.io/apimachinery/pkg/fields): `fieldSelector=metadata.name=web,status.phase!=Running`.
 * Only equality is supported, as upstream. Values escape `\`, `,` and `=` with a backslash.
 */
import { newBadRequest } from './errors.js';

export interface FieldRequirement {
  field: string;
  /** Parsed selectors always say '=' or '!=': upstream turns `==` into the same term as `=`. */
  operator: '=' | '==' | '!=';
  value: string;
}

/** fields.EscapeValue: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * fields.UnescapeValue. The error texts are upstream's, including its printing of an unescaped
 * character as a number (Go formats the rune with %v: '=' prints as 61).
 */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw newBadRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw newBadRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw newBadRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * A conjunction of equality terms over an object's selectable fields.
 *
 * ```ts
 * const sel = parseFieldSelector('metadata.name=web,status.phase!=Failed');
 * sel.matches((f) => ({ 'metadata.name': pod.metadata.name, 'status.phase': pod.status.phase })[f]);
 * ```
 */
export class FieldSelector {
  readonly requirements: FieldRequirement[];

  constructor(requirements: FieldRequirement[]) {
    this.requirements = requirements;
  }

  /** A field the getter does not know compares as "" (fields.Set.Get of a missing key). */
  matches(get: (field: string) => string | undefined): boolean {
    for (const r of this.requirements) {
      const actual = get(r.field) ?? '';
      if (r.operator === '!=' ? actual === r.value : actual !== r.value) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(',');
  }

  /** The value `field` must have in every match, if an `=` term pins it (lets storage index by it). */
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator !== '!=') return r.value;
    return undefined;
  }

  /** The fields the selector mentions, for rejecting unsupported ones with upstream's message. */
  fields(): string[] {
    return this.requirements.map((r) => r.field);
  }

  static everything(): FieldSelector {
    return EVERYTHING;
  }
}

const EVERYTHING = new FieldSelector([]);

/** Splits on unescaped commas; the escapes stay in the terms for unescapeFieldValue. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// `==` before `=` so a `==` term does not leave '=' at the start of its value.
const termOperators = ['!=', '==', '='] as const;

/**
 * Parses the string form of a field selector (fields.ParseSelector). The left side is taken up to
 * the first operator (no escaping there); terms are sorted, as upstream sorts them, so `toString()`
 * is canonical. `""` selects everything. Throws a 400 BadRequest on syntax errors.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let parsed: FieldRequirement | undefined;
    for (let i = 0; i < part.length && !parsed; i++) {
      for (const op of termOperators) {
        if (part.startsWith(op, i)) {
          const value = unescapeFieldValue(part.slice(i + op.length));
          parsed = { field: part.slice(0, i), operator: op === '!=' ? '!=' : '=', value };
          break;
        }
      }
    }
    if (!parsed) throw newBadRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    // Upstream's Transform drops a term with neither field nor value (a bare "=").
    if (parsed.field === '' && parsed.value === '') continue;
    reqs.push(parsed);
  }
  return reqs.length === 0 ? EVERYTHING : new FieldSelector(reqs);
}
