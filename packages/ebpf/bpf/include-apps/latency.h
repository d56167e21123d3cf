/* Layouts shared by latency.bpf.c and src/trace/latency-*.ts (keep both in step). */
#ifndef KEELSON_LATENCY_H
#define KEELSON_LATENCY_H

/* log2 buckets of nanoseconds: bucket i holds durations in [2^i, 2^(i+1)) ns; bucket 0 also
 * holds 0 and 1 ns. 64 buckets cover every u64 duration, so nothing is clipped. */
#define LATENCY_BUCKETS 64
#define LATENCY_STACK_DEPTH 127 /* PERF_MAX_STACK_DEPTH */

struct latency_config {
	__u64 slow_threshold_ns; /* calls at least this slow are reported with their stack; 0 = none */
	__u32 tgid;              /* 0 = every process the uprobe fires in */
	__u32 pad;
};

/* One record per slow call, through the ring buffer. */
struct latency_slow_event {
	__u64 start_ns;  /* bpf_ktime_get_ns() at entry: CLOCK_MONOTONIC */
	__u64 duration_ns;
	__u32 tgid;
	__u32 tid;
	__s32 user_stack_id; /* negative: the stack could not be captured (-errno) */
	__u32 pad;
};

#endif
