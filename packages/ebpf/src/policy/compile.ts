/**
 * Compiles a PolicySpec into the entries of the two lookup maps of policy.bpf.c, so the kernel
 * does a bounded number of lookups per packet whatever the number of rules.
 *
 * Step 1, address classes. For each direction and family, the distinct CIDRs of the rules go in
 * an LPM trie. CIDRs nest or are disjoint, so the longest CIDR holding an address also tells
 * every rule whose CIDR holds it: the rules of that CIDR and of all CIDRs containing it. That
 * rule set is the address's class; equal sets share one class id.
 *
 * Step 2, verdicts. For each class and protocol, the port space is cut at every rule's range
 * ends; each piece gets the winning rule (lowest priority number, then deny, then the earlier
 * rule) here, at compile time; adjacent pieces with the same winner merge; each piece becomes
 * prefix-aligned port blocks in an LPM trie keyed (class, protocol, port). Pieces no rule
 * covers are left out, so a packet there misses and gets the default action. A class-wide entry
 * (no protocol) holds the winner among rules with protocol `any` and no ports: the LPM falls
 * back to it for protocols without entries of their own.
 */
import { maskAddr } from './cidr.js';
import { actionCode, addrKeyHex, dirCode, portKeyHex, POLICY, PROTO, type PolicySettings } from './maps.js';
import { portBlocks } from './port-blocks.js';
import type { Direction, PolicyRule, PolicySpec } from './rules.js';
import { DIRECTIONS } from './rules.js';

/**
 * Map contents: key bytes (hex) to the value as a number: the class id for `addr`,
 * `slot | action << 16` for `port` (see encodeMapValue). Strings and numbers make the diff
 * between two rule sets cheap.
 */
export type MapContents = Map<string, number>;

export interface CompiledPolicy {
  addr: MapContents;
  port: MapContents;
  /** Without the generation: the engine stamps it when it installs the result. */
  settings: Omit<PolicySettings, 'generation'>;
  /** Counter slot of each rule, by name. */
  slots: Map<string, number>;
  /** The direction of each address class (its rules all have one). */
  classDirection: Map<number, Direction>;
  stats: { rules: number; classes: number; addrEntries: number; portEntries: number };
}

export class PolicyCapacityError extends Error {}

const ANY_V4 = { family: 4 as const, addr: new Uint8Array(16), prefixLen: 0 };
const ANY_V6 = { family: 6 as const, addr: new Uint8Array(16), prefixLen: 0 };

interface RankedRule {
  rule: PolicyRule;
  /** Position in precedence order: 0 wins over everything. */
  rank: number;
}

/** Precedence: lower priority number, then deny before allow, then file order. */
export function precedenceOrder(rules: readonly PolicyRule[]): RankedRule[] {
  const idx = rules.map((rule, i) => ({ rule, i }));
  idx.sort((a, b) => a.rule.priority - b.rule.priority || (a.rule.action === b.rule.action ? 0 : a.rule.action === 'deny' ? -1 : 1) || a.i - b.i);
  return idx.map((x, rank) => ({ rule: x.rule, rank }));
}

