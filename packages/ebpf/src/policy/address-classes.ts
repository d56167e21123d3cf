/**
 * Step 1 of compilePolicy: address classes. For each direction and family, the distinct CIDRs of
 * the rules go in an LPM trie. CIDRs nest or are disjoint, so the longest CIDR holding an address
 * also tells every rule whose CIDR holds it: the rules of that CIDR and of all CIDRs containing
 * it. That rule set (as ranks, see precedenceOrder) is the address's class; equal sets share one
 * class id. Ids are handed out direction by direction (ingress first), family by family (IPv4
 * first), CIDR by CIDR in the order of each CIDR's first rule: an edit that keeps the rules'
 * order and CIDRs keeps every class id (an inserted or removed CIDR shifts the ids after it).
 *
 * 10,000 rules make 10,000 CIDRs and as many classes; everything here lives in a few flat arrays
 * rather than an object (and a Map entry) per CIDR and per class, because on the VMs this runs on
 * fresh memory, not arithmetic, is what a compile spends its time on.
 */
import { maskAddr, type Cidr } from './cidr.js';
import { dirCode, POLICY, type PolicyKeyWriter } from './maps.js';
import { DIRECTIONS, type Direction, type PolicyRule } from './rules.js';

export interface AddressClasses {
  /** Classes are 1..count. */
  count: number;
  /** Classes 1..ingressCount hold ingress rules, the others egress rules. */
  ingressCount: number;
  /** The ranks of class `id`, ascending: rankPool[classStart[id - 1]] up to rankPool[classStart[id]]. */
  rankPool: number[];
  classStart: number[];
}

const ANY_V6: Cidr = { family: 6, addr: new Uint8Array(16), prefixLen: 0 };

/** Rule indexes below this fit beside an IPv4 CIDR in one exact number (2^38 * 2^14 < 2^53). */
const INDEX_SPAN = POLICY.MAX_RULES;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The bits of an IPv4 prefix of `len` bits, as an unsigned number. */
function v4Mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** An IPv6 CIDR as a string: the address in hex (masked to the length with `mask`), then the length. */
function v6Key(addr: Uint8Array, len: number, mask: boolean): string {
  const a = mask ? maskAddr(addr, len) : addr;
  let k = '';
  for (let i = 0; i < 16; i++) k += HEX[a[i]];
  return `${k}/${len}`;
}

/** What grouping needs of each rule, read once into flat arrays. */
interface RuleCidrs {
  /** 0 ingress, 1 egress. */
  dir: Uint8Array;
  /** 4 or 6; 0 when the rule names no CIDR (it is in both families, as a /0). */
  family: Uint8Array;
  len: Uint8Array;
  /** The IPv4 address as an unsigned number (rules with an IPv4 CIDR). */
  v4: Float64Array;
}

function ruleCidrs(rules: readonly PolicyRule[]): RuleCidrs {
  const n = rules.length;
  const out: RuleCidrs = { dir: new Uint8Array(n), family: new Uint8Array(n), len: new Uint8Array(n), v4: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const r = rules[i];
    out.dir[i] = dirCode(r.direction);
    const c = r.cidr;
    if (!c) continue;
    out.family[i] = c.family;
    out.len[i] = c.prefixLen;
    if (c.family === 4) out.v4[i] = ((c.addr[0] << 24) | (c.addr[1] << 16) | (c.addr[2] << 8) | c.addr[3]) >>> 0;
  }
  return out;
}

/** The distinct CIDRs of one direction and family, each with its rules. */
interface CidrGroups {
  /** Rule indexes sorted by CIDR, then by index: group g is members[start[g]] up to members[start[g + 1]]. */
  members: Int32Array;
  start: Int32Array;
  count: number;
  /** Distinct prefix lengths, ascending. */
  lengths: number[];
  len(g: number): number;
  /** The group of the CIDR of length `len` that holds group g's, or -1. */
  outer(g: number, len: number): number;
  /** Group g's key in the `addr` map. */
  addrKey(g: number, dir: number): string;
}

/** The rules of a direction and family (a rule without a CIDR is in both). */
function pick(c: RuleCidrs, dir: number, family: 4 | 6): { picked: number[]; lengths: number[] } {
  const picked: number[] = [];
  const lengthSeen = new Uint8Array(129);
  for (let i = 0; i < c.dir.length; i++) {
    if (c.dir[i] !== dir || (c.family[i] !== family && c.family[i] !== 0)) continue;
    picked.push(i);
    lengthSeen[c.len[i]] = 1;
  }
  const lengths: number[] = [];
  for (let len = 0; len <= 128; len++) if (lengthSeen[len]) lengths.push(len);
  return { picked, lengths };
}

