/**
 * The N-API addon (packages/ebpf/native), loaded on first use so that importing @keelson/ebpf,
 * type-checking and building work on machines without libbpf. Everything here is internal: the
 * public API wraps it with state, codecs and typed errors.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeProgramInfo {
  name: string;
  section: string;
  type: string;
  expectedAttachType: string;
  autoload: boolean;
}

export interface NativeMapInfo {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  internal: boolean;
  pinPath?: string;
}

export interface NativeGlobalInfo {
  name: string;
  section: string;
  map: string;
  offset: number;
  size: number;
  type: string;
}

export interface NativeObjectInfo {
  name: string;
  programs: NativeProgramInfo[];
  maps: NativeMapInfo[];
  globals: NativeGlobalInfo[];
}

export interface NativeLink {
  fd(): number;
  pin(path: string): void;
  unpin(path: string): void;
  detach(): boolean;
  close(): void;
  info(): { type: string; id: number; progId: number; ifindex?: number; handle?: number; priority?: number };
  update(progFd: number): void;
}

export interface NativeObject {
  info(): NativeObjectInfo;
  initialValue(map: string): Buffer;
  setInitialValue(map: string, value: Uint8Array): void;
  setMaxEntries(map: string, n: number): void;
  setAutoload(program: string, on: boolean): void;
  load(logSize: number): Promise<void>;
  programFd(program: string): number;
  mapFd(map: string): number;
  attachAuto(program: string): NativeLink;
  attachTracepoint(program: string, category: string, name: string): NativeLink;
  attachRawTracepoint(program: string, name: string): NativeLink;
  attachUprobe(program: string, binary: string, offset: number, opts: { pid: number; retprobe: boolean; cookie: bigint }): NativeLink;
  close(): void;
}

export interface NativeTestRunResult {
  retval: number;
  duration: number;
  dataOut?: Buffer;
  ctxOut?: Buffer;
}

export interface NativeTestRunOptions {
  data?: Uint8Array;
  ctx?: Uint8Array;
  dataOutSize?: number;
  ctxOutSize?: number;
  repeat?: number;
  flags?: number;
  cpu?: number;
}

export type NativeBatchCallback = (error: Error | null, batch: ArrayBuffer | Buffer[], count: number, lost: number) => void;

export interface NativeEventReader {
  close(): void;
  consume(): number;
  ref(): void;
  unref(): void;
  stats(): { batches: number; records: number; lost: number };
}

export interface NativeAttached {
  link: NativeLink;
  ifindex: number;
}

export interface NativeAddon {
  BpfObjectHandle: new (path: string, opts: { name?: string; btfCustomPath?: string; pinRoot?: string }) => NativeObject;
  EventReader: new (
    kind: 'ringbuf' | 'perf',
    mapFd: number,
    callback: NativeBatchCallback,
    opts: { maxBatchBytes?: number; pageCount?: number; delivery?: 'packed' | 'buffers' },
  ) => NativeEventReader;
  attachTcx(progFd: number, iface: string | number, netns: string | null, egress: boolean, flags: number, relativeFd: number, expectedRevision: bigint): NativeAttached;
  attachXdp(progFd: number, iface: string | number, netns: string | null, flags: number): NativeAttached;
  attachTcClsact(progFd: number, iface: string | number, netns: string | null, egress: boolean, handle: number, priority: number): NativeAttached;
  ifindex(iface: string | number, netns: string | null): number;
  linkOpen(path: string): NativeLink;
  mapLookup(fd: number, key: Uint8Array | null, value: Uint8Array, flags?: bigint): boolean;
  mapUpdate(fd: number, key: Uint8Array | null, value: Uint8Array, flags: bigint): void;
  mapDelete(fd: number, key: Uint8Array | null): boolean;
  mapNextKey(fd: number, key: Uint8Array | null, next: Uint8Array): boolean;
  mapLookupAndDelete(fd: number, key: Uint8Array | null, value: Uint8Array): boolean;
  mapLookupBatch(fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: number): { count: number; done: boolean };
  mapUpdateBatch(fd: number, keys: Uint8Array, values: Uint8Array, count: number, flags: bigint): number;
  mapDeleteBatch(fd: number, keys: Uint8Array, count: number): number;
  /** Runs `count` update/delete ops of `table` (7 u32s each, see map_ops.h) in order; throws with `index` at the first failure. */
  mapApplyOps(fds: Int32Array, table: Uint32Array, data: Uint8Array, count: number): number;
  mapFreeze(fd: number): void;
  mapCreate(type: number, name: string, keySize: number, valueSize: number, maxEntries: number, flags: number): number;
  mapInfo(fd: number): { id: number; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string };
  progTestRun(fd: number, opts: NativeTestRunOptions): NativeTestRunResult;
  progTestRunAsync(fd: number, opts: NativeTestRunOptions): Promise<NativeTestRunResult>;
  progInfo(fd: number): { id: number; type: string; name: string; tag: string; jitedSize: number; xlatedSize: number; runCount: number; runTimeNs: number };
  objPin(fd: number, path: string): void;
  objGet(path: string): { fd: number; kind: 'map' | 'prog' | 'link' | 'other' };
  closeFd(fd: number): void;
  possibleCpus(): number;
  libbpfVersion(): string;
  mount(fstype: string, path: string): void;
}

/** Where the built addon lives, from src/internal or dist/internal alike. */
export const addonPath =
  process.env.KEELSON_EBPF_ADDON ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'keelson_ebpf.node');

/** Thrown when the addon is not built or cannot be loaded: says how to build it. */
export class AddonNotBuiltError extends Error {
  override readonly name = 'AddonNotBuiltError';
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (addon) return addon;
  if (process.platform !== 'linux') throw new AddonNotBuiltError(`@keelson/ebpf needs Linux (this is ${process.platform})`);
  if (!existsSync(addonPath)) {
    throw new AddonNotBuiltError(
      `the eBPF addon is not built (${addonPath} is missing): run \`node scripts/ensure-ebpf.mjs\`, which installs clang, libbpf-dev and bpftool and builds the addon and the BPF programs`,
    );
  }
  try {
    addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AddonNotBuiltError(`the eBPF addon at ${addonPath} does not load (${why}): rebuild it with \`node scripts/ensure-ebpf.mjs\``);
  }
  return addon;
}
