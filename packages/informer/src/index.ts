// The public surface of @keelson/informer: client-go's tools/cache (Reflector, DeltaFIFO,
// Indexer, SharedIndexInformer, SharedInformerFactory) with promises, AbortSignal and async
// iterables.
export * from './object.js';
export * from './keys.js';
export * from './list-watch.js';
export * from './thread-safe-store.js';
export * from './indexer.js';
export * from './transform.js';
export * from './delta-fifo.js';
export * from './backoff.js';
export * from './reflector.js';
export type { ResourceEventHandler } from './processor.js';
export * from './shared-informer.js';
export * from './factory.js';
export * from './metrics.js';
export { sleep, waitForCacheSync } from './wait.js';
