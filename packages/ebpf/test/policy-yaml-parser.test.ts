import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitPolicyYaml } from '../src/policy/policy-yaml-chunks.js';
import { PolicyYamlParser } from '../src/policy/policy-yaml-parser.js';
import { parsePolicyYaml } from '../src/policy/policy-yaml.js';
import { PolicyConfigError, type PolicySpec } from '../src/policy/rules.js';
import { rng } from './support/rng.js';

/** What a parse gives: the spec, or the error's message and issues (positions included). */
type Outcome = { spec: PolicySpec } | { error: string; issues: PolicyConfigError['issues'] };

function outcome(parse: () => PolicySpec): Outcome {
  try {
    return { spec: parse() };
  } catch (e) {
    if (!(e instanceof PolicyConfigError)) throw e;
    return { error: e.message, issues: e.issues };
  }
}

/** Parses with `parser` (the chunked path) and with parsePolicyYaml (the full one) and requires the same outcome. */
function same(parser: PolicyYamlParser, text: string, what: string): Outcome {
  const fast = outcome(() => parser.parse(text));
  const full = outcome(() => parsePolicyYaml(text, parser.file));
  assert.deepEqual(fast, full, `${what}: the chunked parse (${JSON.stringify(parser.lastParse)}) differs from the full parse of:\n${text}`);
  return fast;
}


const seed = Number(process.env.POLICY_SEED ?? Date.now() % 1e9);

/** A rule as it will be written: its fields (YAML values as text), its layout and comments. */
interface RuleDraft {
  fields: [string, string][];
  /** 0: `- name: x` then keys; 1: `-` alone, keys below; 2: `- {name: x, ...}` */
  form: 0 | 1 | 2;
  /** A comment line before the rule ('' is a blank line). */
  before?: string;
  /** A comment at the end of its third line. */
  trailing?: string;
}

const COMMENTS = ['# a comment', '# - name: not a rule', '#x: "quoted # and - inside"', '   # indented comment', ''];

function randomComment(rand: () => number): string | undefined {
  return rand() < 0.15 ? COMMENTS[Math.floor(rand() * COMMENTS.length)] : undefined;
}

/** A rule in one of the spellings an operator might use. */
function randomRule(rand: () => number, i: number, forms: readonly (0 | 1 | 2)[]): RuleDraft {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const name = pick([`r${i}`, `team-a/r${i}`, `r.${i}_x`]);
  const fields: [string, string][] = [['name', pick([name, `"${name}"`, `'${name}'`])]];
  if (rand() < 0.5) fields.push(['priority', pick(['10', '1000', '0', '65535', '0x10', '1e3'])]);
  fields.push(['action', pick(['allow', 'deny', '"deny"'])]);
  const protocol = pick(['tcp', 'udp', 'any', 'icmp', 'TCP', undefined]);
  if (protocol) fields.push(['protocol', protocol]);
  if (rand() < 0.8) fields.push(['cidr', pick([`10.${i & 255}.0.0/16`, `"10.${i & 255}.0.0/16"`, '192.168.1.7', '2001:db8::/32', "'fd00::/8'", '0.0.0.0/0', 'null', '~'])]);
  if (protocol !== 'icmp' && rand() < 0.7) fields.push(['ports', pick(['80', '"443"', "'8000-8100'", '8000-8100', '"1000 - 2000"', '65535', 'null'])]);
  if (rand() < 0.3) fields.push(['direction', pick(['ingress', 'egress', '"egress"'])]);
  // Fields in any order after the first, as written by hand.
  for (let k = fields.length - 1; k > 1; k--) {
    const m = 1 + Math.floor(rand() * k);
    [fields[k], fields[m]] = [fields[m], fields[k]];
  }
  return { fields, form: pick(forms), before: randomComment(rand), trailing: rand() < 0.1 ? '# why: "- # "' : undefined };
}

interface Style {
  itemIndent: number;
  eol: '\n' | '\r\n';
  finalNewline: boolean;
  forms: readonly (0 | 1 | 2)[];
  headerAfter: boolean;
  defaultAsMap: boolean;
}

function randomStyle(rand: () => number): Style {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  return {
    itemIndent: pick([0, 2, 2, 4]),
    eol: pick(['\n', '\n', '\r\n'] as const),
    finalNewline: rand() < 0.8,
    forms: pick([[0], [0, 0, 1], [0, 2], [0, 1, 2]] as const),
    headerAfter: rand() < 0.3,
    defaultAsMap: rand() < 0.3,
  };
}

