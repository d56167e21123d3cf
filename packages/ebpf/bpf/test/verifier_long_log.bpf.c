// A rejected program whose verifier log is far longer than 4 KiB (a long unrolled prologue, then
// the NULL dereference), for the test that a small log buffer keeps the log's tail.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} values SEC(".maps");

SEC("xdp")
int long_then_bad(struct xdp_md *ctx) {
  __u64 acc = ctx->data_end - ctx->data;
#pragma unroll
  for (int i = 0; i < 300; i++) {
    acc = acc * 31 + i;
    asm volatile("" : "+r"(acc));  // keeps clang from folding the loop away
  }
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  *v += acc;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
