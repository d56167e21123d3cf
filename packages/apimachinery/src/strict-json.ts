/**
 * JSON parsing that also reports duplicate object keys, as kube-apiserver does with
 * `fieldValidation=Strict|Warn` (sigs.k8s.io/json strict mode): `duplicate field "metadata.name"`,
 * `duplicate field "spec.template.spec.containers[0].imagePullPolicy"`.
 *
 * It runs on every write, so the common case (no duplicates) costs one JSON.parse plus two cheap
 * passes: a count of the keys in the text (found with indexOf, no tokenizing) and a count of the
 * keys in the parsed value. JSON.parse keeps one entry per distinct key, so the counts differ
 * exactly when some object repeated a key; only then is the text scanned again to name the paths.
 */
import { newBadRequest } from './errors.js';

export interface StrictJsonResult {
  value: unknown;
  /** Paths of repeated keys in document order, deduplicated, at most 100 (as upstream). */
  duplicates: string[];
}

/** sigs.k8s.io/json stops collecting strict errors at 100. */
const MAX_DUPLICATES = 100;

/**
 * ```ts
 * parseJsonDetectingDuplicates('{"a":1,"a":2}'); // { value: { a: 2 }, duplicates: ['a'] }
 * ```
 * The value is JSON.parse's (the last of repeated keys wins, as in Go). Invalid JSON throws a 400
 * BadRequest naming the problem as Go's encoding/json does, with line, column and offset.
 */