function render(rules: RuleDraft[], style: Style): string {
  const pad = ' '.repeat(style.itemIndent);
  const lines: string[] = ['# rules for the test', ''];
  const header = style.defaultAsMap ? ['defaultAction:', '  ingress: deny', '  egress: allow'] : ['defaultAction: deny  # both ways'];
  if (!style.headerAfter) lines.push(...header);
  lines.push('rules:');
  for (const r of rules) {
    if (r.before !== undefined) lines.push(r.before.startsWith('   ') ? pad + r.before : r.before);
    if (r.form === 2) {
      lines.push(`${pad}- {${r.fields.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
    } else if (r.form === 1) {
      lines.push(`${pad}-`);
      for (const [k, v] of r.fields) lines.push(`${pad}  ${k}: ${v}`);
    } else {
      r.fields.forEach(([k, v], n) => lines.push(`${pad}${n === 0 ? '- ' : '  '}${k}: ${v}${n === 2 && r.trailing ? `  ${r.trailing}` : ''}`));
    }
  }
  if (style.headerAfter) lines.push(...header);
  return lines.join(style.eol) + (style.finalNewline ? style.eol : '');
}

test(`generated files parse the same rule by rule as whole, through edits (seed in POLICY_SEED=${seed})`, (t) => {
  t.diagnostic(`POLICY_SEED=${seed}`);
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  let chunked = 0;
  let edits = 0;
  let reparsedOne = 0;
  for (let file = 0; file < 40; file++) {
    const style = randomStyle(rand);
    let next = 0;
    const rules = Array.from({ length: 1 + Math.floor(rand() * 25) }, () => randomRule(rand, next++, style.forms));
    const parser = new PolicyYamlParser(`gen-${file}.yaml`);
    same(parser, render(rules, style), `seed ${seed} file ${file}`);
    if (parser.lastParse?.mode === 'chunks') chunked++;
    for (let e = 0; e < 12; e++) {
      const kind = pick(['port', 'insert', 'delete', 'move', 'duplicate', 'rename', 'comment'] as const);
      const i = Math.floor(rand() * rules.length);
      if (kind === 'port') rules[i] = { ...rules[i], fields: rules[i].fields.map(([k, v]) => [k, k === 'ports' ? String(Math.floor(rand() * 65536)) : v]) };
      else if (kind === 'insert') rules.splice(i, 0, randomRule(rand, next++, style.forms));
      else if (kind === 'delete' && rules.length > 1) rules.splice(i, 1);
      else if (kind === 'move') rules.push(...rules.splice(i, 1 + Math.floor(rand() * 3)));
      else if (kind === 'duplicate') rules.splice(i, 0, rules[Math.floor(rand() * rules.length)]); // a duplicate name: an error
      else if (kind === 'rename') rules[i] = randomRule(rand, next++, style.forms);
      else rules[i] = { ...rules[i], before: COMMENTS[Math.floor(rand() * COMMENTS.length)] };
      const before = parser.lastParse;
      const out = same(parser, render(rules, style), `seed ${seed} file ${file} edit ${e} (${kind})`);
      edits++;
      // After a clean parse, an edit of one rule reparses that rule only (and the rule before it
      // when the edit touched the comment above: comments go with the chunk they follow).
      if ((kind === 'port' || kind === 'comment' || kind === 'rename') && before?.mode === 'chunks' && 'spec' in out && parser.lastParse?.mode === 'chunks') {
        assert.ok(parser.lastParse.parsed <= (kind === 'port' ? 1 : 2), `seed ${seed} file ${file} edit ${e} (${kind}) reparsed ${parser.lastParse.parsed} rules`);
        reparsedOne++;
      }
    }
  }
  t.diagnostic(`${chunked} of 40 files took the chunked path; ${reparsedOne} one-rule edits checked for reuse`);
  // The generator writes plain block style: most files must take the chunked path, or this test
  // compares the full parse with itself.
  assert.ok(chunked >= 20, `only ${chunked} of 40 generated files were parsed in chunks`);
  assert.ok(reparsedOne >= 20, `only ${reparsedOne} one-rule edits were checked for reuse`);
  assert.ok(edits > 0);
});

test('a one-rule edit of a large file parses that rule only, and rules keep their lines', () => {
  const rule = (i: number, port: number): string => `  - name: r${i}\n    action: allow\n    cidr: 10.${i >> 8}.${i & 255}.0/24\n    protocol: tcp\n    ports: ${port}\n`;
  const file = (ports: number[]): string => `defaultAction: deny\nrules:\n${ports.map((p, i) => rule(i, p)).join('')}`;
  const ports = Array.from({ length: 300 }, (_, i) => 1000 + i);
  const parser = new PolicyYamlParser('big.yaml');
  same(parser, file(ports), 'first');
  assert.deepEqual({ ...parser.lastParse, ms: 0 }, { mode: 'chunks', parsed: 300, reused: 0, ms: 0 });

  ports[150] = 9999;
  const edited = same(parser, file(ports), 'port edit');
  assert.deepEqual({ ...parser.lastParse, ms: 0 }, { mode: 'chunks', parsed: 1, reused: 299, ms: 0 });
  assert.ok('spec' in edited);
  assert.deepEqual(edited.spec.rules[150].ports, { from: 9999, to: 9999 });
  assert.equal(edited.spec.rules[150].origin?.line, 3 + 150 * 5);

  // An inserted rule: the ones after it move down five lines and are reused all the same.
  const inserted = `defaultAction: deny\nrules:\n${rule(1000, 1)}${ports.map((p, i) => rule(i, p)).join('')}`;
  const ins = same(parser, inserted, 'insert');
  assert.deepEqual({ ...parser.lastParse, ms: 0 }, { mode: 'chunks', parsed: 1, reused: 300, ms: 0 });
  assert.ok('spec' in ins);
  assert.equal(ins.spec.rules[151].origin?.line, 3 + 151 * 5);

  // Rules moved as a block, and one deleted.
  const moved = `defaultAction: deny\nrules:\n${[...ports.keys()].slice(100).concat([...ports.keys()].slice(0, 99)).map((i) => rule(i, ports[i])).join('')}`;
  same(parser, moved, 'move');
  assert.deepEqual({ ...parser.lastParse, ms: 0 }, { mode: 'chunks', parsed: 0, reused: 299, ms: 0 });

  // An invalid edit: the full parse reports it with its position; fixing it reparses one rule.
  const broken = moved.replace('ports: 1200\n', 'ports: 99999\n');
  const err = same(parser, broken, 'broken');
  assert.ok('error' in err);
  assert.match(err.error, /^big\.yaml:\d+:\d+: rules\[100\]\.ports: "99999" is past 65535|^big\.yaml:\d+:\d+: rules\[100\]\.ports: 99999 is not a port/);
  assert.equal(parser.lastParse?.mode, 'full');
  same(parser, moved, 'fixed');
  assert.deepEqual({ ...parser.lastParse, ms: 0 }, { mode: 'chunks', parsed: 1, reused: 298, ms: 0 });
});

test('constructs the line scan cannot be sure of take the full parse, with the same result', () => {
  const head = 'defaultAction: deny\nrules:\n';
  const cases: [string, string, RegExp][] = [
    ['anchor and alias', `${head}  - &w\n    name: web\n    action: allow\n  - *w\n`, /alias|anchor/],
    ['anchor on a value', `${head}  - name: a\n    action: &x allow\n  - name: b\n    action: *x\n`, /anchor|alias/],
    ['tag', `${head}  - name: !!str web\n    action: allow\n`, /a tag/],
    ['block scalar', `${head}  - name: web\n    action: >-\n      allow\n`, /block scalar/],
    ['multi-line flow mapping', `${head}  - {name: web,\n     action: allow}\n`, /several lines/],
    ['multi-line quoted scalar', `${head}  - name: "we\n      b"\n    action: allow\n`, /several lines|YAML error/],
    ['an indented comment after a value', `${head}  - name: web\n    action: allow\n    cidr: 10.0.0.0/8\n      # a comment, not more of the value\n`, /^$/],
    ['multi-line plain scalar', `${head}  - name: web\n    action: allow\n    cidr: 10.0.0.0/8\n      more\n`, /several lines/],
    ['document start', `---\n${head}  - name: web\n    action: allow\n`, /document marker/],
    ['document end', `${head}  - name: web\n    action: allow\n...\n`, /document marker/],
    ['directive', `%YAML 1.2\n---\n${head}  - name: web\n    action: allow\n`, /directive/],
    ['tab in a comment', `${head}  - name: web\t# tab\n    action: allow\n`, /tab/],
    ['byte-order mark', `\uFEFF${head}  - name: web\n    action: allow\n`, /byte-order mark/],
    ['lone carriage return', `${head}  - name: web\r    action: allow\n`, /carriage return/],
    ['flow sequence', 'defaultAction: deny\nrules: [{name: web, action: allow}]\n', /no top-level "rules:"/],
    ['quoted rules key', `defaultAction: deny\n"rules":\n  - name: web\n    action: allow\n`, /no top-level "rules:"/],
    ['rules twice', `${head}  - name: web\n    action: allow\nrules:\n  - name: ssh\n    action: allow\n`, /written twice/],
    ['rules twice, one quoted', `${head}  - name: web\n    action: allow\n"rules": []\n`, /outside the rules has a YAML error/],
    ['item at an odd indentation', `${head}  - name: web\n    action: allow\n - name: ssh\n   action: allow\n`, /indented less/],
    ['empty rules', 'defaultAction: deny\nrules:\n', /no items/],
    ['rules not a sequence', 'defaultAction: deny\nrules:\n  name: web\n', /not a block sequence/],
    ['no document', '', /no top-level/],
    ['a sequence at the top', '- name: web\n  action: allow\n', /no top-level/],
    ['rules inside a flow mapping', `{defaultAction: deny,\nrules:\n  - name: web\n    action: allow\n}\n`, /not a block mapping/],
    ['a value after rules:', `${head}  - name: web\n    action: allow\nx\n`, /outside the rules has a YAML error/],
    ['unknown top-level field', `${head}  - name: web\n    action: allow\nrule:\n  - name: x\n`, /outside the rules has a problem/],
    ['duplicate key in a rule', `${head}  - name: web\n    name: web2\n    action: allow\n`, /YAML error/],
    ['duplicate names', `${head}  - name: web\n    action: allow\n  - name: web\n    action: deny\n`, /more than one rule/],
    ['invalid rule', `${head}  - name: web\n    action: permit\n`, /has a problem/],
    ['scalar item', `${head}  - web\n`, /has a problem/],
    ['empty item', `${head}  -\n  - name: web\n    action: allow\n`, /has a problem/],
    ['multi-line quoted continuing at column 0', `${head}  - name: web\n    action: "allow\nrules: x"\n`, /written twice|YAML error/],
    ['defaultAction wrong', `defaultAction: maybe\nrules:\n  - name: web\n    action: allow\n`, /outside the rules has a problem/],
  ];
  for (const [what, text, reason] of cases) {
    const parser = new PolicyYamlParser('odd.yaml');
    same(parser, text, what);
    if (reason.source === '^$') {
      assert.equal(parser.lastParse?.mode, 'chunks', `${what}: ${JSON.stringify(parser.lastParse)}`);
    } else {
      assert.equal(parser.lastParse?.mode, 'full', `${what} should have taken the full parse`);
      assert.match(parser.lastParse?.fallback ?? '', reason, what);
    }
  }
});

test('what the fast path accepts: comments between items, quotes with "- " and "#", CRLF, no final newline', () => {
  const text = [
    '# policy',
    'rules:   # the list',
    '',
    '  # first',
    '  - name: "web"     # "- name: x" in a comment',
    "    action: 'allow'",
    '    cidr: "10.0.0.0/8"',
    '    ports: "8000-8100"',
    '# at column 0 between items',
    '',
    '  -   name: dns',
    '      action: allow',
    '      protocol: udp',
    '      ports: 53',
    '  - {name: ssh, action: deny, protocol: tcp, ports: 22}',
    '  -',
    '    # a comment before the first key',
    '    name: ping',
    '    action: allow',
    '    protocol: icmp',
    'defaultAction:',
    '  ingress: deny',
    '  egress: allow',
  ];
  for (const eol of ['\n', '\r\n']) {
    for (const final of ['', eol]) {
      const parser = new PolicyYamlParser('ok.yaml');
      const out = same(parser, lines(text, eol, final), `eol ${JSON.stringify(eol)} final ${JSON.stringify(final)}`);
      assert.equal(parser.lastParse?.mode, 'chunks', JSON.stringify(parser.lastParse));
      assert.ok('spec' in out);
      assert.deepEqual(
        out.spec.rules.map((r) => [r.name, r.origin?.line]),
        [['web', 5], ['dns', 11], ['ssh', 15], ['ping', 18]],
      );
      assert.deepEqual(out.spec.defaultAction, { ingress: 'deny', egress: 'allow' });
    }
  }
  // A quoted value with "- " and "#" in it is a value, not an item or a comment (and not a valid name).
  const parser = new PolicyYamlParser('q.yaml');
  const quoted = same(parser, 'defaultAction: allow\nrules:\n  - name: "a - b # c"\n    action: allow\n', 'quoted');
  assert.ok('error' in quoted);
  assert.match(quoted.error, /^q\.yaml:3:5: rules\[0\]\.name: "a - b # c" is not a usable name/);
});

function lines(xs: string[], eol: string, final: string): string {
  return xs.join(eol) + final;
}

test('the line scan cuts items exactly and keeps the rest as the header', () => {
  const text = 'defaultAction: deny\nrules:\n# c\n- name: a\n  action: allow\n\n- name: b\n  action: deny\nz: 1\n';
  const cut = splitPolicyYaml(text);
  assert.ok(!('fallback' in cut));
  assert.deepEqual(cut.lines, [4, 7]);
  assert.deepEqual(
    cut.bounds.slice(0, -1).map((b, i) => text.slice(b, cut.bounds[i + 1])),
    ['- name: a\n  action: allow\n\n', '- name: b\n  action: deny\n'],
  );
  assert.equal(cut.header, 'defaultAction: deny\nrules:\n# c\nz: 1\n');
  assert.equal(cut.header.slice(cut.rulesKeyOffset, cut.rulesKeyOffset + 6), 'rules:');
});

test(`mutated files: the chunked parse never accepts what the full parse refuses (seed in POLICY_SEED=${seed})`, (t) => {
  t.diagnostic(`POLICY_SEED=${seed}`);
  const rand = rng(seed ^ 0x5bd1e995);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  // Characters that mean something to YAML, and harmless edits (spaces, comments, digits) so
  // that many mutants stay valid and take the chunked path.
  const alphabet = ['-', ' ', '  ', ':', '#', ' # x', '\n', '\r\n', '"', "'", '&a', '*a', '!', '|', '>', '[', ']', '{', '}', ',', '?', '%', '---', '...', '\t', '0', '9', '1', 'x', 'rules:', '- ', '\n  - ', '\n    ', '\n#', '\n\n'];
  const base = [
    'defaultAction: deny\nrules:\n  - name: web\n    action: allow\n    protocol: tcp\n    ports: "80"\n  # between\n  - name: dns\n    action: allow\n    protocol: udp\n    ports: 53\n  - name: any\n    action: deny\n    cidr: 10.0.0.0/8\n',
    'rules:\n- {name: a, action: deny, cidr: 10.0.0.0/8}\n- name: b\n  action: allow\n  ports: 8000-8100\n- name: c\n  action: allow\n# end\ndefaultAction: allow\n',
    'defaultAction:\n  ingress: deny\nrules:\n  -\n    name: a\n    action: allow\n  - name: b # x\n    action: deny\n    cidr: "fd00::/8"\n  - name: c\n    priority: 5\n    action: allow\n',
  ];
  let chunked = 0;
  const total = 2000;
  for (let n = 0; n < total; n++) {
    let text = base[n % base.length];
    const parser = new PolicyYamlParser('m.yaml');
    // The first parse primes the parser's memory, so the mutant is parsed with reuse.
    parser.parse(text);
    for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) {
      const lines = text.split('\n');
      const l = Math.floor(rand() * lines.length);
      const op = rand();
      if (op < 0.1) lines.splice(l, 0, lines[l]); // a line twice
      else if (op < 0.2) lines.splice(l, 1);
      else if (op < 0.3) lines[l] = ' '.repeat(1 + Math.floor(rand() * 2)) + lines[l];
      else if (op < 0.4) lines[l] = lines[l].replace(/^ {1,2}/, '');
      else if (op < 0.45) lines.splice(l, 0, ...lines.splice(Math.floor(rand() * lines.length), 1));
      else {
        const at = Math.floor(rand() * (text.length + 1));
        if (op < 0.7) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
        else if (op < 0.85) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 3));
        else text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
        continue;
      }
      text = lines.join('\n');
    }
    same(parser, text, `seed ${seed} mutation ${n}`);
    if (parser.lastParse?.mode === 'chunks') chunked++;
  }
  t.diagnostic(`${chunked} of ${total} mutated files took the chunked path`);
  // About 6% do (most mutants are invalid rules or YAML errors, which the full parse reports).
  assert.ok(chunked >= 60, `only ${chunked} mutated files took the chunked path: the comparison is not exercising it`);
});
