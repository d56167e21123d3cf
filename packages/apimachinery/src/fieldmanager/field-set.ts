/**
 * A set of field paths (structured-merge-diff's fieldpath.Set) and its FieldsV1 form.
 *
 * The set is a tree: each node holds the elements that are themselves members of the set and
 * the elements that lead to deeper members. A path can be both: `.spec.containers[name="a"]`
 * is a member (the applier owns the item's existence) and has members below it (`.image`).
 *
 * FieldsV1 writes the tree as nested JSON objects keyed by serialized path elements; `{}` is a
 * member without children, and `".": {}` marks a node that is a member and also has children.
 *
 * Set operations return new sets that share unchanged subtrees with their inputs: build a set
 * (insert, descend) before combining it, and do not change it afterwards.
 *
 * @example
 * const s = FieldSet.fromFieldsV1({ 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });
 * s.has([fieldElement('data'), fieldElement('a')]); // true
 * s.toFieldsV1(); // the same object, keys in upstream's order
 */
import { comparePathElements, parsePathElement, PathElementSyntaxError, serializePathElement, type Path, type PathElement } from './path.js';

interface ChildNode {
  pe: PathElement;
  set: FieldSet;
}

/** Thrown by {@link FieldSet.fromFieldsV1} for data that is not a FieldsV1 tree. */
export class FieldsV1Error extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, ChildNode>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  /** The child node for `pe` when one exists (for walkers that go down one element at a time). */
  child(key: string): FieldSet | undefined {
    return this.children.get(key)?.set;
  }

  /** Like descend, for a caller that already has the element's serialized key. */
  descendKey(key: string, pe: PathElement): FieldSet {
    let c = this.children.get(key);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(key, c);
    }
    return c.set;
  }

  /** Like insertMember, with the element's serialized key. */
  insertMemberKey(key: string, pe: PathElement): void {
    this.members.set(key, pe);
  }

  hasMemberKey(key: string): boolean {
    return this.members.has(key);
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    const node = path.slice(0, -1).reduce<FieldSet>((n, pe) => n.descend(pe), this);
    const last = path[path.length - 1];
    node.members.set(serializePathElement(last), last);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    const node = path.slice(0, -1).reduce<FieldSet | undefined>((n, pe) => n?.children.get(serializePathElement(pe))?.set, this);
    return node !== undefined && node.members.has(serializePathElement(path[path.length - 1]));
  }

  /** Whether `pe` (one element) is a member at this level. */
  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  /** The subset below `pe`, with `pe` removed from the front of each path (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? EMPTY;
  }

  /** The child node for `pe`, created when missing. */
  descend(pe: PathElement): FieldSet {
    const k = serializePathElement(pe);
    let c = this.children.get(k);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(k, c);
    }
    return c.set;
  }

  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, pe] of other.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      out.children.set(k, o ? { pe: c.pe, set: c.set.union(o.set) } : c);
    }
    for (const [k, c] of other.children) if (!this.children.has(k)) out.children.set(k, c);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    if (this.isEmpty() || other.isEmpty()) return out;
    for (const [k, pe] of this.members) if (other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      if (!o) continue;
      const sub = c.set.intersection(o.set);
      if (!sub.isEmpty()) out.children.set(k, { pe: c.pe, set: sub });
    }
    return out;
  }

  /** Members of this set that are not members of `other` (children compared path by path). */
  difference(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    const out = new FieldSet();
    let same = true;
    for (const [k, pe] of this.members) {
      if (!other.members.has(k)) out.members.set(k, pe);
      else same = false;
    }
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      if (!o) {
        out.children.set(k, c);
        continue;
      }
      const sub = c.set.difference(o.set);
      if (sub !== c.set) same = false;
      if (!sub.isEmpty()) out.children.set(k, sub === c.set ? c : { pe: c.pe, set: sub });
    }
    return same ? this : out;
  }

  /**
   * Like difference, but a member of `other` also takes away everything below it: with `a.b.c`
   * here and `a.b` in `other`, only `a`-level members stay.
   */
  recursiveDifference(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    const out = new FieldSet();
    let same = true;
    for (const [k, pe] of this.members) {
      if (!other.members.has(k)) out.members.set(k, pe);
      else same = false;
    }
    for (const [k, c] of this.children) {
      if (other.members.has(k)) {
        same = false;
        continue;
      }
      const o = other.children.get(k);
      if (!o) {
        out.children.set(k, c);
        continue;
      }
      const sub = c.set.recursiveDifference(o.set);
      if (sub !== c.set) same = false;
      if (!sub.isEmpty()) out.children.set(k, sub === c.set ? c : { pe: c.pe, set: sub });
    }
    return same ? this : out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, c] of this.children) out.children.set(k, { pe: c.pe, set: c.set.clone() });
    return out;
  }

  /** Every member path, in upstream's order (a node's members before its children's). */
  paths(): Path[] {
    const out: Path[] = [];
    this.collect([], out);
    return out;
  }

  private collect(prefix: Path, out: Path[]): void {
    for (const pe of sortedElements([...this.members.values()])) out.push([...prefix, pe]);
    for (const c of sortedChildren([...this.children.values()])) c.set.collect([...prefix, c.pe], out);
  }

  /** Member elements and child nodes at this level, for walkers that follow a schema. */
  entries(): { members: PathElement[]; children: { pe: PathElement; set: FieldSet }[] } {
    return { members: [...this.members.values()], children: [...this.children.values()].map((c) => ({ pe: c.pe, set: c.set })) };
  }

  /** Adds `pe` as a member at this level (used by schema walkers). */
  insertMember(pe: PathElement): void {
    this.members.set(serializePathElement(pe), pe);
  }

  /** Replaces the subtree for `pe` (used by schema walkers; an empty set removes it). */
  setChild(pe: PathElement, set: FieldSet): void {
    const k = serializePathElement(pe);
    if (set.isEmpty()) this.children.delete(k);
    else this.children.set(k, { pe, set });
  }

  /** The FieldsV1 object: keys in path element order, `"."` first where a member has children. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    // Keys are never "__proto__" (they start with "f:", "k:", "v:" or "i:"), so plain assignment is safe.
    const out: Record<string, unknown> = {};
    const kids = new Map<string, ChildNode>();
    for (const [k, c] of this.children) if (!c.set.isEmpty()) kids.set(k, c);
    if (includeSelf && (this.members.size > 0 || kids.size > 0)) out['.'] = {};
    const all: [string, PathElement][] = [...this.members];
    for (const [k, c] of kids) if (!this.members.has(k)) all.push([k, c.pe]);
    if (all.length > 1) all.sort((a, b) => comparePathElements(a[1], b[1]));
    for (const [k] of all) {
      const child = kids.get(k);
      out[k] = child ? child.set.emit(this.members.has(k)) : {};
    }
    return out;
  }

  /** Reads a FieldsV1 object. Keys of unknown element types are dropped, as upstream does. */
  static fromFieldsV1(fields: unknown): FieldSet {
    if (!isObject(fields)) throw new FieldsV1Error('FieldsV1 must be a JSON object');
    const { children } = readNode(fields);
    return children ?? new FieldSet();
  }
}

