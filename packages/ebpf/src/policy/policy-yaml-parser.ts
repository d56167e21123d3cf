/**
 * Parses successive versions of one policy file, re-parsing only the rules whose text changed.
 *
 * `yaml` with positions costs ~0.1 ms per rule on the VMs this runs on (~1 s for 10,000 rules),
 * so reparsing a whole file after a one-rule edit would dominate the time from the edit to its
 * enforcement. Instead the file is cut into its header and one chunk per rule (splitPolicyYaml);
 * each chunk is parsed and validated on its own and remembered by its exact text, so the next
 * version parses only the chunks not seen in this one. The memory holds the chunks of the last
 * version and nothing else: it is rebuilt on every parse. A rule that did not change (nor move to
 * another line) is the same PolicyRule object in both specs: treat specs as read-only.
 *
 * Whenever the fast path is unsure or finds a problem, the whole text goes through
 * parsePolicyYaml (the full parse), which is the reference: errors keep their file:line:column,
 * and a file the cut cannot handle (anchors, tags, block scalars, ...: see policy-yaml-chunks.ts)
 * still parses, only slower. Both paths give the same PolicySpec (test/policy-yaml-parser.test.ts
 * compares them over generated, hand-written and mutated files).
 *
 * ```ts
 * const parser = new PolicyYamlParser('rules.yaml');
 * engine.apply(parser.parse(readFileSync('rules.yaml', 'utf8')));   // all rules parsed
 * // ... after an edit of one rule
 * engine.apply(parser.parse(readFileSync('rules.yaml', 'utf8')));   // one rule parsed
 * console.log(parser.lastParse);  // { mode: 'chunks', parsed: 1, reused: 9999, ms: 4.1 }
 * ```
 */
import { isAlias, isCollection, isMap, isNode, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { splitPolicyYaml } from './policy-yaml-chunks.js';
import { parsePolicyYaml } from './policy-yaml.js';
import { PolicyConfigError, validatePolicy, validateRule, type PolicyRule, type PolicySpec, type RuleBody } from './rules.js';

/** What the last parse did. */
export interface PolicyParseStats {
  /** `chunks`: rule by rule, unchanged ones reused; `full`: the whole document at once (see `fallback`). */
  mode: 'chunks' | 'full';
  /** Why the whole document was parsed: what the cut or a chunk could not handle, or a problem to report with its position. */
  fallback?: string;
  /** Rules parsed by this call, and rules reused from the previous one. */
  parsed: number;
  reused: number;
  ms: number;
}

interface ParsedChunk {
  body: RuleBody;
  /** Lines between the chunk's `-` and the rule itself (`-` alone on its line, comments). */
  lineOffset: number;
  /** The rule as last returned: reused while it stays on the same line. */
  last?: PolicyRule;
}

/** The chunks of the last version, in file order. */
interface KnownChunks {
  /** Each chunk's text: a copy, so that no old version of the file stays alive through it. */
  texts: string[];
  parsed: ParsedChunk[];
  /** The rules' names when they were all distinct. */
  names?: Set<string>;
}

/** Options of the full parse: a chunk parses with the same, or it could mean something else. */
const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true } as const;

export class PolicyYamlParser {
  private known: KnownChunks = { texts: [], parsed: [] };
  private stats: PolicyParseStats | undefined;

  /** @param file the name errors and rule origins carry */
  constructor(readonly file: string) {}

  /** What the last parse() did, for logs and tests. */
  get lastParse(): PolicyParseStats | undefined {
    return this.stats;
  }

  /** The policy in `text`; throws PolicyConfigError as parsePolicyYaml does. */
  parse(text: string): PolicySpec {
    const t0 = performance.now();
    const r = this.parseChunks(text);
    if ('spec' in r) {
      this.stats = { mode: 'chunks', parsed: r.parsed, reused: r.reused, ms: performance.now() - t0 };
      return r.spec;
    }
    this.stats = { mode: 'full', fallback: r.fallback, parsed: 0, reused: 0, ms: 0 };
    try {
      const spec = parsePolicyYaml(text, this.file);
      this.stats.parsed = spec.rules.length;
      return spec;
    } finally {
      this.stats.ms = performance.now() - t0;
    }
  }

