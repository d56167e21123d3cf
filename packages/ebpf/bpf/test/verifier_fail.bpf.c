// One program the verifier accepts and one it must reject (a map value used without the NULL
// check), for the load-failure test: the error has to name "deref_without_check" and carry the
// log. A hash map, not an array: recent verifiers prove constant-key array lookups non-NULL.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} values SEC(".maps");

SEC("xdp")
int passes_verification(struct xdp_md *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  if (v) *v += 1;
  return XDP_PASS;
}

SEC("xdp")
int deref_without_check(struct xdp_md *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  *v += 1;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