export function parseJsonDetectingDuplicates(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const d = describeJsonSyntaxError(text);
    if (d) throw newBadRequest(`json parse error: ${d.message} at line ${d.line}, column ${d.column} (offset ${d.offset})`);
    throw newBadRequest(`json parse error: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) return { value, duplicates: [] };
  if (countKeysInText(text) === countKeysInValue(value)) return { value, duplicates: [] };
  return { value, duplicates: findDuplicatePaths(text) };
}

/** `duplicate field "a.b"`: the text upstream puts in the 400 (Strict) or the warning (Warn). */
export function formatDuplicateField(path: string): string {
  return `duplicate field ${JSON.stringify(path)}`;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;

/** Index of the quote closing the string that opens at `start`. Assumes valid JSON. */
function stringEnd(text: string, start: number): number {
  let j = text.indexOf('"', start + 1);
  for (;;) {
    // Escaped if preceded by an odd number of backslashes.
    let k = j - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
}

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Object keys in valid JSON text: the strings followed by ':'. */
function countKeysInText(text: string): number {
  let n = 0;
  let i = text.indexOf('"');
  while (i >= 0) {
    const end = stringEnd(text, i);
    let k = end + 1;
    let c = text.charCodeAt(k);
    while (isWs(c)) c = text.charCodeAt(++k);
    if (c === COLON) n++;
    i = text.indexOf('"', end + 1);
  }
  return n;
}

/** Own keys of every object in a JSON.parse result; iterative, since JSON may nest deeply. */
function countKeysInValue(root: object): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (typeof e === 'object' && e !== null) stack.push(e);
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k in o) {
        n++;
        const e = o[k];
        if (typeof e === 'object' && e !== null) stack.push(e);
      }
    }
  }
  return n;
}

interface Frame {
  isObject: boolean;
  parent: Frame | undefined;
  /** Where this container sits in its parent: a key, an array index, or undefined at the root. */
  label: string | number | undefined;
  /** Keys seen so far; an array while small (faster than a Set for the usual handful of keys). */
  keys: string[] | Set<string>;
  key: string;
  index: number;
  expectKey: boolean;
}

/** The path sigs.k8s.io/json prints: members joined with ".", array elements as "[i]". */
function pathOf(frame: Frame, key: string): string {
  const labels: (string | number)[] = [key];
  for (let f: Frame | undefined = frame; f && f.label !== undefined; f = f.parent) labels.push(f.label);
  let path = '';
  for (let k = labels.length - 1; k >= 0; k--) {
    const l = labels[k];
    if (typeof l === 'number') path += `[${l}]`;
    else path = path === '' ? l : `${path}.${l}`;
  }
  return path;
}

const SMALL_OBJECT_KEYS = 16;

/**
 * Walks valid JSON text and returns the paths of repeated keys the way sigs.k8s.io/json names
 * them: object members joined with ".", array elements as "[i]", keys as they decode (no quoting).
 * Paths are only built for the duplicates; containers just remember their label.
 */
function findDuplicatePaths(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  let top: Frame | undefined;
  const push = (isObject: boolean): void => {
    const label = top === undefined ? undefined : top.isObject ? top.key : top.index;
    top = { isObject, parent: top, label, keys: [], key: '', index: 0, expectKey: isObject };
  };
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case 123: // {
        push(true);
        break;
      case 91: // [
        push(false);
        break;
      case 125: // }
      case 93: // ]
        top = top!.parent;
        break;
      case 44: // ,
        if (top!.isObject) top!.expectKey = true;
        else top!.index++;
        break;
      case QUOTE: {
        const end = stringEnd(text, i);
        if (top && top.isObject && top.expectKey) {
          const raw = text.slice(i + 1, end);
          const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
          const keys = top.keys;
          const dup = Array.isArray(keys) ? keys.includes(key) : keys.has(key);
          if (dup) {
            const path = pathOf(top, key);
            if (!seen.has(path) && out.length < MAX_DUPLICATES) {
              seen.add(path);
              out.push(path);
            }
          } else if (Array.isArray(keys)) {
            keys.push(key);
            if (keys.length > SMALL_OBJECT_KEYS) top.keys = new Set(keys);
          } else {
            keys.add(key);
          }
          top.key = key;
          top.expectKey = false;
        }
        i = end;
        break;
      }
    }
  }
  return out;
}

// ---- syntax errors in Go's words (encoding/json scanner) -----------------------------------------

export interface JsonSyntaxErrorDetails {
  /** Go's text, e.g. `invalid character '}' looking for beginning of value`. */
  message: string;
  /** 0-based index of the offending character in the string (text.length at end of input). */
  offset: number;
  line: number;
  column: number;
}

/** Go's quoteChar: the character as it appears in scanner errors. */
function quoteChar(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  const escapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\\': '\\\\' };
  if (escapes[ch]) return `'${escapes[ch]}'`;
  const code = ch.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

/**
 * Finds the first syntax error in `text` and describes it as Go's encoding/json would, or returns
 * undefined when the text is valid JSON.
 */
export function describeJsonSyntaxError(text: string): JsonSyntaxErrorDetails | undefined {
  let i = 0;
  const n = text.length;
  const fail = (message: string, at: number): JsonSyntaxErrorDetails => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at && k < n; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    return { message, offset: at, line, column: at - lineStart + 1 };
  };
  const eof = (): JsonSyntaxErrorDetails => fail('unexpected end of JSON input', n);
  const bad = (context: string): JsonSyntaxErrorDetails => fail(`invalid character ${quoteChar(text[i])} ${context}`, i);
  const skipWs = (): void => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  const isDigit = (k: number): boolean => k < n && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57;
  const isHex = (k: number): boolean => k < n && /[0-9a-fA-F]/.test(text[k]);

  /** Scans a string starting at the opening quote; leaves i after the closing quote. */
  const scanString = (): JsonSyntaxErrorDetails | undefined => {
    i++;
    for (;;) {
      if (i >= n) return eof();
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i++;
        return undefined;
      }
      if (c < 0x20) return bad('in string literal');
      if (c === BACKSLASH) {
        i++;
        if (i >= n) return eof();
        const e = text[i];
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) return eof();
            if (!isHex(i)) return bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) {
          return bad('in string escape code');
        }
      }
      i++;
    }
  };

  const scanNumber = (): JsonSyntaxErrorDetails | undefined => {
    if (text[i] === '-') {
      i++;
      if (i >= n) return eof();
      if (!isDigit(i)) return bad('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (isDigit(i)) i++;
    if (text[i] === '.') {
      i++;
      if (i >= n) return eof();
      if (!isDigit(i)) return bad('after decimal point in numeric literal');
      while (isDigit(i)) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (i >= n) return eof();
      if (!isDigit(i)) return bad('in exponent of numeric literal');
      while (isDigit(i)) i++;
    }
    return undefined;
  };

  const scanLiteral = (word: string): JsonSyntaxErrorDetails | undefined => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) return eof();
      if (text[i] !== word[k]) return bad(`in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
    i++;
    return undefined;
  };

  // Containers still open: true for objects.
  const stack: boolean[] = [];
  for (;;) {
    // Expecting a value.
    skipWs();
    if (i >= n) return eof();
    const c = text[i];
    let err: JsonSyntaxErrorDetails | undefined;
    let opened = false;
    if (c === '{') {
      i++;
      skipWs();
      if (i >= n) return eof();
      if (text[i] === '}') i++;
      else if (text[i] !== '"') return bad('looking for beginning of object key string');
      else {
        stack.push(true);
        opened = true;
        err = scanString();
        if (err) return err;
        skipWs();
        if (i >= n) return eof();
        if (text[i] !== ':') return bad('after object key');
        i++;
      }
    } else if (c === '[') {
      i++;
      skipWs();
      if (i >= n) return eof();
      if (text[i] === ']') i++;
      else {
        stack.push(false);
        opened = true;
      }
    } else if (c === '"') err = scanString();
    else if (c === '-' || (c >= '0' && c <= '9')) err = scanNumber();
    else if (c === 't') err = scanLiteral('true');
    else if (c === 'f') err = scanLiteral('false');
    else if (c === 'n') err = scanLiteral('null');
    else return bad('looking for beginning of value');
    if (err) return err;
    if (opened) continue;

    // After a complete value: close containers or move to the next element.
    for (;;) {
      skipWs();
      if (stack.length === 0) {
        if (i >= n) return undefined;
        return bad('after top-level value');
      }
      if (i >= n) return eof();
      const inObject = stack[stack.length - 1];
      const d = text[i];
      if (d === ',') {
        i++;
        if (inObject) {
          skipWs();
          if (i >= n) return eof();
          if (text[i] !== '"') return bad('looking for beginning of object key string');
          err = scanString();
          if (err) return err;
          skipWs();
          if (i >= n) return eof();
          if (text[i] !== ':') return bad('after object key');
          i++;
        }
        break;
      }
      if (d === (inObject ? '}' : ']')) {
        i++;
        stack.pop();
        continue;
      }
      return bad(inObject ? 'after object key:value pair' : 'after array element');
    }
  }
}