  private parseChunks(text: string): { spec: PolicySpec; parsed: number; reused: number } | { fallback: string } {
    const cut = splitPolicyYaml(text);
    if ('fallback' in cut) {
      this.known = { texts: [], parsed: [] };
      return cut;
    }
    const { bounds, lines } = cut;
    const count = lines.length;
    const prev = this.known;
    const prevCount = prev.texts.length;
    /** Is item i of this version the text of chunk k of the last one? Compared in place: no string made. */
    const same = (k: number, i: number): boolean => k < prevCount && prev.texts[k].length === bounds[i + 1] - bounds[i] && text.startsWith(prev.texts[k], bounds[i]);
    const used = new Uint8Array(prevCount);
    let byText: Map<string, number> | undefined;
    const next: KnownChunks = { texts: [], parsed: [] };
    const added: ParsedChunk[] = [];
    let failure: string | undefined;
    let reused = 0;
    // Walk both versions side by side: an edit, an insertion or a deletion of one rule costs
    // nothing more than comparing texts; anything else looks the text up among all old chunks.
    let j = 0;
    for (let i = 0; i < count; i++) {
      let k = -1;
      if (same(j, i)) k = j;
      else if (same(j + 1, i)) k = j + 1; // chunk j was deleted
      else if (prevCount > 0 && !(i + 1 < count ? same(j + 1, i + 1) || same(j, i + 1) : j >= prevCount - 1)) {
        // Neither edited in place nor inserted here: maybe moved.
        byText ??= new Map(prev.texts.map((t, n) => [t, n]));
        k = byText.get(text.slice(bounds[i], bounds[i + 1])) ?? -1;
      }
      if (k >= 0 && !used[k]) {
        used[k] = 1;
        j = k + 1;
        reused++;
        next.texts.push(prev.texts[k]);
        next.parsed.push(prev.parsed[k]);
        continue;
      }
      if (failure !== undefined) continue; // after a failure, only remember what is already parsed
      const chunk = text.slice(bounds[i], bounds[i + 1]);
      const p = parseRuleChunk(chunk, lines[i]);
      if ('fallback' in p) {
        failure = p.fallback;
        continue;
      }
      next.texts.push(structuredClone(chunk));
      next.parsed.push(p);
      added.push(p);
    }
    this.known = next;
    if (failure !== undefined) return { fallback: failure };

    // Names must be distinct over the whole list. The last version's names were (when `names` is
    // set): take out those of the chunks that went, and check only the chunks that came.
    let names = prev.names;
    if (names) {
      for (let k = 0; k < prevCount; k++) if (!used[k]) names.delete(prev.parsed[k].body.name);
    } else {
      names = new Set();
      added.length = 0;
      added.push(...next.parsed);
    }
    for (const c of added) {
      if (names.has(c.body.name)) return { fallback: `the name "${c.body.name}" is used by more than one rule` };
      names.add(c.body.name);
    }
    next.names = names;

    const head = parseHeader(cut.header, cut.rulesKeyOffset, this.file);
    if ('fallback' in head) return head;
    const rules: PolicyRule[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const c = next.parsed[i];
      const line = lines[i] + c.lineOffset;
      if (!c.last || c.last.origin?.line !== line || c.last.origin.file !== this.file) c.last = { ...c.body, origin: { file: this.file, line } };
      rules[i] = c.last;
    }
    return { spec: { defaultAction: head.defaultAction, rules }, parsed: count - reused, reused };
  }
}

/** The document outside the rules: parsed and validated whole (it is small), with `rules:` left empty. */
function parseHeader(header: string, rulesKeyOffset: number, file: string): Pick<PolicySpec, 'defaultAction'> | { fallback: string } {
  const doc = parseDocument(header, YAML_OPTIONS);
  if (doc.errors.length > 0) return { fallback: 'the document outside the rules has a YAML error' };
  const root = doc.contents;
  if (!isMap(root) || root.flow) return { fallback: 'the document is not a block mapping' };
  // The scan's `rules:` line must be the root mapping's own key, with nothing as its value.
  const pair = root.items.find((p) => isScalar(p.key) && p.key.range?.[0] === rulesKeyOffset);
  const key = pair?.key;
  const value = pair?.value;
  if (!isScalar(key) || key.value !== 'rules' || key.anchor || key.tag) return { fallback: 'the "rules:" line is not a plain top-level key' };
  if (value !== null && !(isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1] && !value.anchor && !value.tag)) {
    return { fallback: '"rules:" has a value on its own line' };
  }
  try {
    return { defaultAction: validatePolicy(doc.toJS(), file).defaultAction };
  } catch (e) {
    // A problem (or an alias without its anchor, which yaml throws as a ReferenceError): the
    // full parse reports it with its position.
    if (e instanceof PolicyConfigError || e instanceof ReferenceError) return { fallback: 'the document outside the rules has a problem' };
    throw e;
  }
}

/** One chunk (`- name: ...` and its lines, starting at `line`) parsed and validated on its own. */
function parseRuleChunk(text: string, line: number): ParsedChunk | { fallback: string } {
  const where = `the rule at line ${line}`;
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0) return { fallback: `${where} has a YAML error on its own` };
  const seq = doc.contents;
  if (!isSeq(seq) || seq.flow || seq.items.length !== 1) return { fallback: `${where} is not one block sequence item` };
  let unsure: string | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) unsure = 'an alias';
    else if (!isNode(node)) return undefined;
    else if (node.anchor) unsure = 'an anchor';
    else if (node.tag) unsure = 'a tag';
    else if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) unsure = 'a block scalar';
    else if ((isScalar(node) || (isCollection(node) && node.flow)) && spansLines(text, node.range)) unsure = 'a value over several lines';
    return unsure === undefined ? undefined : visit.BREAK;
  });
  if (unsure !== undefined) return { fallback: `${where} has ${unsure}` };
  let problems = 0;
  const body = validateRule((doc.toJS() as unknown[])[0], () => void problems++);
  if (!body || problems > 0) return { fallback: `${where} has a problem` };
  const start = (seq.items[0] as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
  let lineOffset = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) lineOffset++;
  return { body, lineOffset };
}

function spansLines(text: string, range: readonly [number, number, number] | null | undefined): boolean {
  if (!range) return false;
  const nl = text.indexOf('\n', range[0]);
  return nl >= 0 && nl < range[1];
}
