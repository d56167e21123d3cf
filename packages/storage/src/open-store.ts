import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export type StoreKind = 'sqlite' | 'memory';

export interface OpenStoreOptions {
  kind: StoreKind;
  /** Directory of the SQLite file (`<dataDir>/keelson.db`), created when missing. sqlite only. */
  dataDir?: string;
}

/** The file name of the SQLite store inside a data directory. */
const DB_FILE = 'keelson.db';

/**
 * Opens the store a server runs on.
 *
 * ```ts
 * const store = openStore({ kind: 'sqlite', dataDir: '.keelson' }); // .keelson/keelson.db
 * const scratch = openStore({ kind: 'memory' });
 * ```
 *
 * Throws a StorageError naming the file when it is not a Keelson database or another process
 * holds it.
 */
export function openStore(opts: OpenStoreOptions): Store {
  switch (opts.kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite': {
      if (!opts.dataDir) {
        throw new Error(
          "the 'sqlite' store needs a data directory (dataDir) for keelson.db: pass one, " +
            "or use the 'memory' store, which keeps nothing across restarts",
        );
      }
      try {
        mkdirSync(opts.dataDir, { recursive: true });
      } catch (err) {
        throw new Error(
          `cannot create the data directory ${opts.dataDir} (${(err as Error).message}): choose a directory Keelson can write to`,
          { cause: err },
        );
      }
      return new SqliteStore({ path: join(opts.dataDir, DB_FILE) });
    }
    default:
      throw new Error(`unknown store kind ${JSON.stringify((opts as { kind: unknown }).kind)}; use 'sqlite' or 'memory'`);
  }
}
