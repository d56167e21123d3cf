import Database from 'better-sqlite3';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StorageError,
  StoreClosedError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchHandle,
  type WatchListener,
} from './store.js';
import { checkKey, prefixEnd, rangeStart, readRevision } from './internal/keys.js';
import { SortedStrings } from './internal/sorted-strings.js';
import { WatchHub } from './internal/watch-hub.js';

export interface SqliteStoreOptions {
  /** The database file, or ':memory:'. */
  path: string;
  /**
   * When a commit is durable. 'normal' (default): once a write is acknowledged it survives the
   * process crashing or being killed; an OS crash or power cut may lose the last writes (the
   * file stays consistent). 'full': it also survives power loss, at about a fifth of the write
   * rate (one fsync per write). See the comment at the pragma.
   */
  synchronous?: 'normal' | 'full';
}

/** Version of the tables below; a file with another version is refused. */
const SCHEMA_VERSION = 1;

/**
 * kine's single append-only table: one row per revision. `id` is the revision and is assigned
 * by this store (it is the only writer, see the exclusive lock), not by AUTOINCREMENT: the
 * store knows the next revision, and compaction never deletes the newest row, so MAX(id) is
 * the current revision after a restart. AUTOINCREMENT would add a write to sqlite_sequence to
 * every commit (about 25% of the write rate measured) to guard against a reuse that cannot
 * happen here.
 *
 * A tombstone (deleted=1) carries the deleted value, so a delete event needs no second read.
 * (name, prev_revision) is UNIQUE as in kine: two writes built on the same previous row of a
 * key cannot both commit, whatever happens above. (name, id, deleted) serves "latest row of a
 * key at or below a revision" and, covering, the GROUP BY of range reads and counts.
 */
const SCHEMA = `
CREATE TABLE kine (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE UNIQUE INDEX kine_name_prev_revision ON kine (name, prev_revision);
CREATE INDEX kine_name_id_deleted ON kine (name, id, deleted);
CREATE TABLE keelson_meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO keelson_meta (name, value) VALUES
  ('schema_version', ${SCHEMA_VERSION}),
  -- Reads below this revision fail with CompactedError.
  ('compact_revision', 0),
  -- Superseded rows and tombstones up to this revision are gone; compaction resumes here.
  ('compact_progress', 0);
`;

/** Revisions handled per compaction step; each step is one short transaction. */
const COMPACT_WINDOW = 1000;

/**
 * How long to wait for a lock when opening. The store holds an exclusive lock for its whole
 * life, so waiting only helps when the previous owner is just exiting.
 */
const OPEN_BUSY_TIMEOUT_MS = 500;

type Row = [id: number, name: string, created: number, deleted: number, createRevision: number, prevRevision: number, value: string];
type LatestRow = [id: number, deleted: number, createRevision: number, value: string];
type PageRow = [id: number, name: string, createRevision: number, value: string];
type HistoryRow = [...Row, prevValue: string | null, prevCreateRevision: number | null];

/**
 * The Store in one SQLite file in kine's layout (see SCHEMA), through better-sqlite3.
 *
 * The process that opens the file owns it: it takes SQLite's exclusive lock until close(), so
 * it can keep the current revision in memory, deliver watch events right after each commit
 * (no polling, no gaps to fill), and keep an in-memory index of the live keys that answers
 * count() and a page's `remaining` without scanning. Opening a file another process holds
 * fails with a StorageError that names the file.
 *
 * ```ts
 * const store = new SqliteStore({ path: '/var/lib/keelson/keelson.db' });
 * const kv = await store.create('/registry/pods/default/a', '{}');
 * await store.update(kv.key, '{"x":1}', kv.modRevision);
 * await store.close();
 * ```
 */
