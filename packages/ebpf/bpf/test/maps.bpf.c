// Maps of every type the TypeScript API supports, for test/integration/maps.test.ts. The program
// gives the per-CPU maps kernel-side writes: one count per pread64 of the target process and fd.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct pair {
  __u32 a;
  __u16 b;
  __u8 c;
  __u64 d;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} hash_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, struct pair);
} array_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} percpu_hash SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} percpu_array SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} lru_map SEC(".maps");

struct ipv4_lpm_key {
  __u32 prefixlen;
  __u8 addr[4];
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 256);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipv4_lpm_key);
  __type(value, __u32);
} lpm_v4 SEC(".maps");

struct ipv6_lpm_key {
  __u32 prefixlen;
  __u8 addr[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 256);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipv6_lpm_key);
  __type(value, __u32);
} lpm_v6 SEC(".maps");

const volatile __u32 target_tgid = 0;
const volatile __u32 target_fd = 0;
__u64 seen = 0;

SEC("tp/syscalls/sys_enter_pread64")
int count_pread(struct trace_event_raw_sys_enter *ctx) {
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid || ctx->args[0] != target_fd) return 0;
  __u32 key = 0;
  __u64 *slot = bpf_map_lookup_elem(&percpu_array, &key);
  if (slot) *slot += 1;
  __u32 tgid = target_tgid;
  __u64 one = 1;
  __u64 *count = bpf_map_lookup_elem(&percpu_hash, &tgid);
  if (count) *count += 1;
  else bpf_map_update_elem(&percpu_hash, &tgid, &one, BPF_NOEXIST);
  __sync_fetch_and_add(&seen, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
