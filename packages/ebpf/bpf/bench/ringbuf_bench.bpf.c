// bench/ebpf/ringbuf.ts workload: every getppid(2) of the trigger process emits EVENTS_PER_CALL
// 16-byte events into a ring buffer, so the kernel produces events faster than any reader takes
// them and the reader is what is measured. Reservations that find the ring full are counted.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define EVENTS_PER_CALL 64

struct event {
  __u64 seq;
  __u32 cpu;
  __u32 index;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 << 20);
} events SEC(".maps");

const volatile __u32 target_tgid = 0;
__u64 produced = 0;
__u64 dropped = 0;

SEC("tp/syscalls/sys_enter_getppid")
int emit(void *ctx) {
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid) return 0;
  __u32 cpu = bpf_get_smp_processor_id();
  for (__u32 i = 0; i < EVENTS_PER_CALL; i++) {
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
      __sync_fetch_and_add(&dropped, 1);
      continue;
    }
    e->seq = __sync_fetch_and_add(&produced, 1);
    e->cpu = cpu;
    e->index = i;
    bpf_ringbuf_submit(e, 0);
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
