/**
 * @kubernetes/client-node 2.x depends on undici 8, which declares Node >= 22.19; this project runs
 * on Node 20. Loading undici there throws (it reads `zlib.createZstdDecompress`, Node >= 22.15, and
 * `worker_threads.markAsUncloneable`, Node >= 22.10), and its fetch calls `Promise.withResolvers`
 * (Node >= 22). Import this module before client-node; on Node 22.19+ it changes nothing.
 * - createZstdDecompress fails if ever called: our server never sends zstd.
 * - markAsUncloneable does nothing: it only makes structuredClone refuse undici's objects.
 * - Promise.withResolvers and Object.groupBy are the standard ES2024 functions.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const zlib = require('node:zlib') as Record<string, unknown>;
if (typeof zlib.createZstdDecompress !== 'function') {
  zlib.createZstdDecompress = (): never => {
    throw new Error('zstd decompression needs Node >= 22.15');
  };
}
const workerThreads = require('node:worker_threads') as Record<string, unknown>;
if (typeof workerThreads.markAsUncloneable !== 'function') workerThreads.markAsUncloneable = (): void => {};

const P = Promise as unknown as Record<string, unknown>;
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const O = Object as unknown as Record<string, unknown>;
if (typeof O.groupBy !== 'function') {
  O.groupBy = <T>(items: Iterable<T>, key: (item: T, i: number) => PropertyKey): Record<PropertyKey, T[]> => {
    const out: Record<PropertyKey, T[]> = Object.create(null);
    let i = 0;
    for (const item of items) (out[key(item, i++)] ??= []).push(item);
    return out;
  };
}
