/**
 * The L4 policy engine: policy.bpf.c loaded once, attached to one interface (TC ingress and
 * egress, or XDP for ingress), and rule sets applied as map updates, never by reloading the
 * program (see installer.ts for why a packet never sees half a change).
 *
 * ```ts
 * const engine = await PolicyEngine.load();
 * engine.attach({ interface: 'eth0' });              // or { interface: 'veth1', netns: 'blue', xdp: 'native' }
 * engine.apply(readPolicyFile('rules.yaml'));
 * for (const c of engine.counters()) console.log(c.rule, c.packets);
 * engine.close();
 * ```
 */
import type { BpfObject } from '../object.js';
import type { BpfProgram } from '../program.js';
import type { Link } from '../link.js';
import type { BpfMap, PerCpuMap } from '../map.js';
import { MapOpBatch } from '../map-ops.js';
import type { NetnsRef } from '../netns.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { PolicyInstaller, type CopyContents, type InstallerState, type InstallResult, type PolicyMapName, type PolicyMapWriter } from './installer.js';
import { POLICY, sumCounters } from './maps.js';
import type { Action, Direction, PolicySpec } from './rules.js';

export interface AttachPolicyOptions {
  /** Interface name or ifindex, as seen in `netns`. */
  interface: string | number;
  netns?: NetnsRef;
  /** Enforce ingress in XDP (before the kernel builds an skb) instead of TC: 'native', 'generic' or 'auto'. */
  xdp?: false | 'auto' | 'native' | 'generic';
  /** TC attachment: tcx links on Linux >= 6.6, classic clsact before ('auto', the default). */
  tcMode?: 'auto' | 'tcx' | 'clsact';
  /** Directions to enforce; default both. */
  directions?: readonly Direction[];
}

export interface ApplyResult extends InstallResult {
  compileMs: number;
  stats: CompiledPolicy['stats'];
}

export interface RuleCounters {
  /** Rule name; `(default)` for the default action, `(reply)` for replies of allowed flows. */
  rule: string;
  action: Action;
  direction: Direction;
  packets: bigint;
  bytes: bigint;
}

/** Opens and loads policy.bpf.c; inject one to load it another way (options, another path). */
export type PolicyObjectLoader = () => Promise<BpfObject>;

async function defaultLoader(): Promise<BpfObject> {
  // Loaded lazily so that importing the policy modules (for parsing and compiling rules) never needs the addon.
  const [{ BpfObject }, { objectPath }] = await Promise.all([import('../object.js'), import('../paths.js')]);
  const obj = BpfObject.open(objectPath('policy'));
  try {
    await obj.load();
  } catch (err) {
    obj.close();
    throw err;
  }
  return obj;
}

/** The maps the engine writes and reads: those of a loaded object, or pinned ones (pinned.ts). */
export interface PolicyMaps {
  map(name: PolicyMapName): BpfMap;
  counters(): PerCpuMap;
  /** Releases maps opened for the engine (pinned ones); an object's maps close with the object. */
  close?(): void;
}

export class PolicyEngine {
  /** The loaded program object; undefined for an engine opened from pinned maps. */
  readonly object: BpfObject | undefined;
  private readonly maps: PolicyMaps;
  private readonly installer: PolicyInstaller;
  private readonly links: Link[] = [];
  private spec: PolicySpec | undefined;
  private closed = false;

  /** @internal use load() or openPinnedPolicy() */
  constructor(maps: PolicyMaps, object?: BpfObject, restored?: { state: InstallerState; copies: [CopyContents, CopyContents]; spec?: PolicySpec }) {
    this.object = object;
    this.maps = maps;
    const zero = new Uint8Array(16);
    const writer: PolicyMapWriter = {
      update: (name, key, value) => maps.map(name).update(key, value),
      delete: (name, key) => void maps.map(name).delete(key),
      zeroCounters: (slots) => {
        const counters = maps.counters();
        const k = new Uint8Array(4);
        const v = new DataView(k.buffer);
        for (const s of slots) {
          v.setUint32(0, s, true);
          counters.update(k, zero);
        }
      },
      prepareBatch: (ops) => {
        const batch = new MapOpBatch();
        for (const op of ops) {
          if (op.value) batch.update(maps.map(op.map), op.key, op.value);
          else batch.delete(maps.map(op.map), op.key);
        }
        // The fds are resolved now: the write window holds the addon call alone.
        return { run: batch.prepare() };
      },
    };
    this.installer = new PolicyInstaller(writer, restored);
    this.spec = restored?.spec;
  }

