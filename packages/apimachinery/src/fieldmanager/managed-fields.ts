/**
 * `metadata.managedFields`: who owns which fields of an object, one entry per manager,
 * operation (Apply or Update), subresource and — for updates — API version.
 *
 * ```json
 * {"manager":"kubectl","operation":"Apply","apiVersion":"v1","time":"2024-01-01T00:00:00Z",
 *  "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}}}
 * ```
 *
 * Entries are encoded as k8s.io/apiserver's fieldmanager writes them: Apply entries first, then
 * by time, manager, API version and subresource; entries that own nothing are dropped; at most
 * {@link MAX_UPDATE_MANAGERS} Update entries are kept, older ones merged into an
 * `ancient-changes` entry per API version.
 *
 * @example
 * const managers = decodeManagedFields(obj.metadata.managedFields);
 * obj.metadata.managedFields = encodeManagedFields(managers);
 */
import type { ManagedFieldsEntry } from '../meta.js';
import { FieldSet, FieldsV1Error } from './field-set.js';

export type ManagedFieldsOperation = 'Apply' | 'Update';

/** Who a set of fields belongs to. Two entries with the same identity are one manager. */
export interface ManagerIdentity {
  manager: string;
  operation: ManagedFieldsOperation;
  /** Part of the identity of Update entries only: an applier keeps one entry across versions. */
  apiVersion: string;
  subresource: string;
}

export interface ManagerEntry extends ManagerIdentity {
  set: FieldSet;
  /** RFC 3339, seconds. */
  time?: string;
}

/** Entries keyed by {@link managerKey}. */
export type Managers = Map<string, ManagerEntry>;

/** k8s.io/apiserver keeps this many Update entries (DefaultMaxUpdateManagers). */
export const MAX_UPDATE_MANAGERS = 10;
/** The entry older updates are merged into when there are too many. */
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';

export function managerKey(id: ManagerIdentity): string {
  return JSON.stringify([id.manager, id.operation, id.operation === 'Apply' ? '' : id.apiVersion, id.subresource]);
}

/** Thrown for managedFields that cannot be read; the write then keeps the live object's. */
export class ManagedFieldsError extends Error {}

// Every write decodes the stored managedFields and encodes them again, and most entries are
// unchanged (and alike across objects of one kind): both directions are cached. Sets are never
// changed once built, and cached FieldsV1 objects are frozen.
const DECODED_CACHE_SIZE = 4096;
const decoded = new Map<string, FieldSet>();
const encoded = new WeakMap<FieldSet, Record<string, unknown>>();

function readFieldsV1(fields: unknown): FieldSet {
  const key = JSON.stringify(fields);
  let set = decoded.get(key);
  if (set) {
    // Refresh its place in the LRU order.
    decoded.delete(key);
    decoded.set(key, set);
    return set;
  }
  set = FieldSet.fromFieldsV1(fields);
  decoded.set(key, set);
  if (decoded.size > DECODED_CACHE_SIZE) decoded.delete(decoded.keys().next().value as string);
  return set;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** The FieldsV1 object of a set (shared and frozen: copy it before changing it). */
export function fieldsV1Of(set: FieldSet): Record<string, unknown> {
  let f = encoded.get(set);
  if (!f) {
    f = deepFreeze(set.toFieldsV1());
    encoded.set(set, f);
  }
  return f;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads `metadata.managedFields` (undefined or null read as none). Throws ManagedFieldsError.
 * The sets are shared with other reads of the same FieldsV1: combine them, never change them.
 */
export function decodeManagedFields(entries: unknown): Managers {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  for (const [i, e] of entries.entries()) {
    if (!isObject(e)) throw new ManagedFieldsError(`managedFields[${i}] must be an object`);
    for (const k of ['manager', 'apiVersion', 'time', 'fieldsType', 'subresource']) {
      if (e[k] !== undefined && e[k] !== null && typeof e[k] !== 'string') throw new ManagedFieldsError(`managedFields[${i}].${k} must be a string`);
    }
    const operation = e.operation ?? '';
    if (operation !== 'Apply' && operation !== 'Update' && operation !== '') {
      throw new ManagedFieldsError(`managedFields[${i}].operation must be Apply or Update`);
    }
    let set: FieldSet;
    try {
      set = e.fieldsV1 === undefined || e.fieldsV1 === null ? new FieldSet() : readFieldsV1(e.fieldsV1);
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(`managedFields[${i}].fieldsV1: ${err.message}`);
      throw err;
    }
    const entry: ManagerEntry = {
      manager: (e.manager as string) ?? '',
      operation: (operation || 'Update') as ManagedFieldsOperation,
      apiVersion: (e.apiVersion as string) ?? '',
      subresource: (e.subresource as string) ?? '',
      set,
    };
    if (typeof e.time === 'string' && e.time) entry.time = e.time;
    const key = managerKey(entry);
    const prev = out.get(key);
    // Two entries for one manager (written by hand): one entry owning both.
    if (prev) prev.set = prev.set.union(set);
    else out.set(key, entry);
  }
  return out;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The wire form, sorted as upstream sorts it, without entries that own nothing. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const entries = [...managers.values()].filter((e) => !e.set.isEmpty());
  entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource, q.subresource),
  );
  return entries.map((e) => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = fieldsV1Of(e.set);
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

/**
 * Merges the oldest Update entries into `ancient-changes` entries (one per API version) until
 * at most `max` Update entries remain (capManagersManager).
 */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): Managers {
  const updaters = [...managers.entries()].filter(([, e]) => e.operation === 'Update');
  if (updaters.length <= max) return managers;
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || cmp(ka, kb));
  const out: Managers = new Map(managers);
  const firstOfVersion = new Map<string, string>();
  let count = updaters.length;
  for (const [key, e] of updaters) {
    if (count <= max) break;
    const bucketId: ManagerIdentity = { manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: e.apiVersion, subresource: '' };
    const bucketKey = managerKey(bucketId);
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, key);
      continue;
    }
    if (!out.has(bucketKey)) {
      const f = out.get(first)!;
      out.delete(first);
      out.set(bucketKey, { ...bucketId, set: f.set, time: f.time });
    }
    const bucket = out.get(bucketKey)!;
    out.set(bucketKey, { ...bucket, set: bucket.set.union(e.set), time: e.time });
    out.delete(key);
    count--;
  }
  return out;
}
