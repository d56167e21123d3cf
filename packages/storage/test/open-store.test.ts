import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryStore } from '../src/memory-store.js';
import { openStore } from '../src/open-store.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { StorageError } from '../src/store.js';

const dir = mkdtempSync(join(tmpdir(), 'keelson-open-store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens a memory store', async () => {
    const s = openStore({ kind: 'memory' });
    assert.ok(s instanceof MemoryStore);
    assert.equal(s.backend, 'memory');
    await s.close();
  });

  it('opens <dataDir>/keelson.db, creating the directory, and finds the data again', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const s = openStore({ kind: 'sqlite', dataDir });
    assert.ok(s instanceof SqliteStore);
    assert.equal(s.backend, 'sqlite');
    assert.ok(existsSync(join(dataDir, 'keelson.db')));
    await s.create('/k', 'v');
    await s.close();
    const again = openStore({ kind: 'sqlite', dataDir });
    assert.equal((await again.get('/k'))?.value, 'v');
    await again.close();
  });

  it('says that sqlite needs a data directory', () => {
    assert.throws(() => openStore({ kind: 'sqlite' }), /'sqlite' store needs a data directory/);
  });

  it('refuses an unknown kind', () => {
    assert.throws(() => openStore({ kind: 'etcd' as 'memory' }), /unknown store kind "etcd"/);
  });

  it('refuses a file that is not a database, naming it', () => {
    const dataDir = join(dir, 'junk');
    const file = join(dataDir, 'keelson.db');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, 'this is not a database\n'.repeat(200));
    assert.throws(
      () => openStore({ kind: 'sqlite', dataDir }),
      (err: unknown) => err instanceof StorageError && err.message.includes(file) && /not a Keelson database/.test(err.message),
    );
  });

  it('refuses a SQLite database of something else, naming it', () => {
    const file = join(dir, 'other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    assert.throws(
      () => new SqliteStore({ path: file }),
      (err: unknown) => err instanceof StorageError && err.message.includes(file) && /not a Keelson one.*customers/.test(err.message),
    );
  });

  it('refuses a file another store holds', async () => {
    const file = join(dir, 'held.db');
    const first = new SqliteStore({ path: file });
    assert.throws(
      () => new SqliteStore({ path: file }),
      (err: unknown) => err instanceof StorageError && err.message.includes(file) && /locked by another process/.test(err.message),
    );
    await first.close();
    const second = new SqliteStore({ path: file });
    await second.close();
  });

  it('refuses a file another process holds', async () => {
    const dataDir = join(dir, 'other-process');
    const first = openStore({ kind: 'sqlite', dataDir });
    await first.create('/k', 'v');
    // A second process opening the same file, through better-sqlite3 as the store does.
    const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const script = `
      const Database = require(${JSON.stringify(betterSqlite)});
      const db = new Database(${JSON.stringify(join(dataDir, 'keelson.db'))}, { timeout: 100 });
      try { db.pragma('locking_mode = EXCLUSIVE'); db.exec('BEGIN IMMEDIATE; COMMIT'); console.log('opened'); }
      catch (e) { console.log(e.code); }`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(out.trim(), 'SQLITE_BUSY');
    await first.close();
  });
});