function groupV4(c: RuleCidrs, dir: number, keys: PolicyKeyWriter): CidrGroups | undefined {
  const { picked, lengths } = pick(c, dir, 4);
  const m = picked.length;
  if (m === 0) return undefined;
  // CIDR (address and 6 bits of length, as written) and index in one number: a typed-array sort
  // without a comparator groups equal CIDRs, each group in index order.
  const sorted = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const i = picked[j];
    sorted[j] = (c.v4[i] * 64 + c.len[i]) * INDEX_SPAN + i;
  }
  sorted.sort();
  const members = new Int32Array(m);
  const start: number[] = [];
  const groupKeys: number[] = [];
  let last = -1;
  for (let j = 0; j < m; j++) {
    const key = Math.floor(sorted[j] / INDEX_SPAN);
    members[j] = sorted[j] - key * INDEX_SPAN;
    if (key !== last) {
      start.push(j);
      groupKeys.push(key);
      last = key;
    }
  }
  const count = start.length;
  start.push(m);
  return {
    members,
    start: Int32Array.from(start),
    count,
    lengths,
    len: (g) => groupKeys[g] % 64,
    outer: (g, len) => {
      const want = ((Math.floor(groupKeys[g] / 64) & v4Mask(len)) >>> 0) * 64 + len;
      let lo = 0;
      let hi = count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (groupKeys[mid] === want) return mid;
        if (groupKeys[mid] < want) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    },
    addrKey: (g, d) => keys.addrV4(d, Math.floor(groupKeys[g] / 64), groupKeys[g] % 64),
  };
}

function groupV6(rules: readonly PolicyRule[], c: RuleCidrs, dir: number, keys: PolicyKeyWriter): CidrGroups | undefined {
  const { picked, lengths } = pick(c, dir, 6);
  const m = picked.length;
  if (m === 0) return undefined;
  const cidrs = picked.map((i) => rules[i].cidr ?? ANY_V6);
  const ks = cidrs.map((x) => v6Key(x.addr, x.prefixLen, false));
  const order = picked.map((_, j) => j).sort((a, b) => (ks[a] < ks[b] ? -1 : ks[a] > ks[b] ? 1 : picked[a] - picked[b]));
  const members = new Int32Array(m);
  const start: number[] = [];
  const groupCidr: Cidr[] = [];
  const groupOf = new Map<string, number>();
  for (let j = 0; j < m; j++) {
    members[j] = picked[order[j]];
    const key = ks[order[j]];
    if (!groupOf.has(key)) {
      groupOf.set(key, start.length);
      start.push(j);
      groupCidr.push(cidrs[order[j]]);
    }
  }
  const count = start.length;
  start.push(m);
  return {
    members,
    start: Int32Array.from(start),
    count,
    lengths,
    len: (g) => groupCidr[g].prefixLen,
    outer: (g, len) => groupOf.get(v6Key(groupCidr[g].addr, len, true)) ?? -1,
    addrKey: (g, d) => keys.addr(d, 6, groupCidr[g].addr, groupCidr[g].prefixLen),
  };
}

/**
 * Finds the classes and writes the `addr` map entries (CIDR key to class id) into `addr`.
 * `rankOfIndex[i]` is the rank of rules[i].
 */
export function addressClasses(rules: readonly PolicyRule[], rankOfIndex: Uint32Array, addr: Map<string, number>, keys: PolicyKeyWriter): AddressClasses {
  const cidrs = ruleCidrs(rules);
  // The classes depend on the rules' directions and CIDRs and on their ranks only: an edit of a
  // port or a protocol (the common change) leaves them as the last compile found them.
  if (last && sameInputs(last, rules, cidrs, rankOfIndex)) {
    const e = last.entries;
    for (let k = 0; k < e.length; k += 2) addr.set(e[k] as string, e[k + 1] as number);
    keys.reused(e.length / 2);
    return last.result;
  }
  const entries: (string | number)[] = [];
  const result = findClasses(rules, cidrs, rankOfIndex, (key, id) => {
    addr.set(key, id);
    entries.push(key, id);
  }, keys);
  last = { cidrs, v6: rules.map((r) => (r.cidr?.family === 6 ? r.cidr.addr : undefined)), ranks: rankOfIndex.slice(), result, entries };
  return result;
}

