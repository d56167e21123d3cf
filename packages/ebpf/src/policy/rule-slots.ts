/**
 * Counter slots by rule name, stable across reloads: a rule that survives an edit keeps its slot
 * and so its packet and byte counts (Prometheus counters must never go backwards). A slot freed
 * by a removed rule is reused only after the engine has zeroed it (`takeFreed`), lowest first.
 * There are slots for twice the largest rule set: the set in force and a next one with all-new names.
 */
import { POLICY } from './maps.js';

export class RuleSlots {
  private readonly byName = new Map<string, number>();
  private readonly free: number[] = [];
  /** Freed since the last takeFreed(): the engine zeroes these before they can be handed out. */
  private freed: number[] = [];
  private next: number = POLICY.FIRST_RULE_SLOT;

  /** Gives every name a slot, keeps existing ones, frees the slots of names no longer present. */
  assign(names: Iterable<string>): Map<string, number> {
    const want = new Set(names);
    for (const [name, slot] of this.byName) {
      if (!want.has(name)) {
        this.byName.delete(name);
        this.freed.push(slot);
      }
    }
    for (const name of want) {
      if (this.byName.has(name)) continue;
      let slot = this.free.shift();
      if (slot === undefined) {
        // Compile refuses sets of more than MAX_RULES; this is the old set plus the new one.
        if (this.next >= POLICY.COUNTER_SLOTS) throw new RangeError(`no counter slot left: ${this.byName.size} rules in use and more to add`);
        slot = this.next++;
      }
      this.byName.set(name, slot);
    }
    return new Map(this.byName);
  }

  /** Slots freed by the last assign(); after the caller zeroed them they become reusable. */
  takeFreed(): number[] {
    const out = this.freed;
    this.freed = [];
    return out;
  }

  /** Marks slots zeroed and reusable. */
  release(slots: readonly number[]): void {
    for (const s of slots) this.free.push(s);
    this.free.sort((a, b) => a - b);
  }

  get(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** What restore() needs to rebuild this allocator in another process. */
  snapshot(): RuleSlotsState {
    return { byName: Object.fromEntries(this.byName), free: [...this.free], next: this.next };
  }

  static restore(state: RuleSlotsState): RuleSlots {
    const s = new RuleSlots();
    for (const [name, slot] of Object.entries(state.byName)) s.byName.set(name, slot);
    s.free.push(...state.free);
    s.next = state.next;
    return s;
  }
}

export interface RuleSlotsState {
  byName: Record<string, number>;
  free: number[];
  next: number;
}