/** A binary min-heap of ranks with lazy deletion (removed ranks are skipped when on top). */
class RankHeap {
  private readonly heap: number[] = [];
  private readonly removed = new Map<number, number>();
  push(r: number): void {
    const h = this.heap;
    h.push(r);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= h[i]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  remove(r: number): void {
    this.removed.set(r, (this.removed.get(r) ?? 0) + 1);
  }
  top(): number | undefined {
    const h = this.heap;
    while (h.length > 0) {
      const t = h[0];
      const n = this.removed.get(t);
      if (!n) return t;
      if (n === 1) this.removed.delete(t);
      else this.removed.set(t, n - 1);
      const last = h.pop() as number;
      if (h.length === 0) break;
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return undefined;
  }
}

export interface PortPiece {
  from: number;
  to: number;
  /** Rank of the winning rule. */
  rank: number;
}

/**
 * The winner over the port space for rules given as (rank, from, to): pieces in port order,
 * adjacent equal winners merged, uncovered ports left out. A sweep with a heap: O(n log n).
 */
export function resolvePorts(ranges: readonly { rank: number; from: number; to: number }[]): PortPiece[] {
  // Most classes hold one rule per protocol: nothing to resolve.
  if (ranges.length === 1) return [{ from: ranges[0].from, to: ranges[0].to, rank: ranges[0].rank }];
  const events: { at: number; rank: number; add: boolean }[] = [];
  for (const r of ranges) {
    events.push({ at: r.from, rank: r.rank, add: true });
    events.push({ at: r.to + 1, rank: r.rank, add: false });
  }
  events.sort((a, b) => a.at - b.at);
  const heap = new RankHeap();
  const out: PortPiece[] = [];
  let i = 0;
  while (i < events.length) {
    const at = events[i].at;
    while (i < events.length && events[i].at === at) {
      const e = events[i++];
      if (e.add) heap.push(e.rank);
      else heap.remove(e.rank);
    }
    if (at > 65535) break;
    const top = heap.top();
    const next = i < events.length ? events[i].at : 65536;
    if (top === undefined) continue;
    const last = out[out.length - 1];
    if (last && last.rank === top && last.to === at - 1) last.to = Math.min(next, 65536) - 1;
    else out.push({ from: at, to: Math.min(next, 65536) - 1, rank: top });
  }
  return out;
}

/** A Map key for a CIDR (the address bytes up to the prefix, then the length). */
function cidrKey(family: number, addr: Uint8Array, len: number): string {
  let k = family === 4 ? '4:' : '6:';
  const n = family === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) k += `${addr[i]}.`;
  return `${k}/${len}`;
}

/**
 * @param slotOf counter slot for each rule name (see RuleSlots); must cover every rule.
 */
export function compilePolicy(spec: PolicySpec, slotOf: (name: string) => number): CompiledPolicy {
  if (spec.rules.length > POLICY.MAX_RULES) {
    throw new PolicyCapacityError(`${spec.rules.length} rules are more than the engine's ${POLICY.MAX_RULES}: merge rules with the same action into wider CIDRs or port ranges`);
  }
  const ranked = precedenceOrder(spec.rules);
  const rankOf = new Map<PolicyRule, number>(ranked.map((r) => [r.rule, r.rank]));
  const addr: MapContents = new Map();
  const port: MapContents = new Map();
  const classes = new Map<string, { id: number; ranks: number[] }>();
  const classDirection = new Map<number, Direction>();

  for (const dir of DIRECTIONS) {
    for (const family of [4, 6] as const) {
      // Distinct CIDRs of this direction and family, with their rules.
      const byCidr = new Map<string, { addr: Uint8Array; len: number; ranks: number[] }>();
      for (const rule of spec.rules) {
        if (rule.direction !== dir) continue;
        const c = rule.cidr ?? (family === 4 ? ANY_V4 : ANY_V6);
        if (c.family !== family) continue;
        const k = cidrKey(family, c.addr, c.prefixLen);
        let e = byCidr.get(k);
        if (!e) byCidr.set(k, (e = { addr: c.addr, len: c.prefixLen, ranks: [] }));
        e.ranks.push(rankOf.get(rule) as number);
      }
      if (byCidr.size === 0) continue;
      const lengths = [...new Set([...byCidr.values()].map((e) => e.len))].sort((a, b) => a - b);
      for (const e of byCidr.values()) {
        // Every CIDR holding this one is one of the rules' CIDRs at a shorter-or-equal length.
        let ranks: number[] = e.ranks;
        if (lengths[0] < e.len) {
          ranks = [];
          for (const len of lengths) {
            if (len > e.len) break;
            const outer = len === e.len ? e : byCidr.get(cidrKey(family, maskAddr(e.addr, len), len));
            if (outer) ranks.push(...outer.ranks);
          }
        }
        if (ranks.length > 1) ranks.sort((a, b) => a - b);
        const sig = ranks.join(',');
        let cls = classes.get(sig);
        if (!cls) {
          classes.set(sig, (cls = { id: classes.size + 1, ranks }));
          classDirection.set(cls.id, dir);
        }
        addr.set(addrKeyHex(dirCode(dir), family, e.addr, e.len), cls.id);
      }
    }
  }
  if (addr.size > POLICY.MAX_ADDR_ENTRIES) {
    throw new PolicyCapacityError(`the rules have ${addr.size} distinct CIDRs per direction and family, more than the engine's ${POLICY.MAX_ADDR_ENTRIES}: merge CIDRs`);
  }

  for (const cls of classes.values()) {
    const rules = cls.ranks.map((r) => ranked[r].rule);
    const verdict = (rank: number): number => {
      const rule = ranked[rank].rule;
      return slotOf(rule.name) | (actionCode(rule.action) << 16);
    };
    // Protocol any, no ports: the class-wide fallback.
    const anyAll = cls.ranks.filter((r) => ranked[r].rule.protocol === 'any' && !ranked[r].rule.ports);
    const classWide = anyAll.length > 0 ? anyAll[0] : undefined; // ranks are sorted: the first wins
    if (classWide !== undefined) port.set(portKeyHex(cls.id, undefined, 0, 0), verdict(classWide));

    for (const proto of [PROTO.TCP, PROTO.UDP]) {
      const name = proto === PROTO.TCP ? 'tcp' : 'udp';
      const ranges = rules
        .filter((r) => r.protocol === name || r.protocol === 'any')
        .map((r) => ({ rank: rankOf.get(r) as number, from: r.ports?.from ?? 0, to: r.ports?.to ?? 65535 }));
      if (ranges.length === 0) continue;
      const pieces = resolvePorts(ranges);
      // The class-wide entry already answers a protocol whose whole port space has its winner.
      if (pieces.length === 1 && pieces[0].from === 0 && pieces[0].to === 65535 && pieces[0].rank === classWide) continue;
      for (const piece of pieces) {
        const v = verdict(piece.rank);
        for (const b of portBlocks(piece.from, piece.to)) port.set(portKeyHex(cls.id, proto, b.port, b.bits), v);
      }
      // A packet without a port (a later fragment) looks up (class, protocol) only: it matches
      // the best rule that covers every port. Such a rule leaves no gaps, so this entry never
      // answers for a port the blocks above leave out; where it shares the key of a full-range
      // block, both hold the same winner.
      const full = ranges.filter((r) => r.from === 0 && r.to === 65535).reduce((m, r) => Math.min(m, r.rank), Infinity);
      if (full !== Infinity && full !== classWide) port.set(portKeyHex(cls.id, proto, 0, 0), verdict(full));
    }

    const icmp = cls.ranks.filter((r) => ranked[r].rule.protocol === 'icmp' || (ranked[r].rule.protocol === 'any' && !ranked[r].rule.ports));
    if (icmp.length > 0 && icmp[0] !== classWide) {
      // The class may hold rules of either family when none names a CIDR: answer both ICMPs.
      for (const proto of [PROTO.ICMP, PROTO.ICMPV6]) port.set(portKeyHex(cls.id, proto, 0, 0), verdict(icmp[0]));
    }
  }
  if (port.size > POLICY.MAX_PORT_ENTRIES) {
    throw new PolicyCapacityError(`the rules compile to ${port.size} port entries, more than the engine's ${POLICY.MAX_PORT_ENTRIES}: use fewer distinct port ranges per CIDR`);
  }

  const restrictive = (d: Direction): boolean => spec.defaultAction[d] === 'deny' || spec.rules.some((r) => r.direction === d && r.action === 'deny');
  const slots = new Map<string, number>(spec.rules.map((r) => [r.name, slotOf(r.name)]));
  return {
    addr,
    port,
    settings: {
      defaultAction: { ...spec.defaultAction },
      // Record flows of a direction only when the other one could drop their replies.
      trackFlows: { ingress: restrictive('egress'), egress: restrictive('ingress') },
    },
    slots,
    classDirection,
    stats: { rules: spec.rules.length, classes: classes.size, addrEntries: addr.size, portEntries: port.size },
  };
}
