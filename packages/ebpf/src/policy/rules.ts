/**
 * The L4 policy model and its validation, shared by the YAML file source and the Kubernetes
 * `L4Policy` source. A rule matches packets of one direction by the remote peer's CIDR, the
 * protocol and the destination port; the matching rule with the lowest `priority` number
 * decides (as in AdminNetworkPolicy and Calico's `order`); on a tie a deny beats an allow, then
 * the earlier rule wins. Packets no rule matches get the direction's default action.
 */
import { CidrError, formatCidr, parseCidr, type Cidr } from './cidr.js';

export type Direction = 'ingress' | 'egress';
export type Action = 'allow' | 'deny';
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'any';

export const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];
const ACTIONS: readonly Action[] = ['allow', 'deny'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'icmp', 'any'];

/** A closed range of destination ports. */
export interface PortRange {
  from: number;
  to: number;
}

/** Where a rule came from, for messages: `rules.yaml:14`, `L4Policy web/allow-http`. */
export interface Origin {
  file: string;
  line?: number;
}

export interface PolicyRule {
  name: string;
  /** Lower wins. 0..65535. */
  priority: number;
  action: Action;
  /** The remote peer: source address on ingress, destination on egress. Absent: any address of both families. */
  cidr?: Cidr;
  protocol: Protocol;
  /** Destination ports; absent: every port. Only with tcp, udp or any (then it means tcp and udp). */
  ports?: PortRange;
  direction: Direction;
  origin?: Origin;
}

export interface PolicySpec {
  defaultAction: Record<Direction, Action>;
  rules: PolicyRule[];
}

/** Default priority when a rule names none: the middle of the range, so rules can go before and after it. */
export const DEFAULT_PRIORITY = 1000;

export interface PolicyIssue {
  /** Dotted path in the document: `rules[2].ports`. */
  path: string;
  message: string;
  file: string;
  line?: number;
  column?: number;
}

/** A policy document that cannot be used: every problem found, each with where it is and how to fix it. */
export class PolicyConfigError extends Error {
  readonly issues: PolicyIssue[];
  constructor(issues: PolicyIssue[]) {
    const where = (i: PolicyIssue): string => `${i.file}${i.line ? `:${i.line}${i.column ? `:${i.column}` : ''}` : ''}`;
    const lines = issues.map((i) => `${where(i)}: ${i.path ? `${i.path}: ` : ''}${i.message}`);
    super(lines.length === 1 ? lines[0] : `${lines.length} problems in the policy:\n  ${lines.join('\n  ')}`);
    this.name = 'PolicyConfigError';
    this.issues = issues;
  }
}

/** Maps a document path to a source position, when the document has one (YAML does). */
export type Locator = (path: (string | number)[]) => { line: number; column: number } | undefined;

const RULE_KEYS = ['name', 'priority', 'action', 'cidr', 'protocol', 'ports', 'direction'];
const TOP_KEYS = ['defaultAction', 'rules'];
const NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$/;

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

function suggest(key: string, known: string[]): string {
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const dist = editDistance(key, k);
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return best ? `did you mean "${best}"? ` : '';
}

function pathText(path: (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

/** Parses `80`, `"80"` or `"8000-8100"`. Returns an error message instead of throwing. */
export function parsePorts(v: unknown): PortRange | string {
  const fix = 'write one port ("443") or an inclusive range ("8000-8100") of ports 0-65535';
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 65535) return `${v} is not a port: ${fix}`;
    return { from: v, to: v };
  }
  if (typeof v !== 'string') return `ports must be a string or a number: ${fix}`;
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(v);
  if (!m) return `"${v}" is not a port or port range: ${fix}`;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535) return `"${v}" is past 65535: ${fix}`;
  if (from > to) return `"${v}" runs backwards: write "${to}-${from}"`;
  return { from, to };
}

/**
 * Validates a plain policy document (from YAML or from an L4Policy's spec) and returns the
 * model. Throws PolicyConfigError listing every problem, each with its place and a fix.
 */
export function validatePolicy(doc: unknown, file: string, locate: Locator = () => undefined, basePath: (string | number)[] = []): PolicySpec {
  const issues: PolicyIssue[] = [];
  const issue = (path: (string | number)[], message: string): void => {
    const pos = locate([...basePath, ...path]) ?? locate([...basePath, ...path.slice(0, -1)]);
    issues.push({ path: pathText([...basePath, ...path]), message, file, line: pos?.line, column: pos?.column });
  };

  const spec: PolicySpec = { defaultAction: { ingress: 'allow', egress: 'allow' }, rules: [] };
  if (doc === null || doc === undefined) {
    issue([], 'the policy is empty: write at least "defaultAction: allow" (or deny) and a "rules:" list');
    throw new PolicyConfigError(issues);
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    issue([], 'the policy must be a mapping with "defaultAction" and "rules"');
    throw new PolicyConfigError(issues);
  }
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (!TOP_KEYS.includes(k)) issue([k], `unknown field "${k}": ${suggest(k, TOP_KEYS)}the fields are ${TOP_KEYS.join(', ')}`);
  }

  const da = top.defaultAction;
  if (da === undefined) {
    issue(['defaultAction'], 'defaultAction is missing: write "defaultAction: allow" or "defaultAction: deny" (or a mapping with ingress and egress)');
  } else if (typeof da === 'string') {
    if (ACTIONS.includes(da as Action)) spec.defaultAction = { ingress: da as Action, egress: da as Action };
    else issue(['defaultAction'], `"${da}" is not an action: write allow or deny`);
  } else if (da && typeof da === 'object' && !Array.isArray(da)) {
    const m = da as Record<string, unknown>;
    for (const k of Object.keys(m)) {
      if (!DIRECTIONS.includes(k as Direction)) issue(['defaultAction', k], `unknown direction "${k}": ${suggest(k, [...DIRECTIONS])}write ingress and/or egress`);
    }
    for (const d of DIRECTIONS) {
      const v = m[d];
      if (v === undefined) continue;
      if (ACTIONS.includes(v as Action)) spec.defaultAction[d] = v as Action;
      else issue(['defaultAction', d], `"${String(v)}" is not an action: write allow or deny`);
    }
  } else {
    issue(['defaultAction'], 'defaultAction must be allow, deny, or a mapping {ingress: allow|deny, egress: allow|deny}');
  }

  const rules = top.rules ?? [];
  if (!Array.isArray(rules)) {
    issue(['rules'], 'rules must be a list: start each rule with "- name: ..."');
    throw new PolicyConfigError(issues);
  }
  const seen = new Map<string, number>();
  rules.forEach((raw, i) => {
    const rule = validateRule(raw, (p, message) => issue(['rules', i, ...p], message), { seen, index: i });
    if (!rule) return;
    const line = locate([...basePath, 'rules', i])?.line;
    spec.rules.push({ ...rule, origin: line === undefined ? { file } : { file, line } });
  });
  if (issues.length > 0) throw new PolicyConfigError(issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return spec;
}

