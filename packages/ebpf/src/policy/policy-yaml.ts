/**
 * Policy files in YAML. Syntax errors and invalid fields both come back as PolicyConfigError
 * naming file:line:column, so an operator can jump to the line.
 *
 * ```yaml
 * defaultAction: deny            # or {ingress: deny, egress: allow}
 * rules:
 *   - name: web
 *     priority: 100              # lower wins; default 1000
 *     action: allow
 *     cidr: 10.0.0.0/8           # the remote peer; absent = any
 *     protocol: tcp              # tcp | udp | icmp | any (default)
 *     ports: "8000-8100"         # or "443" or 443; absent = all
 *     direction: ingress         # ingress (default) | egress
 * ```
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import { PolicyConfigError, validatePolicy, type PolicySpec } from './rules.js';

export function parsePolicyYaml(text: string, file: string): PolicySpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', file, line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const locate = (path: (string | number)[]): { line: number; column: number } | undefined => {
    let node: unknown = doc.contents;
    for (const p of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && it.key.value === p);
        if (!pair) return undefined;
        // A key's own position reads better than its value's for "unknown field" messages.
        node = pair.value ?? pair.key;
        if (p === path[path.length - 1] && isScalar(pair.key) && pair.key.range) node = pair.key;
      } else if (isSeq(node) && typeof p === 'number') {
        node = node.items[p];
      } else return undefined;
    }
    const range = (node as Node | undefined)?.range;
    if (!range) return undefined;
    const pos = lineCounter.linePos(range[0]);
    return { line: pos.line, column: pos.col };
  };
  return validatePolicy(toJS(doc, lineCounter, file), file, locate);
}

/**
 * The document as plain values. yaml reports an alias without its anchor (`*a` with no `&a`
 * before it) only here, by throwing: that is a mistake in the file like any other.
 */
function toJS(doc: Document, lineCounter: LineCounter, file: string): unknown {
  try {
    return doc.toJS();
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    let alias: Alias | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined) return undefined;
        alias = node;
        return visit.BREAK;
      },
    });
    const pos = alias?.range ? lineCounter.linePos(alias.range[0]) : undefined;
    const message = alias
      ? `YAML syntax: the alias *${alias.source} names no anchor before it: write &${alias.source} on the value it stands for, earlier in the file, or write the value out`
      : `YAML: ${e.message.split('\n')[0]}`;
    throw new PolicyConfigError([{ path: '', file, line: pos?.line, column: pos?.col, message }]);
  }
}

export function readPolicyFile(path: string): PolicySpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new PolicyConfigError([{ path: '', file: path, message: `cannot read the policy file (${why}): pass the path of a rules YAML file with --rules` }]);
  }
  return parsePolicyYaml(text, path);
}