export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  /** The database file. */
  readonly path: string;
  private readonly db: Database.Database;
  private revision: number;
  private compacted: number;
  private compactProgress: number;
  private liveKeys: SortedStrings;
  private closed = false;
  private readonly hub: WatchHub;
  /** Compactions run one after the other. */
  private compaction: Promise<void> = Promise.resolve();

  private readonly q: ReturnType<typeof prepareStatements>;
  private readonly writeTx: <T>(fn: () => T) => T;

  constructor(opts: SqliteStoreOptions) {
    this.path = opts.path;
    let db: Database.Database;
    try {
      db = new Database(opts.path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    } catch (err) {
      throw openError(opts.path, err);
    }
    try {
      this.db = db;
      initialize(db, opts);
      this.q = prepareStatements(db);
      const tx = db.transaction((fn: () => unknown) => fn());
      this.writeTx = tx as <T>(fn: () => T) => T;
      this.revision = (db.prepare('SELECT MAX(id) FROM kine').pluck().get() as number | null) ?? 0;
      this.compacted = this.q.getMeta.get('compact_revision')!;
      this.compactProgress = this.q.getMeta.get('compact_progress')!;
      const live: string[] = [];
      for (const [name, , deleted] of this.q.latestPerNameAll.iterate()) if (!deleted) live.push(name);
      this.liveKeys = SortedStrings.fromSorted(live);
    } catch (err) {
      db.close();
      throw openError(opts.path, err);
    }
    this.hub = new WatchHub({
      readHistory: (prefix, end, after, upTo) => this.readHistory(prefix, end, after, upTo),
      currentRevision: () => this.revision,
      compactedRevision: () => this.compacted,
    });
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined> {
    this.checkOpen();
    const rev = readRevision(opts?.revision, this.revision, this.compacted);
    const row = this.q.getAt.get(key, rev);
    return row && !row[1] ? keyValue(key, row[3], row[2], row[0]) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const rev = readRevision(opts.revision, this.revision, this.compacted);
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : -1;
    const start = rangeStart(prefix, opts.startKey);
    const end = prefixEnd(prefix);
    const atCurrent = rev === this.revision;
    // At an old revision, one row more than asked tells whether a count is needed at all.
    const fetch = limit < 0 || atCurrent ? limit : limit + 1;
    const rows = end === undefined ? this.q.pageOpen.all(start, rev, fetch) : this.q.page.all(start, end, rev, fetch);
    const items: KeyValue[] = [];
    const n = limit < 0 ? rows.length : Math.min(rows.length, limit);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      items.push(keyValue(r[1], r[3], r[2], r[0]));
    }
    let remaining = 0;
    if (atCurrent) {
      remaining = this.liveKeys.countRange(start, end) - items.length;
    } else if (rows.length > n) {
      const total = end === undefined ? this.q.countOpen.get(start, rev)! : this.q.count.get(start, end, rev)!;
      remaining = total - items.length;
    }
    return { items, revision: rev, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.liveKeys.countRange(prefix, prefixEnd(prefix));
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    const rev = this.revision + 1;
    this.writeTx(() => {
      const latest = this.q.latest.get(key);
      if (latest && !latest[1]) throw new KeyExistsError(key);
      this.q.insert.run(rev, key, 1, 0, rev, latest ? latest[0] : 0, value);
    });
    const kv = keyValue(key, value, rev, rev);
    this.liveKeys.add(key);
    this.committed(Object.freeze({ type: 'put', kv, revision: rev }));
    return kv;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    const rev = this.revision + 1;
    const prevKv = this.writeTx(() => {
      const prev = this.liveRow(key, expectedRevision);
      this.q.insert.run(rev, key, 0, 0, prev.createRevision, prev.modRevision, value);
      return prev;
    });
    const kv = keyValue(key, value, prevKv.createRevision, rev);
    this.committed(Object.freeze({ type: 'put', kv, prevKv, revision: rev }));
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    const rev = this.revision + 1;
    const prevKv = this.writeTx(() => {
      const prev = this.liveRow(key, expectedRevision);
      this.q.insert.run(rev, key, 0, 1, prev.createRevision, prev.modRevision, prev.value);
      return prev;
    });
    const kv = keyValue(key, prevKv.value, prevKv.createRevision, rev);
    this.liveKeys.delete(key);
    this.committed(Object.freeze({ type: 'delete', kv, prevKv, revision: rev }));
    return kv;
  }

  watch(prefix: string, afterRevision: number, listener: WatchListener): WatchHandle {
    this.checkOpen();
    return this.hub.watch(prefix, afterRevision, listener);
  }

  /**
   * Records `revision` as the compacted revision first (so reads below it fail from now on,
   * and never see a half-compacted state), then deletes, COMPACT_WINDOW revisions per
   * transaction with a turn of the event loop in between, the rows a read at `revision` cannot
   * see: rows superseded at or below it, and tombstones at or below it. The newest row of the
   * table is always kept (it carries the current revision across restarts); a row it
   * supersedes goes at the next compaction. Reads at exactly `revision` still work. At or below
   * the compacted revision: nothing new is forgotten (it finishes a compaction that close() cut
   * short, if any).
   */
  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    const run = this.compaction.then(() => this.runCompaction(revision));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    // Closing the last connection checkpoints the WAL into the main file and removes it.
    this.db.close();
  }

  private async runCompaction(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.compacted) {
      this.q.setMeta.run(revision, 'compact_revision');
      this.compacted = revision;
    }
    // Up to the compacted revision even when `revision` is lower: that finishes the work of a
    // compaction cut short by close(). Never the newest row: MAX(id) must stay the current
    // revision.
    const stop = Math.min(this.compacted, this.revision - 1);
    while (this.compactProgress < stop) {
      const lo = this.compactProgress;
      const hi = Math.min(lo + COMPACT_WINDOW, stop);
      this.writeTx(() => {
        // Predecessors first: the second statement removes tombstones that name some of them.
        this.q.deleteSuperseded.run(lo, hi);
        this.q.deleteTombstones.run(lo, hi);
        this.q.setMeta.run(hi, 'compact_progress');
      });
      this.compactProgress = hi;
      if (hi < stop) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.checkOpen();
      }
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private committed(event: WatchEvent): void {
    this.revision = event.revision;
    this.hub.publish(event);
  }

  /** The key's latest value, checked against `expectedRevision` when given (in a write tx). */
  private liveRow(key: string, expectedRevision: number | undefined): KeyValue {
    const latest = this.q.latest.get(key);
    if (!latest || latest[1]) throw new KeyNotFoundError(key);
    const current = keyValue(key, latest[3], latest[2], latest[0]);
    if (expectedRevision !== undefined && latest[0] !== expectedRevision) {
      throw new RevisionConflictError(key, expectedRevision, current);
    }
    return current;
  }

  private readHistory(prefix: string, end: string | undefined, after: number, upTo: number): WatchEvent[] {
    if (this.closed) throw new StoreClosedError();
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    const rows = end === undefined ? this.q.historyOpen.all(after, upTo, prefix) : this.q.history.all(after, upTo, prefix, end);
    return rows.map(historyEvent);
  }
}

