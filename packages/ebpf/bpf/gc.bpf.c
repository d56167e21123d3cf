// SPDX-License-Identifier: GPL-2.0
/*
 * V8 garbage-collection pauses: uprobe + uretprobe on
 * v8::internal::Heap::PerformGarbageCollection(GarbageCollector, GarbageCollectionReason,
 * const char*), the main-thread pause of every collection. A uretprobe on Heap::SizeOfObjects()
 * reads the heap's live bytes: V8 calls it at the start of a collection (the "before" of
 * --trace-gc) and at its end ("after"); we keep the first and last values seen on the thread
 * while it is inside the collection.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "include-apps/gc.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gc_config);
} gc_config SEC(".maps");

struct gc_state {
	struct gc_event ev;
	__u32 depth;     /* nested collections on one thread: report only the outermost */
	__u32 size_reads;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct gc_state);
} gc_inflight SEC(".maps");

/* A gc_state is too big for the 512-byte BPF stack in older clang output; build it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gc_state);
} gc_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} gc_events SEC(".maps");

static __always_inline int traced(__u64 id)
{
	__u32 zero = 0;
	struct gc_config *cfg = bpf_map_lookup_elem(&gc_config, &zero);

	return cfg && (!cfg->tgid || cfg->tgid == (__u32)(id >> 32));
}

SEC("uprobe")
int gc_enter(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0;
	struct gc_state *st;
	const char *text;

	if (!traced(id))
		return 0;
	st = bpf_map_lookup_elem(&gc_inflight, &tid);
	if (st) {
		st->depth++;
		return 0;
	}
	st = bpf_map_lookup_elem(&gc_scratch, &zero);
	if (!st)
		return 0;
	__builtin_memset(st, 0, sizeof(*st));
	st->ev.start_ns = bpf_ktime_get_ns();
	st->ev.tgid = id >> 32;
	st->ev.tid = tid;
	/* arg0 is Heap* this. */
	st->ev.collector = (__u32)PT_REGS_PARM2(ctx);
	st->ev.reason = (__u32)PT_REGS_PARM3(ctx);
	text = (const char *)PT_REGS_PARM4(ctx);
	if (text)
		bpf_probe_read_user_str(st->ev.reason_text, sizeof(st->ev.reason_text), text);
	st->depth = 1;
	bpf_map_update_elem(&gc_inflight, &tid, st, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int gc_heap_size(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gc_state *st = bpf_map_lookup_elem(&gc_inflight, &tid);
	__u64 size;

	if (!st)
		return 0; /* SizeOfObjects outside a collection (heap statistics, ...) */
	size = PT_REGS_RC(ctx);
	if (st->size_reads == 0) {
		st->ev.heap_before = size;
		st->ev.flags |= GC_EVENT_HEAP_BEFORE;
	} else {
		st->ev.heap_after = size;
		st->ev.flags |= GC_EVENT_HEAP_AFTER;
	}
	st->size_reads++;
	return 0;
}

SEC("uretprobe")
int gc_exit(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gc_state *st = bpf_map_lookup_elem(&gc_inflight, &tid);
	struct gc_event *e;

	if (!st)
		return 0;
	if (--st->depth > 0)
		return 0;
	e = bpf_ringbuf_reserve(&gc_events, sizeof(*e), 0);
	if (e) {
		__builtin_memcpy(e, &st->ev, sizeof(*e));
		e->duration_ns = bpf_ktime_get_ns() - st->ev.start_ns;
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&gc_inflight, &tid);
	return 0;
}
