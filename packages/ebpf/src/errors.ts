/**
 * Errors of @keelson/ebpf. One type per failure a caller can act on, as cilium/ebpf does:
 * `BpfError` (a syscall or libbpf call failed: errno, operation, a hint) and its subclass
 * `BpfVerifierError` (the kernel verifier rejected a program: its name and the verifier log).
 */
import { constants } from 'node:os';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);
// Kernel-internal codes that reach user space from some bpf() paths and are not in errno.h.
errnoNames.set(524, 'ENOTSUPP');

/** The symbolic name of an errno value (`1` → `EPERM`). */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

export interface BpfErrorDetails {
  /** Positive errno value. */
  errno: number;
  /** What was being done: `bpf_map_update_elem`, `attach tracepoint syscalls/sys_enter_kill`, ... */
  op: string;
  /** What libbpf printed (warnings) while the failing call ran. */
  libbpfLog?: string;
  hint?: string;
  cause?: unknown;
}

export class BpfError extends Error {
  override name = 'BpfError';
  readonly errno: number;
  /** `EPERM`, `ENOENT`, ... */
  readonly code: string;
  readonly op: string;
  readonly libbpfLog: string;
  readonly hint: string | undefined;

  constructor(message: string, details: BpfErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.errno = details.errno;
    this.code = errnoName(details.errno);
    this.op = details.op;
    this.libbpfLog = details.libbpfLog ?? '';
    this.hint = details.hint;
  }
}

/** The verifier rejected a program. `message` is short (the log's last lines); `log` is all of it. */
export class BpfVerifierError extends BpfError {
  override name = 'BpfVerifierError';
  /** The program the kernel refused. */
  readonly program: string;
  /** The verifier log (its tail, when it outgrew the buffer: see `truncated`). */
  readonly log: string;
  readonly truncated: boolean;

  constructor(program: string, log: string, truncated: boolean, details: BpfErrorDetails) {
    const lines = logLines(log);
    super(`program "${program}" failed verification (${errnoName(details.errno)}): ${lines.slice(-2).join(' | ') || 'no verifier log'}`, details);
    this.program = program;
    this.log = log;
    this.truncated = truncated;
  }

  /** The last `n` lines of the verifier log: where it says what went wrong. */
  tail(n = 10): string {
    return logLines(this.log).slice(-n).join('\n');
  }
}

function logLines(log: string): string[] {
  return log
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^processed \d+ insns/.test(l) && !/^verification time/.test(l) && !/^stack depth/.test(l));
}

export function isBpfError(err: unknown, code?: string): err is BpfError {
  return err instanceof BpfError && (code === undefined || err.code === code);
}

/** What a caller can do about an errno in a given kind of operation. */
export function hintFor(errno: number, op: string): string | undefined {
  const name = errnoName(errno);
  switch (name) {
    case 'EPERM':
      return 'run as root, or with CAP_BPF plus CAP_PERFMON (tracing) or CAP_NET_ADMIN (tc, xdp); check kernel.unprivileged_bpf_disabled and RLIMIT_MEMLOCK on kernels before 5.11';
    case 'EACCES':
      return /pin|bpf_obj_get|open/.test(op) ? 'bpffs path not accessible: run as root' : 'permission denied: run as root (or with CAP_BPF/CAP_SYS_ADMIN)';
    case 'ENOENT':
      if (/tracepoint/.test(op)) return 'no such tracepoint: list them under /sys/kernel/tracing/events (mounted? see ensureTracefs())';
      if (/bpf_obj_get/.test(op)) return 'nothing is pinned at that path';
      if (/uprobe/.test(op)) return 'the binary or the uprobe PMU is missing: check the path and /sys/bus/event_source/devices/uprobe';
      return undefined;
    case 'EEXIST':
      return /pin/.test(op) ? 'something is already pinned at that path: unpin it first or choose another path' : 'the element exists (update flag "noexist")';
    case 'ENODEV':
      return 'no such interface: names and ifindexes are per network namespace (pass `netns`)';
    case 'EBUSY':
      return /xdp/i.test(op) ? 'another XDP program is attached to this interface: detach it or use another mode' : undefined;
    case 'E2BIG':
    case 'ENOSPC':
      return /update|create/.test(op) ? 'the map is full (max_entries): delete entries or raise max entries before load' : undefined;
    case 'EOPNOTSUPP':
    case 'ENOTSUPP':
    case 'ENOTSUP':
      return 'this kernel or device does not support the operation';
    case 'EBADF':
      return 'the object, map, program or link was closed';
    case 'EINVAL':
      if (/tcx/.test(op)) return 'the kernel refused the tcx link: tcx needs Linux 6.6 and a SCHED_CLS program; use mode "clsact" on older kernels';
      if (/bpf_map/.test(op)) return 'the key or value does not fit this map (size, flags, or an operation this map type does not have)';
      return undefined;
    case 'ESRCH':
      return 'no such process';
    case 'ENOSYS':
      return 'this kernel has no bpf() syscall support for the operation';
    default:
      return undefined;
  }
}

/** What the addon throws: an Error with errno/op/libbpfLog properties (see native/src/errors.cc). */
interface NativeErrorShape {
  message: string;
  errno?: number;
  op?: string;
  detail?: string;
  libbpfLog?: string;
  program?: string;
  verifierLog?: string;
  logTruncated?: boolean;
}

/**
 * Turns an error thrown by the addon into a BpfError (or BpfVerifierError), prefixed with what the
 * caller was doing (`map "counts": update`). Errors without an errno (TypeErrors) pass through.
 */
export function fromNative(err: unknown, context: string): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & NativeErrorShape;
  if (typeof e.errno !== 'number') return err;
  const op = e.op ?? context;
  const libbpfLog = e.libbpfLog ?? '';
  if (e.verifierLog) {
    return new BpfVerifierError(e.program ?? programFromLibbpfLog(libbpfLog) ?? '(unknown)', e.verifierLog, e.logTruncated === true, {
      errno: e.errno,
      op,
      libbpfLog,
      hint: 'read err.log (or err.tail()) for the verifier trace',
      cause: err,
    });
  }
  const hint = hintFor(e.errno, op);
  const lastLibbpf = libbpfLog.trim().split('\n').filter(Boolean).pop();
  let message = `${context}: ${e.message}`;
  if (lastLibbpf && !e.message.includes(lastLibbpf)) message += `; libbpf: ${lastLibbpf.replace(/^libbpf: /, '')}`;
  if (hint) message += `. Hint: ${hint}`;
  return new BpfError(message, { errno: e.errno, op, libbpfLog, hint, cause: err });
}

function programFromLibbpfLog(log: string): string | undefined {
  return /prog '([^']+)'/.exec(log)?.[1];
}

/** Runs `fn` and rethrows addon errors as BpfError with `context`. */
export function call<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err, context);
  }
}