/** Opens the connection, takes the lock, creates or checks the schema. */
function initialize(db: Database.Database, opts: SqliteStoreOptions): void {
  // EXCLUSIVE before the first access: the lock taken below is kept until close, which makes
  // this process the file's only user, and WAL then needs no shared-memory (-shm) file.
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  // In WAL mode, NORMAL writes each commit to the WAL (the OS page cache) before the write is
  // acknowledged, and fsyncs only at checkpoints. An acknowledged write therefore survives the
  // process crashing or being killed, and the file is never corrupted; what an OS crash or a
  // power cut can lose is the commits since the last checkpoint. That is etcd's durability
  // minus power loss, at ~5x the write rate of FULL (an fsync per commit); choose 'full' where
  // power loss must not lose acknowledged writes.
  db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // 8 MiB page cache and reads through mmap: list pages hit random rows of the table, which mmap
  // serves from the OS page cache. A 64 MiB cache filled as the file grew and was the largest
  // part of the server's memory (bench/apiserver: VmRSS with 100k ConfigMaps 208 -> 134 MiB at
  // 8 MiB), with no measurable change to creates/s or to listing 10k of 100k interleaved keys.
  db.pragma('cache_size = -8192');
  db.pragma('mmap_size = 1073741824');
  // SQLite's default checkpoint interval (1000 pages, ~4 MiB of WAL). A checkpoint runs inside
  // the commit that triggers it and blocks the event loop: at 10000 pages that pause measured
  // 100-200 ms (every watcher's p99 paid it, bench/apiserver), at 1000 pages at most ~13 ms,
  // for ~7% fewer creates/s at the storage level (~1% of a create through the API server).
  db.pragma('wal_autocheckpoint = 1000');
  db.transaction(() => {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
    if (tables.length === 0) {
      db.exec(SCHEMA);
      return;
    }
    if (!tables.includes('keelson_meta') || !tables.includes('kine')) {
      throw new NotKeelsonError(`it holds other tables (${tables.slice(0, 5).join(', ')})`);
    }
    const version = db.prepare("SELECT value FROM keelson_meta WHERE name = 'schema_version'").pluck().get();
    if (version !== SCHEMA_VERSION) {
      throw new NotKeelsonError(`its schema version is ${String(version)}, this Keelson reads version ${SCHEMA_VERSION}`);
    }
  }).immediate();
}