  /** Loads policy.bpf.c (nothing attached, no rules: packets pass until apply()). */
  static async load(loader: PolicyObjectLoader = defaultLoader): Promise<PolicyEngine> {
    const object = await loader();
    const cache = new Map<PolicyMapName, BpfMap>();
    let counters: PerCpuMap | undefined;
    return new PolicyEngine(
      {
        map: (name) => {
          let m = cache.get(name);
          if (!m) cache.set(name, (m = object.map(name)));
          return m;
        },
        counters: () => (counters ??= object.perCpuMap('policy_counters')),
      },
      object,
    );
  }

  private loaded(what: string): BpfObject {
    if (!this.object) throw new Error(`${what}: this engine was opened from pinned maps; its programs stay attached as they were pinned (keelson policy delete removes them)`);
    return this.object;
  }

  /** The state to save next to pinned maps (pinned.ts). */
  snapshot(): InstallerState {
    return this.installer.snapshot();
  }

  /** A program of the object, for BPF_PROG_TEST_RUN: policy_tc_ingress, policy_tc_egress, policy_xdp_ingress. */
  program(name: 'policy_tc_ingress' | 'policy_tc_egress' | 'policy_xdp_ingress' | 'policy_tc_empty' | 'policy_xdp_empty'): BpfProgram {
    return this.loaded(`program ${name}`).program(name);
  }

  /** Attaches to an interface; call once per interface. Rules apply to every attachment. */
  attach(opts: AttachPolicyOptions): Link[] {
    const dirs = opts.directions ?? ['ingress', 'egress'];
    const made: Link[] = [];
    try {
      for (const d of dirs) {
        if (d === 'ingress' && opts.xdp) {
          made.push(this.program('policy_xdp_ingress').attachXdp({ interface: opts.interface, netns: opts.netns, mode: opts.xdp }));
        } else {
          const prog = this.program(d === 'ingress' ? 'policy_tc_ingress' : 'policy_tc_egress');
          made.push(prog.attachTc({ interface: opts.interface, netns: opts.netns, direction: d, mode: opts.tcMode ?? 'auto' }));
        }
      }
    } catch (err) {
      for (const l of made) l.close();
      throw err;
    }
    this.links.push(...made);
    return made;
  }

  /**
   * Compiles and installs a rule set. Synchronous: when it returns, the next packet is decided
   * by the new rules. On a compile or map error the previous rules stay in force.
   */
  apply(spec: PolicySpec): ApplyResult {
    if (this.closed) throw new Error('the policy engine is closed');
    const t0 = performance.now();
    const slots = this.installer.assignSlots(spec.rules.map((r) => r.name));
    const compiled = compilePolicy(spec, slots);
    const compileMs = performance.now() - t0;
    const r = this.installer.install(compiled);
    this.spec = spec;
    return { ...r, compileMs, stats: compiled.stats };
  }

  /** Brings the standby copy of the maps up to date now rather than in the background (benchmarks). */
  settle(): void {
    this.installer.catchUpNow();
  }

  /** The rule set in force. */
  get current(): PolicySpec | undefined {
    return this.spec;
  }

  get generation(): number {
    return this.installer.currentGeneration;
  }

  /**
   * Packet and byte counts per rule of the rule set in force, and of the default action and of
   * replies per direction, summed over CPUs. Counts are kept across reloads for rules that keep
   * their name.
   */
  counters(): RuleCounters[] {
    const m = this.maps.counters();
    const key = new Uint8Array(4);
    const kv = new DataView(key.buffer);
    const read = (slot: number): { packets: bigint; bytes: bigint } => {
      kv.setUint32(0, slot, true);
      return sumCounters(m.lookup(key) ?? []);
    };
    const out: RuleCounters[] = [];
    const spec = this.spec;
    for (const d of ['ingress', 'egress'] as const) {
      out.push({ rule: '(default)', action: spec?.defaultAction[d] ?? 'allow', direction: d, ...read(d === 'ingress' ? POLICY.SLOT_DEFAULT_INGRESS : POLICY.SLOT_DEFAULT_EGRESS) });
      out.push({ rule: '(reply)', action: 'allow', direction: d, ...read(d === 'ingress' ? POLICY.SLOT_REPLY_INGRESS : POLICY.SLOT_REPLY_EGRESS) });
    }
    const slots = this.installer.ruleSlots;
    for (const r of spec?.rules ?? []) {
      const slot = slots.get(r.name);
      if (slot !== undefined) out.push({ rule: r.name, action: r.action, direction: r.direction, ...read(slot) });
    }
    return out;
  }

  /** Detaches every link and unloads the program. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.installer.dispose();
    const errors: unknown[] = [];
    for (const l of this.links.splice(0)) {
      try {
        l.close();
      } catch (err) {
        errors.push(err);
      }
    }
    try {
      this.object?.close();
    } finally {
      this.maps.close?.();
    }
    if (errors.length > 0) throw errors[0];
  }
}