const EMPTY = new FieldSet();

/** Returns the node's children (undefined when it has none) and whether the node is a member. */
function readNode(obj: Record<string, unknown>): { children?: FieldSet; isMember: boolean } {
  let children: FieldSet | undefined;
  let isMember = false;
  for (const [key, value] of Object.entries(obj)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    let pe: PathElement | undefined;
    try {
      pe = parsePathElement(key);
    } catch (e) {
      if (e instanceof PathElementSyntaxError) throw new FieldsV1Error(e.message);
      throw e;
    }
    if (!pe) continue;
    if (!isObject(value)) throw new FieldsV1Error(`FieldsV1 value at ${JSON.stringify(key)} must be a JSON object`);
    const sub = readNode(value);
    children ??= new FieldSet();
    if (sub.isMember) children.insertMember(pe);
    if (sub.children) children.setChild(pe, sub.children);
  }
  // A node with no children at all (`{}`) is a member.
  if (!children || children.isEmpty()) isMember = true;
  return { children: children && !children.isEmpty() ? children : undefined, isMember };
}

function sortedElements(pes: PathElement[]): PathElement[] {
  return pes.sort(comparePathElements);
}

function sortedChildren(cs: ChildNode[]): ChildNode[] {
  return cs.sort((a, b) => comparePathElements(a.pe, b.pe));
}
