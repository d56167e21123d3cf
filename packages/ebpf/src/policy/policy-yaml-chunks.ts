/**
 * A policy file cut into pieces that YAML can parse one by one: the `rules:` block sequence into
 * one chunk per item, and the rest of the document (`defaultAction`, comments, ...) as the header.
 * A light line scan does the cut, so a reload can parse only the items whose text changed
 * (PolicyYamlParser, policy-yaml-parser.ts).
 *
 * The scan is sure of itself only on plain block-style files, and says why otherwise: every
 * construct that could tie one item's meaning to text outside its chunk sends the caller to the
 * full parse. Here: tabs, a byte-order mark, line breaks other than LF and CRLF, directives (`%`),
 * document markers (`---`, `...`), a `rules:` key that is not a plain top-level `rules:` line
 * alone (anchored, tagged, flow style, written twice), and any line inside the sequence indented
 * less than its items but not at the top level. What the scan cannot see (anchors, aliases,
 * tags, block scalars, scalars or flow collections over several lines, YAML errors) the parser
 * checks in each chunk's parse.
 */

export interface PolicyYamlChunks {
  /** The document without the items: its `rules:` line has no value left. */
  header: string;
  /** Offset of the `rules` key in `header` (and in the file: everything before the items is kept as is). */
  rulesKeyOffset: number;
  /**
   * Where each item starts (the start of its `-` line), then where the sequence ends: item i is
   * `text.slice(bounds[i], bounds[i + 1])`, up to the next item or the end of the sequence,
   * comments and blank lines included. Offsets rather than strings, so a reload can compare
   * items with the last version's in place.
   */
  bounds: number[];
  /** 1-based line of each item's `-`. */
  lines: number[];
}

/** Why a file cannot be cut, for the parser's stats and logs. */
export interface PolicyYamlUncut {
  fallback: string;
}

const RULES_KEY = /^rules *:(?: +#.*)? *$/;
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?: |$)/;
// YAML 1.2 breaks lines at LF and CR only; NEL, LS and PS are content there, but not everywhere.
const UNSURE_CHARS = /[\t\uFEFF\u0085\u2028\u2029]|\r(?!\n)/;

const SPACE = 0x20;
const HASH = 0x23;
const DASH = 0x2d;
const PERCENT = 0x25;
const DOT = 0x2e;
const LETTER_R = 0x72;

/** Cuts a policy file into its header and one chunk per rule, or says why it will not. */
export function splitPolicyYaml(text: string): PolicyYamlChunks | PolicyYamlUncut {
  const unsure = UNSURE_CHARS.exec(text);
  if (unsure) return { fallback: `the file has a ${describeChar(unsure[0])}` };

  let rulesKeyOffset = -1;
  /** -1 before `rules:`, then the indentation of its items once the first one is seen. */
  let itemIndent = -1;
  let itemsStart = -1;
  let itemsEnd = -1;
  const bounds: number[] = [];
  const lines: number[] = [];

  let lineNo = 0;
  for (let pos = 0; pos < text.length; ) {
    lineNo++;
    let next = text.indexOf('\n', pos);
    if (next < 0) next = text.length;
    let end = next;
    if (end > pos && text.charCodeAt(end - 1) === 0x0d) end--;
    const lineStart = pos;
    pos = next + 1;

    let indent = 0;
    while (lineStart + indent < end && text.charCodeAt(lineStart + indent) === SPACE) indent++;
    const blank = lineStart + indent === end;
    const first = blank ? -1 : text.charCodeAt(lineStart + indent);
    if (blank || first === HASH) continue; // comments and blank lines go with whatever they are in
    if (indent === 0) {
      if (first === PERCENT) return { fallback: `line ${lineNo} is a directive` };
      if ((first === DASH || first === DOT) && DOCUMENT_MARKER.test(text.slice(lineStart, Math.min(end, lineStart + 4)))) return { fallback: `line ${lineNo} is a document marker` };
    }
    const isItem = first === DASH && (lineStart + indent + 1 === end || text.charCodeAt(lineStart + indent + 1) === SPACE);

    if (itemsEnd < 0 && rulesKeyOffset >= 0) {
      // After `rules:`: its items, then the rest of the document.
      if (itemIndent < 0) {
        if (!isItem) return { fallback: `rules is not a block sequence starting on the line after "rules:" (line ${lineNo})` };
        itemIndent = indent;
        itemsStart = lineStart;
        bounds.push(lineStart);
        lines.push(lineNo);
        continue;
      }
      if (indent > itemIndent) continue;
      if (indent === itemIndent && isItem) {
        bounds.push(lineStart);
        lines.push(lineNo);
        continue;
      }
      if (indent !== 0) return { fallback: `line ${lineNo} is indented less than the rules' items but is not top-level` };
      itemsEnd = lineStart;
    }
    if (indent === 0 && first === LETTER_R && RULES_KEY.test(text.slice(lineStart, end))) {
      if (rulesKeyOffset >= 0) return { fallback: `"rules:" is written twice (line ${lineNo})` };
      rulesKeyOffset = lineStart;
    }
  }
  if (rulesKeyOffset < 0) return { fallback: 'no top-level "rules:" line with the list below it' };
  if (itemIndent < 0) return { fallback: 'rules has no items' };
  if (itemsEnd < 0) itemsEnd = text.length;
  bounds.push(itemsEnd);
  return { header: text.slice(0, itemsStart) + text.slice(itemsEnd), rulesKeyOffset, bounds, lines };
}

function describeChar(c: string): string {
  switch (c) {
    case '\t':
      return 'tab';
    case '\uFEFF':
      return 'byte-order mark';
    case '\r':
      return 'carriage return without a line feed';
    default:
      return `line break U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  }
}