/** A rule as validateRule returns it: everything but where it came from. */
export type RuleBody = Omit<PolicyRule, 'origin'>;

/**
 * Validates one rule of a policy document. Each problem goes to `issue` with its path inside the
 * rule (`['ports']`); returns the rule, or undefined when a problem makes it unusable (unknown
 * fields alone do not, but are still issues). With `names`, a name already taken by an earlier
 * rule is a problem too; without, uniqueness is the caller's to check (the YAML reloader checks
 * it over the whole list, and caches rules by their text).
 */
export function validateRule(raw: unknown, issue: (path: string[], message: string) => void, names?: { seen: Map<string, number>; index: number }): RuleBody | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    issue([], 'a rule must be a mapping with name, action and what it matches');
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!RULE_KEYS.includes(k)) issue([k], `unknown field "${k}": ${suggest(k, RULE_KEYS)}a rule has ${RULE_KEYS.join(', ')}`);
  }
  let ok = true;
  const bad = (p: string, msg: string): void => {
    ok = false;
    issue([p], msg);
  };

  const name = r.name;
  if (typeof name !== 'string' || !name) bad('name', 'every rule needs a name (letters, digits, ".", "_", "-", "/"): the counters and metrics are keyed by it');
  else if (!NAME_RE.test(name)) bad('name', `"${name}" is not a usable name: use letters, digits, ".", "_", "-" and "/", starting and ending with a letter or digit`);
  else if (names?.seen.has(name)) bad('name', `"${name}" is already the name of rules[${names.seen.get(name)}]: rule names must be unique`);
  else names?.seen.set(name, names.index);

  let priority = DEFAULT_PRIORITY;
  if (r.priority !== undefined) {
    if (typeof r.priority !== 'number' || !Number.isInteger(r.priority) || r.priority < 0 || r.priority > 65535) {
      bad('priority', `${JSON.stringify(r.priority)} is not a priority: write a whole number from 0 to 65535 (lower wins)`);
    } else priority = r.priority;
  }

  const action = r.action;
  if (action === undefined) bad('action', 'action is missing: write "action: allow" or "action: deny"');
  else if (!ACTIONS.includes(action as Action)) bad('action', `"${String(action)}" is not an action: write allow or deny`);

  let direction: Direction = 'ingress';
  if (r.direction !== undefined) {
    if (DIRECTIONS.includes(r.direction as Direction)) direction = r.direction as Direction;
    else bad('direction', `"${String(r.direction)}" is not a direction: write ingress (matches the source address) or egress (matches the destination)`);
  }

  let protocol: Protocol = 'any';
  if (r.protocol !== undefined) {
    const p = typeof r.protocol === 'string' ? r.protocol.toLowerCase() : r.protocol;
    if (PROTOCOLS.includes(p as Protocol)) protocol = p as Protocol;
    else bad('protocol', `"${String(r.protocol)}" is not a protocol: write tcp, udp, icmp or any`);
  }

  let cidr: Cidr | undefined;
  if (r.cidr !== undefined && r.cidr !== null) {
    if (typeof r.cidr !== 'string') bad('cidr', 'cidr must be a string like 10.0.0.0/8 or 2001:db8::/32');
    else {
      try {
        cidr = parseCidr(r.cidr);
      } catch (e) {
        if (!(e instanceof CidrError)) throw e;
        bad('cidr', e.message);
      }
    }
  }

  let ports: PortRange | undefined;
  if (r.ports !== undefined && r.ports !== null) {
    const p = parsePorts(r.ports);
    if (typeof p === 'string') bad('ports', p);
    else if (protocol === 'icmp') bad('ports', 'icmp has no ports: remove "ports" or use protocol tcp, udp or any');
    else ports = p;
  }

  if (!ok) return undefined;
  return {
    name: name as string,
    priority,
    action: action as Action,
    ...(cidr ? { cidr } : {}),
    protocol,
    ...(ports ? { ports } : {}),
    direction,
  };
}

/** The rule as a one-line description: `allow tcp 8000-8100 from 10.0.0.0/8 (ingress, priority 100)`. */
export function describeRule(r: PolicyRule): string {
  const ports = r.ports ? (r.ports.from === r.ports.to ? ` ${r.ports.from}` : ` ${r.ports.from}-${r.ports.to}`) : '';
  const peer = r.cidr ? formatCidr(r.cidr) : 'any';
  return `${r.action} ${r.protocol}${ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${peer} (${r.direction}, priority ${r.priority})`;
}
