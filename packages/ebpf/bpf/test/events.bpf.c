// Events through a ring buffer and a perf event array, for test/integration/events.test.ts: one
// event per pread64 of the target process and fd, carrying the read's position as a sequence.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
  __u64 seq;
  __u32 tgid;
  __u32 cpu;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

const volatile __u32 target_tgid = 0;
const volatile __u32 target_fd = 0;
__u64 dropped = 0;

static __always_inline int matches(struct trace_event_raw_sys_enter *ctx) {
  return (bpf_get_current_pid_tgid() >> 32) == target_tgid && ctx->args[0] == target_fd;
}

SEC("tp/syscalls/sys_enter_pread64")
int to_ringbuf(struct trace_event_raw_sys_enter *ctx) {
  if (!matches(ctx)) return 0;
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    __sync_fetch_and_add(&dropped, 1);
    return 0;
  }
  e->seq = ctx->args[3];
  e->tgid = target_tgid;
  e->cpu = bpf_get_smp_processor_id();
  bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("tp/syscalls/sys_enter_pread64")
int to_perf(struct trace_event_raw_sys_enter *ctx) {
  if (!matches(ctx)) return 0;
  struct event e = {.seq = ctx->args[3], .tgid = target_tgid, .cpu = bpf_get_smp_processor_id()};
  bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
