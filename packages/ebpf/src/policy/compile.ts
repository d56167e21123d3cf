/**
 * Compiles a PolicySpec into the entries of the two lookup maps of policy.bpf.c, so the kernel
 * does a bounded number of lookups per packet whatever the number of rules.
 *
 * Step 1, address classes (address-classes.ts). For each direction and family, the distinct
 * CIDRs of the rules go in an LPM trie. CIDRs nest or are disjoint, so the longest CIDR holding an
 * address also tells every rule whose CIDR holds it: the rules of that CIDR and of all CIDRs
 * containing it. That rule set is the address's class; equal sets share one class id.
 *
 * Step 2, verdicts. For each class and protocol, the port space is cut at every rule's range
 * ends; each piece gets the winning rule (lowest priority number, then deny, then the earlier
 * rule) here, at compile time; adjacent pieces with the same winner merge; each piece becomes
 * prefix-aligned port blocks in an LPM trie keyed (class, protocol, port). Pieces no rule
 * covers are left out, so a packet there misses and gets the default action. A class-wide entry
 * (no protocol) holds the winner among rules with protocol `any` and no ports: the LPM falls
 * back to it for protocols without entries of their own.
 *
 * At 10,000 rules this is ~40,000 map entries; the loops work on flat arrays indexed by rank and
 * build each key straight from bytes, so a compile costs little more than the two Maps it fills.
 */
import { addressClasses, ClassDirections } from './address-classes.js';
import { actionCode, POLICY, PolicyKeyWriter, PROTO, type PolicySettings } from './maps.js';
import { forEachPortBlock } from './port-blocks.js';
import type { Direction, PolicyRule, PolicySpec } from './rules.js';

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
  classDirection: ReadonlyMap<number, Direction>;
  stats: { rules: number; classes: number; addrEntries: number; portEntries: number };
}

export class PolicyCapacityError extends Error {}

interface RankedRule {
  rule: PolicyRule;
  /** Position in precedence order: 0 wins over everything. */
  rank: number;
}

/** Precedence: lower priority number, then deny before allow, then file order. */
export function precedenceOrder(rules: readonly PolicyRule[]): RankedRule[] {
  const order = rankOrder(rules);
  const out: RankedRule[] = new Array(order.length);
  for (let rank = 0; rank < order.length; rank++) out[rank] = { rule: rules[order[rank]], rank };
  return out;
}

