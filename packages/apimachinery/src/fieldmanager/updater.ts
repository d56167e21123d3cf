/**
 * Ownership bookkeeping for writes (structured-merge-diff's merge.Updater, with the
 * managedFieldsUpdater and conflict formatting of k8s.io/apiserver's fieldmanager):
 *
 * - **Update** (create, PUT, non-apply PATCH): the writer gains the fields it added or changed;
 *   every manager loses the fields the write removed or changed. Nothing changed, nothing moves.
 * - **Apply**: the configuration is merged into the live object; the applier owns exactly the
 *   fields of its configuration; fields it applied last time and no longer sends are removed
 *   unless someone else owns them; changing a field another manager owns is a conflict
 *   (409) unless forced, which takes the field away from that manager.
 *
 * Objects are compared as given: callers strip what nobody should own (managedFields,
 * resourceVersion, …). `ignored` fields (reset by the server, like `status` on the main
 * resource) are neither owned nor conflicted on.
 *
 * @example
 * const { object, managers } = applyConfig({ live, config, type, managers, applier, force: false, now });
 */
import { newApplyConflict, type ApiError, type StatusCause } from '../errors.js';
import { jsonDeepEqual } from '../patch/json-patch.js';
import { FieldSet } from './field-set.js';
import { managerKey, type ManagerEntry, type ManagerIdentity, type Managers } from './managed-fields.js';
import { pathToString, type Path } from './path.js';
import { compareTyped, ensureNamedFieldsAreMembers, mergeTyped, removeItems, toFieldSet, type Comparison } from './typed.js';
import type { TypeNode } from './type-tree.js';

export interface Conflict {
  manager: ManagerIdentity;
  path: Path;
}

/** Fields of the applied configuration that other managers own with a different value. */
export class ApplyConflictsError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(conflictMessage(conflicts));
  }
}

/** How a manager is named in conflict messages: `"kubectl-edit" using v1`, `"kubectl" with subresource "scale" using apps/v1`, `"ci"`. */
export function describeManager(m: ManagerIdentity): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** `Apply failed with 1 conflict: conflict with "m" using v1: .data.a`, or one line per field for several. */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) return `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0].manager)}: ${pathToString(conflicts[0].path)}`;
  const byManager = new Map<string, { m: ManagerIdentity; paths: Path[] }>();
  for (const c of conflicts) {
    const k = managerKey(c.manager);
    if (!byManager.has(k)) byManager.set(k, { m: c.manager, paths: [] });
    byManager.get(k)!.paths.push(c.path);
  }
  const lines: string[] = [];
  for (const k of [...byManager.keys()].sort()) {
    const { m, paths } = byManager.get(k)!;
    lines.push(`conflicts with ${describeManager(m)}:`);
    for (const p of paths) lines.push(`- ${pathToString(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The 409 a client sees: one FieldManagerConflict cause per field. */
export function newApplyConflictError(conflicts: Conflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.manager)}`, field: pathToString(c.path) }));
  return newApplyConflict(causes, conflictMessage(conflicts));
}

function excluding(c: Comparison, ignored: FieldSet | undefined): Comparison {
  if (!ignored || ignored.isEmpty()) return c;
  return { added: c.added.recursiveDifference(ignored), modified: c.modified.recursiveDifference(ignored), removed: c.removed.recursiveDifference(ignored) };
}

/**
 * Takes what changed between `live` and `next` away from every manager but `skip`: changed and
 * added fields (a conflict unless `force`), removed fields. Returns the comparison.
 */
function updateOthers(live: unknown, next: unknown, type: TypeNode, managers: Managers, skip: string | undefined, force: boolean, ignored: FieldSet | undefined): Comparison {
  const c = excluding(compareTyped(live, next, type), ignored);
  const changed = c.modified.union(c.added);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [key, entry] of managers) {
    if (key === skip) continue;
    const clash = entry.set.intersection(changed);
    if (!clash.isEmpty()) {
      taken.set(key, clash);
      for (const path of clash.paths()) conflicts.push({ manager: identity(entry), path });
    }
  }
  if (!force && conflicts.length > 0) {
    conflicts.sort((a, b) => (managerKey(a.manager) < managerKey(b.manager) ? -1 : managerKey(a.manager) > managerKey(b.manager) ? 1 : 0));
    throw new ApplyConflictsError(conflicts);
  }
  for (const [key, entry] of [...managers]) {
    if (key === skip) continue;
    let set = entry.set;
    const clash = taken.get(key);
    if (clash) set = set.difference(clash);
    if (!c.removed.isEmpty()) set = set.difference(c.removed);
    if (set.isEmpty()) managers.delete(key);
    else if (set !== entry.set) managers.set(key, { ...entry, set });
  }
  return c;
}

