// A map libbpf pins by name under the object's pin root at load, and reuses from there on the
// next load: state that outlives the process that made it (test/integration/pinning.test.ts).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_state SEC(".maps");

SEC("xdp")
int touch_state(struct xdp_md *ctx) {
  __u32 key = 1;
  __u64 *v = bpf_map_lookup_elem(&shared_state, &key);
  if (v) __sync_fetch_and_add(v, 1);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