/** The indexes of `rules` in precedence order (see precedenceOrder). */
function rankOrder(rules: readonly PolicyRule[]): Uint32Array {
  const n = rules.length;
  const order = new Uint32Array(n);
  const wholePriorities = rules.every((r) => Number.isInteger(r.priority) && r.priority >= 0 && r.priority <= 65535);
  if (wholePriorities) {
    // One number per rule that sorts in precedence order: a typed-array sort without a
    // comparator, several times faster than sorting objects at 10,000 rules.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (rules[i].priority * 2 + (rules[i].action === 'deny' ? 0 : 1)) * n + i;
    keys.sort();
    for (let rank = 0; rank < n; rank++) order[rank] = keys[rank] % n;
    return order;
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => rules[a].priority - rules[b].priority || (rules[a].action === rules[b].action ? 0 : rules[a].action === 'deny' ? -1 : 1) || a - b);
  order.set(idx);
  return order;
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

/**
 * Shared by every compile (compiles are synchronous, and what these remember is a pure function of
 * what they are asked): the previous compile's address keys, and each class id's port entries.
 * An edit of one rule of 10,000 then builds the strings of its own entries only; the rest are the
 * previous compile's strings, which the garbage collector has already moved out of the young
 * generation and the installer's diff compares by identity.
 */
const keys = new PolicyKeyWriter();
const lastClassOutput: ({ sig: number[]; entries: (string | number)[] } | undefined)[] = [];

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rule protocols as small numbers, for the per-class loops. */
const P_ANY = 0;
const P_TCP = 1;
const P_UDP = 2;
const P_ICMP = 3;
const PROTOCOL_CODE = { any: P_ANY, tcp: P_TCP, udp: P_UDP, icmp: P_ICMP } as const;

/**
 * @param slots counter slot of each rule name (see RuleSlots), as a function or a Map; must cover
 * every rule. A Map that holds exactly the rules' names becomes the result's `slots` as it is.
 */
export function compilePolicy(spec: PolicySpec, slots: ((name: string) => number) | Map<string, number>): CompiledPolicy {
  const rules = spec.rules;
  const n = rules.length;
  if (n > POLICY.MAX_RULES) {
    throw new PolicyCapacityError(`${n} rules are more than the engine's ${POLICY.MAX_RULES}: merge rules with the same action into wider CIDRs or port ranges`);
  }
  // What the loops need of each rule, in flat arrays by rank.
  const order = rankOrder(rules);
  const rankOfIndex = new Uint32Array(n);
  const protoOf = new Uint8Array(n);
  const hasPorts = new Uint8Array(n);
  const fromOf = new Int32Array(n);
  const toOf = new Int32Array(n);
  const verdictOf = new Int32Array(n);
  for (let rank = 0; rank < n; rank++) {
    const i = order[rank];
    const rule = rules[i];
    rankOfIndex[i] = rank;
    protoOf[rank] = PROTOCOL_CODE[rule.protocol];
    hasPorts[rank] = rule.ports ? 1 : 0;
    fromOf[rank] = rule.ports?.from ?? 0;
    toOf[rank] = rule.ports?.to ?? 65535;
  }
  // The result's slots: the caller's Map when it holds the rules' names and nothing else (names
  // are unique, so every rule found and equal sizes say so), else a Map in rule order.
  const slotOf = typeof slots === 'function' ? slots : (name: string): number => slots.get(name) as number;
  let slotMap = typeof slots === 'function' || slots.size !== n ? new Map<string, number>() : slots;
  for (let i = 0; i < n; i++) {
    const slot = slotOf(rules[i].name);
    if (slot === undefined) slotMap = new Map(); // not every rule found: fall back to a Map of our own
    verdictOf[rankOfIndex[i]] = slot | (actionCode(rules[i].action) << 16);
  }
  if (slotMap !== slots) for (const r of rules) slotMap.set(r.name, slotOf(r.name));

  const addr: MapContents = new Map();
  const classes = addressClasses(rules, rankOfIndex, addr, keys);
  if (addr.size > POLICY.MAX_ADDR_ENTRIES) {
    throw new PolicyCapacityError(`the rules have ${addr.size} distinct CIDRs per direction and family, more than the engine's ${POLICY.MAX_ADDR_ENTRIES}: merge CIDRs`);
  }

  const port: MapContents = new Map();
  const { rankPool, classStart } = classes;
  // What a class compiles to depends only on its rules' protocols, ports and verdicts, in
  // precedence order (its signature): a class with the signature it had in the last compile gets
  // that compile's entries back, keys included, without working them out again.
  let entries: (string | number)[] = [];
  const sig: number[] = [];
  const put = (key: string, value: number): void => {
    port.set(key, value);
    entries.push(key, value);
  };
  // The protocol and verdict forEachPortBlock's callback writes (one closure for the whole compile).
  let blockProto = 0;
  let blockVerdict = 0;
  const writeBlock = (p: number, bits: number): void => put(keys.port(blockProto, p, bits), blockVerdict);
  const writeRange = (proto: number, from: number, to: number, rank: number): void => {
    blockProto = proto;
    blockVerdict = verdictOf[rank];
    forEachPortBlock(from, to, writeBlock);
  };
  for (let id = 1; id <= classes.count; id++) {
    const first = classStart[id - 1];
    const end = classStart[id];
    sig.length = 0;
    for (let j = first; j < end; j++) {
      const r = rankPool[j];
      sig.push(protoOf[r], hasPorts[r], fromOf[r], toOf[r], verdictOf[r]);
    }
    const last = lastClassOutput[id];
    if (last && sameNumbers(last.sig, sig)) {
      const e = last.entries;
      for (let k = 0; k < e.length; k += 2) port.set(e[k] as string, e[k + 1] as number);
      continue;
    }
    entries = [];
    keys.setClass(id);
    // Protocol any, no ports: the class-wide fallback. Ranks are sorted: the first wins.
    let classWide = -1;
    for (let j = first; j < end; j++) {
      const r = rankPool[j];
      if (protoOf[r] === P_ANY && !hasPorts[r]) {
        classWide = r;
        break;
      }
    }
    if (classWide >= 0) put(keys.classWide(), verdictOf[classWide]);

    for (let pass = 0; pass < 2; pass++) {
      const proto = pass === 0 ? PROTO.TCP : PROTO.UDP;
      const code = pass === 0 ? P_TCP : P_UDP;
      let count = 0;
      let only = -1;
      // The best rule that covers every port.
      let full = -1;
      for (let j = first; j < end; j++) {
        const r = rankPool[j];
        if (protoOf[r] !== code && protoOf[r] !== P_ANY) continue;
        count++;
        only = r;
        if (full < 0 && fromOf[r] === 0 && toOf[r] === 65535) full = r;
      }
      if (count === 0) continue;
      if (count === 1) {
        // Most classes hold one rule per protocol: nothing to resolve. The class-wide entry
        // already answers a protocol whose whole port space has its winner.
        if (fromOf[only] === 0 && toOf[only] === 65535 && only === classWide) continue;
        writeRange(proto, fromOf[only], toOf[only], only);
      } else {
        const ranges: { rank: number; from: number; to: number }[] = [];
        for (let j = first; j < end; j++) {
          const r = rankPool[j];
          if (protoOf[r] === code || protoOf[r] === P_ANY) ranges.push({ rank: r, from: fromOf[r], to: toOf[r] });
        }
        const pieces = resolvePorts(ranges);
        if (pieces.length === 1 && pieces[0].from === 0 && pieces[0].to === 65535 && pieces[0].rank === classWide) continue;
        for (const piece of pieces) writeRange(proto, piece.from, piece.to, piece.rank);
      }
      // A packet without a port (a later fragment) looks up (class, protocol) only: it matches
      // the best rule that covers every port. Such a rule leaves no gaps, so this entry never
      // answers for a port the blocks above leave out; where it shares the key of a full-range
      // block, both hold the same winner.
      if (full >= 0 && full !== classWide) put(keys.port(proto, 0, 0), verdictOf[full]);
    }

    let icmp = -1;
    for (let j = first; j < end; j++) {
      const r = rankPool[j];
      if (protoOf[r] === P_ICMP || (protoOf[r] === P_ANY && !hasPorts[r])) {
        icmp = r;
        break;
      }
    }
    if (icmp >= 0 && icmp !== classWide) {
      // The class may hold rules of either family when none names a CIDR: answer both ICMPs.
      put(keys.port(PROTO.ICMP, 0, 0), verdictOf[icmp]);
      put(keys.port(PROTO.ICMPV6, 0, 0), verdictOf[icmp]);
    }
    lastClassOutput[id] = { sig: sig.slice(), entries };
  }
  // Remember as many classes as this compile has, no more.
  lastClassOutput.length = Math.min(lastClassOutput.length, classes.count + 1);
  keys.endCompile();
  if (port.size > POLICY.MAX_PORT_ENTRIES) {
    throw new PolicyCapacityError(`the rules compile to ${port.size} port entries, more than the engine's ${POLICY.MAX_PORT_ENTRIES}: use fewer distinct port ranges per CIDR`);
  }

  const restrictive = (d: Direction): boolean => spec.defaultAction[d] === 'deny' || rules.some((r) => r.direction === d && r.action === 'deny');
  return {
    addr,
    port,
    settings: {
      defaultAction: { ...spec.defaultAction },
      // Record flows of a direction only when the other one could drop their replies.
      trackFlows: { ingress: restrictive('egress'), egress: restrictive('ingress') },
    },
    slots: slotMap,
    classDirection: new ClassDirections(classes.count, classes.ingressCount),
    stats: { rules: n, classes: classes.count, addrEntries: addr.size, portEntries: port.size },
  };
}
