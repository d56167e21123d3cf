// Programs for BPF_PROG_TEST_RUN (test/integration/test-run.test.ts): an XDP filter that drops
// frames whose first byte is 0xff and stamps the second byte of the others, so retval and the
// returned packet both show the program ran on the data given.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 runs = 0;

SEC("xdp")
int drop_marked(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *end = (void *)(long)ctx->data_end;
  __sync_fetch_and_add(&runs, 1);
  if (data + 2 > end) return XDP_ABORTED;
  if (data[0] == 0xff) return XDP_DROP;
  data[1] = 0x42;
  return XDP_PASS;
}

SEC("tc")
int tc_len(struct __sk_buff *skb) {
  // TC_ACT_SHOT for frames shorter than 60 bytes, TC_ACT_OK otherwise.
  return skb->len < 60 ? 2 : 0;
}

char LICENSE[] SEC("license") = "GPL";
