/**
 * Policies that outlive the process that applied them (`keelson policy apply`): the links and
 * maps are pinned in bpffs, and the next apply opens the pinned maps and writes the difference,
 * as a running engine does; the program is never reloaded.
 *
 *   /sys/fs/bpf/keelson/policy/<netns|host>/<interface>/   policy_* maps, link_* links
 *   /run/keelson/policy/<netns|host>/<interface>.json      rule names -> counter slots, install state
 *
 * Both live in memory filesystems: a reboot forgets the policy (as it detaches the programs).
 * What the state file holds cannot be read back from the kernel (which counter slot is which
 * rule); the rule maps themselves are read back, so the file cannot drift from what packets see.
 *
 * ```ts
 * await applyPinnedPolicy(readPolicyFile('rules.yaml'), { interface: 'eth0' });   // create or update
 * const engine = openPinnedPolicy({ interface: 'eth0' }); engine.counters(); engine.close();
 * deletePinnedPolicy({ interface: 'eth0' });                                       // detach and forget
 * ```
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BpfMap, PerCpuMap } from '../map.js';
import { Link } from '../link.js';
import { formatCidr } from './cidr.js';
import type { MapContents } from './compile.js';
import { PolicyEngine, type ApplyResult, type AttachPolicyOptions } from './engine.js';
import type { CopyContents, InstallerState, PolicyMapName } from './installer.js';
import { validatePolicy, type PolicySpec } from './rules.js';

export const PINNED_POLICY_ROOT = '/sys/fs/bpf/keelson/policy';
export const PINNED_POLICY_STATE_ROOT = '/run/keelson/policy';

const MAPS: readonly PolicyMapName[] = ['policy_active', 'policy_settings', 'policy_addr_0', 'policy_addr_1', 'policy_port_0', 'policy_port_1', 'policy_counters'];
// The flow table is pinned too so replies of flows keep passing across applies.
const ALL_MAPS = [...MAPS, 'policy_flows'] as const;

export interface PinnedPolicyTarget {
  interface: string;
  /** A namespace name as `ip netns` knows it. */
  netns?: string;
}

interface PinnedState {
  version: 1;
  interface: string;
  netns?: string;
  xdp: AttachPolicyOptions['xdp'];
  tcMode: NonNullable<AttachPolicyOptions['tcMode']>;
  installer: InstallerState;
  /** The rule set in force, in the policy file's format (for counter labels and `policy show`). */
  policy: unknown;
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

export function pinnedPolicyPaths(t: PinnedPolicyTarget): { dir: string; stateFile: string } {
  const ns = t.netns ? `netns-${safe(t.netns)}` : 'host';
  return { dir: join(PINNED_POLICY_ROOT, ns, safe(t.interface)), stateFile: join(PINNED_POLICY_STATE_ROOT, ns, `${safe(t.interface)}.json`) };
}

export function pinnedPolicyExists(t: PinnedPolicyTarget): boolean {
  const { dir, stateFile } = pinnedPolicyPaths(t);
  return existsSync(dir) && existsSync(stateFile);
}

/** The rule set as a plain document of the policy file's format. */
function policyDocument(spec: PolicySpec): unknown {
  return {
    defaultAction: spec.defaultAction,
    rules: spec.rules.map((r) => ({
      name: r.name,
      priority: r.priority,
      action: r.action,
      ...(r.cidr ? { cidr: formatCidr(r.cidr) } : {}),
      protocol: r.protocol,
      ...(r.ports ? { ports: `${r.ports.from}-${r.ports.to}` } : {}),
      direction: r.direction,
    })),
  };
}

function readState(stateFile: string): PinnedState {
  const s = JSON.parse(readFileSync(stateFile, 'utf8')) as PinnedState;
  if (s.version !== 1) throw new Error(`${stateFile} is from another version of keelson (version ${String(s.version)}): run \`keelson policy delete\` for this interface and apply again`);
  return s;
}

function writeState(stateFile: string, s: PinnedState): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(s, null, 1));
  renameSync(`${stateFile}.tmp`, stateFile);
}

/** Reads a rule map back: hex key -> the value as the compiler writes it. */
function readContents(map: BpfMap, kind: 'addr' | 'port'): MapContents {
  const out: MapContents = new Map();
  for (const [k, v] of map.entries()) {
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
    out.set(Buffer.from(k).toString('hex'), kind === 'addr' ? view.getUint32(0, true) : view.getUint16(0, true) | (view.getUint8(2) << 16));
  }
  return out;
}

