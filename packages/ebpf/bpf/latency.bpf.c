// SPDX-License-Identifier: GPL-2.0
/*
 * Function latency: a uprobe at entry and a uretprobe at return of one function, paired by
 * thread id. Every call lands in a log2 histogram (per-CPU, so probes on many CPUs never contend
 * on one counter); calls slower than a threshold also send their user stack id through a ring
 * buffer, so user space can show where the slow ones came from.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "include-apps/latency.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct latency_config);
} latency_config SEC(".maps");

/* Entry timestamps by thread id. A thread sits in at most one outermost call of the traced
 * function at a time; recursion overwrites the start, so recursive calls are timed from the
 * innermost entry (documented limit). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} latency_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LATENCY_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} latency_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, LATENCY_STACK_DEPTH * sizeof(__u64));
} latency_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} latency_events SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;
	/* Branchy binary search: 6 steps, no loop for the verifier to bound. */
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

SEC("uprobe")
int latency_enter(struct pt_regs *ctx)
{
	__u32 zero = 0;
	struct latency_config *cfg = bpf_map_lookup_elem(&latency_config, &zero);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 now;

	if (!cfg || (cfg->tgid && cfg->tgid != (__u32)(id >> 32)))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&latency_start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int latency_exit(struct pt_regs *ctx)
{
	__u32 zero = 0;
	struct latency_config *cfg = bpf_map_lookup_elem(&latency_config, &zero);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 *start, delta, *slot;
	__u32 bucket;

	if (!cfg)
		return 0;
	start = bpf_map_lookup_elem(&latency_start, &tid);
	if (!start)
		return 0; /* entered before we attached */
	delta = bpf_ktime_get_ns() - *start;
	bucket = log2_u64(delta);
	slot = bpf_map_lookup_elem(&latency_hist, &bucket);
	if (slot)
		*slot += 1; /* per-CPU slot: no atomic needed */

	if (cfg->slow_threshold_ns && delta >= cfg->slow_threshold_ns) {
		struct latency_slow_event *e = bpf_ringbuf_reserve(&latency_events, sizeof(*e), 0);
		if (e) {
			e->start_ns = *start;
			e->duration_ns = delta;
			e->tgid = id >> 32;
			e->tid = tid;
			/* At the return probe the stack is the caller's: exactly the "who called the slow
			 * one" a reader wants; the traced function itself is known. */
			e->user_stack_id = bpf_get_stackid(ctx, &latency_stacks, BPF_F_USER_STACK);
			e->pad = 0;
			bpf_ringbuf_submit(e, 0);
		}
	}
	bpf_map_delete_elem(&latency_start, &tid);
	return 0;
}