function identity(e: ManagerIdentity): ManagerIdentity {
  return { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, subresource: e.subresource };
}

export interface UpdateInput {
  /** The object before the write; undefined for a create. */
  live: unknown;
  /** The object the write stores. */
  next: unknown;
  type: TypeNode;
  managers: Managers;
  /** The writer; `operation` is Update. */
  manager: ManagerIdentity;
  /** RFC 3339 time to stamp on the writer's entry when it gains fields. */
  now: string;
  ignored?: FieldSet;
}

/** Ownership after an Update operation (a new Managers; the input is not changed). */
export function updateManagers(input: UpdateInput): Managers {
  const managers: Managers = new Map(input.managers);
  const c = updateOthers(input.live, input.next, input.type, managers, undefined, true, input.ignored);
  let gained = c.modified.union(c.added);
  if (input.ignored) gained = gained.recursiveDifference(input.ignored);
  if (gained.isEmpty()) return managers;
  const key = managerKey(input.manager);
  const prev = managers.get(key);
  const entry: ManagerEntry = { ...identity(input.manager), set: prev ? prev.set.union(gained) : gained, time: input.now };
  managers.set(key, entry);
  return managers;
}

export interface ApplyInput {
  live: unknown;
  /** The applied configuration (a partial object). */
  config: unknown;
  type: TypeNode;
  managers: Managers;
  /** The applier; `operation` is Apply. */
  manager: ManagerIdentity;
  force: boolean;
  now: string;
  ignored?: FieldSet;
}

export interface ApplyResult {
  /** The merged object. */
  object: unknown;
  managers: Managers;
  /** False when the merged object equals the live one (ownership may still have moved). */
  changed: boolean;
}

/**
 * Server-side apply of `config` onto `live`. Throws {@link ApplyConflictsError} when a field
 * another manager owns would change and `force` is false; throws TypedValueError for a
 * configuration that cannot be merged (duplicate keys, items without their key fields).
 */
export function applyConfig(input: ApplyInput): ApplyResult {
  const { type, ignored } = input;
  const managers: Managers = new Map(input.managers);
  const key = managerKey(input.manager);
  const merged = mergeTyped(input.live ?? {}, input.config, type);
  const last = managers.get(key)?.set;
  let set = toFieldSet(input.config, type);
  if (ignored) set = set.recursiveDifference(ignored);
  const prevTime = managers.get(key)?.time;
  managers.set(key, { ...identity(input.manager), set, time: prevTime });
  const pruned = prune(merged, type, managers, last);
  updateOthers(input.live ?? {}, pruned, type, managers, key, input.force, ignored);
  const changed = !jsonDeepEqual(input.live ?? {}, pruned);
  const entry = managers.get(key)!;
  // The applier's entry is stamped when its apply changed the object (or when it is new).
  if (changed || !entry.time) managers.set(key, { ...entry, time: input.now });
  return { object: pruned, managers, changed };
}

/**
 * Removes what the applier applied last time, no longer applies, and nobody else owns
 * (structured-merge-diff's prune, addBackOwnedItems and addBackDanglingItems in one step).
 */
function prune(merged: unknown, type: TypeNode, managers: Managers, last: FieldSet | undefined): unknown {
  if (!last || last.isEmpty()) return merged;
  let owned = new FieldSet();
  for (const e of managers.values()) owned = owned.union(e.set);
  const toRemove = ensureNamedFieldsAreMembers(last, type).difference(ensureNamedFieldsAreMembers(owned, type));
  return removeItems(merged, toRemove, type);
}