/** The inputs and output of the last addressClasses(): a pure function of them, remembered for the next compile. */
let last: { cidrs: RuleCidrs; v6: (Uint8Array | undefined)[]; ranks: Uint32Array; result: AddressClasses; entries: (string | number)[] } | undefined;

function sameInputs(l: NonNullable<typeof last>, rules: readonly PolicyRule[], c: RuleCidrs, ranks: Uint32Array): boolean {
  const n = rules.length;
  if (l.ranks.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if (l.ranks[i] !== ranks[i] || l.cidrs.dir[i] !== c.dir[i] || l.cidrs.family[i] !== c.family[i] || l.cidrs.len[i] !== c.len[i] || l.cidrs.v4[i] !== c.v4[i]) return false;
    if (c.family[i] !== 6) continue;
    const a = l.v6[i] as Uint8Array;
    const b = (rules[i].cidr as Cidr).addr;
    if (a !== b) for (let k = 0; k < 16; k++) if (a[k] !== b[k]) return false;
  }
  return true;
}

function findClasses(rules: readonly PolicyRule[], cidrs: RuleCidrs, rankOfIndex: Uint32Array, put: (key: string, id: number) => void, keys: PolicyKeyWriter): AddressClasses {
  const n = rules.length;
  const rankPool: number[] = [];
  const classStart: number[] = [0];
  // A class of one rule is found by its rank; a larger one by its ranks joined.
  const classOfRank = new Int32Array(n);
  const classOfRanks = new Map<string, number>();
  let ingressCount = 0;
  const ranks: number[] = [];
  const groupAt = new Int32Array(n);

  for (const dir of DIRECTIONS) {
    const dirByte = dirCode(dir);
    for (const family of [4, 6] as const) {
      const g = family === 4 ? groupV4(cidrs, dirByte, keys) : groupV6(rules, cidrs, dirByte, keys);
      if (!g) continue;
      // Groups in the order of their first rule (the lowest index: members are sorted by index).
      groupAt.fill(-1);
      for (let k = 0; k < g.count; k++) groupAt[g.members[g.start[k]]] = k;
      for (let i = 0; i < n; i++) {
        const k = groupAt[i];
        if (k < 0) continue;
        const len = g.len(k);
        // Every CIDR holding this one is one of the rules' CIDRs at a shorter-or-equal length.
        ranks.length = 0;
        for (const l of g.lengths) {
          if (l > len) break;
          const outer = l === len ? k : g.outer(k, l);
          if (outer < 0) continue;
          for (let j = g.start[outer]; j < g.start[outer + 1]; j++) ranks.push(rankOfIndex[g.members[j]]);
        }
        let id: number;
        if (ranks.length === 1) {
          id = classOfRank[ranks[0]];
        } else {
          ranks.sort((a, b) => a - b);
          id = classOfRanks.get(ranks.join(',')) ?? 0;
        }
        if (id === 0) {
          id = classStart.length;
          for (const r of ranks) rankPool.push(r);
          classStart.push(rankPool.length);
          if (ranks.length === 1) classOfRank[ranks[0]] = id;
          else classOfRanks.set(ranks.join(','), id);
        }
        put(g.addrKey(k, dirByte), id);
      }
    }
    if (dir === 'ingress') ingressCount = classStart.length - 1;
  }
  return { count: classStart.length - 1, ingressCount, rankPool, classStart };
}

/** The direction of each class id, without a Map entry per class: ids are handed out ingress first. */
export class ClassDirections implements ReadonlyMap<number, Direction> {
  constructor(
    readonly size: number,
    private readonly ingressCount: number,
  ) {}

  get(id: number): Direction | undefined {
    if (!Number.isInteger(id) || id < 1 || id > this.size) return undefined;
    return id <= this.ingressCount ? 'ingress' : 'egress';
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  *entries(): IterableIterator<[number, Direction]> {
    for (let id = 1; id <= this.size; id++) yield [id, id <= this.ingressCount ? 'ingress' : 'egress'];
  }

  *keys(): IterableIterator<number> {
    for (let id = 1; id <= this.size; id++) yield id;
  }

  *values(): IterableIterator<Direction> {
    for (const [, d] of this.entries()) yield d;
  }

  forEach(fn: (value: Direction, key: number, map: ReadonlyMap<number, Direction>) => void, thisArg?: unknown): void {
    for (const [id, d] of this.entries()) fn.call(thisArg, d, id, this);
  }

  [Symbol.iterator](): IterableIterator<[number, Direction]> {
    return this.entries();
  }
}