function prepareStatements(db: Database.Database) {
  const rows = <P extends unknown[], R>(sql: string) => db.prepare<P, R>(sql).raw(true);
  const column = <P extends unknown[], R>(sql: string) => db.prepare<P, R>(sql).pluck(true);
  // The latest row of each key in a name range at or below a revision: a walk of the covering
  // index kine_name_id_deleted in name order (MAX(id) per name, with `deleted` taken from that
  // row, which SQLite guarantees for a bare column next to MAX()), joined by primary key to
  // fetch the value. It streams (a co-routine), so LIMIT stops the walk early: a page of 500
  // among 100k keys reads ~500 keys' index entries, whatever the page's position.
  const latestPerName = (bounded: boolean) => `
    SELECT MAX(id) AS id, deleted FROM kine
    WHERE name >= ? ${bounded ? 'AND name < ?' : ''} AND id <= ?
    GROUP BY name`;
  const history = (bounded: boolean) => `
    SELECT r.id, r.name, r.created, r.deleted, r.create_revision, r.prev_revision, r.value,
           p.value, p.create_revision
    FROM kine r LEFT JOIN kine p ON p.id = r.prev_revision AND r.created = 0 AND r.deleted = 0
    WHERE r.id > ? AND r.id <= ? AND r.name >= ? ${bounded ? 'AND r.name < ?' : ''}
    ORDER BY r.id`;
  return {
    latest: rows<[string], LatestRow>(
      'SELECT id, deleted, create_revision, value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1',
    ),
    getAt: rows<[string, number], LatestRow>(
      'SELECT id, deleted, create_revision, value FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1',
    ),
    insert: db.prepare<[number, string, number, number, number, number, string]>(
      'INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    page: rows<[string, string, number, number], PageRow>(
      `SELECT k.id, k.name, k.create_revision, k.value FROM (${latestPerName(true)}) m
       JOIN kine k ON k.id = m.id WHERE m.deleted = 0 LIMIT ?`,
    ),
    pageOpen: rows<[string, number, number], PageRow>(
      `SELECT k.id, k.name, k.create_revision, k.value FROM (${latestPerName(false)}) m
       JOIN kine k ON k.id = m.id WHERE m.deleted = 0 LIMIT ?`,
    ),
    count: column<[string, string, number], number>(
      `SELECT COUNT(*) FROM (${latestPerName(true)}) WHERE deleted = 0`,
    ),
    countOpen: column<[string, number], number>(
      `SELECT COUNT(*) FROM (${latestPerName(false)}) WHERE deleted = 0`,
    ),
    // Name order comes from the index walk (no sort); tombstoned names are skipped in JS.
    latestPerNameAll: rows<[], [name: string, id: number, deleted: number]>(
      'SELECT name, MAX(id), deleted FROM kine GROUP BY name ORDER BY name',
    ),
    history: rows<[number, number, string, string], HistoryRow>(history(true)),
    historyOpen: rows<[number, number, string], HistoryRow>(history(false)),
    deleteSuperseded: db.prepare<[number, number]>(
      'DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine WHERE id > ? AND id <= ? AND prev_revision > 0)',
    ),
    deleteTombstones: db.prepare<[number, number]>('DELETE FROM kine WHERE id > ? AND id <= ? AND deleted = 1'),
    getMeta: column<[string], number>('SELECT value FROM keelson_meta WHERE name = ?'),
    setMeta: db.prepare<[number, string]>('UPDATE keelson_meta SET value = ? WHERE name = ?'),
  };
}

function keyValue(key: string, value: string, createRevision: number, modRevision: number): KeyValue {
  return Object.freeze({ key, value, createRevision, modRevision });
}

/**
 * A row as a watch event. A tombstone holds the deleted value and names the row it ended
 * (prev_revision), which gives prevKv without a join; an update's prevKv is its predecessor,
 * which compaction keeps as long as the update is newer than the compacted revision.
 */
function historyEvent(r: HistoryRow): WatchEvent {
  const [id, name, , deleted, createRevision, prevRevision, value, prevValue, prevCreateRevision] = r;
  const kv = keyValue(name, value, createRevision, id);
  if (deleted) {
    return Object.freeze({ type: 'delete', kv, prevKv: keyValue(name, value, createRevision, prevRevision), revision: id });
  }
  if (prevValue !== null && prevCreateRevision !== null) {
    return Object.freeze({ type: 'put', kv, prevKv: keyValue(name, prevValue, prevCreateRevision, prevRevision), revision: id });
  }
  return Object.freeze({ type: 'put', kv, revision: id });
}

class NotKeelsonError extends Error {}

/** Turns what went wrong opening `path` into a message that says which file and what to do. */
function openError(path: string, err: unknown): Error {
  const code = (err as { code?: unknown }).code;
  let message: string;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    message =
      `${path} is locked by another process (another Keelson server on the same data directory?). ` +
      'Stop that process, or give this one a different data directory.';
  } else if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    message =
      `${path} is not a Keelson database (not a SQLite file, or a damaged one). ` +
      'Move it away, or give Keelson a different data directory.';
  } else if (err instanceof NotKeelsonError) {
    message =
      `${path} is a SQLite database but not a Keelson one: ${err.message}. ` +
      'Move it away, or give Keelson a different data directory.';
  } else if (code === 'SQLITE_CANTOPEN') {
    message = `cannot open ${path}: does its directory exist and is it writable?`;
  } else {
    message = `cannot open the Keelson database ${path}: ${(err as Error).message}`;
  }
  const e = new StorageError(message);
  (e as { cause?: unknown }).cause = err;
  return e;
}
