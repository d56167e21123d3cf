/**
 * @keelson/ebpf — BPF from TypeScript: a libbpf N-API addon and a lifecycle API modelled on
 * cilium/ebpf and libbpf-rs.
 *
 *   BpfObject.open(path)          parse a clang-built .bpf.o
 *     .setGlobal(name, codec, v)  configure .rodata/.data before load
 *     await .load()               CO-RE + verifier; BpfVerifierError carries .program and .log
 *     .program(name)              BpfProgram: attach*(), testRun(), pin()
 *     .map(name, {key, value})    BpfMap<K, V>: lookup/update/delete/keys/entries/batches
 *     .perCpuMap(name, codecs)    PerCpuMap<K, V>: one value per CPU, sumPerCpu()
 *   MapOpBatch                    updates/deletes on several maps, run in order by one addon call
 *     .ringBuffer(name, onBatch)  RingBufferReader: batches on the event loop (epoll fd + uv_poll)
 *     .perfBuffer(name, onBatch)  PerfBufferReader: the same for perf event arrays
 *     .close()                    links, readers, programs, maps
 *   Link                          detach(), close(), pin(path), info(); Link.openPinned(path)
 *
 * ```ts
 * import { BpfObject, objectPath, u32, u64 } from '@keelson/ebpf';
 * const obj = BpfObject.open(objectPath('test/attach'));
 * obj.setGlobal('target_tgid', u32, process.pid);
 * await obj.load();
 * const link = obj.program('count_kill').attachTracepoint('syscalls', 'sys_enter_kill');
 * process.kill(process.pid, 0);
 * console.log(obj.map('counters', { key: u32, value: u64 }).lookup(0)); // 1n
 * link.detach();
 * obj.close();
 * ```
 *
 * Needs Linux, root (or CAP_BPF + CAP_PERFMON/CAP_NET_ADMIN) and the addon built
 * (`node scripts/ensure-ebpf.mjs`); importing this module does not load the addon.
 */
export { BpfObject, type GlobalVariable, type LoadOptions, type ObjectState, type OpenOptions } from './object.js';
export {
  BpfProgram,
  type InterfaceTarget,
  type ProgramSpec,
  type TcDirection,
  type TcOptions,
  type TestRunOptions,
  type TestRunResult,
  type UprobeOptions,
  type XdpOptions,
} from './program.js';
export { BpfMap, PerCpuMap, MAP_TYPES, isPerCpuType, possibleCpus, type MapCodecs, type MapSpec, type MapType, type UpdateFlag } from './map.js';
export { MapOpBatch, MapOpError, type MapOpKind } from './map-ops.js';
export { Link, type LinkInfo, type LinkKind, type LinkState } from './link.js';
export { EventBatch, PerfBufferReader, RingBufferReader, type EventReaderOptions, type PerfBufferOptions, type ReaderStats } from './event-reader.js';
export {
  array,
  bool,
  bytes,
  cstring,
  decode,
  encode,
  f32,
  f64,
  i16,
  i32,
  i64,
  i8,
  ipv4,
  ipv6,
  ipv6Bytes,
  lpmKey,
  lpmKeyIpv4,
  lpmKeyIpv6,
  parseCidr,
  struct,
  sumPerCpu,
  u16,
  u16be,
  u32,
  u32be,
  u64,
  u64Number,
  u8,
  type CidrKey,
  type Codec,
  type Infer,
  type LpmKey,
  type StructCodec,
  type StructFields,
  type StructValue,
} from './codec.js';
export { BpfError, BpfVerifierError, errnoName, isBpfError } from './errors.js';
export { ElfError, findSymbols, readSymbols, resolveSymbol, type ElfSymbol, type SymbolBind, type SymbolType } from './elf.js';
export { netnsPath, type NetnsRef } from './netns.js';
export { BPFFS, TRACEFS, ensureBpffs, ensureTracefs, isMounted, kernelHasTcx, kernelVersion, libbpfVersion, unpin } from './system.js';
export { bpfBuildDir, bpfSourceDir, objectPath } from './paths.js';
export { AddonNotBuiltError, addonPath } from './internal/native.js';
export { closeAll } from './internal/registry.js';
export * from './policy/index.js';
export * from './trace/index.js';
