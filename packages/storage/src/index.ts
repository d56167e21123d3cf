// The public surface of @keelson/storage.
export * from './store.js';
export { MemoryStore } from './memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { openStore, type StoreKind, type OpenStoreOptions } from './open-store.js';