/** An engine over the pinned maps of a policy applied earlier (for counters, or to apply more). */
export function openPinnedPolicy(t: PinnedPolicyTarget): PolicyEngine {
  const { dir, stateFile } = pinnedPolicyPaths(t);
  if (!pinnedPolicyExists(t)) throw new Error(`no policy applied on ${t.interface}${t.netns ? ` in netns ${t.netns}` : ''} (nothing at ${dir}): apply one with \`keelson policy apply\``);
  const state = readState(stateFile);
  const maps = new Map<PolicyMapName, BpfMap>();
  let counters: PerCpuMap | undefined;
  const opened: { close(): void }[] = [];
  const map = (name: PolicyMapName): BpfMap => {
    let m = maps.get(name);
    if (!m) {
      m = BpfMap.openPinned(join(dir, name));
      opened.push(m);
      maps.set(name, m);
    }
    return m;
  };
  try {
    const copies: [CopyContents, CopyContents] = [
      { addr: readContents(map('policy_addr_0'), 'addr'), port: readContents(map('policy_port_0'), 'port') },
      { addr: readContents(map('policy_addr_1'), 'addr'), port: readContents(map('policy_port_1'), 'port') },
    ];
    const a = map('policy_active').lookup(new Uint8Array(4)) as Uint8Array;
    const active = new DataView(a.buffer, a.byteOffset, a.byteLength).getUint32(0, true) & 1;
    const spec = validatePolicy(state.policy, stateFile);
    return new PolicyEngine(
      {
        map,
        counters: () => {
          if (!counters) {
            counters = PerCpuMap.openPinned(join(dir, 'policy_counters'));
            opened.push(counters);
          }
          return counters;
        },
        close: () => {
          for (const m of opened.splice(0)) m.close();
        },
      },
      undefined,
      { state: { ...state.installer, active: active as 0 | 1 }, copies, spec },
    );
  } catch (err) {
    for (const m of opened) m.close();
    throw err;
  }
}

export interface ApplyPinnedResult {
  result: ApplyResult;
  /** True when this apply loaded and attached the programs; false when it updated a pinned policy. */
  created: boolean;
  dir: string;
}

/**
 * Applies a rule set to an interface and leaves it enforced after this process exits. The first
 * apply loads, attaches and pins; later ones write the pinned maps. One apply at a time per
 * interface (a lock directory says so).
 */
export async function applyPinnedPolicy(spec: PolicySpec, opts: PinnedPolicyTarget & Pick<AttachPolicyOptions, 'xdp' | 'tcMode'>): Promise<ApplyPinnedResult> {
  const { dir, stateFile } = pinnedPolicyPaths(opts);
  const lock = `${stateFile}.lock`;
  mkdirSync(dirname(stateFile), { recursive: true });
  try {
    mkdirSync(lock);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`another \`keelson policy apply\` is changing ${opts.interface} (or one crashed: remove ${lock})`);
    throw err;
  }
  try {
    const xdp = opts.xdp ?? false;
    const tcMode = opts.tcMode ?? 'auto';
    if (pinnedPolicyExists(opts)) {
      const state = readState(stateFile);
      if (state.xdp !== xdp) {
        throw new Error(`the policy on ${opts.interface} was applied with ingress in ${state.xdp ? `XDP (${state.xdp})` : 'TC'}: apply with the same setting, or \`keelson policy delete\` it first`);
      }
      const engine = openPinnedPolicy(opts);
      try {
        const result = engine.apply(spec);
        // The keys the change dropped were neutralized in the write; remove them before leaving.
        engine.settle();
        writeState(stateFile, { ...state, installer: engine.snapshot(), policy: policyDocument(spec) });
        return { result, created: false, dir };
      } finally {
        engine.close();
      }
    }
    // Leftovers of an interrupted first apply: start over.
    rmSync(dir, { recursive: true, force: true });
    const engine = await PolicyEngine.load();
    try {
      // Rules first: attached with no rules the program would let everything through meanwhile.
      const result = engine.apply(spec);
      const links = engine.attach({ interface: opts.interface, netns: opts.netns, xdp, tcMode });
      mkdirSync(dir, { recursive: true });
      const object = engine.object!;
      for (const name of ALL_MAPS) (name === 'policy_counters' ? object.perCpuMap(name) : object.map(name)).pin(join(dir, name));
      for (const l of links) l.pin(join(dir, `link_${l.program}`));
      writeState(stateFile, { version: 1, interface: opts.interface, ...(opts.netns ? { netns: opts.netns } : {}), xdp, tcMode, installer: engine.snapshot(), policy: policyDocument(spec) });
      return { result, created: true, dir };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    } finally {
      // Pinned links stay attached and pinned maps stay; the rest goes.
      engine.close();
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Detaches a pinned policy's programs and removes its pins and state. False when there was none. */
export function deletePinnedPolicy(t: PinnedPolicyTarget): boolean {
  const { dir, stateFile } = pinnedPolicyPaths(t);
  if (!existsSync(dir) && !existsSync(stateFile)) return false;
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('link_')) continue;
      const l = Link.openPinned(join(dir, name));
      try {
        l.detach();
      } finally {
        l.close();
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
  // The per-namespace directories go with their last interface.
  for (const parent of [dirname(dir), dirname(stateFile)]) {
    try {
      if (readdirSync(parent).length === 0) rmSync(parent, { recursive: true });
    } catch {
      // already gone
    }
  }
  return true;
}
